/* The runner: measures each benchmark in forked child processes.
 *
 * The parent forks one child per process slot. The child varies its memory
 * layout, calls the BENCH function once, and BENCH_LOOP drives warm-up and
 * the sampling plan, sending each sample to the parent over a pipe. The
 * parent collects samples, notices crashes (signals, non-zero exits) and
 * hangs (no sample for timeout_s), and stops adding processes once the
 * interval of the primary statistic, across processes, is narrow enough or
 * the benchmark's time budget is spent. Under `benchgate ab` a benchmark
 * process takes turns with the other side's (lockstep, below).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include "bg_harness.h"

/* ---- the state seen by BENCH functions ---- */

enum { PH_WARMUP, PH_MEASURE, PH_DONE };

/* User counters of one benchmark (bg_counter), at most this many. */
#define BG_USER_COUNTERS_MAX 8

/* A thread team: thread 0 (the benchmark process's own thread) plans the
 * samples; the barrier releases every thread into each sample and gathers
 * them at its end. */
typedef struct bg_team {
    pthread_barrier_t bar;
    int n;
    uint64_t iters;        /* the sample thread 0 planned; 0 ends the loop */
    struct bg_state *all;  /* n states; all[0] is thread 0's */
} bg_team;

struct bg_state {
    const char *name;
    const bg_config *cfg;
    const bg_schedule *sched; /* a fixed schedule instead of the timed plan, or NULL */
    int fd;            /* pipe to the parent, or -1 when collecting in-process */
    bg_proc *collect;  /* in-process collection (overhead measurement) */
    size_t collect_cap;
    int phase;
    bool skipped;
    bool looped;       /* BENCH_LOOP was entered */
    uint64_t iters;    /* iterations of the sample in progress */
    uint64_t t0_wall, t0_cpu;
    uint64_t warm_start;
    uint64_t run_start; /* in-process collection: start_ns counts from here */
    bg_warmup warm;
    bg_plan plan;
    size_t sample_i;   /* 1-based index of the next measured sample */
    double min_sample_ns;
    uint64_t items, bytes;
    bg_counter_set counters; /* open in this benchmark process (none in-process) */
    bool counting;           /* the counters were begun for the sample in progress */
    double cvals[BG_COUNTERS_MAX];
    const bg_bench *inst;    /* arguments, team size (NULL: none) */
    bg_team *team;           /* NULL outside a team */
    int tindex;              /* index in the team */
    /* Timing control within the sample in progress. */
    bool in_sample;
    bool paused;
    uint64_t pause_wall, pause_cpu;     /* clock readings at bg_pause */
    double paused_wall, paused_cpu;     /* time paused so far */
    bool manual;                        /* bg_set_iteration_time was called */
    double manual_ns;                   /* the sum it reported */
    /* User counters: names, kinds, and the sample in progress's values. */
    size_t nuser;
    char uname[BG_USER_COUNTERS_MAX][BG_COUNTER_NAME];
    uint8_t ukind[BG_USER_COUNTERS_MAX];
    double uval[BG_USER_COUNTERS_MAX];
    char uerr[200];                     /* the first mistake (bg_counter, scopes) */
    /* Scopes (BG_SCOPE): the tree met so far, each scope's clock ticks and
     * entries in the sample in progress, and the open ones. */
    bool scopes_on;          /* timed in this state (a measured run, not --no-scopes) */
    bool scope_fail;         /* a mistake was reported: scopes off from then on */
    int nscopes;
    int sdepth;
    const char *sname[BG_SCOPES_MAX];   /* as given: compared by address first */
    int8_t sparent[BG_SCOPES_MAX];      /* -1: directly in the body */
    uint64_t sticks[BG_SCOPES_MAX];
    uint64_t scalls[BG_SCOPES_MAX];
    int8_t sopen[BG_SCOPE_DEPTH_MAX];   /* the open scopes, outermost first */
    uint64_t st0[BG_SCOPE_DEPTH_MAX];   /* the tick each was entered at */
    /* Lockstep (`benchgate ab --lockstep`): the socket to the driver, -1
     * when off, and whether this process holds the turn. */
    int baton;
    bool baton_held;
};

/* Messages from child to parent; fixed size, below PIPE_BUF, so each write
 * is atomic. A sample carries its counter values in v[], in the order the
 * child announced them with MSG_COUNTER (one per counter, before the first
 * sample); MSG_UNAVAIL says a counter group could not be opened and why;
 * MSG_RSS is the peak resident set before the benchmark ran. A sample's t
 * is the clock reading that began its timed interval (CLOCK_MONOTONIC is
 * the same clock in every process, so the parent can place it).
 * MSG_ACTIVITY carries one row a counter group gathered over the process
 * (bg_activity: a kernel, a copy size, the GPU's state), after the
 * benchmark function returned. */
enum { MSG_SAMPLE = 'S', MSG_WARMUP = 'W', MSG_ITEMS = 'I', MSG_BYTES = 'B',
       MSG_SKIP = 'K', MSG_DONE = 'D', MSG_NOLOOP = 'N', MSG_COUNTER = 'C',
       MSG_UNAVAIL = 'U', MSG_RSS = 'R', MSG_ACTIVITY = 'A', MSG_ERROR = 'E',
       MSG_SCOPE_DEF = 'P', MSG_SCOPES = 'Q' };
/* MSG_COUNTER's b is 0 for a built-in counter, else the bg_count_kind of a
 * user counter, which may be announced after samples (values before it are
 * 0); MSG_ERROR's text is a mistake of the benchmark's (a bad bg_counter).
 * MSG_SCOPE_DEF announces scope u (0..BG_SCOPES_MAX-1) with its path in
 * text, when first entered (earlier samples count it 0); MSG_SCOPES follows
 * a sample's MSG_SAMPLE with n scopes' ns and entries in sv[2i], sv[2i+1]. */
typedef struct bg_msg {
    uint8_t type;
    uint8_t n; /* MSG_SAMPLE: counter values in v */
    uint8_t pad[2];
    int32_t pid; /* the sender's process id: a fork inside BENCH_LOOP shows */
    uint64_t u;
    uint64_t t; /* MSG_SAMPLE: bg__wall_ns() at the start of the sample */
    double a, b;
    union {
        char text[256];
        double v[BG_COUNTERS_MAX];
        double sv[2 * BG_SCOPES_MAX];
        bg_activity act;
    };
} bg_msg;
_Static_assert(sizeof(bg_msg) <= 512, "a message must stay well below PIPE_BUF");

static void send_msg(bg_state *b, bg_msg *m)
{
    m->pid = (int32_t)getpid(); /* not cached: a forked process must show as itself */
    const char *p = (const char *)m;
    size_t left = sizeof *m;
    while (left > 0) {
        ssize_t w = write(b->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(120); /* the parent is gone: nothing useful left to do */
        p += w;
        left -= (size_t)w;
    }
}

static void send_scopes(bg_state *b);
static void scope_sample_end(bg_state *b);

/* A finished sample: iters iterations from clock reading t0 (bg__wall_ns)
 * for wall ns of wall time and cpu ns of CPU time. */
static void record_sample(bg_state *b, uint64_t iters, uint64_t t0, double wall, double cpu)
{
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_SAMPLE, .u = iters, .t = t0, .a = wall, .b = cpu};
        size_t base = b->counters.nvalues;
        if (b->counting) {
            m.n = (uint8_t)base;
            memcpy(m.v, b->cvals, base * sizeof *m.v);
        }
        if (b->nuser) {
            for (size_t i = m.n; i < base; i++)
                m.v[i] = NAN; /* counters not read in this sample */
            for (size_t j = 0; j < b->nuser && base + j < BG_COUNTERS_MAX; j++) {
                double v = isfinite(b->uval[j]) ? b->uval[j] : 0;
                m.v[base + j] = b->ukind[j] == BG_COUNT_RATE ? (wall > 0 ? v * 1e9 / wall : 0) : v;
            }
            m.n = (uint8_t)(base + b->nuser);
        }
        send_msg(b, &m);
        send_scopes(b);
        return;
    }
    bg_proc *p = b->collect;
    if (p->n == b->collect_cap)
        return; /* sized by the plan; never grows */
    p->iters[p->n] = (double)iters;
    p->wall_ns[p->n] = wall;
    p->cpu_ns[p->n] = cpu;
    if (p->start_ns)
        p->start_ns[p->n] = (double)(int64_t)(t0 - b->run_start);
    p->n++;
}

/* The timing-control and user-counter state of a new sample. */
static void sample_reset(bg_state *b)
{
    b->in_sample = true;
    b->paused = false;
    b->paused_wall = b->paused_cpu = 0;
    b->manual = false;
    b->manual_ns = 0;
    for (size_t j = 0; j < b->nuser; j++)
        b->uval[j] = NAN;
    for (int k = 0; k < b->nscopes; k++)
        b->sticks[k] = b->scalls[k] = 0;
}

static uint64_t plan_begin(bg_state *b);
static void baton_take(bg_state *b);
static void baton_give(bg_state *b);

uint64_t bg__sample_begin(bg_state *b)
{
    b->looped = true;
    if (b->team) {
        bg_team *t = b->team;
        if (b->tindex > 0) { /* thread 0 plans; the barrier hands its plan out */
            pthread_barrier_wait(&t->bar);
            b->iters = t->iters;
            if (b->iters)
                sample_reset(b);
            return b->iters;
        }
        t->iters = plan_begin(b); /* reads the clock last */
        pthread_barrier_wait(&t->bar);
        return t->iters;
    }
    return plan_begin(b);
}

/* Thread 0's (or a lone thread's) sample: its iterations, counters begun
 * and the clock read, or 0 when there are enough samples. */
static uint64_t plan_begin(bg_state *b)
{
    if (b->skipped || b->phase == PH_DONE) {
        baton_give(b);
        return 0;
    }
    if (b->sched) { /* a fixed schedule (instruction mode under valgrind) */
        if ((b->iters = b->sched->begin(b->sample_i)) == 0) {
            b->phase = PH_DONE;
            return 0;
        }
    } else if (b->phase == PH_WARMUP) {
        b->iters = b->warm.next;
    } else {
        if (b->sample_i > b->plan.m) {
            b->phase = PH_DONE;
            return 0;
        }
        b->iters = bg__plan_iters(&b->plan, b->sample_i);
    }
    if (b->baton >= 0 && !b->baton_held) { /* lockstep: wait for the turn */
        baton_take(b);
        /* The warm-up's time counts from its turn, not from the wait. */
        if (b->baton_held && b->phase == PH_WARMUP)
            b->warm_start = bg__wall_ns();
    }
    /* Counters only around measured samples (every sample of instruction
     * mode's fixed schedule), and outside the clock reads. */
    b->counting = (b->phase == PH_MEASURE || b->sched) && b->counters.ngroups > 0;
    if (b->counting)
        bg__counter_set_begin(&b->counters);
    sample_reset(b);
    b->t0_cpu = bg__cpu_ns();
    b->t0_wall = bg__wall_ns(); /* last: nothing of ours inside the interval */
    return b->iters;
}

static void team_gather(bg_state *b);

void bg__sample_end(bg_state *b)
{
    if (b->team) {
        scope_sample_end(b); /* before the barrier: thread 0 reads the scopes after it */
        pthread_barrier_wait(&b->team->bar); /* the last thread's end */
        b->in_sample = false;
        if (b->tindex > 0)
            return;
    }
    uint64_t t1_wall = bg__wall_ns(); /* first */
    uint64_t t1_cpu = bg__cpu_ns();
    scope_sample_end(b);
    if (b->counting)
        bg__counter_set_end(&b->counters, b->cvals);
    b->in_sample = false;
    if (b->paused) { /* paused to the end: the rest is not timed */
        b->paused_wall += (double)(t1_wall - b->pause_wall);
        b->paused_cpu += (double)(t1_cpu - b->pause_cpu);
        b->paused = false;
    }
    double wall = (double)(t1_wall - b->t0_wall) - b->paused_wall;
    double cpu = (double)(t1_cpu - b->t0_cpu) - b->paused_cpu;
    if (wall < 0)
        wall = 0;
    if (cpu < 0)
        cpu = 0;
    if (b->manual) /* the benchmark's own measurement of the sample */
        wall = b->manual_ns;
    if (b->team)
        team_gather(b);

    if (b->sched) { /* the schedule counted the sample (instr_mode.c) */
        if (b->sched->end(b->sample_i++))
            record_sample(b, b->iters, b->t0_wall, wall, cpu);
        return;
    }
    if (b->phase == PH_WARMUP) {
        double elapsed = (double)(t1_wall - b->warm_start);
        /* Planned on the real time a sample takes, paused parts included,
         * so that a body mostly paused (or timed by hand) keeps to the
         * time budget. */
        double real = (double)(t1_wall - b->t0_wall);
        if (bg__warmup_step(&b->warm, b->iters, real, elapsed, b->cfg->warmup_s * 1e9,
                            b->min_sample_ns)) {
            if (b->fd >= 0) {
                bg_msg m = {.type = MSG_WARMUP, .u = b->warm.total_iters, .a = b->warm.total_ns};
                send_msg(b, &m);
            }
            baton_give(b); /* the warm-up was one turn */
            if (bg__plan(b->warm.per_iter_ns, b->cfg->measure_s * 1e9, b->cfg->samples,
                         b->min_sample_ns, &b->plan) != 0) {
                b->phase = PH_DONE;
                return;
            }
            b->phase = PH_MEASURE;
            b->sample_i = 1;
        }
        return;
    }
    record_sample(b, b->iters, b->t0_wall, wall, cpu);
    b->sample_i++;
    baton_give(b);
}

void bg_set_items(bg_state *b, uint64_t n)
{
    b->items = n;
}

void bg_set_bytes(bg_state *b, uint64_t n)
{
    b->bytes = n;
}

void bg_skip(bg_state *b, const char *reason)
{
    if (b->skipped)
        return;
    b->skipped = true;
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_SKIP};
        snprintf(m.text, sizeof m.text, "%s", reason ? reason : "skipped");
        send_msg(b, &m);
    }
}

const char *bg_name(const bg_state *b)
{
    return b->name;
}

int64_t bg_arg(const bg_state *b, size_t i)
{
    return b->inst && i < b->inst->nargs ? b->inst->args[i] : 0;
}

int bg_thread_index(const bg_state *b)
{
    return b->team ? b->tindex : 0;
}

int bg_threads(const bg_state *b)
{
    return b->team ? b->team->n : 1;
}

void bg_pause(bg_state *b)
{
    if (!b->in_sample || b->paused)
        return;
    b->pause_wall = bg__wall_ns();
    b->pause_cpu = bg__cpu_ns();
    b->paused = true;
}

void bg_resume(bg_state *b)
{
    if (!b->paused)
        return;
    uint64_t c = bg__cpu_ns();
    uint64_t w = bg__wall_ns(); /* last: the clock restarts here */
    b->paused_cpu += (double)(c - b->pause_cpu);
    b->paused_wall += (double)(w - b->pause_wall);
    b->paused = false;
}

void bg_set_iteration_time(bg_state *b, double ns)
{
    if (!b->in_sample || !(ns >= 0) || !isfinite(ns))
        return;
    b->manual = true;
    b->manual_ns += ns;
}

/* Names a benchmark cannot give its own counters: the built-in metrics. */
static bool builtin_metric(const char *name)
{
    static const char *const own[] = {"time", "cpu", "wall_ns", "cpu_ns", "iters",
                                      "est_cycles", "instructions", NULL};
    for (size_t i = 0; own[i]; i++)
        if (!strcmp(own[i], name))
            return true;
    for (size_t i = 0; bg__process_metrics[i]; i++)
        if (!strcmp(bg__process_metrics[i], name))
            return true;
    for (size_t i = 0; bg__derived_metrics[i]; i++)
        if (!strcmp(bg__derived_metrics[i], name))
            return true;
    return bg__counter_owner(name) != NULL || !strncmp(name, "peak_", 5);
}

/* 1 to BG_COUNTER_NAME - 1 letters, digits and the characters of `extra`:
 * a user counter's name ("_."), a scope's ("_.-"). */
static bool valid_name(const char *n, const char *extra)
{
    size_t len = strlen(n);
    if (len == 0 || len >= BG_COUNTER_NAME)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(extra, *p)))
            return false;
    return true;
}

/* Reports a mistake in a bg_counter call once: thread 0 sends it to the
 * parent, which fails the benchmark with it; other threads keep it for
 * thread 0 to send. */
static void __attribute__((format(printf, 2, 3))) counter_error(bg_state *b, const char *fmt, ...)
{
    if (b->uerr[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->uerr, sizeof b->uerr, fmt, ap);
    va_end(ap);
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_ERROR};
        snprintf(m.text, sizeof m.text, "%s", b->uerr);
        send_msg(b, &m);
    }
}

/* The slot of user counter `name` of `kind`, announced on first use; -1
 * after a mistake (reported). */
static int user_slot(bg_state *b, const char *name, int kind)
{
    for (size_t j = 0; j < b->nuser; j++)
        if (!strcmp(b->uname[j], name)) {
            if (b->ukind[j] != kind) {
                counter_error(b, "bg_counter: '%s' is given two kinds (%d and %d); one name, one "
                                 "kind", name, b->ukind[j], kind);
                return -1;
            }
            return (int)j;
        }
    if (!valid_name(name, "_.")) {
        counter_error(b, "bg_counter: '%.40s' is not a counter name (1-31 letters, digits, '_' "
                         "or '.')", name);
        return -1;
    }
    if (builtin_metric(name)) {
        counter_error(b, "bg_counter: '%s' is the name of a built-in metric; choose another "
                         "(e.g. 'user.%s')", name, name);
        return -1;
    }
    if (b->nuser == BG_USER_COUNTERS_MAX || b->counters.nvalues + b->nuser >= BG_COUNTERS_MAX) {
        counter_error(b, "bg_counter: '%s' is one counter too many (at most %d per benchmark)",
                      name, BG_USER_COUNTERS_MAX);
        return -1;
    }
    size_t j = b->nuser++;
    snprintf(b->uname[j], sizeof b->uname[j], "%s", name);
    b->ukind[j] = (uint8_t)kind;
    b->uval[j] = NAN;
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_COUNTER, .u = b->counters.nvalues + j, .b = kind};
        snprintf(m.text, sizeof m.text, "%s", name);
        send_msg(b, &m);
    }
    return (int)j;
}

static void user_add(bg_state *b, size_t j, double value)
{
    double *v = &b->uval[j];
    if (b->ukind[j] == BG_COUNT_MAX)
        *v = isnan(*v) || value > *v ? value : *v;
    else
        *v = isnan(*v) ? value : *v + value;
}

void bg_counter(bg_state *b, const char *name, double value, bg_count_kind kind)
{
    if (!name) {
        counter_error(b, "bg_counter: a NULL name");
        return;
    }
    if (kind < BG_COUNT_ITER || kind > BG_COUNT_MAX) {
        counter_error(b, "bg_counter: '%.40s' has kind %d, not a bg_count_kind", name, (int)kind);
        return;
    }
    if (!isfinite(value)) {
        counter_error(b, "bg_counter: '%.40s' is given a value that is not finite", name);
        return;
    }
    int j = user_slot(b, name, (int)kind);
    if (j >= 0 && b->in_sample)
        user_add(b, (size_t)j, value);
}

/* Thread 0, after the end barrier of a sample: adds the other threads' user
 * counter values (by name) to its own. */
static void scope_gather(bg_state *b);

static void team_gather(bg_state *b)
{
    scope_gather(b);
    for (int t = 1; t < b->team->n; t++) {
        bg_state *o = &b->team->all[t];
        for (size_t j = 0; j < o->nuser; j++) {
            if (!isfinite(o->uval[j]))
                continue;
            int k = user_slot(b, o->uname[j], o->ukind[j]);
            if (k >= 0)
                user_add(b, (size_t)k, o->uval[j]);
        }
    }
}

/* ---- scopes ---- */

/* The scopes' clock: the TSC where it runs at a constant rate through
 * sleep states (cpuid 0x80000007 EDX bit 8, the "invariant TSC"), one read
 * costing a third of a clock_gettime; else the wall clock. Set up once in
 * the harness before any benchmark process forks (bg__scope_clock). */
static bool g_tsc;
static double g_ns_per_tick = 1.0;
static double g_floor_ticks; /* what an empty scope reads: taken out per entry */

static inline uint64_t scope_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (g_tsc)
        return __rdtsc();
#endif
    return bg__wall_ns();
}

/* The path of scope k ("parse/tokenize"). */
static void scope_path(const bg_state *b, int k, char *out, size_t n)
{
    int chain[BG_SCOPE_DEPTH_MAX + 1], depth = 0;
    for (int j = k; j >= 0 && depth <= BG_SCOPE_DEPTH_MAX; j = b->sparent[j])
        chain[depth++] = j;
    size_t used = 0;
    out[0] = '\0';
    while (depth-- > 0 && used < n)
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? "/" : "", b->sname[chain[depth]]);
}

/* A mistake with scopes: reported once (the benchmark fails with it), and
 * scopes are off in this state from then on. */
#define scope_error(b, ...)                                                          \
    do {                                                                             \
        counter_error(b, __VA_ARGS__);                                               \
        (b)->scope_fail = true;                                                      \
        (b)->sdepth = 0;                                                             \
    } while (0)

/* The scope called `name` inside scope `parent` (-1: the body), created
 * (and announced) when first entered; -1 after a mistake. */
static int scope_child(bg_state *b, int parent, const char *name)
{
    for (int k = 0; k < b->nscopes; k++)
        if (b->sparent[k] == parent && b->sname[k] == name)
            return k;
    if (!name) {
        scope_error(b, "bg_scope_begin: a NULL name");
        return -1;
    }
    for (int k = 0; k < b->nscopes; k++)
        if (b->sparent[k] == parent && !strcmp(b->sname[k], name))
            return k;
    if (!valid_name(name, "_.-")) {
        scope_error(b, "bg_scope_begin: '%.40s' is not a scope name (1-31 letters, digits, '_', "
                       "'.' or '-')", name);
        return -1;
    }
    if (b->nscopes == BG_SCOPES_MAX) {
        scope_error(b, "bg_scope_begin: '%s' is one scope too many (at most %d per benchmark)", name,
                    BG_SCOPES_MAX);
        return -1;
    }
    int k = b->nscopes++;
    b->sname[k] = name;
    b->sparent[k] = (int8_t)parent;
    b->sticks[k] = b->scalls[k] = 0;
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_SCOPE_DEF, .u = (uint64_t)k};
        scope_path(b, k, m.text, sizeof m.text);
        send_msg(b, &m);
    }
    return k;
}

void bg_scope_begin(bg_state *b, const char *name)
{
    if (!b->scopes_on || !b->in_sample || b->scope_fail)
        return;
    if (b->sdepth == BG_SCOPE_DEPTH_MAX) {
        char path[256];
        scope_path(b, b->sopen[b->sdepth - 1], path, sizeof path);
        scope_error(b, "bg_scope_begin: '%.40s' is nested deeper than %d scopes (inside %s)",
                    name ? name : "(null)", BG_SCOPE_DEPTH_MAX, path);
        return;
    }
    int k = scope_child(b, b->sdepth ? b->sopen[b->sdepth - 1] : -1, name);
    if (k < 0)
        return;
    b->sopen[b->sdepth] = (int8_t)k;
    b->st0[b->sdepth++] = scope_ticks(); /* last */
}

void bg_scope_end(bg_state *b)
{
    if (!b->scopes_on || !b->in_sample || b->scope_fail)
        return;
    uint64_t t = scope_ticks(); /* first of what is ours */
    if (b->sdepth == 0) {
        scope_error(b, "bg_scope_end: no scope is open (more ends than begins)");
        return;
    }
    int d = --b->sdepth;
    int k = b->sopen[d];
    b->sticks[k] += t - b->st0[d];
    b->scalls[k]++;
}

/* At the end of a sample: a scope still open is a mistake. */
static void scope_sample_end(bg_state *b)
{
    if (b->sdepth == 0 || b->scope_fail)
        return;
    char path[256];
    scope_path(b, b->sopen[b->sdepth - 1], path, sizeof path);
    scope_error(b, "scope '%s' is still open at the end of a sample: each bg_scope_begin needs its "
                   "bg_scope_end in the same iteration (a break, continue or return inside "
                   "BG_SCOPE?)", path);
}

/* Thread 0 of a team, after a sample's end barrier: adds every other
 * thread's scopes (matched by path) to its own; send_scopes then divides
 * by the team's size, so a team's scope is the mean over its threads. */
static void scope_gather(bg_state *b)
{
    for (int t = 1; t < b->team->n && !b->scope_fail; t++) {
        const bg_state *o = &b->team->all[t];
        if (o->scope_fail)
            continue;
        int map[BG_SCOPES_MAX];
        for (int k = 0; k < o->nscopes && !b->scope_fail; k++) {
            int p = o->sparent[k] < 0 ? -1 : map[o->sparent[k]];
            map[k] = o->sparent[k] >= 0 && p < 0 ? -1 : scope_child(b, p, o->sname[k]);
            if (map[k] >= 0) {
                b->sticks[map[k]] += o->sticks[k];
                b->scalls[map[k]] += o->scalls[k];
            }
        }
    }
}

/* Sends the scopes' figures of the sample just sent (a team's: the mean
 * over its threads). */
static void send_scopes(bg_state *b)
{
    if (b->nscopes == 0 || b->scope_fail)
        return;
    double per = b->team ? 1.0 / b->team->n : 1.0;
    bg_msg m = {.type = MSG_SCOPES, .n = (uint8_t)b->nscopes};
    for (int k = 0; k < b->nscopes; k++) {
        double ticks = (double)b->sticks[k] - (double)b->scalls[k] * g_floor_ticks;
        m.sv[2 * k] = ticks > 0 ? ticks * g_ns_per_tick * per : 0;
        m.sv[2 * k + 1] = (double)b->scalls[k] * per;
    }
    send_msg(b, &m);
}

static void state_init(bg_state *b, const bg_config *c, const char *name, int fd,
                       double min_sample_ns)
{
    memset(b, 0, sizeof *b);
    b->name = name;
    b->cfg = c;
    b->fd = fd;
    b->phase = PH_WARMUP;
    b->min_sample_ns = min_sample_ns;
    bg__warmup_init(&b->warm);
    b->warm_start = bg__wall_ns();
    b->run_start = b->warm_start;
    b->baton = -1;
}

/* ---- lockstep: taking turns with another bench binary ----
 *
 * `benchgate ab` (lockstep, its default) runs A's and B's bench binaries at
 * once and has their benchmark processes take turns, sample by sample, so
 * that each sample of A lies next to one of B and drift slower than a
 * sample cancels in their ratio. $BENCHGATE_LOCKSTEP names a stream socket this process
 * inherited. Before a turn (its whole warm-up, then each measured sample)
 * the benchmark process sends 'r' and waits for a byte back; after the turn
 * it sends 'd'. The driver holds one side while the other has the turn. A
 * bad variable, or a socket that fails or closes, turns lockstep off for
 * the process, which then runs freely (the driver copes with a side that
 * never asks). Only a benchmark process takes turns, never the harness's
 * own in-process measurements. */
static int g_baton_fd = -2; /* -2: not looked at yet; -1: none */

/* The lockstep socket, looked at once, in the harness before it forks a
 * benchmark process: a descriptor that is not a socket is ignored, and the
 * variable is removed and the socket closed on exec, so that nothing the
 * harness or a benchmark executes (the alloc group's re-execution, a
 * benchmark's own commands) can mistake another file for it. */
static int baton_fd(void)
{
    if (g_baton_fd != -2)
        return g_baton_fd;
    g_baton_fd = -1;
    const char *v = getenv("BENCHGATE_LOCKSTEP");
    if (!v || !*v)
        return -1;
    char *end;
    long fd = strtol(v, &end, 10);
    struct stat stt;
    bool ok = !*end && fd >= 3 && fd <= 65535 && fstat((int)fd, &stt) == 0 && S_ISSOCK(stt.st_mode);
    unsetenv("BENCHGATE_LOCKSTEP");
    if (!ok)
        return -1;
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    g_baton_fd = (int)fd;
    return g_baton_fd;
}

static void baton_off(bg_state *b)
{
    b->baton = -1;
    b->baton_held = false;
}

/* Waits for the turn (nothing when lockstep is off or the turn is held). */
static void baton_take(bg_state *b)
{
    if (b->baton < 0 || b->baton_held)
        return;
    char c = 'r';
    if (send(b->baton, &c, 1, MSG_NOSIGNAL) != 1) {
        baton_off(b);
        return;
    }
    ssize_t n;
    do
        n = recv(b->baton, &c, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
        baton_off(b);
        return;
    }
    b->baton_held = true;
}

/* Ends the turn, when held. */
static void baton_give(bg_state *b)
{
    if (b->baton < 0 || !b->baton_held)
        return;
    b->baton_held = false;
    char c = 'd';
    if (send(b->baton, &c, 1, MSG_NOSIGNAL) != 1)
        baton_off(b);
}

/* ---- layout variation and seeds ---- */

/* splitmix64: a well-mixed 64-bit step (Steele, Lea, Flood 2014). */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t bg__hash_name(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull; /* FNV-1a */
    return h;
}

/* ---- the child ---- */

/* The smallest sample, in ns: 1000 clock reads, and at least 10 µs, so the
 * fixed cost of reading the clock is below 0.1 % of any sample. */
static double min_sample_ns(const bg_overhead *o)
{
    double m = 1000.0 * (o->wall_read_ns > 0 ? o->wall_read_ns : 25.0);
    return m < 10000.0 ? 10000.0 : m;
}

/* The peak resident set of this process so far, in bytes, by the same
 * accounting wait4 uses for the final peak (0 when unknown). */
static double peak_rss_bytes(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss * 1024.0 : 0; /* KiB */
}

/* Tells the parent that a counter group could not be opened, and why. */
static void note_unavailable(void *ctx, const char *group, const char *why)
{
    bg_msg m = {.type = MSG_UNAVAIL};
    snprintf(m.text, sizeof m.text, "%s: %s", group, why);
    send_msg(ctx, &m);
}

/* Opens the configured counter groups and announces each counter that can
 * be read (one trial read; a group may have counters it cannot read, e.g.
 * kernel-side events under perf_event_paranoid 2) with its slot in v[]. */
static void open_counters(bg_state *b)
{
    bg__counter_set_open(&b->counters, b->cfg->counters, note_unavailable, b);
    if (b->counters.ngroups == 0)
        return;
    bg__counter_set_begin(&b->counters);
    bg__counter_set_end(&b->counters, b->cvals);
    size_t slot = 0;
    for (size_t i = 0; i < b->counters.ngroups; i++) {
        const bg_counter_group *g = b->counters.groups[i];
        for (size_t j = 0; j < g->ncounters; j++, slot++) {
            if (isnan(b->cvals[slot]))
                continue;
            bg_msg m = {.type = MSG_COUNTER, .u = slot};
            snprintf(m.text, sizeof m.text, "%s", g->names[j]);
            send_msg(b, &m);
        }
    }
}

/* Rows of GPU activity and state, for the most of them a process sends. */
#define ACTIVITY_MAX 80

static void send_activity(bg_state *b)
{
    if (b->counters.ngroups == 0)
        return;
    bg_activity *rows = calloc(ACTIVITY_MAX, sizeof *rows);
    size_t n = rows ? bg__counter_set_activity(&b->counters, rows, ACTIVITY_MAX) : 0;
    for (size_t i = 0; i < n; i++) {
        bg_msg m = {.type = MSG_ACTIVITY};
        m.act = rows[i];
        send_msg(b, &m);
    }
    free(rows);
}

static void *team_thread(void *arg)
{
    bg_state *st = arg;
    st->inst->fn(st);
    return NULL;
}

/* Runs the BENCH function on a team of bench->threads threads: this thread
 * is thread 0. Returns after every thread has returned. */
static void run_team(bg_state *st, const bg_bench *bench)
{
    int n = bench->threads;
    bg_team team = {.n = n};
    team.all = calloc((size_t)n, sizeof *team.all);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!team.all || !tid || pthread_barrier_init(&team.bar, NULL, (unsigned)n) != 0) {
        counter_error(st, "cannot set up a team of %d threads (out of memory)", n);
        free(team.all);
        free(tid);
        return;
    }
    st->team = &team;
    st->tindex = 0;
    for (int t = 1; t < n; t++) {
        bg_state *o = &team.all[t];
        state_init(o, st->cfg, st->name, -1, st->min_sample_ns);
        o->inst = bench;
        o->scopes_on = st->scopes_on;
        o->team = &team;
        o->tindex = t;
        int e = pthread_create(&tid[t], NULL, team_thread, o);
        if (e != 0) {
            /* The threads already started wait at the barrier; this process
             * ends here and takes them with it. */
            counter_error(st, "cannot start thread %d of %d: %s", t + 1, n, strerror(e));
            bg_msg done = {.type = MSG_DONE};
            send_msg(st, &done);
            _exit(0);
        }
    }
    bench->fn(st);
    for (int t = 1; t < n; t++) {
        pthread_join(tid[t], NULL);
        st->items += team.all[t].items;
        st->bytes += team.all[t].bytes;
        if (team.all[t].uerr[0] && !st->uerr[0])
            counter_error(st, "thread %d: %s", t + 1, team.all[t].uerr);
    }
    pthread_barrier_destroy(&team.bar);
    st->team = NULL;
    free(team.all);
    free(tid);
}

static void __attribute__((noinline)) child_body(const bg_config *c, const bg_bench *bench,
                                                 const bg_schedule *sched, int fd, double min_ns,
                                                 uint32_t heap_off)
{
    /* A live heap block shifts where the benchmark's allocations land. */
    volatile char *heap_pad = heap_off ? malloc(heap_off) : NULL;
    if (heap_pad)
        heap_pad[0] = 1;
    bg_state st;
    state_init(&st, c, bench->name, fd, min_ns);
    st.sched = sched;
    st.inst = bench;
    st.scopes_on = !c->no_scopes && !sched;
    st.baton = sched ? -1 : baton_fd();
    open_counters(&st);
    bg_msg rss = {.type = MSG_RSS, .a = peak_rss_bytes()};
    send_msg(&st, &rss);
    if (bench->threads > 0)
        run_team(&st, bench);
    else
        bench->fn(&st);
    baton_give(&st); /* a benchmark that skipped or returned mid-sample */
    send_activity(&st);
    bg__counter_set_close(&st.counters);
    if (!st.looped && !st.skipped) {
        bg_msg m = {.type = MSG_NOLOOP};
        send_msg(&st, &m);
    }
    if (st.items) {
        bg_msg m = {.type = MSG_ITEMS, .u = st.items};
        send_msg(&st, &m);
    }
    if (st.bytes) {
        bg_msg m = {.type = MSG_BYTES, .u = st.bytes};
        send_msg(&st, &m);
    }
    bg_msg done = {.type = MSG_DONE};
    send_msg(&st, &done);
    free((void *)heap_pad);
}

static void __attribute__((noreturn)) child_main(const bg_config *c, const bg_bench *bench,
                                                 const bg_schedule *sched, int fd, double min_ns,
                                                 uint32_t stack_off, uint32_t heap_off)
{
    /* Shift the stack by stack_off bytes: the benchmark's frames land at a
     * different alignment relative to cache lines and pages in each process. */
    volatile char *pad = __builtin_alloca(stack_off + 1);
    pad[0] = 0;
    child_body(c, bench, sched, fd, min_ns, heap_off);
    pad[stack_off] = 0;
    close(fd);
    _exit(0);
}

/* ---- the parent ---- */

/* Copies what the instance is (family, arguments, team) into its result. */
static void describe_instance(const bg_bench *bench, bg_result *r)
{
    r->complexity_arg = -1;
    if (!bench->family)
        return;
    snprintf(r->family, sizeof r->family, "%s", bench->family);
    r->nargs = bench->nargs;
    for (size_t i = 0; i < bench->nargs; i++) {
        snprintf(r->arg_names[i], sizeof r->arg_names[i], "%s", bench->arg_names[i]);
        r->args[i] = bench->args[i];
    }
    r->threads = bench->threads;
    r->complexity = bench->complexity;
    r->complexity_arg = bench->complexity_arg;
}

/* Memory this machine has available now (MemAvailable), in bytes; 0 when
 * unknown. */
static double available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    double kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    fclose(f);
    return kib * 1024.0;
}

/* An instance whose declared memory (bg_spec_memory) does not fit in the
 * memory available is skipped with both figures. */
static bool fits_in_memory(const bg_bench *bench, bg_result *r)
{
    if (!(bench->mem_bytes > 0))
        return true;
    double avail = available_bytes();
    if (avail <= 0 || bench->mem_bytes <= 0.8 * avail)
        return true;
    r->status = BG_STATUS_SKIPPED;
    snprintf(r->message, sizeof r->message,
             "does not fit: needs %.2f GiB (bg_spec_memory), %.2f GiB of memory available",
             bench->mem_bytes / 1073741824.0, avail / 1073741824.0);
    return false;
}

static int grow(double **a, size_t n)
{
    double *x = realloc(*a, n * sizeof *x);
    if (!x)
        return BG_ENOMEM;
    *a = x;
    return 0;
}

/* The parent's map from a sample's counter slot (v[i]) to p->counters[k];
 * -1 for a slot not announced, or dropped after a value could not be read. */
typedef struct slot_map {
    int series[BG_COUNTERS_MAX];
} slot_map;

/* Appends `text` to the result's counter note unless it is already there. */
static void add_counter_note(bg_result *r, const char *text)
{
    if (strstr(r->counter_note, text))
        return;
    size_t used = strlen(r->counter_note);
    snprintf(r->counter_note + used, sizeof r->counter_note - used, "%s%s", used ? "; " : "",
             text);
}

/* A counter the child announced; ignored once samples have arrived (the
 * protocol announces them first) and when the slot is taken. */
static int add_series(bg_proc *p, size_t cap, slot_map *map, const bg_msg *m)
{
    bool user = m->b >= BG_COUNT_ITER && m->b <= BG_COUNT_MAX;
    if ((p->n > 0 && !user) || m->u >= BG_COUNTERS_MAX || map->series[m->u] >= 0)
        return 0;
    bg_series *a = realloc(p->counters, (p->ncounters + 1) * sizeof *a);
    if (!a)
        return BG_ENOMEM;
    p->counters = a;
    bg_series *sr = &a[p->ncounters];
    memset(sr, 0, sizeof *sr);
    snprintf(sr->name, sizeof sr->name, "%.*s", (int)sizeof sr->name - 1, m->text);
    if (cap && grow(&sr->v, cap) != 0)
        return BG_ENOMEM;
    p->counter_kind[p->ncounters] = user ? (uint8_t)m->b : 0;
    for (size_t j = 0; j < p->n; j++)
        sr->v[j] = 0; /* a user counter first used after these samples: none counted */
    map->series[m->u] = (int)p->ncounters++;
    return 0;
}

/* A scope the child announced: the next in order, with its path; earlier
 * samples count it 0. Returns -1 (why in r->message) for one out of order. */
static int add_scope(bg_proc *p, size_t cap, const bg_msg *m, bg_result *r)
{
    if (m->u != p->nscopes) {
        snprintf(r->message, sizeof r->message,
                 "the benchmark announced scope %llu after %zu: did it write into the harness's "
                 "pipe?", (unsigned long long)m->u, p->nscopes);
        return -1;
    }
    bg_scope_series *a = realloc(p->scopes, (p->nscopes + 1) * sizeof *a);
    if (!a) {
        snprintf(r->message, sizeof r->message, "out of memory collecting scopes");
        return -1;
    }
    p->scopes = a;
    bg_scope_series *sc = &a[p->nscopes];
    memset(sc, 0, sizeof *sc);
    snprintf(sc->path, sizeof sc->path, "%s", m->text);
    p->nscopes++;
    if (cap && (grow(&sc->ns, cap) || grow(&sc->calls, cap))) {
        snprintf(r->message, sizeof r->message, "out of memory collecting scopes");
        return -1;
    }
    for (size_t j = 0; j < p->n; j++)
        sc->ns[j] = sc->calls[j] = 0;
    return 0;
}

/* Leaves a counter out of this process after a value it could not read
 * (its series is removed by drop_unread_series). */
static void drop_series(bg_proc *p, slot_map *map, size_t slot, bg_result *r, size_t proc)
{
    bg_series *sr = &p->counters[map->series[slot]];
    char text[128];
    snprintf(text, sizeof text, "%s could not be read in process %zu; left out there", sr->name,
             proc + 1);
    add_counter_note(r, text);
    free(sr->v);
    sr->v = NULL;
    sr->name[0] = '\0';
    map->series[slot] = -1;
}

static void drop_unread_series(bg_proc *p)
{
    size_t k = 0;
    for (size_t i = 0; i < p->ncounters; i++)
        if (p->counters[i].name[0]) {
            p->counter_kind[k] = p->counter_kind[i];
            p->counters[k++] = p->counters[i];
        }
    p->ncounters = k;
}

/* Appends one sample (with its counter values and its start, relative to
 * run_start) to *p. */
static int proc_push(bg_proc *p, size_t *cap, slot_map *map, const bg_msg *m, uint64_t run_start,
                     bg_result *r, size_t proc)
{
    if (p->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        if (grow(&p->iters, nc) || grow(&p->wall_ns, nc) || grow(&p->cpu_ns, nc) ||
            grow(&p->start_ns, nc))
            return BG_ENOMEM;
        for (size_t k = 0; k < p->ncounters; k++)
            if (p->counters[k].name[0] && grow(&p->counters[k].v, nc))
                return BG_ENOMEM;
        for (size_t k = 0; k < p->nscopes; k++)
            if (grow(&p->scopes[k].ns, nc) || grow(&p->scopes[k].calls, nc))
                return BG_ENOMEM;
        *cap = nc;
    }
    for (size_t k = 0; k < p->nscopes; k++) /* until its MSG_SCOPES says otherwise */
        p->scopes[k].ns[p->n] = p->scopes[k].calls[p->n] = 0;
    p->iters[p->n] = (double)m->u;
    p->wall_ns[p->n] = m->a;
    p->cpu_ns[p->n] = m->b;
    p->start_ns[p->n] = (double)(int64_t)(m->t - run_start);
    for (size_t slot = 0; slot < BG_COUNTERS_MAX; slot++) {
        int k = map->series[slot];
        if (k < 0)
            continue;
        double v = slot < m->n ? m->v[slot] : NAN;
        if (isfinite(v))
            p->counters[k].v[p->n] = v;
        else
            drop_series(p, map, slot, r, proc);
    }
    p->n++;
    return 0;
}

/* Describes bytes that are not a message of this protocol, for the
 * benchmark's failure message: the first of them as text (printable ASCII
 * kept, the rest as \xNN). */
static void describe_garbage(const void *data, size_t len, char *out, size_t n)
{
    const unsigned char *b = data;
    char text[200];
    size_t k = 0, i = 0;
    for (; i < len && i < 40 && k + 5 < sizeof text; i++)
        k += (size_t)snprintf(text + k, sizeof text - k,
                              b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' ? "%c" : "\\x%02x", b[i]);
    text[k] = '\0';
    snprintf(out, n, "data that is not a message of the benchmark protocol: \"%s%s\"", text,
             len > i ? "..." : "");
}

static bool known_type(uint8_t t)
{
    return t == MSG_SAMPLE || t == MSG_WARMUP || t == MSG_ITEMS || t == MSG_BYTES || t == MSG_SKIP ||
           t == MSG_DONE || t == MSG_NOLOOP || t == MSG_COUNTER || t == MSG_UNAVAIL || t == MSG_RSS ||
           t == MSG_ACTIVITY || t == MSG_ERROR || t == MSG_SCOPE_DEF || t == MSG_SCOPES;
}

/* Checks one message from the pipe before anything of it is kept: a known
 * type, a sample with 1 to 2^53 iterations, finite non-negative times and
 * at most BG_COUNTERS_MAX counter values, finite warm-up and RSS figures.
 * Returns 0, or -1 with why (naming what was sent) in why. Anything the run
 * record's reader would refuse is refused here, so one misbehaving
 * benchmark fails alone and the run it belongs to still saves and loads. */
static int check_msg(const bg_msg *m, char *why, size_t n)
{
    switch (m->type) {
    case MSG_SAMPLE:
        if (m->u < 1 || m->u > (1ull << 53) || !isfinite(m->a) || m->a < 0 || !isfinite(m->b) ||
            m->b < 0 || m->n > BG_COUNTERS_MAX) {
            snprintf(why, n,
                     "the benchmark sent a malformed sample (%llu iterations, wall %g ns, cpu %g "
                     "ns, %u counter values): did it write into the harness's pipe?",
                     (unsigned long long)m->u, m->a, m->b, (unsigned)m->n);
            return -1;
        }
        return 0;
    case MSG_WARMUP:
    case MSG_RSS:
        if (!isfinite(m->a) || m->a < 0 || m->u > (1ull << 53)) {
            snprintf(why, n, "the benchmark sent a malformed %s message (%g): did it write into "
                     "the harness's pipe?", m->type == MSG_RSS ? "memory" : "warm-up", m->a);
            return -1;
        }
        return 0;
    case MSG_ACTIVITY:
        for (size_t i = 0; i < sizeof m->act.v / sizeof m->act.v[0]; i++)
            if (!isfinite(m->act.v[i])) {
                snprintf(why, n, "the benchmark sent a malformed GPU activity row (value %g): did it "
                         "write into the harness's pipe?", m->act.v[i]);
                return -1;
            }
        return 0;
    case MSG_SCOPES:
        for (size_t i = 0; i < 2u * m->n && m->n <= BG_SCOPES_MAX; i++)
            if (!isfinite(m->sv[i]) || m->sv[i] < 0) {
                snprintf(why, n, "the benchmark sent a malformed scope figure (%g): did it write "
                         "into the harness's pipe?", m->sv[i]);
                return -1;
            }
        if (m->n > BG_SCOPES_MAX) {
            snprintf(why, n, "the benchmark sent figures of %u scopes (at most %d): did it write "
                     "into the harness's pipe?", (unsigned)m->n, BG_SCOPES_MAX);
            return -1;
        }
        return 0;
    case MSG_SCOPE_DEF:
        if (m->u >= BG_SCOPES_MAX || !memchr(m->text, '\0', sizeof m->text) || !m->text[0] ||
            m->text[strspn(m->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")] ||
            m->text[0] == '/' || m->text[strlen(m->text) - 1] == '/' || strstr(m->text, "//")) {
            snprintf(why, n, "the benchmark sent a malformed scope (number %llu): did it write "
                     "into the harness's pipe?", (unsigned long long)m->u);
            return -1;
        }
        return 0;
    case MSG_ITEMS:
    case MSG_BYTES:
    case MSG_SKIP:
    case MSG_DONE:
    case MSG_NOLOOP:
    case MSG_COUNTER:
    case MSG_UNAVAIL:
    case MSG_ERROR: return 0;
    default: {
        char what[160];
        describe_garbage(m, sizeof *m, what, sizeof what);
        snprintf(why, n, "the benchmark process wrote %s", what);
        return -1;
    }
    }
}

/* Waits until process pid has exited, without reaping it (its id keeps
 * naming its process group). One that has sent its last message but does
 * not exit within timeout_s is killed. */
static void wait_exit_bounded(pid_t pid, double timeout_s)
{
    uint64_t t0 = bg__wall_ns();
    useconds_t nap = 50;
    bool killed = false;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int w = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG);
        if (w == 0 && si.si_pid == pid)
            return;
        if (w < 0 && errno != EINTR)
            return;
        if (!killed && (double)(bg__wall_ns() - t0) / 1e9 > timeout_s) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            killed = true;
        }
        usleep(nap);
        if (nap < 5000)
            nap *= 2;
    }
}

static double timeval_ns(struct timeval t)
{
    return (double)t.tv_sec * 1e9 + (double)t.tv_usec * 1e3;
}

/* What wait4 reported for the finished benchmark process. */
static void keep_rusage(bg_proc *p, const struct rusage *ru)
{
    p->has_rusage = true;
    p->ru.user_ns = timeval_ns(ru->ru_utime);
    p->ru.sys_ns = timeval_ns(ru->ru_stime);
    p->ru.max_rss_bytes = (double)ru->ru_maxrss * 1024.0; /* Linux: KiB */
    p->ru.minor_faults = (double)ru->ru_minflt;
    p->ru.major_faults = (double)ru->ru_majflt;
    p->ru.voluntary_cs = (double)ru->ru_nvcsw;
    p->ru.involuntary_cs = (double)ru->ru_nivcsw;
}

/* Runs one child process and collects its samples into *p. Returns the
 * status of this process and fills r's message/signal fields on failure. */
static bg_status run_process(const bg_config *c, const bg_bench *bench,
                             const bg_schedule *sched, double min_ns,
                             uint64_t layout_seed, uint64_t run_start, bg_proc *p, bg_result *r)
{
    uint64_t x = mix64(layout_seed);
    /* Stack shift 0-4080 bytes in 16-byte steps (keeps ABI alignment); heap
     * shift 0-64 KiB. Both cover every cache-line and 4 KiB page offset. */
    p->stack_offset = (uint32_t)((x & 0xff) * 16);
    p->heap_offset = (uint32_t)(((x >> 8) & 0xfff) * 16);

    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r->message, sizeof r->message, "pipe failed: %s", strerror(errno));
        return BG_STATUS_ERROR;
    }
    fflush(NULL);
    baton_fd(); /* looked at before the fork, once */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->message, sizeof r->message, "fork failed: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return BG_STATUS_ERROR;
    }
    if (pid == 0) {
        close(fds[0]);
        setpgid(0, 0); /* a group of its own: whatever it forks is killed with it */
        /* Out of the terminal's group, Ctrl-C no longer reaches it: it dies
         * with the harness instead. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(121);
        signal(SIGPIPE, SIG_DFL);
        child_main(c, bench, sched, fds[1], min_ns, p->stack_offset, p->heap_offset);
    }
    setpgid(pid, pid); /* also here: no race with the child's own call */
    close(fds[1]);

    size_t cap = 0;
    slot_map map;
    for (size_t i = 0; i < BG_COUNTERS_MAX; i++)
        map.series[i] = -1;
    bool done = false, noloop = false, timed_out = false;
    bool bad = false; /* a message that fails check_msg, or from another process */
    bg_status st = BG_STATUS_OK;
    bg_msg m;
    size_t have = 0;
    uint64_t last_progress = bg__wall_ns();
    for (;;) {
        double left_ms = c->timeout_s * 1e3 - (double)(bg__wall_ns() - last_progress) / 1e6;
        if (left_ms <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&pfd, 1, (int)ceil(left_ms));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            timed_out = true;
            break;
        }
        ssize_t got = read(fds[0], (char *)&m + have, sizeof m - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (have > 0 && !bad) { /* EOF inside a message: not one of ours */
                char what[160];
                describe_garbage(&m, have, what, sizeof what);
                snprintf(r->message, sizeof r->message, "the benchmark process wrote %s", what);
                bad = true;
            }
            break; /* EOF: the child exited (or died) */
        }
        have += (size_t)got;
        if (have < sizeof m)
            continue;
        have = 0;
        if (known_type(m.type) && m.pid != (int32_t)pid) {
            snprintf(r->message, sizeof r->message,
                     "a message came from process %ld, not from the benchmark process %ld: "
                     "did the benchmark fork inside BENCH_LOOP (or write into the harness's "
                     "pipe)? Samples of two processes would be mixed",
                     (long)m.pid, (long)pid);
            bad = true;
            break;
        }
        if (check_msg(&m, r->message, sizeof r->message) != 0) {
            bad = true;
            break;
        }
        switch (m.type) {
        case MSG_SAMPLE:
            last_progress = bg__wall_ns();
            if (proc_push(p, &cap, &map, &m, run_start, r, r->nprocs) != 0) {
                snprintf(r->message, sizeof r->message, "out of memory collecting samples");
                st = BG_STATUS_ERROR;
            }
            break;
        case MSG_WARMUP:
            last_progress = bg__wall_ns();
            p->warmup_iters = m.u;
            p->warmup_ns = m.a;
            break;
        case MSG_ITEMS: r->items_per_iter = m.u; break;
        case MSG_BYTES: r->bytes_per_iter = m.u; break;
        case MSG_SKIP:
            m.text[sizeof m.text - 1] = '\0';
            snprintf(r->message, sizeof r->message, "%s", m.text);
            if (st == BG_STATUS_OK)
                st = BG_STATUS_SKIPPED;
            break;
        case MSG_NOLOOP: noloop = true; break;
        case MSG_DONE: done = true; break; /* the last message: see below */
        case MSG_COUNTER:
            m.text[sizeof m.text - 1] = '\0';
            if (add_series(p, cap, &map, &m) != 0) {
                snprintf(r->message, sizeof r->message, "out of memory collecting counters");
                st = BG_STATUS_ERROR;
            }
            break;
        case MSG_UNAVAIL:
            m.text[sizeof m.text - 1] = '\0';
            add_counter_note(r, m.text);
            break;
        case MSG_RSS: p->ru.start_rss_bytes = m.a; break;
        case MSG_ACTIVITY:
            m.act.name[sizeof m.act.name - 1] = '\0';
            if (p->nactivity < ACTIVITY_MAX && bg__activity_kind_name(m.act.kind)) {
                bg_activity *a = realloc(p->activity, (p->nactivity + 1) * sizeof *a);
                if (a) {
                    p->activity = a;
                    a[p->nactivity++] = m.act;
                }
            }
            break;
        case MSG_SCOPE_DEF:
            if (add_scope(p, cap, &m, r) != 0)
                bad = true;
            break;
        case MSG_SCOPES:
            if (p->n == 0 || m.n > p->nscopes) {
                snprintf(r->message, sizeof r->message,
                         "the benchmark sent figures of %u scopes (%zu announced) %s: did it write "
                         "into the harness's pipe?", (unsigned)m.n, p->nscopes,
                         p->n ? "" : "before any sample");
                bad = true;
                break;
            }
            for (size_t k = 0; k < m.n; k++) {
                p->scopes[k].ns[p->n - 1] = m.sv[2 * k];
                p->scopes[k].calls[p->n - 1] = m.sv[2 * k + 1];
            }
            break;
        case MSG_ERROR:
            m.text[sizeof m.text - 1] = '\0';
            if (st == BG_STATUS_OK || st == BG_STATUS_SKIPPED) {
                snprintf(r->message, sizeof r->message, "%s", m.text);
                st = BG_STATUS_ERROR;
            }
            break;
        default: break;
        }
        if (done || bad)
            break; /* nothing follows; a process it left holding the pipe is killed below */
    }
    close(fds[0]);

    int wst = 0;
    if (timed_out || bad) {
        /* The whole group: a grandchild holding the pipe open, or the
         * process that forked, goes too. */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
        }
        if (bad)
            return BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message,
                 "timed out: no sample finished within %.1f s (--timeout)", c->timeout_s);
        return BG_STATUS_TIMEOUT;
    }
    /* Wait for the benchmark process without reaping it, so its id still
     * names its group, and kill what it left running there. */
    wait_exit_bounded(pid, c->timeout_s);
    kill(-pid, SIGKILL);
    struct rusage ru;
    while (wait4(pid, &wst, 0, &ru) < 0) {
        if (errno != EINTR) {
            snprintf(r->message, sizeof r->message, "waitpid failed: %s", strerror(errno));
            return BG_STATUS_ERROR;
        }
    }
    drop_unread_series(p);
    keep_rusage(p, &ru);
    if (WIFSIGNALED(wst)) {
        r->signal = WTERMSIG(wst);
        snprintf(r->message, sizeof r->message, "killed by signal %d (%s)", r->signal,
                 strsignal(r->signal));
        return BG_STATUS_CRASHED;
    }
    if (WIFEXITED(wst) && WEXITSTATUS(wst) != 0) {
        r->exit_code = WEXITSTATUS(wst);
        snprintf(r->message, sizeof r->message, "the benchmark exited with code %d",
                 r->exit_code);
        return BG_STATUS_CRASHED;
    }
    if (!done) {
        snprintf(r->message, sizeof r->message,
                 "the benchmark process ended without reporting (did it call exit()?)");
        return BG_STATUS_CRASHED;
    }
    if (st == BG_STATUS_OK && noloop) {
        snprintf(r->message, sizeof r->message,
                 "the benchmark never entered BENCH_LOOP(b); nothing was timed");
        return BG_STATUS_ERROR;
    }
    if (st == BG_STATUS_OK && p->n == 0) {
        snprintf(r->message, sizeof r->message, "no samples were taken");
        return BG_STATUS_ERROR;
    }
    return st;
}

/* Relative half-width of the interval of the primary statistic over the
 * processes so far (a quick bootstrap: 1000 resamples is enough to judge
 * whether to run another process, not to report). */
static double current_precision(const bg_config *c, const bg_result *r)
{
    bg_group *g = calloc(r->nprocs, sizeof *g);
    if (!g)
        return INFINITY;
    for (size_t i = 0; i < r->nprocs; i++)
        g[i] = (bg_group){r->procs[i].iters, r->procs[i].wall_ns, r->procs[i].n};
    bg_boot_opts o;
    bg_boot_opts_default(&o);
    o.resamples = 1000;
    o.confidence = c->confidence;
    o.seed = r->seed;
    o.method = BG_CI_PERCENTILE;
    bg_estimate e;
    int rc = bg_bootstrap_ci(g, r->nprocs, c->primary, &o, &e);
    free(g);
    if (rc != 0 || !(e.point > 0))
        return INFINITY;
    return (e.hi - e.lo) / 2.0 / e.point;
}

static bg_overhead g_overhead;
static bool g_have_overhead;

/* The progress line on a terminal: benchmark k of N, process i of at most
 * n, and the time left: the rest of this benchmark's budget, and for each
 * benchmark still to come the average so far (the budget before any has
 * finished; a benchmark that reaches its precision early takes less). */
static void progress(const bg_config *c, const bg_bench *bench, size_t index, size_t procs,
                     uint64_t run_start_ns, uint64_t bench_start_ns)
{
    if (!c->progress)
        return;
    uint64_t now = bg__wall_ns();
    double in_bench = (double)(now - bench_start_ns) / 1e9;
    double done = (double)(bench_start_ns - run_start_ns) / 1e9;
    double per_bench = index > 0 && done > 0 ? done / (double)index : c->budget_s;
    double left = fmax(0, c->budget_s - in_bench);
    char total[32] = "";
    if (c->progress_total > index) {
        left += per_bench * (double)(c->progress_total - index - 1);
        snprintf(total, sizeof total, "/%zu", c->progress_total);
    }
    /* The name cut so the line fits 80 columns. */
    fprintf(stderr, "\r\033[K[%zu%s] %.40s: process %zu/%d, ~%.0f s left", index + 1, total, bench->name,
            procs + 1, c->max_procs, ceil(left));
    fflush(stderr);
}

void bg__run_bench(const bg_config *c, const bg_bench *bench, size_t index,
                   uint64_t run_start_ns, bg_result *r)
{
    bg__run_bench_schedule(c, bench, index, run_start_ns, NULL, r);
}

void bg__run_bench_schedule(const bg_config *c, const bg_bench *bench, size_t index,
                            uint64_t run_start_ns, const bg_schedule *schedule, bg_result *r)
{
    memset(r, 0, sizeof *r);
    r->name = bench->name;
    r->seed = mix64(c->seed ^ bg__hash_name(0xcbf29ce484222325ull, bench->name));
    describe_instance(bench, r);
    if (!fits_in_memory(bench, r))
        return;
    if (!g_have_overhead) {
        bg__measure_overhead(&g_overhead);
        g_have_overhead = true;
    }
    double min_ns = min_sample_ns(&g_overhead);
    r->procs = calloc((size_t)c->max_procs, sizeof *r->procs);
    if (!r->procs) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message, "out of memory");
        return;
    }
    uint64_t start = bg__wall_ns();
    if (run_start_ns == 0)
        run_start_ns = start;
    for (int i = 0; i < c->max_procs; i++) {
        progress(c, bench, index, r->nprocs, run_start_ns, start);
        bg_proc *p = &r->procs[r->nprocs];
        bg_status st =
            run_process(c, bench, schedule, min_ns, r->seed + (uint64_t)i, run_start_ns, p, r);
        if (st != BG_STATUS_OK) {
            r->status = st;
            bg__proc_free(p);
            break;
        }
        r->nprocs++;
        double elapsed = (double)(bg__wall_ns() - start) / 1e9;
        /* A slow instance (a 10M sweep point) that spends the budget in its
         * first processes stops at 2: enough for a between-process spread. */
        if (r->nprocs >= 2 && elapsed >= c->budget_s)
            break;
        if (r->nprocs >= (size_t)c->min_procs) {
            if (elapsed >= c->budget_s)
                break;
            if (current_precision(c, r) <= c->target)
                break;
        }
    }
    r->elapsed_s = (double)(bg__wall_ns() - start) / 1e9;
    if (c->progress) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    if (r->status == BG_STATUS_OK && bg__summarize_result(c, r) != 0) {
        r->status = BG_STATUS_ERROR;
        snprintf(r->message, sizeof r->message, "statistics failed on these samples");
    }
    /* A body the loop cannot resolve (an empty BENCH_LOOP the compiler
     * removed): measured as about 0, and said so. */
    if (r->status == BG_STATUS_OK && r->has_summary &&
        r->wall.est[BG_STAT_MEAN].point < g_overhead.empty_loop_ns)
        snprintf(r->note, sizeof r->note,
                 "the body costs less than the loop can resolve (%.3g ns per iteration, below the "
                 "empty loop's %.3g ns)", r->wall.est[BG_STAT_MEAN].point, g_overhead.empty_loop_ns);
}

/* ---- the harness's own overhead ---- */

/* Iterations of the empty loop: large enough that its two clock reads are
 * negligible (10^7 x ~0.3 ns = ~3 ms). */
#define EMPTY_LOOP_ITERS 10000000u
#define EMPTY_LOOP_ROUNDS 5

/* The TSC's rate against CLOCK_MONOTONIC, where it is invariant: the median
 * of three 10 ms spans (a span preempted between its two reads is off by
 * the preemption; the median drops it). */
static void scope_clock_init(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d) || !(d & (1u << 8)))
        return;
    double r[3];
    for (int i = 0; i < 3; i++) {
        uint64_t w0 = bg__wall_ns(), t0 = __rdtsc(), w1;
        while ((w1 = bg__wall_ns()) - w0 < 10000000u) {
        }
        uint64_t t1 = __rdtsc();
        if (t1 <= t0)
            return;
        r[i] = (double)(w1 - w0) / (double)(t1 - t0);
    }
    double lo = fmin(r[0], fmin(r[1], r[2])), hi = fmax(r[0], fmax(r[1], r[2]));
    g_ns_per_tick = r[0] + r[1] + r[2] - lo - hi;
    g_tsc = g_ns_per_tick > 0;
#endif
}

/* A scope's cost, on and off, and what an empty one reads: the fastest of
 * 20 batches of 1000 entries, in this process. */
#define SCOPE_BATCH 1000
static void measure_scopes(bg_overhead *o)
{
    scope_clock_init();
    bg_config c;
    bg__config_default(&c);
    bg_state st;
    state_init(&st, &c, "(scope cost)", -1, 0);
    st.in_sample = true;
    double best_on = INFINITY, best_off = INFINITY, best_read = INFINITY;
    for (int r = 0; r < 20; r++) {
        st.scopes_on = true;
        st.sticks[0] = st.scalls[0] = 0;
        uint64_t t0 = bg__wall_ns();
        for (int i = 0; i < SCOPE_BATCH; i++) {
            bg_scope_begin(&st, "empty");
            bg_scope_end(&st);
        }
        uint64_t t1 = bg__wall_ns();
        best_on = fmin(best_on, (double)(t1 - t0) / SCOPE_BATCH);
        if (st.scalls[0] == SCOPE_BATCH)
            best_read = fmin(best_read, (double)st.sticks[0] / SCOPE_BATCH);
        st.scopes_on = false;
        t0 = bg__wall_ns();
        for (int i = 0; i < SCOPE_BATCH; i++) {
            bg_scope_begin(&st, "empty");
            bg_scope_end(&st);
        }
        t1 = bg__wall_ns();
        best_off = fmin(best_off, (double)(t1 - t0) / SCOPE_BATCH);
    }
    g_floor_ticks = isfinite(best_read) ? best_read : 0;
    o->scope_entry_ns = best_on;
    o->scope_off_ns = best_off;
    o->scope_read_ns = g_floor_ticks * g_ns_per_tick;
    o->scope_tsc = g_tsc;
}

void bg__measure_overhead(bg_overhead *o)
{
    memset(o, 0, sizeof *o);
    bg__measure_timer(o);

    /* The empty loop, through the very BENCH_LOOP users write: a state in
     * "measure" phase with a flat plan of EMPTY_LOOP_ITERS per sample. */
    bg_config c;
    bg__config_default(&c);
    bg_proc p = {0};
    double it[EMPTY_LOOP_ROUNDS], wa[EMPTY_LOOP_ROUNDS], cp[EMPTY_LOOP_ROUNDS];
    double sn[EMPTY_LOOP_ROUNDS];
    p.iters = it;
    p.wall_ns = wa;
    p.cpu_ns = cp;
    p.start_ns = sn;
    bg_state st;
    state_init(&st, &c, "(empty loop)", -1, 0);
    st.collect = &p;
    st.collect_cap = EMPTY_LOOP_ROUNDS;
    st.phase = PH_MEASURE;
    st.plan = (bg_plan){.k = EMPTY_LOOP_ITERS, .m = EMPTY_LOOP_ROUNDS, .flat = true};
    st.sample_i = 1;
    bg_state *b = &st;
    BENCH_LOOP(b) {
        bg_clobber_memory();
    }
    double best = INFINITY;
    for (size_t i = 0; i < p.n; i++)
        best = fmin(best, p.wall_ns[i] / p.iters[i]);
    o->empty_loop_ns = p.n ? best : 0;

    /* Fixed cost of one sample: begin + end around a one-iteration loop. */
    st.plan = (bg_plan){.k = 1, .m = EMPTY_LOOP_ROUNDS, .flat = true};
    double best_fixed = INFINITY;
    for (int r = 0; r < 200; r++) {
        st.phase = PH_MEASURE;
        st.sample_i = 1;
        p.n = 0;
        BENCH_LOOP(b) {
            bg_clobber_memory();
        }
        for (size_t i = 0; i < p.n; i++)
            best_fixed = fmin(best_fixed, p.wall_ns[i]);
    }
    o->sample_overhead_ns = isfinite(best_fixed) ? best_fixed : 0;
    measure_scopes(o);
}

void bg__overhead_get(bg_overhead *o)
{
    if (!g_have_overhead) {
        bg__measure_overhead(&g_overhead);
        g_have_overhead = true;
    }
    *o = g_overhead;
}
