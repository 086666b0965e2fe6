/* The runner: measures each benchmark in forked child processes.
 *
 * The parent forks one child per process slot. The child varies its memory
 * layout, calls the BENCH function once, and BENCH_LOOP drives warm-up and
 * the sampling plan, sending each sample to the parent over a pipe. The
 * parent collects samples, notices crashes (signals, non-zero exits) and
 * hangs (no sample for timeout_s), and stops adding processes once the
 * interval of the primary statistic, across processes, is narrow enough or
 * the benchmark's time budget is spent.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_harness.h"

/* ---- the state seen by BENCH functions ---- */

enum { PH_WARMUP, PH_MEASURE, PH_DONE };

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
};

/* Messages from child to parent; fixed size, below PIPE_BUF, so each write
 * is atomic. A sample carries its counter values in v[], in the order the
 * child announced them with MSG_COUNTER (one per counter, before the first
 * sample); MSG_UNAVAIL says a counter group could not be opened and why;
 * MSG_RSS is the peak resident set before the benchmark ran. A sample's t
 * is the clock reading that began its timed interval (CLOCK_MONOTONIC is
 * the same clock in every process, so the parent can place it). */
enum { MSG_SAMPLE = 'S', MSG_WARMUP = 'W', MSG_ITEMS = 'I', MSG_BYTES = 'B',
       MSG_SKIP = 'K', MSG_DONE = 'D', MSG_NOLOOP = 'N', MSG_COUNTER = 'C',
       MSG_UNAVAIL = 'U', MSG_RSS = 'R' };
typedef struct bg_msg {
    uint8_t type;
    uint8_t n; /* MSG_SAMPLE: counter values in v */
    uint8_t pad[6];
    uint64_t u;
    uint64_t t; /* MSG_SAMPLE: bg__wall_ns() at the start of the sample */
    double a, b;
    union {
        char text[256];
        double v[BG_COUNTERS_MAX];
    };
} bg_msg;
_Static_assert(sizeof(bg_msg) <= 512, "a message must stay well below PIPE_BUF");

static void send_msg(bg_state *b, const bg_msg *m)
{
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

/* A finished sample: iters iterations from clock reading t0 (bg__wall_ns)
 * for wall ns of wall time and cpu ns of CPU time. */
static void record_sample(bg_state *b, uint64_t iters, uint64_t t0, double wall, double cpu)
{
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_SAMPLE, .u = iters, .t = t0, .a = wall, .b = cpu};
        if (b->counting) {
            m.n = (uint8_t)b->counters.nvalues;
            memcpy(m.v, b->cvals, b->counters.nvalues * sizeof *m.v);
        }
        send_msg(b, &m);
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

uint64_t bg__sample_begin(bg_state *b)
{
    b->looped = true;
    if (b->skipped || b->phase == PH_DONE)
        return 0;
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
    /* Counters only around measured samples (every sample of instruction
     * mode's fixed schedule), and outside the clock reads. */
    b->counting = (b->phase == PH_MEASURE || b->sched) && b->counters.ngroups > 0;
    if (b->counting)
        bg__counter_set_begin(&b->counters);
    b->t0_cpu = bg__cpu_ns();
    b->t0_wall = bg__wall_ns(); /* last: nothing of ours inside the interval */
    return b->iters;
}

void bg__sample_end(bg_state *b)
{
    uint64_t t1_wall = bg__wall_ns(); /* first */
    uint64_t t1_cpu = bg__cpu_ns();
    if (b->counting)
        bg__counter_set_end(&b->counters, b->cvals);
    double wall = (double)(t1_wall - b->t0_wall);
    double cpu = (double)(t1_cpu - b->t0_cpu);

    if (b->sched) { /* the schedule counted the sample (instr_mode.c) */
        if (b->sched->end(b->sample_i++))
            record_sample(b, b->iters, b->t0_wall, wall, cpu);
        return;
    }
    if (b->phase == PH_WARMUP) {
        double elapsed = (double)(t1_wall - b->warm_start);
        if (bg__warmup_step(&b->warm, b->iters, wall, elapsed, b->cfg->warmup_s * 1e9,
                            b->min_sample_ns)) {
            if (b->fd >= 0) {
                bg_msg m = {.type = MSG_WARMUP, .u = b->warm.total_iters, .a = b->warm.total_ns};
                send_msg(b, &m);
            }
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

static uint64_t hash_name(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
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
    open_counters(&st);
    bg_msg rss = {.type = MSG_RSS, .a = peak_rss_bytes()};
    send_msg(&st, &rss);
    bench->fn(&st);
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
    if (p->n > 0 || m->u >= BG_COUNTERS_MAX || map->series[m->u] >= 0)
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
    map->series[m->u] = (int)p->ncounters++;
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
        if (p->counters[i].name[0])
            p->counters[k++] = p->counters[i];
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
        *cap = nc;
    }
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
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->message, sizeof r->message, "fork failed: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return BG_STATUS_ERROR;
    }
    if (pid == 0) {
        close(fds[0]);
        signal(SIGPIPE, SIG_DFL);
        child_main(c, bench, sched, fds[1], min_ns, p->stack_offset, p->heap_offset);
    }
    close(fds[1]);

    size_t cap = 0;
    slot_map map;
    for (size_t i = 0; i < BG_COUNTERS_MAX; i++)
        map.series[i] = -1;
    bool done = false, noloop = false, timed_out = false;
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
        if (got <= 0)
            break; /* EOF: the child exited (or died) */
        have += (size_t)got;
        if (have < sizeof m)
            continue;
        have = 0;
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
        case MSG_DONE: done = true; break;
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
        default: break;
        }
    }
    close(fds[0]);

    int wst = 0;
    if (timed_out) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
        }
        snprintf(r->message, sizeof r->message,
                 "timed out: no sample finished within %.1f s (--timeout)", c->timeout_s);
        return BG_STATUS_TIMEOUT;
    }
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
        snprintf(r->message, sizeof r->message, "crashed: killed by signal %d (%s)",
                 r->signal, strsignal(r->signal));
        return BG_STATUS_CRASHED;
    }
    if (WIFEXITED(wst) && WEXITSTATUS(wst) != 0) {
        r->exit_code = WEXITSTATUS(wst);
        snprintf(r->message, sizeof r->message, "crashed: the benchmark exited with code %d",
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
    r->seed = mix64(c->seed ^ hash_name(bench->name));
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
}

/* ---- the harness's own overhead ---- */

/* Iterations of the empty loop: large enough that its two clock reads are
 * negligible (10^7 x ~0.3 ns = ~3 ms). */
#define EMPTY_LOOP_ITERS 10000000u
#define EMPTY_LOOP_ROUNDS 5

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
}

void bg__overhead_get(bg_overhead *o)
{
    if (!g_have_overhead) {
        bg__measure_overhead(&g_overhead);
        g_have_overhead = true;
    }
    *o = g_overhead;
}
