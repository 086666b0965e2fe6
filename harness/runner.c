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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_harness.h"

/* ---- the state seen by BENCH functions ---- */

enum { PH_WARMUP, PH_MEASURE, PH_DONE };

struct bg_state {
    const char *name;
    const bg_config *cfg;
    int fd;            /* pipe to the parent, or -1 when collecting in-process */
    bg_proc *collect;  /* in-process collection (overhead measurement) */
    size_t collect_cap;
    int phase;
    bool skipped;
    bool looped;       /* BENCH_LOOP was entered */
    uint64_t iters;    /* iterations of the sample in progress */
    uint64_t t0_wall, t0_cpu;
    uint64_t warm_start;
    bg_warmup warm;
    bg_plan plan;
    size_t sample_i;   /* 1-based index of the next measured sample */
    double min_sample_ns;
    uint64_t items, bytes;
};

/* Messages from child to parent; fixed size, below PIPE_BUF, so each write
 * is atomic. */
enum { MSG_SAMPLE = 'S', MSG_WARMUP = 'W', MSG_ITEMS = 'I', MSG_BYTES = 'B',
       MSG_SKIP = 'K', MSG_DONE = 'D', MSG_NOLOOP = 'N' };
typedef struct bg_msg {
    uint8_t type;
    uint8_t pad[7];
    uint64_t u;
    double a, b;
    char text[200];
} bg_msg;

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

static void record_sample(bg_state *b, uint64_t iters, double wall, double cpu)
{
    if (b->fd >= 0) {
        bg_msg m = {.type = MSG_SAMPLE, .u = iters, .a = wall, .b = cpu};
        send_msg(b, &m);
        return;
    }
    bg_proc *p = b->collect;
    if (p->n == b->collect_cap)
        return; /* sized by the plan; never grows */
    p->iters[p->n] = (double)iters;
    p->wall_ns[p->n] = wall;
    p->cpu_ns[p->n] = cpu;
    p->n++;
}

uint64_t bg__sample_begin(bg_state *b)
{
    b->looped = true;
    if (b->skipped || b->phase == PH_DONE)
        return 0;
    if (b->phase == PH_WARMUP) {
        b->iters = b->warm.next;
    } else {
        if (b->sample_i > b->plan.m) {
            b->phase = PH_DONE;
            return 0;
        }
        b->iters = bg__plan_iters(&b->plan, b->sample_i);
    }
    b->t0_cpu = bg__cpu_ns();
    b->t0_wall = bg__wall_ns(); /* last: nothing of ours inside the interval */
    return b->iters;
}

void bg__sample_end(bg_state *b)
{
    uint64_t t1_wall = bg__wall_ns(); /* first */
    uint64_t t1_cpu = bg__cpu_ns();
    double wall = (double)(t1_wall - b->t0_wall);
    double cpu = (double)(t1_cpu - b->t0_cpu);

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
    record_sample(b, b->iters, wall, cpu);
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

static void __attribute__((noinline)) child_body(const bg_config *c, const bg_bench *bench,
                                                 int fd, double min_ns, uint32_t heap_off)
{
    /* A live heap block shifts where the benchmark's allocations land. */
    volatile char *heap_pad = heap_off ? malloc(heap_off) : NULL;
    if (heap_pad)
        heap_pad[0] = 1;
    bg_state st;
    state_init(&st, c, bench->name, fd, min_ns);
    bench->fn(&st);
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
                                                 int fd, double min_ns, uint32_t stack_off,
                                                 uint32_t heap_off)
{
    /* Shift the stack by stack_off bytes: the benchmark's frames land at a
     * different alignment relative to cache lines and pages in each process. */
    volatile char *pad = __builtin_alloca(stack_off + 1);
    pad[0] = 0;
    child_body(c, bench, fd, min_ns, heap_off);
    pad[stack_off] = 0;
    close(fd);
    _exit(0);
}

/* ---- the parent ---- */

static int proc_push(bg_proc *p, size_t *cap, uint64_t iters, double wall, double cpu)
{
    if (p->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        double *a = realloc(p->iters, nc * sizeof *a);
        if (!a)
            return BG_ENOMEM;
        p->iters = a;
        double *w = realloc(p->wall_ns, nc * sizeof *w);
        if (!w)
            return BG_ENOMEM;
        p->wall_ns = w;
        double *u = realloc(p->cpu_ns, nc * sizeof *u);
        if (!u)
            return BG_ENOMEM;
        p->cpu_ns = u;
        *cap = nc;
    }
    p->iters[p->n] = (double)iters;
    p->wall_ns[p->n] = wall;
    p->cpu_ns[p->n] = cpu;
    p->n++;
    return 0;
}

/* Runs one child process and collects its samples into *p. Returns the
 * status of this process and fills r's message/signal fields on failure. */
static bg_status run_process(const bg_config *c, const bg_bench *bench, double min_ns,
                             uint64_t layout_seed, bg_proc *p, bg_result *r)
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
        child_main(c, bench, fds[1], min_ns, p->stack_offset, p->heap_offset);
    }
    close(fds[1]);

    size_t cap = 0;
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
            if (proc_push(p, &cap, m.u, m.a, m.b) != 0) {
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
    while (waitpid(pid, &wst, 0) < 0) {
        if (errno != EINTR) {
            snprintf(r->message, sizeof r->message, "waitpid failed: %s", strerror(errno));
            return BG_STATUS_ERROR;
        }
    }
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

static void progress(const bg_config *c, const bg_bench *bench, size_t index, size_t procs)
{
    if (!c->progress)
        return;
    fprintf(stderr, "\r\033[K[%zu] %s: process %zu/%d", index + 1, bench->name, procs + 1,
            c->max_procs);
    fflush(stderr);
}

void bg__run_bench(const bg_config *c, const bg_bench *bench, size_t index, bg_result *r)
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
    for (int i = 0; i < c->max_procs; i++) {
        progress(c, bench, index, r->nprocs);
        bg_proc *p = &r->procs[r->nprocs];
        bg_status st = run_process(c, bench, min_ns, r->seed + (uint64_t)i, p, r);
        if (st != BG_STATUS_OK) {
            r->status = st;
            free(p->iters);
            free(p->wall_ns);
            free(p->cpu_ns);
            memset(p, 0, sizeof *p);
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

int bg__summarize_result(const bg_config *c, bg_result *r)
{
    if (r->nprocs == 0)
        return BG_EINVAL;
    bg_group *g = calloc(r->nprocs, sizeof *g);
    if (!g)
        return BG_ENOMEM;
    double cpu = 0, iters = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        g[i] = (bg_group){p->iters, p->wall_ns, p->n};
        for (size_t j = 0; j < p->n; j++) {
            cpu += p->cpu_ns[j];
            iters += p->iters[j];
        }
    }
    bg_boot_opts o;
    bg_boot_opts_default(&o);
    o.resamples = c->resamples;
    o.confidence = c->confidence;
    o.seed = r->seed;
    int rc = bg_summarize(g, r->nprocs, &o, &r->wall);
    free(g);
    if (rc != 0)
        return rc;
    r->cpu_per_iter_ns = iters > 0 ? cpu / iters : 0;
    r->has_summary = true;
    return 0;
}

void bg__result_free(bg_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nprocs; i++) {
        free(r->procs[i].iters);
        free(r->procs[i].wall_ns);
        free(r->procs[i].cpu_ns);
    }
    free(r->procs);
    r->procs = NULL;
    r->nprocs = 0;
    if (r->owns_name)
        free((void *)r->name);
    r->name = NULL;
    r->owns_name = false;
}

void bg__run_free(bg_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->nresults; i++)
        bg__result_free(&run->results[i]);
    free(run->results);
    run->results = NULL;
    run->nresults = 0;
}

const char *bg__status_name(bg_status s)
{
    switch (s) {
    case BG_STATUS_OK: return "ok";
    case BG_STATUS_SKIPPED: return "skipped";
    case BG_STATUS_CRASHED: return "crashed";
    case BG_STATUS_TIMEOUT: return "timeout";
    case BG_STATUS_ERROR: return "error";
    }
    return "error";
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
    p.iters = it;
    p.wall_ns = wa;
    p.cpu_ns = cp;
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
