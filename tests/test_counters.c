/* Counter groups as units: --counters parsing, the perf_event_open failure
 * messages, the alloc group's exact tallies in this very process, the sw
 * group where the kernel allows it, and the named metrics made from
 * recorded counters. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <dlfcn.h>

#include "bg_alloc.h"
#include "bg_compare.h"
#include "bg_counters.h"
#include "bg_model.h"
#include "bg_reporter.h"

/* ---- --counters ---- */

static int index_of(const char *group)
{
    for (size_t i = 0; i < bg__counter_group_count(); i++)
        if (!strcmp(bg__counter_group_at(i)->name, group))
            return (int)i;
    fail_msg("no counter group %s", group);
    return -1;
}

static void test_parse_lists(void **state)
{
    (void)state;
    uint32_t m = 0, sw = 1u << index_of("sw"), hw = 1u << index_of("hw"),
             alloc = 1u << index_of("alloc"), gpu = 1u << index_of("gpu"),
             nvml = 1u << index_of("nvml");
    char err[256];
    assert_int_equal(bg__counters_parse("none", &m, err, sizeof err), 0);
    assert_int_equal(m, 0);
    assert_int_equal(bg__counters_parse("default", &m, err, sizeof err), 0);
    assert_int_equal(m, sw | hw | gpu | nvml);
    assert_int_equal(bg__counters_default_mask(), sw | hw | gpu | nvml);
    assert_int_equal(bg__counters_parse("all", &m, err, sizeof err), 0);
    assert_true((m & (sw | hw | alloc)) == (sw | hw | alloc));
    assert_int_equal(bg__counters_parse("alloc,sw", &m, err, sizeof err), 0);
    assert_int_equal(m, sw | alloc);
    char names[64];
    bg__counters_format(sw | alloc, names, sizeof names);
    assert_string_equal(names, "sw,alloc");

    assert_int_equal(bg__counters_parse("sw,bogus", &m, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "unknown counter group 'bogus'"));
    assert_non_null(strstr(err, "sw,hw,alloc,gpu"));
    /* An empty list or an empty name is a mistake, not the default. */
    const char *const empty[] = {"sw,,hw", "sw,", ",sw", ","};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        m = 12345;
        assert_int_equal(bg__counters_parse(empty[i], &m, err, sizeof err), BG_EINVAL);
        assert_int_equal(m, 12345);
        assert_non_null(strstr(err, "a group name is missing (empty, or an extra comma); "
                                    "expected all, none, default or a comma-separated list of: "
                                    "sw,hw,alloc,gpu"));
    }
    assert_int_equal(bg__counters_parse("", &m, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "it is empty; expected all, none, default"));
}

static void test_units_and_owners(void **state)
{
    (void)state;
    assert_string_equal(bg__counter_unit("task_clock"), "ns");
    assert_string_equal(bg__counter_unit("instructions"), "");
    assert_string_equal(bg__counter_unit("alloc_bytes"), "bytes");
    assert_null(bg__counter_unit("no_such_counter"));
    assert_string_equal(bg__counter_owner("cache_misses")->name, "hw");
    assert_string_equal(bg__counter_owner("page_faults")->name, "sw");
    assert_string_equal(bg__counter_owner("peak_live_bytes")->name, "alloc");
    assert_string_equal(bg__metric_unit("time"), "ns");
    assert_string_equal(bg__metric_unit("cpu"), "ns");
    assert_string_equal(bg__metric_unit("peak_live_bytes"), "bytes");
    assert_string_equal(bg__metric_unit("max_rss_bytes"), "bytes");
    assert_string_equal(bg__metric_unit("user_ns"), "ns");
    assert_string_equal(bg__metric_unit("allocs"), "");
    assert_int_equal(bg__metric_kind("instructions"), BG_METRIC_SUM);
    assert_int_equal(bg__metric_kind("peak_live_bytes"), BG_METRIC_PEAK);
    assert_int_equal(bg__metric_kind("max_rss_bytes"), BG_METRIC_PROCESS);
    assert_int_equal(bg__metric_kind("time"), BG_METRIC_SUM);
}

/* ---- perf_event_open failures: the documented messages ---- */

static void test_perf_reasons(void **state)
{
    (void)state;
    char b[400];
    bg__perf_reason(b, sizeof b, "cycles", ENOENT, 2);
    assert_string_equal(b, "perf_event_open(cycles): No such file or directory — no hardware "
                           "counters (virtual machine?)");
    bg__perf_reason(b, sizeof b, "cycles", EACCES, 3);
    assert_string_equal(b, "perf_event_open(cycles): Permission denied — "
                           "/proc/sys/kernel/perf_event_paranoid is 3; user-space counters "
                           "need 2 or lower: sudo sysctl kernel.perf_event_paranoid=2 (or "
                           "CAP_PERFMON)");
    bg__perf_reason(b, sizeof b, "context_switches", EACCES, 2);
    assert_non_null(strstr(b, "perf_event_paranoid is 2: kernel-side events need 1 or lower"));
    assert_non_null(strstr(b, "sysctl kernel.perf_event_paranoid=1"));
    bg__perf_reason(b, sizeof b, "cycles", EPERM, 1);
    assert_non_null(strstr(b, "perf_event_paranoid is 1, so a container's seccomp profile"));
    bg__perf_reason(b, sizeof b, "cycles", EACCES, INT_MIN);
    assert_non_null(strstr(b, "perf_event_paranoid could not be read"));
    bg__perf_reason(b, sizeof b, "task_clock", ENOSYS, 2);
    assert_non_null(strstr(b, "this kernel has no perf events"));
    bg__perf_reason(b, sizeof b, "cycles", EMFILE, 2);
    assert_non_null(strstr(b, "out of file descriptors"));
    bg__perf_reason(b, sizeof b, "cycles", EINVAL, 2);
    assert_string_equal(b, "perf_event_open(cycles): Invalid argument");
}

/* The hw group on this machine: either it opens and counts instructions,
 * or it says why in one of the documented forms. */
static void test_hw_group_here(void **state)
{
    (void)state;
    /* A failed open closes only what it opened: descriptor 0 survives. */
    int nul = open("/dev/null", O_RDONLY);
    assert_true(nul >= 0);
    if (nul != 0) {
        assert_int_equal(dup2(nul, 0), 0);
        close(nul);
    }
    char why[320] = "";
    if (bg__hw_group.open(why, sizeof why) != 0) {
        assert_true(fcntl(0, F_GETFD) != -1);
        assert_true(strncmp(why, "perf_event_open(", 16) == 0 ||
                    strncmp(why, "the kernel never scheduled", 26) == 0 ||
                    strncmp(why, "perf events need Linux", 22) == 0);
        print_message("hw counters unavailable here: %s\n", why);
        return;
    }
    double v[8];
    bg__hw_group.begin();
    volatile uint64_t x = 1;
    for (int i = 0; i < 100000; i++)
        x = x * 3 + 1;
    bg__hw_group.end(v);
    bg__hw_group.close();
    assert_true(v[1] >= 100000); /* instructions */
    assert_true(v[0] > 0);       /* cycles */
}

/* ---- sw: counts where the kernel allows, else says why ---- */

static void test_sw_group_here(void **state)
{
    (void)state;
    char why[320] = "";
    if (bg__sw_group.open(why, sizeof why) != 0) {
        assert_true(strncmp(why, "perf_event_open(", 16) == 0 ||
                    strncmp(why, "perf events need Linux", 22) == 0);
        print_message("sw counters unavailable here: %s\n", why);
        return;
    }
    long page = sysconf(_SC_PAGESIZE);
    double v[4];
    bg__sw_group.begin();
    for (int i = 0; i < 10; i++) {
        volatile char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(p != MAP_FAILED);
        p[0] = 1; /* one minor fault */
        munmap((void *)p, (size_t)page);
    }
    bg__sw_group.end(v);
    bg__sw_group.close();
    assert_true(v[0] > 0);              /* task_clock, ns */
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's munmap interceptor clears the shadow of each unmapped
     * page, which now and then faults in a shadow page of its own (seen: 1 run
     * in 6 counted more than 10). */
    assert_true(v[1] >= 10 && v[1] <= 20);
#else
    assert_true(v[1] == 10);            /* page_faults: exactly the pages touched */
#endif
    if (why[0]) /* kernel-side events not allowed: they read as NAN */
        assert_true(isnan(v[2]) && isnan(v[3]));
    else
        assert_true(v[2] >= 0 && v[3] >= 0);
}

/* ---- alloc: exact tallies in this process ---- */

static void *(*volatile v_malloc)(size_t) = malloc;
static void *(*volatile v_calloc)(size_t, size_t) = calloc;
static void *(*volatile v_realloc)(void *, size_t) = realloc;
static void (*volatile v_free)(void *) = free;
static int (*volatile v_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile v_aligned_alloc)(size_t, size_t) = aligned_alloc;

static void test_alloc_exact(void **state)
{
    (void)state;
    char why[320] = "";
    int rc = bg__alloc_group.open(why, sizeof why);
#if defined(__SANITIZE_ADDRESS__)
    assert_int_equal(rc, BG_EUNAVAIL);
    assert_string_equal(why, "built with AddressSanitizer, which replaces malloc itself");
    skip();
#else
    if (rc != 0)
        fail_msg("alloc group unavailable: %s", why);
    double v[4];
    /* Three blocks live at once, then freed. */
    bg__alloc_group.begin();
    void *a = v_malloc(100), *b = v_calloc(2, 100), *c = v_malloc(300);
    size_t live = malloc_usable_size(a) + malloc_usable_size(b) + malloc_usable_size(c);
    v_free(c);
    v_free(b);
    v_free(a);
    bg__alloc_group.end(v);
    assert_true(v[0] == 3 && v[1] == 3 && v[2] == 600);
    assert_true(v[3] == (double)live);

    /* realloc: a free and an allocation; realloc(NULL) only an allocation;
     * realloc(p, 0) only a free; free(NULL) nothing; a failed calloc
     * nothing. */
    bg__alloc_group.begin();
    char *p = v_realloc(NULL, 10);
    p = v_realloc(p, 5000);
    assert_null(v_realloc(p, 0));
    v_free(NULL);
    errno = 0;
    assert_null(v_calloc(SIZE_MAX / 2, 4));
    bg__alloc_group.end(v);
    assert_true(v[0] == 2 && v[1] == 2 && v[2] == 5010);

    /* The aligned variants. */
    bg__alloc_group.begin();
    void *x = NULL;
    assert_int_equal(v_posix_memalign(&x, 64, 256), 0);
    void *y = v_aligned_alloc(128, 512);
    assert_true(((uintptr_t)x & 63) == 0 && ((uintptr_t)y & 127) == 0);
    v_free(x);
    v_free(y);
    bg__alloc_group.end(v);
    assert_true(v[0] == 2 && v[1] == 2 && v[2] == 768);

    /* Nothing is counted outside begin/end. */
    v_free(v_malloc(1));
    bg__alloc_group.begin();
    bg__alloc_group.end(v);
    assert_true(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0);
    bg__alloc_group.close();
#endif
}

/* Allocation counting costs nothing when off: libbenchgate itself does not
 * define malloc (the interposer is a separate, preloaded library), so its
 * malloc is libc's. The built libbenchgate.so is loaded to look (this test
 * links the internal static library). */
static void test_alloc_not_in_libbenchgate(void **state)
{
    (void)state;
    void *h = dlopen(LIBBENCHGATE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    void *m = dlsym(h, "malloc");
    Dl_info where;
    assert_true(m && dladdr(m, &where) && where.dli_fname);
    assert_null(strstr(where.dli_fname, "libbenchgate"));
    dlclose(h);
}

/* ---- probing ---- */

static void test_probe_says_why_once(void **state)
{
    (void)state;
    bg_counter_status st[BG_COUNTER_GROUPS_MAX];
    uint32_t all;
    char err[128];
    assert_int_equal(bg__counters_parse("all", &all, err, sizeof err), 0);
    size_t n = bg__counters_probe(all, st, BG_COUNTER_GROUPS_MAX);
    assert_int_equal(n, bg__counter_group_count());
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(st[i].group, bg__counter_group_at(i)->name);
        if (st[i].available)
            assert_true(st[i].sample_ns > 0 && isfinite(st[i].sample_ns));
        else
            assert_true(st[i].note[0] != '\0' && isnan(st[i].sample_ns));
    }
    /* A set opened after the probe leaves the unavailable groups out
     * without noting them again. */
    bg_counter_set s;
    int notes = 0;
    bg__counter_set_open(&s, all, NULL, &notes);
    size_t avail = 0, nv = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i].available) {
            avail++;
            nv += bg__counter_group_at(i)->ncounters;
        }
    assert_int_equal(s.ngroups, avail);
    assert_int_equal(s.nvalues, nv);
    double v[BG_COUNTERS_MAX];
    bg__counter_set_begin(&s);
    bg__counter_set_end(&s, v);
    bg__counter_set_close(&s);
    assert_int_equal(s.ngroups, 0);
}

/* ---- named metrics over a hand-made result ---- */

static void test_metrics(void **state)
{
    (void)state;
    double it0[] = {10, 20}, w0[] = {100, 200}, c0[] = {90, 180};
    double ins0[] = {1000, 2000}, cyc0[] = {500, 1000}, pk0[] = {64, 128};
    double it1[] = {10}, w1[] = {110}, c1[] = {100}, ins1[] = {3000}, cyc1[] = {1000};
    bg_series s0[] = {{"instructions", ins0}, {"cycles", cyc0}, {"peak_live_bytes", pk0}};
    bg_series s1[] = {{"instructions", ins1}, {"cycles", cyc1}};
    bg_proc procs[3];
    memset(procs, 0, sizeof procs);
    procs[0] = (bg_proc){.n = 2, .iters = it0, .wall_ns = w0, .cpu_ns = c0, .ncounters = 3,
                         .counters = s0, .has_rusage = true};
    procs[0].ru.max_rss_bytes = 1000;
    procs[1] = (bg_proc){.n = 1, .iters = it1, .wall_ns = w1, .cpu_ns = c1, .ncounters = 2,
                         .counters = s1, .has_rusage = true};
    procs[1].ru.max_rss_bytes = 3000;
    procs[2] = procs[1];
    procs[2].ru.max_rss_bytes = 2000;
    bg_result r;
    memset(&r, 0, sizeof r);
    r.nprocs = 3;
    r.procs = procs;

    assert_ptr_equal(bg__proc_metric(&r, 0, "time"), w0);
    assert_ptr_equal(bg__proc_metric(&r, 0, "cpu"), c0);
    assert_ptr_equal(bg__proc_metric(&r, 0, "instructions"), ins0);
    assert_null(bg__proc_metric(&r, 1, "peak_live_bytes"));
    assert_null(bg__proc_metric(&r, 3, "time"));
    /* Mean over samples of value / iterations: (100 + 100 + 300 + 300) / 4. */
    assert_true(fabs(bg__result_metric(&r, "instructions") - 200) < 1e-12);
    assert_true(fabs(bg__result_metric(&r, "cycles") - 75) < 1e-12);
    assert_true(fabs(bg__result_metric(&r, "ipc") - 200.0 / 75) < 1e-12);
    assert_true(bg__result_metric(&r, "peak_live_bytes") == 128);
    assert_true(bg__result_metric(&r, "max_rss_bytes") == 2000); /* median */
    assert_true(isnan(bg__result_metric(&r, "cache_miss_rate")));
    assert_true(isnan(bg__result_metric(&r, "allocs")));
    const char *names[8];
    assert_int_equal(bg__result_counter_names(&r, names, 8), 3);
    assert_string_equal(names[2], "peak_live_bytes");
    bg_rusage med;
    assert_true(bg__result_rusage(&r, &med));
    assert_true(med.max_rss_bytes == 2000);
}

/* ---- the console, with counters this machine may lack ---- */

/* A finished result with hw, sw and alloc counters and rusage, printed by
 * the console reporter: the compact line, then every counter. */
static void test_console_lines(void **state)
{
    (void)state;
    double it[] = {100, 200}, w[] = {1000, 2000}, c[] = {1000, 2000};
    double cyc[] = {400, 800}, ins[] = {1000, 2000}, bm[] = {1, 2}, cr[] = {100, 200},
           cm[] = {10, 20}, pf[] = {0, 2}, cs[] = {0, 0}, al[] = {300, 600}, pk[] = {640, 640};
    bg_series s[] = {{"cycles", cyc},        {"instructions", ins}, {"branch_misses", bm},
                     {"cache_references", cr}, {"cache_misses", cm}, {"page_faults", pf},
                     {"context_switches", cs}, {"allocs", al},      {"peak_live_bytes", pk}};
    bg_proc p;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.iters = it;
    p.wall_ns = w;
    p.cpu_ns = c;
    p.ncounters = sizeof s / sizeof s[0];
    p.counters = s;
    p.has_rusage = true;
    p.ru = (bg_rusage){.user_ns = 2e6, .sys_ns = 1e6, .max_rss_bytes = 3 * 1048576.0,
                       .start_rss_bytes = 2 * 1048576.0, .minor_faults = 40};
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    bg_result r;
    memset(&r, 0, sizeof r);
    r.name = "synthetic";
    r.nprocs = 1;
    r.procs = &p;
    r.has_summary = true;
    r.wall.est[BG_STAT_MEAN] = (bg_estimate){10, 9, 11, 0.5};
    run.nresults = 1;
    run.results = &r;
    assert_int_equal(bg__result_derive(&r, run.config.primary), 0); /* the model's figures */
    run.ncounter_groups = 1;
    snprintf(run.counter_groups[0].group, sizeof run.counter_groups[0].group, "hw");
    snprintf(run.counter_groups[0].note, sizeof run.counter_groups[0].note, "why not");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const bg_reporter *rep = bg__reporter_find("console", BG_REPORT_RUN);
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = &run};
    rep->begin(f, &src);
    rep->bench(f, &src, 0);
    run.config.counters_all = true;
    rep->bench(f, &src, 0);
    fclose(f);
    assert_non_null(strstr(buf, "  hw unavailable: why not\n"));
    assert_non_null(strstr(buf, "    10 instr/iter, IPC 2.50, cache miss 10.00%, 0.005 faults/iter, "
                                "0 ctx switches/iter, 3 allocs/iter, peak live 640 B, "
                                "max RSS 3 MiB\n"));
    assert_non_null(strstr(buf, "    hw: cycles 4/iter, instructions 10/iter, branch_misses "
                                "0.01/iter, cache_references 1/iter, cache_misses 0.1/iter\n"));
    assert_non_null(strstr(buf, "    alloc: allocs 3/iter, peak_live_bytes 640 B (peak)\n"));
    assert_non_null(strstr(buf, "    derived: ipc 2.5, cache_miss_rate 0.1, branch_mpki 1\n"));
    assert_non_null(strstr(buf, "    rusage (median of 1 processes): user 2.000 ms, sys 1.000 ms, "
                                "max RSS 3 MiB (2 MiB before the benchmark)"));
    free(buf);
}

/* Instruction mode: the row's figures are instructions and estimated
 * cycles per iteration; time is a note at the end, without an interval or
 * a throughput. */
static void test_console_instruction_mode(void **state)
{
    (void)state;
    double it[] = {1000}, w[] = {293300}, c[] = {293300}, ins[] = {18000}, cyc[] = {18500};
    bg_series s[] = {{"instructions", ins}, {"est_cycles", cyc}};
    bg_proc p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.iters = it;
    p.wall_ns = w;
    p.cpu_ns = c;
    p.ncounters = 2;
    p.counters = s;
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    run.config.mode = BG_MODE_INSTR_VALGRIND;
    run.config.counters = 0;
    bg_result r;
    memset(&r, 0, sizeof r);
    r.name = "memcpy_64B";
    r.nprocs = 1;
    r.procs = &p;
    r.has_summary = true;
    r.bytes_per_iter = 64;
    r.wall.nsamples = 1;
    r.wall.est[BG_STAT_MEAN] = (bg_estimate){293.3, 290, 296, 0.5};
    run.nresults = 1;
    run.results = &r;
    assert_int_equal(bg__result_derive(&r, run.config.primary), 0); /* the model's figures */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const bg_reporter *rep = bg__reporter_find("console", BG_REPORT_RUN);
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = &run};
    rep->begin(f, &src);
    rep->bench(f, &src, 0);
    fclose(f);
    assert_non_null(strstr(buf, "benchmark       instr/iter  est. cycles/iter  valgrind time  "
                                "procs x samples\n"));
    assert_non_null(strstr(buf, "memcpy_64B            18.0              18.5       293.3 ns  "
                                "1 x 1\n"));
    assert_null(strstr(buf, "MiB/s"));
    assert_null(strstr(buf, "±"));
    free(buf);
}

/* ---- comparing runs by their mode ---- */

/* A run of one benchmark, two processes of two samples each: wall time
 * `ns` per iteration (jittered), `instr` instructions per iteration, in
 * `mode`. Arrays live in *bufs (owned by the caller's frame). */
typedef struct mode_run {
    bg_run run;
    bg_result r;
    bg_proc p[2];
    bg_series s[2];
    double it[2][2], w[2][2], c[2][2], ins[2][2];
} mode_run;

static void mode_run_init(mode_run *m, bg_mode mode, double ns, double instr)
{
    memset(m, 0, sizeof *m);
    bg__config_default(&m->run.config);
    m->run.config.mode = mode;
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            m->it[i][j] = 100.0 * (j + 1);
            m->w[i][j] = m->c[i][j] = m->it[i][j] * ns * (1 + 0.01 * (i + 2 * j));
            m->ins[i][j] = m->it[i][j] * instr;
        }
        snprintf(m->s[i].name, sizeof m->s[i].name, "instructions");
        m->s[i].v = m->ins[i];
        m->p[i] = (bg_proc){.n = 2, .iters = m->it[i], .wall_ns = m->w[i], .cpu_ns = m->c[i],
                            .ncounters = 1, .counters = &m->s[i]};
    }
    m->r.name = "memcpy_64B";
    m->r.nprocs = 2;
    m->r.procs = m->p;
    m->run.nresults = 1;
    m->run.results = &m->r;
}

static void test_compare_modes(void **state)
{
    (void)state;
    static mode_run va, vb, t;
    /* Two instruction-mode runs with equal counts whose valgrind wall time
     * differs by half: no --metric compares instructions, exactly. */
    mode_run_init(&va, BG_MODE_INSTR_VALGRIND, 200, 1234);
    mode_run_init(&vb, BG_MODE_INSTR_VALGRIND, 300, 1234);
    mode_run_init(&t, BG_MODE_TIME, 3, 1234);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 200;
    bg_comparison c;
    char err[512] = "";
    assert_int_equal(bg__compare_runs(&va.run, &vb.run, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "instructions");
    assert_non_null(strstr(c.metric_note, "instruction-mode"));
    assert_int_equal(c.n, 1);
    assert_int_equal(c.rows[0].kind, BG_ROW_COMPARED);
    assert_true(c.rows[0].ch.change == 0.0);
    assert_int_equal(c.rows[0].verdict, BG_VERDICT_UNCHANGED);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bg__cmp_print_console(f, &c, NULL, NULL);
    fclose(f);
    assert_non_null(strstr(buf, "metric instructions (the default for instruction-mode runs)"));
    free(buf);
    bg__comparison_free(&c);
    /* Asked for time, they compare time (and it regressed). */
    o.metric = "time";
    assert_int_equal(bg__compare_runs(&va.run, &vb.run, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "time");
    assert_string_equal(c.metric_note, "");
    assert_int_equal(c.rows[0].verdict, BG_VERDICT_REGRESSED);
    bg__comparison_free(&c);

    /* Time mode against instruction mode: refused, naming both modes. */
    o.metric = NULL;
    assert_int_equal(bg__compare_runs(&t.run, &va.run, &o, &c, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "A: --mode time, B: --mode instructions:valgrind"));
    assert_non_null(strstr(err, "their time figures do not compare"));
    o.metric = "cpu";
    assert_int_equal(bg__compare_runs(&t.run, &va.run, &o, &c, err, sizeof err), BG_EINVAL);
    o.metric = "cycles";
    assert_int_equal(bg__compare_runs(&t.run, &va.run, &o, &c, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "'cycles' is not a counter both recorded"));
    /* The hardware counter against valgrind: also different modes. */
    vb.run.config.mode = BG_MODE_INSTR_HW;
    o.metric = NULL;
    assert_int_equal(bg__compare_runs(&va.run, &vb.run, &o, &c, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "B: --mode instructions:hw"));
    /* ... unless --metric names a counter both recorded, or --force. */
    o.metric = "instructions";
    err[0] = '\0';
    assert_int_equal(bg__compare_runs(&t.run, &va.run, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "instructions");
    assert_true(c.rows[0].ch.change == 0.0);
    bg__comparison_free(&c);
    o.metric = NULL;
    o.force = true;
    assert_int_equal(bg__compare_runs(&t.run, &va.run, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "time");
    assert_string_equal(c.metric_note,
                        "(--force: A is --mode time, B is --mode instructions:valgrind)");
    bg__comparison_free(&c);
    /* Two time-mode runs: time, no note. */
    o.force = false;
    assert_int_equal(bg__compare_runs(&t.run, &t.run, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "time");
    assert_string_equal(c.metric_note, "");
    bg__comparison_free(&c);
}

int main(int argc, char **argv)
{
    (void)argc;
    /* As a bench binary given --counters alloc does: run again with the
     * allocation interposer preloaded (for test_alloc_exact). */
    uint32_t alloc = 0;
    char err[128];
    if (bg__counters_parse("alloc", &alloc, err, sizeof err) == 0)
        bg__alloc_preload(alloc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_lists),
        cmocka_unit_test(test_units_and_owners),
        cmocka_unit_test(test_perf_reasons),
        cmocka_unit_test(test_hw_group_here),
        cmocka_unit_test(test_sw_group_here),
        cmocka_unit_test(test_alloc_exact),
        cmocka_unit_test(test_alloc_not_in_libbenchgate),
        cmocka_unit_test(test_probe_says_why_once),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_console_lines),
        cmocka_unit_test(test_compare_modes),
        cmocka_unit_test(test_console_instruction_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
