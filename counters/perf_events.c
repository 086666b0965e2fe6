/* Linux perf events around each sample: the "hw" group (cycles,
 * instructions, branch misses, cache references and misses) and the "sw"
 * group (task clock, page faults, context switches, CPU migrations).
 *
 * Each group is one perf event group read with a single read() of
 * PERF_FORMAT_GROUP at sample begin and one at sample end; the counters run
 * from open to close and a sample's values are the differences. Values are
 * scaled by time_enabled / time_running when the kernel multiplexed the
 * group, and are NAN when the group did not run at all during the sample.
 * Hardware events count user space only (exclude_kernel): the benchmark's
 * own work, and what perf_event_paranoid 2 allows an ordinary user.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_counters.h"
#include "benchgate.h"

#ifdef __linux__
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define PERF_MAX 8

void bg__perf_reason(char *buf, size_t len, const char *event, int errnum, int paranoid)
{
    char head[96];
    snprintf(head, sizeof head, "perf_event_open(%s): %s", event, strerror(errnum));
    switch (errnum) {
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
        snprintf(buf, len, "%s — no hardware counters (virtual machine?)", head);
        return;
    case EACCES:
    case EPERM:
        if (paranoid == INT_MIN)
            snprintf(buf, len,
                     "%s — /proc/sys/kernel/perf_event_paranoid could not be read; a "
                     "container's seccomp profile may block perf_event_open",
                     head);
        else if (paranoid > 2)
            snprintf(buf, len,
                     "%s — /proc/sys/kernel/perf_event_paranoid is %d; user-space counters need "
                     "2 or lower: sudo sysctl kernel.perf_event_paranoid=2 (or CAP_PERFMON)",
                     head, paranoid);
        else if (paranoid == 2)
            snprintf(buf, len,
                     "%s — /proc/sys/kernel/perf_event_paranoid is 2: kernel-side events need 1 "
                     "or lower (sudo sysctl kernel.perf_event_paranoid=1, or CAP_PERFMON); if "
                     "this is a container, its seccomp profile may block perf_event_open",
                     head);
        else
            snprintf(buf, len,
                     "%s — perf_event_paranoid is %d, so a container's seccomp profile (e.g. "
                     "Docker's default) probably blocks perf_event_open",
                     head, paranoid);
        return;
    case ENOSYS:
        snprintf(buf, len, "%s — this kernel has no perf events (CONFIG_PERF_EVENTS)", head);
        return;
    case EMFILE:
    case ENFILE:
        snprintf(buf, len, "%s — out of file descriptors (ulimit -n)", head);
        return;
    default:
        snprintf(buf, len, "%s", head);
        return;
    }
}

#ifdef __linux__

/* The value of /proc/sys/kernel/perf_event_paranoid, or INT_MIN. */
static int read_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    if (!f)
        return INT_MIN;
    int v;
    int ok = fscanf(f, "%d", &v) == 1;
    fclose(f);
    return ok ? v : INT_MIN;
}

typedef struct perf_def {
    const char *name;
    uint32_t type;
    uint64_t config;
    bool kernel_side; /* only ever happens in the kernel: needs exclude_kernel = 0 */
} perf_def;

/* PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING. */
typedef struct perf_read {
    uint64_t nr, enabled, running;
    uint64_t v[PERF_MAX];
} perf_read;

typedef struct perf_group {
    const perf_def *defs;
    size_t n;
    int fd[PERF_MAX];
    int slot[PERF_MAX]; /* position of def i in the read buffer, -1 when not open */
    size_t nopen;
    perf_read before;
    bool before_ok; /* the read at sample begin worked */
} perf_group;

static long perf_open(const perf_def *d, bool exclude_kernel, bool inherit, int group_fd)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = d->type;
    a.config = d->config;
    a.disabled = group_fd < 0; /* the leader starts the group when all are in */
    a.exclude_kernel = exclude_kernel;
    a.exclude_hv = 1;
    a.inherit = inherit; /* threads the benchmark starts are counted too */
    a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                    PERF_FORMAT_TOTAL_TIME_RUNNING;
    return syscall(SYS_perf_event_open, &a, 0, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

static void group_close(perf_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (g->slot[i] >= 0)
            close(g->fd[i]);
        g->fd[i] = -1;
        g->slot[i] = -1;
    }
    g->nopen = 0;
}

/* Opens the events of g (all, or only the user-side ones). Returns 0 or the
 * errno of the first event that failed, naming it in *failed. */
static int group_try(perf_group *g, bool exclude_kernel, bool inherit, const char **failed)
{
    int leader = -1;
    g->nopen = 0;
    for (size_t i = 0; i < g->n; i++) { /* nothing open: group_close closes nothing */
        g->slot[i] = -1;
        g->fd[i] = -1;
    }
    for (size_t i = 0; i < g->n; i++) {
        if (exclude_kernel && g->defs[i].kernel_side)
            continue;
        long fd = perf_open(&g->defs[i], exclude_kernel, inherit, leader);
        if (fd < 0) {
            int e = errno;
            *failed = g->defs[i].name;
            group_close(g);
            return e;
        }
        g->fd[i] = (int)fd;
        g->slot[i] = (int)g->nopen++;
        if (leader < 0)
            leader = (int)fd;
    }
    return 0;
}

static int group_leader(const perf_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->slot[i] == 0)
            return g->fd[i];
    return -1;
}

static bool group_read(const perf_group *g, perf_read *r)
{
    size_t want = (3 + g->nopen) * sizeof(uint64_t);
    ssize_t got = read(group_leader(g), r, want);
    return got == (ssize_t)want && r->nr == g->nopen;
}

/* Opens g with the given exclude_kernel; inherit first, and without it on
 * kernels that refuse inherit with PERF_FORMAT_GROUP. */
static int group_open_mode(perf_group *g, bool exclude_kernel, const char **failed)
{
    int e = group_try(g, exclude_kernel, true, failed);
    if (e == EINVAL)
        e = group_try(g, exclude_kernel, false, failed);
    return e;
}

/* Starts the group and checks that one read works and the kernel schedules
 * it (a hardware group can be too large for the PMU, or its counters taken
 * by another tool or the NMI watchdog). */
static int group_start(perf_group *g, char *why, size_t whylen)
{
    int leader = group_leader(g);
    if (ioctl(leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0) {
        snprintf(why, whylen, "cannot enable the perf event group: %s", strerror(errno));
        return BG_EUNAVAIL;
    }
    perf_read r;
    volatile uint64_t x = 1;
    for (int i = 0; i < 20000; i++)
        x = x * 3 + 1; /* something to count: ~20 µs */
    if (!group_read(g, &r)) {
        snprintf(why, whylen, "cannot read the perf event group: %s",
                 errno ? strerror(errno) : "short read");
        return BG_EUNAVAIL;
    }
    if (r.enabled > 0 && r.running == 0) {
        snprintf(why, whylen,
                 "the kernel never scheduled the %zu events together (counters in use by "
                 "another tool or the NMI watchdog: /proc/sys/kernel/nmi_watchdog)",
                 g->nopen);
        return BG_EUNAVAIL;
    }
    return 0;
}

/* Fills values[] for every def of g from the reads before and after. */
static void group_values(const perf_group *g, const perf_read *a, const perf_read *b,
                         double *values)
{
    double en = (double)(b->enabled - a->enabled), run = (double)(b->running - a->running);
    double scale = run > 0 && en > run ? en / run : 1.0;
    for (size_t i = 0; i < g->n; i++) {
        int s = g->slot[i];
        if (s < 0 || run <= 0)
            values[i] = NAN;
        else
            values[i] = (double)(b->v[s] - a->v[s]) * scale;
    }
}

static void group_begin(perf_group *g)
{
    g->before_ok = group_read(g, &g->before);
}

static void group_end(perf_group *g, double *values)
{
    perf_read after;
    if (!g->before_ok || !group_read(g, &after)) {
        for (size_t i = 0; i < g->n; i++)
            values[i] = NAN;
        return;
    }
    group_values(g, &g->before, &after, values);
}

/* ---- hw ---- */

static const perf_def hw_defs[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, false},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, false},
    {"branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, false},
    {"cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, false},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, false},
};
#define HW_N (sizeof hw_defs / sizeof hw_defs[0])
static perf_group g_hw = {.defs = hw_defs, .n = HW_N};

static int hw_open(char *why, size_t whylen)
{
    const char *failed = "?";
    /* User space only: the benchmark's instructions, not the kernel's. */
    int e = group_open_mode(&g_hw, true, &failed);
    if (e) {
        bg__perf_reason(why, whylen, failed, e, read_paranoid());
        return BG_EUNAVAIL;
    }
    int rc = group_start(&g_hw, why, whylen);
    if (rc)
        group_close(&g_hw);
    return rc;
}

static void hw_begin(void)
{
    group_begin(&g_hw);
}

static void hw_end(double *values)
{
    group_end(&g_hw, values);
}

static void hw_close(void)
{
    group_close(&g_hw);
}

/* ---- sw ---- */

static const perf_def sw_defs[] = {
    {"task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, false},
    {"page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, false},
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, true},
    {"cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, true},
};
#define SW_N (sizeof sw_defs / sizeof sw_defs[0])
static perf_group g_sw = {.defs = sw_defs, .n = SW_N};

static int sw_open(char *why, size_t whylen)
{
    const char *failed = "?";
    /* Context switches and migrations happen in the kernel: counted only
     * without exclude_kernel. When that is not allowed, keep the others. */
    int e = group_open_mode(&g_sw, false, &failed);
    bool partial = false;
    if (e == EACCES || e == EPERM) {
        char first[320];
        bg__perf_reason(first, sizeof first, "context_switches", e, read_paranoid());
        e = group_open_mode(&g_sw, true, &failed);
        if (!e) {
            snprintf(why, whylen, "context_switches, cpu_migrations unavailable: %s", first);
            partial = true;
        }
    }
    if (e) {
        bg__perf_reason(why, whylen, failed, e, read_paranoid());
        return BG_EUNAVAIL;
    }
    char startwhy[256];
    int rc = group_start(&g_sw, startwhy, sizeof startwhy);
    if (rc) {
        snprintf(why, whylen, "%s", startwhy);
        group_close(&g_sw);
        return rc;
    }
    if (!partial && whylen)
        why[0] = '\0';
    return 0;
}

static void sw_begin(void)
{
    group_begin(&g_sw);
}

static void sw_end(double *values)
{
    group_end(&g_sw, values);
}

static void sw_close(void)
{
    group_close(&g_sw);
}

#else /* not Linux: both groups say so and stay out of the run */

static int hw_open(char *why, size_t whylen)
{
    snprintf(why, whylen, "perf events need Linux");
    return BG_EUNAVAIL;
}
static void hw_begin(void) {}
static void hw_end(double *values) { (void)values; }
static void hw_close(void) {}
#define sw_open hw_open
#define sw_begin hw_begin
#define sw_end hw_end
#define sw_close hw_close

#endif

static const char *const hw_names[] = {"cycles", "instructions", "branch_misses",
                                       "cache_references", "cache_misses"};
static const char *const hw_units[] = {"", "", "", "", ""};
static const char *const sw_names[] = {"task_clock", "page_faults", "context_switches",
                                       "cpu_migrations"};
static const char *const sw_units[] = {"ns", "", "", ""};

const bg_counter_group bg__hw_group = {
    .name = "hw", .ncounters = sizeof hw_names / sizeof hw_names[0], .names = hw_names,
    .units = hw_units, .open = hw_open, .begin = hw_begin, .end = hw_end, .close = hw_close};

const bg_counter_group bg__sw_group = {
    .name = "sw", .ncounters = sizeof sw_names / sizeof sw_names[0], .names = sw_names,
    .units = sw_units, .open = sw_open, .begin = sw_begin, .end = sw_end, .close = sw_close};
