/* The counter groups of this build and how the runner uses them: parsing
 * --counters, probing once per run which groups are available (and what
 * each costs per sample), and opening, reading and closing the available
 * ones in every benchmark process. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bg_counters.h"
#include "bg_gpu.h"
#include "bg_model.h"
#include "bg_harness.h"

typedef struct table_entry {
    const bg_counter_group *g;
    bool by_default;
} table_entry;

/* Measured by default: sw (its reads fall outside the timed interval and
 * cost 2.2-2.5 µs per sample in a VM) and hw where the machine has it. alloc
 * is off by default: while counting it adds work to every allocation inside
 * the timed loop (see docs/guide.md, "Counters"). gpu is on: see below. */
static const table_entry g_table[] = {
    {&bg__sw_group, true},
    {&bg__hw_group, true},
    {&bg__alloc_group, false},
    /* On by default: where there is no driver it costs one probe per run
     * (a short-lived child, 1-5 ms) and says why once; where there is, GPU
     * benchmarks get kernel and copy counts without asking. */
    {&bg__gpu_group, true},
    /* On by default for the same reason: without a driver one dlopen per
     * run; with one, two NVML reads per sample outside the timed interval
     * (the probe's sample_ns) and the GPU's state twice per process. */
    {&bg__nvml_group, true},
};
#define NGROUPS (sizeof g_table / sizeof g_table[0])

_Static_assert(NGROUPS <= BG_COUNTER_GROUPS_MAX, "raise BG_COUNTER_GROUPS_MAX");

/* Groups the probe found unavailable in this process (and so in the
 * benchmark processes forked from it). */
static uint32_t g_unavailable;

size_t bg__counter_group_count(void)
{
    return NGROUPS;
}

const bg_counter_group *bg__counter_group_at(size_t i)
{
    return i < NGROUPS ? g_table[i].g : NULL;
}

uint32_t bg__counters_default_mask(void)
{
    uint32_t m = 0;
    for (size_t i = 0; i < NGROUPS; i++)
        if (g_table[i].by_default)
            m |= 1u << i;
    return m;
}

static int group_index(const char *name, size_t len)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (strlen(g_table[i].g->name) == len && !strncmp(g_table[i].g->name, name, len))
            return (int)i;
    return -1;
}

void bg__counters_format(uint32_t mask, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < NGROUPS; i++) {
        if (!(mask & (1u << i)))
            continue;
        int n = snprintf(buf + used, len > used ? len - used : 0, "%s%s", used ? "," : "",
                         g_table[i].g->name);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

int bg__counters_parse(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t every = NGROUPS >= 32 ? UINT32_MAX : (1u << NGROUPS) - 1;
    char names[128];
    bg__counters_format(every, names, sizeof names);
    if (!list || !strcmp(list, "default")) {
        *mask = bg__counters_default_mask();
        return 0;
    }
    if (!strcmp(list, "none")) {
        *mask = 0;
        return 0;
    }
    if (!strcmp(list, "all")) {
        *mask = every;
        return 0;
    }
    uint32_t m = 0;
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, ",");
        if (n == 0) {
            snprintf(err, errlen,
                     "%s; expected all, none, default or a comma-separated list of: %s",
                     *list ? "a group name is missing (empty, or an extra comma)" : "it is empty",
                     names);
            return BG_EINVAL;
        }
        int i = group_index(p, n);
        if (i < 0) {
            snprintf(err, errlen,
                     "unknown counter group '%.*s'; expected all, none, default or a "
                     "comma-separated list of: %s",
                     (int)(n < 64 ? n : 64), p, names);
            return BG_EINVAL;
        }
        m |= 1u << i;
        p += n;
        if (*p == '\0')
            break;
    }
    *mask = m;
    return 0;
}

/* Begin + end of one open group, the fastest of 200 rounds (the minimum is
 * the cost without interruptions). */
static double sample_cost_ns(const bg_counter_group *g)
{
    double v[BG_COUNTERS_MAX];
    double best = INFINITY;
    for (int r = 0; r < 200; r++) {
        uint64_t t0 = bg__wall_ns();
        g->begin();
        g->end(v);
        double dt = (double)(bg__wall_ns() - t0);
        if (dt < best)
            best = dt;
    }
    return best;
}

size_t bg__counters_probe(uint32_t mask, bg_counter_status *out, size_t max)
{
    size_t n = 0;
    g_unavailable = 0;
    for (size_t i = 0; i < NGROUPS && n < max; i++) {
        if (!(mask & (1u << i)))
            continue;
        const bg_counter_group *g = g_table[i].g;
        bg_counter_status *s = &out[n++];
        memset(s, 0, sizeof *s);
        snprintf(s->group, sizeof s->group, "%s", g->name);
        s->sample_ns = NAN;
        if (g->open(s->note, sizeof s->note) != 0) {
            g_unavailable |= 1u << i;
            if (!s->note[0])
                snprintf(s->note, sizeof s->note, "could not be opened");
            continue;
        }
        s->available = true;
        s->sample_ns = sample_cost_ns(g);
        g->close();
    }
    return n;
}

void bg__counter_set_open(bg_counter_set *s, uint32_t mask,
                          void (*note)(void *ctx, const char *group, const char *why),
                          void *ctx)
{
    memset(s, 0, sizeof *s);
    s->note = note;
    s->note_ctx = ctx;
    for (size_t i = 0; i < NGROUPS; i++) {
        if (!(mask & (1u << i)) || (g_unavailable & (1u << i)))
            continue;
        const bg_counter_group *g = g_table[i].g;
        if (s->nvalues + g->ncounters > BG_COUNTERS_MAX)
            continue; /* the table is sized so this does not happen */
        char why[320] = "";
        if (g->open(why, sizeof why) != 0) {
            if (note)
                note(ctx, g->name, why[0] ? why : "could not be opened");
            continue;
        }
        s->groups[s->ngroups++] = g;
        s->nvalues += g->ncounters;
    }
}

void bg__counter_set_begin(const bg_counter_set *s)
{
    for (size_t i = 0; i < s->ngroups; i++)
        s->groups[i]->begin();
}

void bg__counter_set_end(const bg_counter_set *s, double *values)
{
    size_t off = s->nvalues;
    for (size_t i = s->ngroups; i-- > 0;) {
        const bg_counter_group *g = s->groups[i];
        off -= g->ncounters;
        g->end(values + off);
    }
    /* Failures are reported only once every group has stopped counting: the
     * note may make a system call (the runner writes to a pipe), which must
     * not land in another group's figures for this sample. */
    for (size_t i = 0; i < s->ngroups; i++) {
        const bg_counter_group *g = s->groups[i];
        const char *why = g->failure ? g->failure() : NULL;
        if (why && s->note)
            s->note(s->note_ctx, g->name, why);
    }
}

size_t bg__counter_set_activity(const bg_counter_set *s, bg_activity *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ngroups && n < max; i++)
        if (s->groups[i]->activity)
            n += s->groups[i]->activity(out + n, max - n);
    return n;
}

static const char *const g_activity_kinds[] = {
    [BG_ACT_KERNEL] = "kernel",           [BG_ACT_MEMCPY_HTOD] = "memcpy_htod",
    [BG_ACT_MEMCPY_DTOH] = "memcpy_dtoh", [BG_ACT_MEMCPY_DTOD] = "memcpy_dtod",
    [BG_ACT_MEMSET] = "memset",           [BG_ACT_GPU_START] = "gpu_start",
    [BG_ACT_GPU_END] = "gpu_end",
};

const char *bg__activity_kind_name(int kind)
{
    return kind >= BG_ACT_KERNEL && kind <= BG_ACT_KIND_MAX ? g_activity_kinds[kind] : NULL;
}

int bg__activity_kind_parse(const char *name)
{
    for (int k = BG_ACT_KERNEL; name && k <= BG_ACT_KIND_MAX; k++)
        if (!strcmp(g_activity_kinds[k], name))
            return k;
    return 0;
}

void bg__counter_set_close(bg_counter_set *s)
{
    for (size_t i = 0; i < s->ngroups; i++)
        s->groups[i]->close();
    s->ngroups = 0;
    s->nvalues = 0;
}

const bg_counter_group *bg__counter_owner(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NGROUPS; i++)
        for (size_t j = 0; j < g_table[i].g->ncounters; j++)
            if (!strcmp(g_table[i].g->names[j], name))
                return g_table[i].g;
    return NULL;
}

const char *bg__counter_unit(const char *name)
{
    const bg_counter_group *g = bg__counter_owner(name);
    if (!g)
        return NULL;
    for (size_t j = 0; j < g->ncounters; j++)
        if (!strcmp(g->names[j], name))
            return g->units[j];
    return NULL;
}

void bg__counters_probe_run(bg_run *run, uint32_t mask)
{
    run->ncounter_groups = bg__counters_probe(mask, run->counter_groups, BG_COUNTER_GROUPS_MAX);
    run->overhead.counters_sample_ns = 0;
    for (size_t i = 0; i < run->ncounter_groups; i++)
        if (run->counter_groups[i].available)
            run->overhead.counters_sample_ns += run->counter_groups[i].sample_ns;
}

bool bg__dl_sym(void *h, const char *name, void *fp, size_t fpsize)
{
    void *p = dlsym(h, name);
    if (!p)
        return false;
    memcpy(fp, &p, fpsize);
    return true;
}
