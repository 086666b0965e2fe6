/* The benchmark registry: BENCH() and BENCH_SPEC() constructors add to it
 * before main(); specs expand a benchmark into its instances. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_harness.h"

static bg_bench *g_benches;
static size_t g_count, g_cap;
static int g_sorted;

/* A registered spec function, matched to its BENCH by name. */
typedef struct spec_reg {
    const char *bench;
    bg_spec_fn fn;
    const char *file;
    int line;
} spec_reg;
static spec_reg *g_specs;
static size_t g_nspecs;

/* The expanded instances (bg__registry_instances) and their names. */
static bg_bench *g_inst;
static size_t g_ninst;
static char **g_inst_names;
static size_t g_ninst_names;

/* What a spec function declared; the first mistake is kept in err. */
struct bg_spec {
    const char *bench;
    size_t nargs;
    struct {
        const char *name;
        int64_t v[BG_ARG_VALUES_MAX];
        size_t n;
    } args[BG_ARGS_MAX];
    int threads[BG_ARG_VALUES_MAX];
    size_t nthreads;
    bg_big_o o;
    const char *o_arg;
    const char *mem_arg;
    double mem_per_unit;
    bool on_request;
    char err[256];
};

int bg_register(const char *name, bg_bench_fn fn, const char *file, int line)
{
    char why[96];
    /* A name the run record's reader would refuse (control characters,
     * invalid UTF-8) would make the whole run unreadable once saved. */
    if (!name || !fn || bg__name_check(name, why, sizeof why) != 0)
        return BG_EINVAL;
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 64;
        bg_bench *p = realloc(g_benches, cap * sizeof *p);
        if (!p)
            return BG_ENOMEM;
        g_benches = p;
        g_cap = cap;
    }
    g_benches[g_count++] = (bg_bench){.name = name, .fn = fn, .file = file ? file : "?",
                                      .line = line, .complexity_arg = -1};
    g_sorted = 0;
    return 0;
}

int bg_register_spec(const char *bench, bg_spec_fn fn, const char *file, int line)
{
    if (!bench || !*bench || !fn)
        return BG_EINVAL;
    spec_reg *p = realloc(g_specs, (g_nspecs + 1) * sizeof *p);
    if (!p)
        return BG_ENOMEM;
    g_specs = p;
    g_specs[g_nspecs++] = (spec_reg){bench, fn, file ? file : "?", line};
    return 0;
}

static int cmp_bench(const void *a, const void *b)
{
    const bg_bench *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    /* Equal names (a duplicate, reported by the caller): keep a stable order. */
    c = strcmp(x->file, y->file);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

const bg_bench *bg__registry_sorted(size_t *n)
{
    if (!g_sorted && g_count > 1)
        qsort(g_benches, g_count, sizeof *g_benches, cmp_bench);
    g_sorted = 1;
    *n = g_count;
    return g_benches;
}

int bg__registry_duplicate(const char **name)
{
    size_t n;
    const bg_bench *b = bg__registry_sorted(&n);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(b[i - 1].name, b[i].name) == 0) {
            *name = b[i].name;
            return 1;
        }
    }
    return 0;
}

static void free_instances(void)
{
    for (size_t i = 0; i < g_ninst_names; i++)
        free(g_inst_names[i]);
    free(g_inst_names);
    free(g_inst);
    g_inst_names = NULL;
    g_inst = NULL;
    g_ninst = g_ninst_names = 0;
}

void bg__registry_reset(void)
{
    free(g_benches);
    g_benches = NULL;
    g_count = g_cap = 0;
    g_sorted = 0;
    free(g_specs);
    g_specs = NULL;
    g_nspecs = 0;
    free_instances();
}

/* ---- the spec functions a BENCH_SPEC calls ---- */

static void __attribute__((format(printf, 2, 3))) spec_fail(bg_spec *s, const char *fmt, ...)
{
    if (s->err[0])
        return; /* the first mistake is the one to fix */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

static bool valid_arg_name(const char *a)
{
    if (!a || !*a || strlen(a) > 31)
        return false;
    for (const char *p = a; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return strcmp(a, "threads") != 0;
}

/* The slot of argument `arg`, made on first use; NULL after a mistake. */
static int arg_slot(bg_spec *s, const char *fn, const char *arg)
{
    if (!valid_arg_name(arg)) {
        spec_fail(s, "%s: argument name '%s' is not letters, digits and '_' (1-31 of them, not "
                     "'threads')", fn, arg ? arg : "(null)");
        return -1;
    }
    for (size_t i = 0; i < s->nargs; i++)
        if (!strcmp(s->args[i].name, arg))
            return (int)i;
    if (s->nargs == BG_ARGS_MAX) {
        spec_fail(s, "%s: more than %d arguments", fn, BG_ARGS_MAX);
        return -1;
    }
    s->args[s->nargs].name = arg;
    s->args[s->nargs].n = 0;
    return (int)s->nargs++;
}

static void add_value(bg_spec *s, const char *fn, int slot, int64_t v)
{
    if (slot < 0 || s->err[0])
        return;
    for (size_t i = 0; i < s->args[slot].n; i++)
        if (s->args[slot].v[i] == v) {
            spec_fail(s, "%s: argument '%s' is given the value %" PRId64 " twice", fn,
                      s->args[slot].name, v);
            return;
        }
    if (s->args[slot].n == BG_ARG_VALUES_MAX) {
        spec_fail(s, "%s: argument '%s' has more than %d values", fn, s->args[slot].name,
                  BG_ARG_VALUES_MAX);
        return;
    }
    s->args[slot].v[s->args[slot].n++] = v;
}

void bg_spec_args(bg_spec *s, const char *arg, const int64_t *values, size_t n)
{
    int slot = arg_slot(s, "bg_spec_args", arg);
    if (slot >= 0 && (n == 0 || !values))
        spec_fail(s, "bg_spec_args: argument '%s' is given an empty list", arg);
    for (size_t i = 0; slot >= 0 && values && i < n; i++)
        add_value(s, "bg_spec_args", slot, values[i]);
}

void bg_spec_range(bg_spec *s, const char *arg, int64_t lo, int64_t hi, int64_t mult)
{
    int slot = arg_slot(s, "bg_spec_range", arg);
    if (slot < 0)
        return;
    if (mult < 2) {
        spec_fail(s, "bg_spec_range: argument '%s': multiplier %" PRId64 " (it must be 2 or more)",
                  arg, mult);
        return;
    }
    if (lo < 1 || lo > hi) {
        spec_fail(s, "bg_spec_range: argument '%s': the range %" PRId64 "..%" PRId64
                     " is empty (it needs 1 <= lo <= hi)", arg, lo, hi);
        return;
    }
    for (int64_t v = lo; v < hi; v = v > INT64_MAX / mult ? hi : v * mult)
        add_value(s, "bg_spec_range", slot, v);
    add_value(s, "bg_spec_range", slot, hi);
}

void bg_spec_dense(bg_spec *s, const char *arg, int64_t lo, int64_t hi, int64_t step)
{
    int slot = arg_slot(s, "bg_spec_dense", arg);
    if (slot < 0)
        return;
    if (step < 1) {
        spec_fail(s, "bg_spec_dense: argument '%s': step %" PRId64 " (it must be 1 or more)",
                  arg, step);
        return;
    }
    if (lo > hi) {
        spec_fail(s, "bg_spec_dense: argument '%s': the range %" PRId64 "..%" PRId64 " is empty",
                  arg, lo, hi);
        return;
    }
    if ((hi - lo) / step >= BG_ARG_VALUES_MAX) {
        spec_fail(s, "bg_spec_dense: argument '%s': %" PRId64 "..%" PRId64 " by %" PRId64
                     " is more than %d values", arg, lo, hi, step, BG_ARG_VALUES_MAX);
        return;
    }
    for (int64_t v = lo; v <= hi; v += step) {
        add_value(s, "bg_spec_dense", slot, v);
        if (v > INT64_MAX - step)
            break;
    }
}

static void add_threads(bg_spec *s, const char *fn, int t)
{
    if (s->err[0])
        return;
    if (t < 1 || t > BG_THREADS_MAX) {
        spec_fail(s, "%s: %d threads (a team has 1 to %d)", fn, t, BG_THREADS_MAX);
        return;
    }
    for (size_t i = 0; i < s->nthreads; i++)
        if (s->threads[i] == t) {
            spec_fail(s, "%s: the thread count %d is given twice", fn, t);
            return;
        }
    if (s->nthreads == BG_ARG_VALUES_MAX) {
        spec_fail(s, "%s: more than %d thread counts", fn, BG_ARG_VALUES_MAX);
        return;
    }
    s->threads[s->nthreads++] = t;
}

void bg_spec_threads(bg_spec *s, const int *counts, size_t n)
{
    if (n == 0 || !counts)
        spec_fail(s, "bg_spec_threads: an empty list of thread counts");
    for (size_t i = 0; counts && i < n; i++)
        add_threads(s, "bg_spec_threads", counts[i]);
}

void bg_spec_threads_range(bg_spec *s, int lo, int hi)
{
    if (hi == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        hi = cores < 1 ? 1 : cores > BG_THREADS_MAX ? BG_THREADS_MAX : (int)cores;
        if (lo > hi)
            lo = hi;
    }
    if (lo < 1 || lo > hi) {
        spec_fail(s, "bg_spec_threads_range: the range %d..%d is empty (it needs 1 <= lo <= hi)",
                  lo, hi);
        return;
    }
    for (int t = lo; t < hi; t *= 2)
        add_threads(s, "bg_spec_threads_range", t);
    add_threads(s, "bg_spec_threads_range", hi);
}

void bg_spec_memory(bg_spec *s, const char *arg, double bytes_per_unit)
{
    if (!(bytes_per_unit > 0)) {
        spec_fail(s, "bg_spec_memory: bytes per unit must be above 0");
        return;
    }
    s->mem_arg = arg;
    s->mem_per_unit = bytes_per_unit;
}

void bg_spec_on_request(bg_spec *s)
{
    s->on_request = true;
}

void bg_spec_complexity(bg_spec *s, const char *arg, bg_big_o o)
{
    if (o < BG_BIGO_NONE || o > BG_BIGO_N3) {
        spec_fail(s, "bg_spec_complexity: %d is not a bg_big_o", (int)o);
        return;
    }
    s->o = o;
    s->o_arg = arg;
}

/* ---- expansion into instances ---- */

static int arg_index(const bg_spec *s, const char *arg)
{
    for (size_t i = 0; arg && i < s->nargs; i++)
        if (!strcmp(s->args[i].name, arg))
            return (int)i;
    return -1;
}

/* Checks what only the whole spec can tell. */
static void spec_check(bg_spec *s)
{
    if (s->o != BG_BIGO_NONE) {
        int k = arg_index(s, s->o_arg);
        if (k < 0)
            spec_fail(s, "bg_spec_complexity: '%s' is not an argument of this benchmark",
                      s->o_arg ? s->o_arg : "(null)");
        else if (s->args[k].n < 2)
            spec_fail(s, "bg_spec_complexity: argument '%s' has %zu value; a growth order needs "
                         "2 or more", s->o_arg, s->args[k].n);
        else
            for (size_t i = 0; i < s->args[k].n; i++)
                if (s->args[k].v[i] < 1)
                    spec_fail(s, "bg_spec_complexity: argument '%s' takes %" PRId64
                                 "; a growth order needs sizes of 1 or more", s->o_arg,
                              s->args[k].v[i]);
    }
    if (s->mem_arg && arg_index(s, s->mem_arg) < 0)
        spec_fail(s, "bg_spec_memory: '%s' is not an argument of this benchmark", s->mem_arg);
}

static int push_instance(const bg_bench *proto)
{
    bg_bench *p = realloc(g_inst, (g_ninst + 1) * sizeof *p);
    if (!p)
        return BG_ENOMEM;
    g_inst = p;
    g_inst[g_ninst++] = *proto;
    return 0;
}

/* Names an instance: family/value for one argument and no team, else
 * family/arg:value/.../threads:T. */
static char *instance_name(const bg_bench *x, bool named)
{
    char buf[512];
    size_t used = (size_t)snprintf(buf, sizeof buf, "%s", x->family);
    for (size_t i = 0; i < x->nargs && used < sizeof buf; i++)
        used += (size_t)(named ? snprintf(buf + used, sizeof buf - used, "/%s:%" PRId64,
                                          x->arg_names[i], x->args[i])
                               : snprintf(buf + used, sizeof buf - used, "/%" PRId64, x->args[i]));
    if (x->threads && used < sizeof buf)
        snprintf(buf + used, sizeof buf - used, "/threads:%d", x->threads);
    return strdup(buf);
}

static int expand(const bg_bench *b, const bg_spec *s)
{
    size_t idx[BG_ARGS_MAX] = {0};
    size_t nt = s->nthreads ? s->nthreads : 1;
    bool named = s->nargs != 1 || s->nthreads > 0;
    for (size_t t = 0; t < nt; t++) {
        memset(idx, 0, sizeof idx);
        for (;;) {
            bg_bench x = *b;
            x.family = b->name;
            x.nargs = s->nargs;
            for (size_t i = 0; i < s->nargs; i++) {
                x.arg_names[i] = s->args[i].name;
                x.args[i] = s->args[i].v[idx[i]];
            }
            x.threads = s->nthreads ? s->threads[t] : 0;
            x.complexity = s->o;
            x.complexity_arg = s->o != BG_BIGO_NONE ? arg_index(s, s->o_arg) : -1;
            int m = arg_index(s, s->mem_arg);
            x.mem_bytes = m >= 0 ? (double)x.args[m] * s->mem_per_unit : 0;
            x.on_request = s->on_request;
            char *name = instance_name(&x, named);
            char **names = name ? realloc(g_inst_names, (g_ninst_names + 1) * sizeof *names)
                                : NULL;
            if (!names) {
                free(name);
                return BG_ENOMEM;
            }
            g_inst_names = names;
            g_inst_names[g_ninst_names++] = name;
            x.name = name;
            if (push_instance(&x) != 0)
                return BG_ENOMEM;
            /* The next combination: the last argument varies fastest. */
            size_t i = s->nargs;
            while (i > 0) {
                if (++idx[i - 1] < s->args[i - 1].n)
                    break;
                idx[i - 1] = 0;
                i--;
            }
            if (i == 0)
                break;
        }
    }
    return 0;
}

int bg__registry_instances(const bg_bench **out, size_t *n, char *err, size_t errlen)
{
    free_instances();
    size_t nb;
    const bg_bench *all = bg__registry_sorted(&nb);
    for (size_t k = 0; k < g_nspecs; k++) {
        bool found = false;
        for (size_t i = 0; i < nb && !found; i++)
            found = !strcmp(all[i].name, g_specs[k].bench);
        if (!found) {
            snprintf(err, errlen, "BENCH_SPEC(%s) at %s:%d names no BENCH; define BENCH(%s)",
                     g_specs[k].bench, g_specs[k].file, g_specs[k].line, g_specs[k].bench);
            return BG_EINVAL;
        }
    }
    for (size_t i = 0; i < nb; i++) {
        bg_spec s;
        memset(&s, 0, sizeof s);
        s.bench = all[i].name;
        bool have = false;
        for (size_t k = 0; k < g_nspecs; k++)
            if (!strcmp(g_specs[k].bench, all[i].name)) {
                g_specs[k].fn(&s);
                have = true;
            }
        int rc;
        if (!have) {
            bg_bench x = all[i];
            x.complexity_arg = -1;
            rc = push_instance(&x);
        } else {
            spec_check(&s);
            if (s.err[0]) {
                snprintf(err, errlen, "benchmark '%s': %s", all[i].name, s.err);
                free_instances();
                return BG_EINVAL;
            }
            rc = expand(&all[i], &s);
        }
        if (rc != 0) {
            snprintf(err, errlen, "out of memory expanding benchmark '%s'", all[i].name);
            free_instances();
            return rc;
        }
    }
    /* An instance may be named like another benchmark ("sort/1024"). */
    for (size_t i = 0; i < g_ninst; i++)
        for (size_t j = i + 1; j < g_ninst; j++)
            if (!strcmp(g_inst[i].name, g_inst[j].name)) {
                snprintf(err, errlen, "two benchmarks are named '%s'; rename one (names must be "
                                      "unique)", g_inst[i].name);
                free_instances();
                return BG_EINVAL;
            }
    *out = g_inst;
    *n = g_ninst;
    return 0;
}
