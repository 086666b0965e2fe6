/* Recommendations backed by numbers: rules over what a benchmark measured
 * (its time against the harness's own overhead, its counters, its
 * processes' agreement), each naming its evidence and one concrete action.
 * Filled into each result after the run (bg_result.advice), recorded with
 * it, and shown by the reporters (compactly on the console, in full in the
 * JSON and HTML). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bg_advice.h"
#include "bg_doctor.h"

static bg_advice *add(bg_result *r, const char *rule)
{
    for (size_t i = 0; i < r->nadvice; i++)
        if (!strcmp(r->advice[i].rule, rule))
            return NULL; /* each rule once */
    if (r->nadvice >= BG_ADVICE_MAX)
        return NULL;
    bg_advice *a = &r->advice[r->nadvice++];
    memset(a, 0, sizeof *a);
    snprintf(a->rule, sizeof a->rule, "%s", rule);
    return a;
}

/* A per-iteration figure recorded for r, or NAN. */
static double fig(const bg_result *r, const char *metric)
{
    return bg__result_figure(r, metric);
}

static void fmt_ns(double ns, char *buf, size_t n)
{
    if (ns < 1e3)
        snprintf(buf, n, "%.3g ns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.3g ms", ns / 1e6);
    else
        snprintf(buf, n, "%.3g s", ns / 1e9);
}

static void rule_noisy(const bg_config *c, bg_result *r, const char *doctor)
{
    char why[256];
    if (!bg__noisy(c, r, why, sizeof why))
        return;
    bg_advice *a = add(r, "noisy");
    if (!a)
        return;
    snprintf(a->evidence, sizeof a->evidence, "%s", why);
    snprintf(a->action, sizeof a->action, "run `benchgate doctor` and apply its fixes%s%.250s",
             doctor && doctor[0] ? "; it finds: " : "", doctor ? doctor : "");
}

static void rule_clock(const bg_overhead *o, bg_result *r, double per_iter)
{
    char t[32], e[32], k[32];
    fmt_ns(per_iter, t, sizeof t);
    /* Within 1 ns or 25 % of an empty loop: the body does (almost) nothing
     * the compiler could not drop. */
    if (o->empty_loop_ns > 0 && per_iter <= o->empty_loop_ns * 1.25 + 1.0) {
        bg_advice *a = add(r, "optimised-away");
        if (!a)
            return;
        fmt_ns(o->empty_loop_ns, e, sizeof e);
        snprintf(a->evidence, sizeof a->evidence, "%s per iteration, an empty BENCH_LOOP costs %s", t, e);
        snprintf(a->action, sizeof a->action,
                 "the compiler has likely removed the work: pass each result (and inputs it could "
                 "constant-fold) to bg_do_not_optimize()");
        return;
    }
    if (o->wall_read_ns > 0 && per_iter < 10 * o->wall_read_ns) {
        bg_advice *a = add(r, "near-clock");
        if (!a)
            return;
        fmt_ns(o->wall_read_ns, k, sizeof k);
        snprintf(a->evidence, sizeof a->evidence, "%s per iteration is under 10 clock reads (%s each)", t, k);
        snprintf(a->action, sizeof a->action,
                 "time more work per iteration (a batch of inputs in the body), so that the loop's "
                 "own cost and code alignment are a small share, or compare in --mode instructions");
    }
}

static void rule_memory(bg_result *r)
{
    double allocs = fig(r, "allocs");
    if (isfinite(allocs) && allocs >= 1.0) {
        bg_advice *a = add(r, "allocs-in-loop");
        if (a) {
            double bytes = fig(r, "alloc_bytes");
            snprintf(a->evidence, sizeof a->evidence, "%.3g allocations per iteration%s", allocs,
                     isfinite(bytes) ? "" : "");
            if (isfinite(bytes))
                snprintf(a->evidence, sizeof a->evidence, "%.3g allocations (%.4g bytes) per iteration", allocs,
                         bytes);
            snprintf(a->action, sizeof a->action,
                     "allocate outside BENCH_LOOP and reuse the buffers (or measure allocation on "
                     "purpose, in a benchmark of its own)");
        }
    }
    double faults = fig(r, "page_faults");
    if (isfinite(faults) && faults >= 0.1) {
        bg_advice *a = add(r, "page-faults");
        if (a) {
            snprintf(a->evidence, sizeof a->evidence, "%.3g page faults per iteration in the timed loop", faults);
            snprintf(a->action, sizeof a->action,
                     "touch (pre-fault) buffers before BENCH_LOOP and reuse memory instead of mapping "
                     "it anew: a fault measures the kernel, not the code");
        }
    }
}

static void rule_cpu(bg_result *r)
{
    double ipc = fig(r, "ipc"), miss = fig(r, "cache_miss_rate"), mpki = fig(r, "branch_mpki");
    if (isfinite(ipc) && isfinite(miss) && ipc < 0.7 && miss > 0.10) {
        bg_advice *a = add(r, "memory-bound");
        if (a) {
            snprintf(a->evidence, sizeof a->evidence, "IPC %.2f with %.0f %% of cache references missing", ipc,
                     100 * miss);
            snprintf(a->action, sizeof a->action,
                     "improve locality: smaller or packed data, sequential access, blocking/tiling, "
                     "or prefetching");
        }
    }
    if (isfinite(mpki) && mpki > 10) {
        bg_advice *a = add(r, "branch-misses");
        if (a) {
            snprintf(a->evidence, sizeof a->evidence, "%.1f branch misses per 1000 instructions%s", mpki,
                     isfinite(ipc) ? "" : "");
            snprintf(a->action, sizeof a->action,
                     "make branches predictable (sort or partition the data first) or remove them "
                     "(branchless selects, lookup tables)");
        }
    }
}

static void rule_gpu(bg_result *r)
{
    double kern = fig(r, "gpu_kernel_ns"), launches = fig(r, "gpu_kernels"), timer = fig(r, "gpu_timer_ns");
    double copy = 0;
    bool any_copy = false;
    static const char *const copies[] = {"gpu_memcpy_htod_ns", "gpu_memcpy_dtoh_ns", "gpu_memcpy_dtod_ns"};
    for (size_t i = 0; i < 3; i++) {
        double v = fig(r, copies[i]);
        if (isfinite(v)) {
            copy += v;
            any_copy = true;
        }
    }
    char k[32], c[32];
    if (any_copy && isfinite(kern) && copy > kern && copy > 0) {
        bg_advice *a = add(r, "gpu-transfers");
        if (a) {
            fmt_ns(kern, k, sizeof k);
            fmt_ns(copy, c, sizeof c);
            snprintf(a->evidence, sizeof a->evidence, "memory copies take %s per iteration, kernels %s", c, k);
            snprintf(a->action, sizeof a->action,
                     "keep data on the device between iterations, batch transfers, and use pinned "
                     "memory with asynchronous copies that overlap the kernels");
        }
    }
    if (isfinite(launches) && launches >= 1 && isfinite(kern) && isfinite(timer) && kern > 0) {
        double per_kernel = kern / launches;
        if (per_kernel < 10e3 && timer > 2 * kern) {
            bg_advice *a = add(r, "gpu-launch-overhead");
            if (a) {
                fmt_ns(per_kernel, k, sizeof k);
                fmt_ns(timer, c, sizeof c);
                snprintf(a->evidence, sizeof a->evidence,
                         "%.3g launches of %s each per iteration, %s on the GPU timer (%.1fx the kernels)",
                         launches, k, c, timer / kern);
                snprintf(a->action, sizeof a->action,
                         "launch overhead dominates: fuse small kernels, give each more work, or "
                         "capture the sequence in a CUDA graph");
            }
        }
    }
}

void bg__advise_result(const bg_config *c, const bg_overhead *o, bg_result *r, const char *doctor)
{
    r->nadvice = 0;
    if (r->status != BG_STATUS_OK || !r->has_summary)
        return;
    double per_iter = bg__result_figure(r, "time");
    if (!isfinite(per_iter))
        per_iter = r->wall.est[BG_STAT_MEAN].point;
    rule_noisy(c, r, doctor);
    if (isfinite(per_iter) && c->mode == BG_MODE_TIME)
        /* A scope near its clock is said in its note (scopes.c). */
        if (!r->scope_of[0])
            rule_clock(o, r, per_iter);
    rule_memory(r);
    rule_cpu(r);
    rule_gpu(r);
}

/* The doctor's most serious finding, for the "noisy" rule's action. */
static void doctor_finding(char *out, size_t n)
{
    bg_doctor_opts o;
    bg__doctor_opts_default(&o);
    o.sample_ms = 100;
    bg_doctor_report rep;
    out[0] = '\0';
    if (bg__doctor_collect(&o, &rep) != 0)
        return;
    for (int level = BG_DOC_WARN; level >= BG_DOC_NOTE; level--)
        for (size_t i = 0; i < rep.n; i++)
            if ((int)rep.f[i].level == level) {
                snprintf(out, n, "%s%s%.200s", rep.f[i].found, rep.f[i].fix[0] ? " (fix: " : "",
                         rep.f[i].fix);
                if (rep.f[i].fix[0] && strlen(out) + 1 < n)
                    strcat(out, ")");
                return;
            }
}

static bg_result *result_named(bg_run *run, const char *name)
{
    for (size_t i = 0; name && i < run->nresults; i++)
        if (run->results[i].name && !strcmp(run->results[i].name, name))
            return &run->results[i];
    return NULL;
}

/* A thread sweep past its knee: each team at or above the knee. */
static void rule_knee(bg_run *run, const bg_sweep *w)
{
    if (w->kind != BG_SWEEP_THREADS || w->knee_threads <= 0)
        return;
    for (size_t i = 0; i < w->n; i++) {
        if (w->x[i] < w->knee_threads)
            continue;
        bg_result *r = result_named(run, w->names[i]);
        bg_advice *a = r && r->status == BG_STATUS_OK ? add(r, "past-knee") : NULL;
        if (!a)
            continue;
        snprintf(a->evidence, sizeof a->evidence,
                 "%.0f threads run at %.0f %% efficiency (the knee of %.80s is %d threads; the highest "
                 "throughput is at %d)", w->x[i], 100 * w->efficiency[i], w->key, w->knee_threads,
                 w->best_threads);
        snprintf(a->action, sizeof a->action,
                 "use at most %d workers for this work, or find what they share (a lock, a cache "
                 "line, memory bandwidth) before adding more",
                 w->best_threads < w->knee_threads ? w->best_threads : w->knee_threads);
    }
}

/* A declared growth order that the sizes contradict: they fit a faster
 * growing class clearly better (RMS under half the declared one's, and
 * the declared one off by more than 10 %). On the largest instance. */
static void rule_growth(bg_run *run, const bg_sweep *w)
{
    if (w->kind != BG_SWEEP_GROWTH || !w->declared || w->n < 3 || !bg__big_o_worse(w->big_o, w->fitted) ||
        !(w->rms > 0.10) || !(w->fitted_rms * 2 < w->rms))
        return;
    bg_result *r = result_named(run, w->names[w->n - 1]);
    bg_advice *a = r && r->status == BG_STATUS_OK ? add(r, "growth-above-declared") : NULL;
    if (!a)
        return;
    snprintf(a->evidence, sizeof a->evidence,
             "%.80s was declared %s, but its %zu sizes (%.0f..%.0f) fit %s (RMS %.0f %% against %.0f %%)", w->key,
             bg__big_o_name(w->big_o), w->n, w->x[0], w->x[w->n - 1], bg__big_o_name(w->fitted),
             100 * w->fitted_rms, 100 * w->rms);
    snprintf(a->action, sizeof a->action,
             "find what grows faster than declared at the largest size (--profile --filter on it), "
             "or declare the class it has");
}

void bg__advise_run(bg_run *run)
{
    bool noisy = false;
    for (size_t i = 0; i < run->nresults && !noisy; i++)
        noisy = bg__noisy(&run->config, &run->results[i], NULL, 0);
    char doctor[512] = "";
    if (noisy && run->config.mode == BG_MODE_TIME)
        doctor_finding(doctor, sizeof doctor);
    for (size_t i = 0; i < run->nresults; i++)
        bg__advise_result(&run->config, &run->overhead, &run->results[i], doctor);
    for (size_t i = 0; i < run->nsweeps; i++) {
        rule_knee(run, &run->sweeps[i]);
        rule_growth(run, &run->sweeps[i]);
    }
}
