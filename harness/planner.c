/* Iteration planning: how long to warm up and how many iterations per sample. */
#include <math.h>

#include "bg_harness.h"

/* Relative change of per-iteration time between consecutive warm-up batches
 * below which a batch counts as stable. 2 % is about the batch-to-batch
 * scatter of a warm, cache-resident loop on the 2-core VM this was tuned on. */
#define BG_WARMUP_STABLE_REL 0.02
/* Consecutive stable batches that end warm-up early. */
#define BG_WARMUP_STABLE_RUNS 3
/* Fewest samples in a process: fewer gives no usable within-process spread. */
#define BG_PLAN_MIN_SAMPLES 5
/* A batch this large that still takes less than the smallest sample is a
 * body the compiler removed (an empty BENCH_LOOP): its iterations cost
 * nothing the clock can see. 2^36 iterations of the cheapest real loop
 * (~0.3 ns each on the VM this was written on) take ~20 s, far above it. */
#define BG_WARMUP_MAX_ITERS (UINT64_C(1) << 36)
/* The per-iteration time planned for such a body, in ns: it keeps the
 * iteration counts finite (k stays below 2^40); the samples then measure
 * about 0 per iteration, as they should. */
#define BG_PLAN_MIN_PER_ITER_NS 1e-3

void bg__warmup_init(bg_warmup *w)
{
    w->next = 1;
    w->total_iters = 0;
    w->total_ns = 0;
    w->per_iter_ns = 0;
    w->stable_runs = 0;
}

bool bg__warmup_step(bg_warmup *w, uint64_t iters, double ns, double elapsed_ns,
                     double budget_ns, double min_sample_ns)
{
    if (iters == 0)
        iters = 1;
    if (ns < 1)
        ns = 1;
    double per = ns / (double)iters;
    w->total_iters += iters;
    w->total_ns += ns;
    /* Stability only means something once a batch is far above the clock. */
    if (ns >= min_sample_ns && w->per_iter_ns > 0 &&
        fabs(per / w->per_iter_ns - 1.0) < BG_WARMUP_STABLE_REL)
        w->stable_runs++;
    else
        w->stable_runs = 0;
    w->per_iter_ns = per;

    if (elapsed_ns >= budget_ns)
        return true;
    if (iters >= BG_WARMUP_MAX_ITERS && ns < min_sample_ns)
        return true; /* below what the clock resolves: more doubling tells nothing */
    /* Stable and already a good part of the budget used: warm enough. */
    if (w->stable_runs >= BG_WARMUP_STABLE_RUNS && elapsed_ns >= budget_ns / 4)
        return true;

    /* Double until a batch is above min_sample_ns, then keep the batch size
     * that fits the remaining budget (so warm-up never overshoots by much). */
    double remaining = budget_ns - elapsed_ns;
    uint64_t next = iters;
    if (ns < min_sample_ns || 2.0 * ns <= remaining)
        next = iters * 2;
    if ((double)next * per > remaining && next > 1)
        next = (uint64_t)fmax(1.0, fmin(remaining / per, (double)BG_WARMUP_MAX_ITERS));
    if (next > BG_WARMUP_MAX_ITERS)
        next = BG_WARMUP_MAX_ITERS;
    w->next = next ? next : 1;
    return false;
}

int bg__plan(double per_iter_ns, double measure_ns, size_t samples, double min_sample_ns,
             bg_plan *out)
{
    if (!(per_iter_ns > 0) || !(measure_ns > 0) || samples == 0 || !out)
        return BG_EINVAL;
    if (per_iter_ns < BG_PLAN_MIN_PER_ITER_NS)
        per_iter_ns = BG_PLAN_MIN_PER_ITER_NS;
    size_t m = samples < BG_PLAN_MIN_SAMPLES ? BG_PLAN_MIN_SAMPLES : samples;
    double tri = (double)m * (double)(m + 1) / 2.0; /* sum of 1..m */
    double k = floor(measure_ns / (per_iter_ns * tri));
    double kmin = ceil(min_sample_ns / per_iter_ns);
    if (kmin < 1)
        kmin = 1;
    if (k < kmin)
        k = kmin;
    /* The linear plan would overrun the time by more than 2x: shorten it,
     * and when even BG_PLAN_MIN_SAMPLES do not fit, run equal samples. */
    while (m > BG_PLAN_MIN_SAMPLES && k * per_iter_ns * tri > 2.0 * measure_ns) {
        m--;
        tri = (double)m * (double)(m + 1) / 2.0;
    }
    out->flat = false;
    if (k * per_iter_ns * tri > 2.0 * measure_ns) {
        out->flat = true;
        double fit = floor(measure_ns / (k * per_iter_ns));
        m = fit < BG_PLAN_MIN_SAMPLES ? BG_PLAN_MIN_SAMPLES : (size_t)fit;
        if (m > samples && samples >= BG_PLAN_MIN_SAMPLES)
            m = samples;
    }
    out->k = (uint64_t)k;
    out->m = m;
    return 0;
}

uint64_t bg__plan_iters(const bg_plan *p, size_t i)
{
    return p->flat ? p->k : p->k * (uint64_t)i;
}
