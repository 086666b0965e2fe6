/* Instruction mode: instructions retired per iteration of a benchmark's
 * timed loop, identical from run to run, for a gate that can be tight on a
 * noisy shared machine.
 *
 * With the hardware counter (perf's "instructions", the hw counter group)
 * the benchmark runs as in time mode with that group on. Without one, the
 * bench binary runs each benchmark again under valgrind's callgrind (the
 * "inner" run). There the runner follows a fixed schedule instead of its
 * timed plan: one warm-up iteration (instrumentation on, nothing counted),
 * calibration samples of 1 and 2 iterations that give the per-iteration
 * count, n uncounted iterations, then samples of n and 2n iterations, n
 * chosen so n iterations retire about INSTR_TARGET instructions (when one
 * iteration already does, n = 1 and the calibration samples serve). Counting is switched on only
 * inside each sample (callgrind's client requests) and each sample's counts
 * are dumped to a file of their own. Since every choice depends only on
 * counts, never on time, a second run repeats the first exactly. The outer
 * run reports, per process, one sample of n iterations whose counters are
 * the 2n sample's counts minus the n sample's: what the sample's fixed
 * costs (hooks, clock reads, loop entry) add to both cancels out.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BG_HAVE_CALLGRIND 1
#endif
#endif

/* Callgrind's client requests: a few no-op instructions outside valgrind.
 * Without its header the inner run is never started (valgrind_ready). */
#ifdef BG_HAVE_CALLGRIND
#define START_INSTRUMENTATION() CALLGRIND_START_INSTRUMENTATION
#define TOGGLE_COLLECT() CALLGRIND_TOGGLE_COLLECT
#define DUMP_STATS_AT(name) CALLGRIND_DUMP_STATS_AT(name)
#else
#define START_INSTRUMENTATION() ((void)0)
#define TOGGLE_COLLECT() ((void)0)
#define DUMP_STATS_AT(name) ((void)(name))
#endif

#include "bg_exit.h"
#include "bg_instr.h"

#if defined(__SANITIZE_ADDRESS__)
#define BG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BG_ASAN 1
#endif
#endif

/* Instructions one n-iteration sample should retire: enough that the
 * per-iteration figure averages over many iterations and the simulated
 * caches reach their steady state, few enough that the four samples of a
 * cheap benchmark take ~0.1 s under callgrind (~20-50x slower than native
 * with the cache simulation, measured here). */
#define INSTR_TARGET 1e6
#define INSTR_MAX_N (UINT64_C(1) << 30)

/* Processes per benchmark under valgrind: two layouts (stack and heap
 * offsets, as in time mode), so a count that depends on alignment shows as
 * a difference between the processes instead of being hidden. */
#define INSTR_PROCS 2

/* Callgrind runs ~50-100x slower than native: the inner run's --timeout is
 * the user's times this. */
#define INSTR_SLOWDOWN 100.0

/* Fixed cache geometry for the simulation: 32 KiB 8-way L1 instruction and
 * data caches and an 8 MiB 16-way last level, 64-byte lines, a common x86
 * core. Left to itself valgrind copies the host's caches, and two CI
 * machines with different CPUs would then disagree on est_cycles. */
static const char *const g_cache_args[] = {"--I1=32768,8,64", "--D1=32768,8,64",
                                           "--LL=8388608,16,64"};

/* The cycle estimate KCachegrind shows as "CEst" (its GlobalConfig::
 * knownFormula: CEst = Ir + 10 Bm + 10 L1m + 20 Ge + 100 L2m + 100 LLm).
 * Without branch simulation (Bm) and bus events (Ge), and with callgrind's
 * two-level cache (no L2m), that is Ir + 10 L1m + 100 LLm, where
 * L1m = I1mr + D1mr + D1mw and LLm = ILmr + DLmr + DLmw: an L1 miss costs
 * about 10 cycles, a last-level miss about 100. A rough model of a core;
 * its use is to move when misses do, not to predict time. */
double bg__instr_est_cycles(double ir, double l1_misses, double ll_misses)
{
    return ir + 10.0 * l1_misses + 100.0 * ll_misses;
}

/* ---- callgrind's output files ---- */

/* The totals of one dump. */
typedef struct cg_dump {
    char trigger[64]; /* the client request's name, e.g. "bg-2n" */
    double ir, l1m, llm;
} cg_dump;

static double event(const char *const *names, const double *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return v[i];
    return 0; /* callgrind leaves trailing zero counts out */
}

/* Reads the trigger and the "summary:" totals of a callgrind dump.
 * BG_EIO when the file cannot be read, BG_EPARSE when it has no totals. */
static int cg_read(const char *path, cg_dump *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return BG_EIO;
    memset(d, 0, sizeof *d);
    char line[1024], events[1024] = "";
    bool have = false;
    double v[32] = {0};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *trig = "desc: Trigger: Client Request: ";
        if (!strncmp(line, trig, strlen(trig)))
            snprintf(d->trigger, sizeof d->trigger, "%.63s", line + strlen(trig));
        else if (!strncmp(line, "events:", 7))
            snprintf(events, sizeof events, "%s", line + 7);
        else if (!strncmp(line, "summary:", 8) && events[0]) {
            char *p = line + 8;
            for (size_t i = 0; i < 32; i++) {
                char *end;
                double x = strtod(p, &end);
                if (end == p)
                    break;
                v[i] = x;
                p = end;
            }
            have = true;
        }
    }
    fclose(f);
    if (!have)
        return BG_EPARSE;
    const char *names[32];
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(events, " \t", &save); t && n < 32; t = strtok_r(NULL, " \t", &save))
        names[n++] = t;
    d->ir = event(names, v, n, "Ir");
    d->l1m = event(names, v, n, "I1mr") + event(names, v, n, "D1mr") + event(names, v, n, "D1mw");
    d->llm = event(names, v, n, "ILmr") + event(names, v, n, "DLmr") + event(names, v, n, "DLmw");
    return 0;
}

/* ---- inside valgrind: the fixed schedule ---- */

enum { S_WARM, S_CAL1, S_CAL2, S_WARM_N, S_N, S_2N, S_END };
static const char *const g_trigger[S_END] = {NULL, "bg-cal1", "bg-cal2", NULL, "bg-n", "bg-2n"};

static struct {
    char dir[PATH_MAX];
    uint64_t n;
    double cal[2]; /* Ir of the calibration samples */
} g_in = {.n = 1};

/* This process's dump named `trigger` (dumps are numbered in order from 1;
 * a few are looked at, since only the schedule's dumps are ever written). */
static int own_dump(const char *trigger, cg_dump *d)
{
    for (int part = 1; part <= 16; part++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/cg.%ld.%d", g_in.dir, (long)getpid(), part);
        if (cg_read(path, d) == 0 && !strcmp(d->trigger, trigger))
            return 0;
    }
    return BG_ENOTFOUND;
}

/* n from the two calibration samples: their difference is one iteration,
 * free of the fixed cost of a sample. */
static uint64_t choose_n(void)
{
    double per = g_in.cal[1] - g_in.cal[0];
    if (!(per >= 1))
        per = 1;
    double n = ceil(INSTR_TARGET / per);
    return n >= (double)INSTR_MAX_N ? INSTR_MAX_N : (uint64_t)n;
}

/* The inner run's schedule, handed to the runner (bg_schedule): the
 * iterations of sample i (0 after the last), with callgrind's counting
 * switched on for it; and, at its end, counting off and the counts written.
 * sample_end returns true for the samples to report. */
static uint64_t sample_begin(size_t i)
{
    switch (i) {
    case S_WARM:
        /* Everything before ran uninstrumented (--instr-atstart=no), at a
         * fraction of callgrind's cost; this iteration warms the simulated
         * caches and resolves lazy symbol bindings. */
        START_INSTRUMENTATION();
        return 1;
    case S_CAL1: TOGGLE_COLLECT(); return 1;
    case S_CAL2: TOGGLE_COLLECT(); return 2;
    case S_WARM_N:
        /* n = 1: the calibration samples were the n and 2n samples. Else
         * uncounted: reading the calibration dumps ran code of its own
         * through the simulated caches; n iterations bring them back to the
         * benchmark's steady state, as the n sample leaves them for 2n. */
        return g_in.n > 1 ? g_in.n : 0;
    case S_N: TOGGLE_COLLECT(); return g_in.n;
    case S_2N: TOGGLE_COLLECT(); return 2 * g_in.n;
    default: return 0;
    }
}

static bool sample_end(size_t i)
{
    if (i == S_WARM || i == S_WARM_N || i >= S_END)
        return false;
    TOGGLE_COLLECT();
    DUMP_STATS_AT(g_trigger[i]); /* writes the file and zeroes the counts */
    if (i == S_CAL2) {
        /* Both read now, so nothing but the dump ran between them. */
        cg_dump d;
        for (int k = 0; k < 2; k++)
            g_in.cal[k] = own_dump(g_trigger[S_CAL1 + k], &d) == 0 ? d.ir : 0;
        g_in.n = choose_n();
    }
    return true; /* every counted sample goes to the parent */
}

/* Runs the one selected benchmark on the fixed schedule in INSTR_PROCS
 * processes (valgrind follows the runner's forks) and writes the result,
 * as a run record, to <dir>/inner.json. */
static int run_inner(const bg_config *c, const bg_bench *const *sel, size_t nsel,
                     const char *dir, const char *prog)
{
    if (nsel != 1) {
        fprintf(stderr, "%s: %s is set, so exactly one benchmark must be selected, not %zu\n",
                prog, BG_INSTR_INNER_ENV, nsel);
        return BG_EXIT_USAGE;
    }
    snprintf(g_in.dir, sizeof g_in.dir, "%s", dir);
    bg_config ic = *c;
    ic.min_procs = ic.max_procs = INSTR_PROCS;
    ic.counters = 0;
    ic.progress = false;
    ic.resamples = 200; /* the outer run computes the intervals it reports */
    bg_result res;
    static const bg_schedule fixed = {sample_begin, sample_end};
    bg__run_bench_schedule(&ic, sel[0], 0, 0, &fixed, &res);
    bg_run run;
    memset(&run, 0, sizeof run);
    run.config = ic;
    run.nresults = 1;
    run.results = &res;
    char path[PATH_MAX + 16], err[512];
    snprintf(path, sizeof path, "%s/inner.json", dir);
    int rc = bg__record_write(&run, path, err, sizeof err);
    bg__result_free(&res);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return BG_EXIT_USAGE;
    }
    return BG_EXIT_OK;
}

/* ---- choosing the backend ---- */

/* The valgrind program: the first on PATH. */
static bool find_valgrind(char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    char *copy = strdup(path);
    if (!copy)
        return false;
    bool found = false;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, len, "%s/valgrind", *d ? d : ".");
        found = access(buf, X_OK) == 0;
    }
    free(copy);
    return found;
}

static int valgrind_ready(char *vg, size_t vglen, char *why, size_t len)
{
    if (!find_valgrind(vg, vglen)) {
        snprintf(why, len, "valgrind not found; apt-get install valgrind");
        return BG_EUNAVAIL;
    }
#ifndef BG_HAVE_CALLGRIND
    snprintf(why, len, "this build has no <valgrind/callgrind.h>; apt-get install valgrind "
                       "and rebuild");
    return BG_EUNAVAIL;
#endif
#ifdef BG_ASAN
    snprintf(why, len, "this build uses AddressSanitizer, which cannot run under valgrind; "
                       "use a build without -Db_sanitize=address");
    return BG_EUNAVAIL;
#endif
    return BG_EXIT_OK;
}

static uint32_t group_bit(const bg_counter_group *g)
{
    for (size_t i = 0; i < bg__counter_group_count(); i++)
        if (bg__counter_group_at(i) == g)
            return 1u << i;
    return BG_EXIT_OK;
}

/* 0 when the hardware "instructions" counter can be read here. */
static int hw_instructions(char *why, size_t len)
{
    const bg_counter_group *g = &bg__hw_group;
    size_t k = g->ncounters;
    for (size_t j = 0; j < g->ncounters; j++)
        if (!strcmp(g->names[j], "instructions"))
            k = j;
    if (k == g->ncounters || !group_bit(g)) {
        snprintf(why, len, "this build has no hardware instruction counter");
        return BG_EUNAVAIL;
    }
    if (g->open(why, len) != 0)
        return BG_EUNAVAIL;
    double v[BG_COUNTERS_MAX];
    g->begin();
    g->end(v);
    g->close();
    if (!isfinite(v[k])) {
        snprintf(why, len, "the hardware instructions counter cannot be read");
        return BG_EUNAVAIL;
    }
    return BG_EXIT_OK;
}

static char g_valgrind[PATH_MAX];

int bg__instr_start(bg_config *c, const bg_bench *const *sel, size_t nsel, const char *prog)
{
    const char *inner = getenv(BG_INSTR_INNER_ENV);
    if (inner && *inner && c->mode != BG_MODE_TIME)
        return run_inner(c, sel, nsel, inner, prog);
    if (c->mode == BG_MODE_TIME)
        return -1;
    char hw_why[320] = "";
    if (c->mode != BG_MODE_INSTR_VALGRIND) {
        if (hw_instructions(hw_why, sizeof hw_why) == 0) {
            c->mode = BG_MODE_INSTR_HW;
            c->counters |= group_bit(&bg__hw_group);
            return -1;
        }
        if (c->mode == BG_MODE_INSTR_HW) {
            fprintf(stderr, "%s: --mode instructions:hw: unavailable: %s\n", prog, hw_why);
            return BG_EXIT_USAGE;
        }
    }
    char why[512];
    if (valgrind_ready(g_valgrind, sizeof g_valgrind, why, sizeof why) != 0) {
        if (c->mode == BG_MODE_INSTRUCTIONS)
            fprintf(stderr,
                    "%s: --mode instructions: unavailable: %s (and no hardware instruction "
                    "counter: %s)\n",
                    prog, why, hw_why);
        else
            fprintf(stderr, "%s: --mode %s: unavailable: %s\n", prog, bg__mode_name(c->mode),
                    why);
        return BG_EXIT_USAGE;
    }
    c->mode = BG_MODE_INSTR_VALGRIND;
    c->counters = 0; /* counted under valgrind; nothing to measure in this process */
    return -1;
}

/* ---- the outer run: valgrind, then its files ---- */

/* "^name$" with the extended-regex metacharacters of name escaped. */
static void exact_filter(const char *name, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 4)
        return;
    buf[o++] = '^';
    for (const char *p = name; *p && o + 3 < len; p++) {
        if (strchr(".[]()*+?{}|^$\\", *p))
            buf[o++] = '\\';
        buf[o++] = *p;
    }
    buf[o++] = '$';
    buf[o] = '\0';
}

/* The last non-empty line of a file, for an error message. */
static void last_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *s = line;
        while (*s == '=' || *s == '-' || (*s >= '0' && *s <= '9') || *s == ' ')
            s++; /* valgrind's "==pid== " prefix */
        if (*s)
            snprintf(buf, len, "%.280s", s);
    }
    fclose(f);
}

#define PAD_ENV "BENCHGATE_INSTR_PAD"

/* In the child about to exec valgrind: sets PAD_ENV so that the benchmark
 * process's argument and environment strings, with their pointers, take a
 * multiple of 4096 bytes. They sit at the top of its stack, so the stack
 * then starts at the same offset within a page on every run, however long
 * the caller's environment is (CI variables, the working directory): code
 * whose count depends on alignment counts the same (tests/test_instr.c,
 * stack_position, moved by ~10 instructions per 16 bytes of environment
 * without this). `args` are the benchmark's own (from the program on). */
static void pad_environment(const char *const *args)
{
    extern char **environ;
    unsetenv(PAD_ENV);
    size_t total = 0, ptrs = 2; /* the pad variable's pointer, and argv[argc]'s NULL */
    for (char **e = environ; *e; e++, ptrs++)
        total += strlen(*e) + 1;
    for (const char *const *a = args; *a; a++, ptrs++)
        total += strlen(*a) + 1;
    total += ptrs * sizeof(char *) + strlen(PAD_ENV "=") + 1;
    size_t pad = (4096 - total % 4096) % 4096;
    char value[4096];
    memset(value, 'x', pad);
    value[pad] = '\0';
    setenv(PAD_ENV, value, 1);
}

/* Runs the bench binary under callgrind for `bench`, output in `dir`.
 * Returns 0 when the inner run finished and wrote its result. */
static int run_valgrind(const bg_config *c, const bg_bench *bench, const char *dir, bg_result *r)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        snprintf(r->message, sizeof r->message, "cannot find this program (/proc/self/exe): %s",
                 strerror(errno));
        return BG_EIO;
    }
    exe[k] = '\0';
    char filter[512], out[PATH_MAX + 40], log[PATH_MAX + 40], seed[32], timeout[32];
    exact_filter(bench->name, filter, sizeof filter);
    snprintf(out, sizeof out, "--callgrind-out-file=%s/cg.%%p", dir);
    snprintf(log, sizeof log, "--log-file=%s/valgrind.log", dir);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    snprintf(timeout, sizeof timeout, "%.0f", fmin(c->timeout_s * INSTR_SLOWDOWN, 86400.0));
    const char *argv[] = {g_valgrind, "--tool=callgrind", "--collect-atstart=no",
                          "--instr-atstart=no", "--cache-sim=yes", g_cache_args[0],
                          g_cache_args[1], g_cache_args[2], out, log,
                          /* FIRST_CLIENT_ARG: */ exe,
                          "--mode", "instructions:valgrind", "--filter", filter, "--seed", seed,
                          "--timeout", timeout, "--color", "never", NULL};
    enum { FIRST_CLIENT_ARG = 10 };
    char inner_log[PATH_MAX + 16];
    snprintf(inner_log, sizeof inner_log, "%s/inner.log", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->message, sizeof r->message, "fork failed: %s", strerror(errno));
        return BG_EIO;
    }
    if (pid == 0) {
        FILE *f = freopen(inner_log, "w", stdout);
        if (f && dup2(STDOUT_FILENO, STDERR_FILENO) >= 0 &&
            setenv(BG_INSTR_INNER_ENV, dir, 1) == 0) {
            pad_environment(argv + FIRST_CLIENT_ARG);
            execv(g_valgrind, (char *const *)argv);
        }
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    char json[PATH_MAX + 16];
    snprintf(json, sizeof json, "%s/inner.json", dir);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && access(json, R_OK) == 0)
        return 0;
    char why[300], vlog[PATH_MAX + 16];
    last_line(inner_log, why, sizeof why);
    if (!why[0]) {
        snprintf(vlog, sizeof vlog, "%s/valgrind.log", dir);
        last_line(vlog, why, sizeof why);
    }
    if (WIFSIGNALED(st))
        snprintf(r->message, sizeof r->message, "valgrind was killed by signal %d: %.200s",
                 WTERMSIG(st), why);
    else
        snprintf(r->message, sizeof r->message, "the run under valgrind failed (exit %d): %.200s",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1, why);
    return BG_EIO;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
            if (fread(s, 1, (size_t)n, f) == (size_t)n) {
                s[n] = '\0';
            } else {
                free(s);
                s = NULL;
            }
        }
    }
    fclose(f);
    return s;
}

/* The dumps of one benchmark process's counted samples, indexed as the
 * schedule names them: calibration 1 and 2, then n and 2n (when n > 1). */
enum { D_CAL1, D_CAL2, D_N, D_2N, ND };

typedef struct proc_dumps {
    long pid;
    bool have[ND];
    cg_dump d[ND];
} proc_dumps;

static int dump_index(const char *trigger)
{
    static const int sched[ND] = {S_CAL1, S_CAL2, S_N, S_2N};
    for (int k = 0; k < ND; k++)
        if (!strcmp(trigger, g_trigger[sched[k]]))
            return k;
    return -1;
}

static int by_pid(const void *a, const void *b)
{
    long x = ((const proc_dumps *)a)->pid, y = ((const proc_dumps *)b)->pid;
    return (x > y) - (x < y);
}

/* Collects the schedule's dumps in `dir`, one entry per process that has
 * its calibration dumps, in the order the processes were forked (ascending
 * pid: a pid wrap between two forks would swap which layout offsets a count
 * is shown with, never the counts). Returns how many entries. */
static size_t read_dumps(const char *dir, proc_dumps *out, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid;
        int part, used = 0;
        if (sscanf(e->d_name, "cg.%ld.%d%n", &pid, &part, &used) != 2 || e->d_name[used])
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cg_dump dump;
        int k;
        if (cg_read(path, &dump) != 0 || (k = dump_index(dump.trigger)) < 0)
            continue;
        size_t i = 0;
        while (i < n && out[i].pid != pid)
            i++;
        if (i == n) {
            if (n == max)
                continue;
            memset(&out[n++], 0, sizeof *out);
            out[i].pid = pid;
        }
        out[i].have[k] = true;
        out[i].d[k] = dump;
    }
    closedir(d);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i].have[D_CAL1] && out[i].have[D_CAL2])
            out[m++] = out[i];
    qsort(out, m, sizeof *out, by_pid);
    return m;
}

/* Which pair of an inner process's samples (and dumps) is its n and 2n:
 * the last two, samples 2 and 3 when n > 1, the calibration samples 0 and 1
 * when n = 1. -1 when the process did not follow the schedule. */
static int pair_of(const bg_proc *in, const proc_dumps *pd)
{
    int k = in->n == 4 ? D_N : in->n == 2 ? D_CAL1 : -1;
    if (k < 0 || !pd->have[k] || !pd->have[k + 1] || !(in->iters[k] > 0) ||
        in->iters[k + 1] != 2 * in->iters[k])
        return -1;
    return k;
}

/* One process of the outer result: a single sample of n iterations whose
 * values are the 2n sample's minus the n sample's. Such a sample has no
 * start time of its own, so p->start_ns stays NULL. */
static int difference_proc(const bg_proc *in, const proc_dumps *pd, int k, bg_proc *p)
{
    p->stack_offset = in->stack_offset;
    p->heap_offset = in->heap_offset;
    p->iters = malloc(sizeof *p->iters);
    p->wall_ns = malloc(sizeof *p->wall_ns);
    p->cpu_ns = malloc(sizeof *p->cpu_ns);
    p->counters = calloc(2, sizeof *p->counters);
    if (!p->iters || !p->wall_ns || !p->cpu_ns || !p->counters)
        return BG_ENOMEM;
    p->n = 1;
    p->iters[0] = in->iters[k];
    /* Time under valgrind says little; kept so the record stays whole.
     * The difference of two noisy times can be <= 0: then half the 2n time. */
    double w = in->wall_ns[k + 1] - in->wall_ns[k], u = in->cpu_ns[k + 1] - in->cpu_ns[k];
    p->wall_ns[0] = w > 0 ? w : in->wall_ns[k + 1] / 2;
    p->cpu_ns[0] = u > 0 ? u : in->cpu_ns[k + 1] / 2;
    const cg_dump *a = &pd->d[k], *b = &pd->d[k + 1];
    const char *names[2] = {"instructions", "est_cycles"};
    /* Misses of the 2n run minus the n run: the steady-state misses of n
     * iterations. Cold misses fall in whichever run came first and can make
     * the difference negative; a negative miss count means none. */
    double dl1 = b->l1m - a->l1m, dll = b->llm - a->llm;
    double vals[2] = {b->ir - a->ir,
                      bg__instr_est_cycles(b->ir - a->ir, dl1 > 0 ? dl1 : 0, dll > 0 ? dll : 0)};
    for (size_t j = 0; j < 2; j++) {
        snprintf(p->counters[j].name, sizeof p->counters[j].name, "%s", names[j]);
        p->counters[j].v = malloc(sizeof(double));
        if (!p->counters[j].v)
            return BG_ENOMEM;
        p->counters[j].v[0] = vals[j];
        p->ncounters = j + 1;
    }
    return 0;
}

/* Fills r's processes from the inner result and the dumps (r->status OK). */
static void build_procs(const bg_config *c, const bg_result *in, const proc_dumps *pd,
                        size_t np, bg_result *r)
{
    if (np != in->nprocs) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message,
                 "callgrind's counts were found for %zu of %zu processes", np, in->nprocs);
        return;
    }
    int pair[INSTR_PROCS * 2];
    for (size_t i = 0; i < np; i++)
        if ((pair[i] = pair_of(&in->procs[i], &pd[i])) < 0) {
            r->status = BG_STATUS_ERROR;
            snprintf(r->message, sizeof r->message,
                     "process %zu under valgrind did not follow the n, 2n schedule", i + 1);
            return;
        }
    r->procs = calloc(np, sizeof *r->procs);
    int rc = r->procs ? 0 : BG_ENOMEM;
    for (size_t i = 0; rc == 0 && i < np; i++) {
        r->nprocs++; /* first, so bg__result_free frees a half-built one */
        rc = difference_proc(&in->procs[i], &pd[i], pair[i], &r->procs[i]);
    }
    if (rc == 0)
        rc = bg__summarize_result(c, r);
    if (rc != 0) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message, "%s",
                 rc == BG_ENOMEM ? "out of memory" : "statistics failed on the samples");
    }
}

/* Turns the inner run's result and callgrind's files into *r. */
static void collect(const bg_config *c, const char *dir, bg_result *r)
{
    char path[PATH_MAX + 16], err[512];
    snprintf(path, sizeof path, "%s/inner.json", dir);
    char *json = slurp(path);
    bg_run run;
    memset(&run, 0, sizeof run);
    if (!json || bg__record_parse(json, &run, err, sizeof err) != 0 || run.nresults != 1) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message, "the run under valgrind left no result: %.200s",
                 json ? err : strerror(errno));
        free(json);
        bg__run_free(&run);
        return;
    }
    free(json);
    const bg_result *in = &run.results[0];
    r->status = in->status;
    r->signal = in->signal;
    r->exit_code = in->exit_code;
    r->items_per_iter = in->items_per_iter;
    r->bytes_per_iter = in->bytes_per_iter;
    r->seed = in->seed;
    snprintf(r->message, sizeof r->message, "%s", in->message);
    if (r->status == BG_STATUS_OK) {
        proc_dumps pd[INSTR_PROCS * 2];
        size_t np = read_dumps(dir, pd, INSTR_PROCS * 2);
        build_procs(c, in, pd, np, r);
    }
    bg__run_free(&run);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[PATH_MAX + 300];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

void bg__instr_run_bench(const bg_config *c, const bg_bench *bench, size_t index,
                         uint64_t run_start_ns, bg_result *r)
{
    if (c->mode == BG_MODE_INSTR_HW) {
        bg__run_bench(c, bench, index, run_start_ns, r);
        return;
    }
    memset(r, 0, sizeof *r);
    r->name = bench->name;
    uint64_t t0 = bg__wall_ns();
    if (c->progress) {
        fprintf(stderr, "\r\033[K[%zu] %s: under valgrind", index + 1, bench->name);
        fflush(stderr);
    }
    /* The directory's name has the same length on every run: it reaches
     * the inner run's environment, and so the position of its stack. */
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/bg-instr-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message, "cannot create a directory in %.200s: %s",
                 tmp && *tmp ? tmp : "/tmp", strerror(errno));
    } else {
        if (run_valgrind(c, bench, dir, r) == 0)
            collect(c, dir, r);
        else
            r->status = BG_STATUS_ERROR;
        remove_dir(dir);
    }
    if (c->progress) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    r->elapsed_s = (double)(bg__wall_ns() - t0) / 1e9;
}
