/* The `benchgate ab` and `benchgate doctor` subcommands: their flags, output
 * and exit codes. The work is done by ab.c and doctor.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bg_ab.h"
#include "bg_cmds.h"
#include "bg_compare.h"
#include "bg_doctor.h"

enum {
    O_BIN_A = 1, O_BIN_B, O_ENV_A, O_ENV_B, O_ALLOW_DIRTY, O_BUILD_CMD, O_BENCH_BIN, O_FILTER,
    O_BENCH_ARG, O_STATISTIC, O_METRIC, O_PROCS, O_TARGET, O_BUDGET, O_MIN_BLOCKS, O_MAX_BLOCKS, O_THRESHOLD,
    O_ALPHA, O_P_ADJUST, O_SEED, O_FORMAT, O_JUNIT, O_MARKDOWN, O_STORE, O_SAVE, O_NO_SAVE, O_DUET, O_LOCKSTEP, O_SEQUENTIAL,
};

static const bg_opt AB_OPTIONS[] = {
    {0, NULL, 0, NULL, NULL, "sides:"},
    {O_BIN_A, "bin-a", 0, "PATH", NULL, "a prebuilt bench binary for A instead of a revision"},
    {O_BIN_B, "bin-b", 0, "PATH", NULL, "a prebuilt bench binary for B instead of a revision"},
    {O_ENV_A, "env-a", 0, "K=V", NULL, "set K for A's runs (repeatable)"},
    {O_ENV_B, "env-b", 0, "K=V", NULL, "set K for B's runs (repeatable)"},
    {O_ALLOW_DIRTY, "allow-dirty", 0, NULL, NULL, "measure commit HEAD although the tree has changes"},
    {0, NULL, 0, NULL, NULL, "building:"},
    {O_BUILD_CMD, "build-cmd", 0, "CMD", NULL,
     "run with /bin/sh -c in each checkout\n(default: " BG_AB_DEFAULT_BUILD ")"},
    {O_BENCH_BIN, "bench-bin", 0, "PATH", NULL,
     "the bench binary, relative to the checkout (default:\n$BENCHGATE_BENCH_BIN, else " BG_AB_DEFAULT_BENCH_BIN ")"},
    {0, NULL, 0, NULL, NULL, "measuring:"},
    {O_FILTER, "filter", 0, "REGEX", NULL, "benchmarks to compare (extended regex)"},
    {O_BENCH_ARG, "bench-arg", 0, "ARG", NULL, "pass ARG to every run of a bench binary (repeatable)"},
    {O_STATISTIC, "statistic", 0, "S", NULL, "per run: min (default), median or mean per-iteration time"},
    {O_METRIC, "metric", 0, "M", NULL,
     "what the statistic is of: time (default, wall), cpu or a\n"
     "counter summed per sample, e.g. gpu_timer_ns (the bench\n"
     "must record it: --bench-arg --counters --bench-arg gpu)"},
    {O_PROCS, "procs", 0, "N", NULL, "processes per run (default 2)"},
    {O_DUET, "duet", 0, NULL, NULL,
     "run each block's A and B at the same time, each pinned to a\n"
     "CPU of its own, so both see the same interference (needs\n"
     "two CPUs; see docs/verdicts-over-time.md for when it helps)"},
    {O_LOCKSTEP, "lockstep", 0, NULL, NULL,
     "(default) run each block's A and B at the same time, taking\n"
     "turns sample by sample, and compare adjacent samples:\n"
     "drift slower than a sample cancels"},
    {O_SEQUENTIAL, "sequential", 0, NULL, NULL,
     "run each block's A and B one after the other (in random\n"
     "order) instead, each run's own figure compared"},
    {O_TARGET, "target", 0, "PCT", NULL,
     "stop a benchmark at this CI half-width (default: half of\n"
     "--threshold, so that an unchanged one can be shown unchanged)"},
    {O_BUDGET, "budget", 0, "SEC", NULL, "most time per benchmark, both sides (default 15)"},
    {O_MIN_BLOCKS, "min-blocks", 0, "N", NULL, "blocks before a benchmark may stop (default 6, at least 6)"},
    {O_MAX_BLOCKS, "max-blocks", 0, "N", NULL, "most blocks per benchmark (default 60)"},
    {0, NULL, 0, NULL, NULL, "verdicts and output:"},
    {O_THRESHOLD, "threshold", 0, "PCT", NULL, "noise threshold (default 1)"},
    {O_ALPHA, "alpha", 0, "X", NULL, "significance level after adjustment (default 0.05)"},
    {O_P_ADJUST, "p-adjust", 0, "M", "padjust", "bh (default), holm or none"},
    {O_SEED, "seed", 0, "N", NULL,
     "seeds the run order and layouts (default: a fresh seed per\n"
     "run, printed and recorded; 0 also draws one)"},
    {O_FORMAT, "format", 0, "F", NULL, "console (default), markdown, csv or json"},
    {O_JUNIT, "junit", 0, "FILE", NULL, "write JUnit XML (a regression is a <failure>)"},
    {O_MARKDOWN, "markdown", 0, "FILE", NULL, "write a Markdown summary"},
    {O_STORE, "store", 0, "DIR", NULL, "the store the runs are saved in"},
    {O_SAVE, "save", 0, NULL, NULL, "save both runs (the default for revisions)"},
    {O_NO_SAVE, "no-save", 0, NULL, NULL, "do not save the runs (the default for --bin-a/--bin-b)"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void ab_help(void)
{
    fputs("usage: benchgate ab BASE [HEAD] [options]\n"
          "       benchgate ab --bin-a PATH --bin-b PATH [options]\n"
          "\n"
          "Builds two revisions and measures their bench binaries side by side: each\n"
          "revision is checked out into a temporary git worktree and built there; then,\n"
          "benchmark by benchmark, blocks of one run of A and one of B (in random order,\n"
          "each run a fresh process with its own layout) repeat until the interval of the\n"
          "change is within --target or the benchmark's --budget is spent. The change of\n"
          "each block pair is a ratio, so drift of the machine between blocks cancels;\n"
          "the verdict takes the 20 % trimmed mean of the ratios (Yuen's test), so a\n"
          "block that outside work disturbed on one side does not decide it.\n"
          "Without HEAD, B is the working tree as it is (uncommitted changes included):\n"
          "'benchgate ab HEAD' measures the uncommitted changes against their commit.\n"
          "Both runs are saved in the store under their commits.\n"
          "\n",
          stdout);
    bg_opt_help(stdout, AB_OPTIONS);
    fputs("\n"
          "Exit codes: 0 no regression, 1 a benchmark regressed, 2 usage, environment or\n"
          "build error (the message names the revision), 3 a benchmark crashed or timed\n"
          "out on either side (also: its bench process died without a run record).\n"
          "Interrupted (Ctrl-C), it stops what it runs, removes its worktrees and exits\n"
          "by the signal. --format json adds both sides' labels and commits and, per\n"
          "benchmark, its blocks, why it stopped and the side first in each block.\n",
          stdout);
}

enum { O_JSON = 1, O_ROOT };

static const bg_opt DOCTOR_OPTIONS[] = {
    {O_JSON, "json", 0, NULL, NULL, "print the findings as JSON"},
    {O_ROOT, "root", 0, "DIR", NULL, "read /proc and /sys under DIR (a copy, for tests)"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void doctor_help(void)
{
    fputs("usage: benchgate doctor [--json]\n"
          "\n"
          "Inspects this machine for what makes benchmarks noisy - CPU frequency governor\n"
          "and boost, busy SMT siblings, ASLR, perf_event_paranoid, load and busy\n"
          "processes, virtualisation and steal time, isolated CPUs, clock source and timer\n"
          "resolution - and prints what it found with the exact fix for each, saying which\n"
          "fixes need root. It changes nothing and needs no privileges.\n"
          "\n",
          stdout);
    bg_opt_help(stdout, DOCTOR_OPTIONS);
    fputs("\nExit codes: 0 (whatever it finds), 2 usage error.\n", stdout);
}

/* ---- flag values ---- */

/* A number; a trailing '%' is allowed (--threshold 1%). */
static int parse_double(const char *flag, const char *v, double lo, double hi, double *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '%')
        buf[n - 1] = '\0';
    return bg__parse_number(flag, buf, lo, hi, out);
}

static int parse_int(const char *flag, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long d = strtol(v, &end, 10);
    if (errno || end == v || *end || d < lo || d > hi) {
        bg__errf("%s: invalid value '%s'; expected an integer from %ld to %ld", flag, v, lo, hi);
        return BG_EINVAL;
    }
    *out = d;
    return 0;
}

static int add_env(bg_ab_side *s, const char *flag, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v) {
        bg__errf("%s: expected KEY=VALUE, got '%s'", flag, v);
        return BG_EINVAL;
    }
    if (s->nenv >= BG_AB_MAX_ENV) {
        bg__errf("%s: at most %d variables per side", flag, BG_AB_MAX_ENV);
        return BG_EINVAL;
    }
    s->env[s->nenv++] = v;
    return 0;
}

typedef struct ab_cli {
    bg_ab_opts o;
    bg_settings settings;   /* .benchgate.json (owned) */
    bool threshold_set, metric_set;
    bg_cmp_format format;
    const char *junit, *markdown;
    const char *pos[3];
    size_t npos;
} ab_cli;

/* Applies option `id`, written as `f`, with its value v; returns 0, or
 * BG_EINVAL after a message. */
static int apply_value(ab_cli *c, int id, const char *f, const char *v)
{
    bg_ab_opts *o = &c->o;
    double d;
    long l;
    if (id == O_BIN_A)
        o->a.bin = v;
    else if (id == O_BIN_B)
        o->b.bin = v;
    else if (id == O_ENV_A)
        return add_env(&o->a, f, v);
    else if (id == O_ENV_B)
        return add_env(&o->b, f, v);
    else if (id == O_BUILD_CMD)
        o->build_cmd = v;
    else if (id == O_BENCH_BIN)
        o->bench_bin = v;
    else if (id == O_FILTER)
        o->filter = v;
    else if (id == O_METRIC) {
        o->metric = v;
        c->metric_set = true;
    }
    else if (id == O_STORE)
        o->store = v;
    else if (id == O_JUNIT)
        c->junit = v;
    else if (id == O_MARKDOWN)
        c->markdown = v;
    else if (id == O_BENCH_ARG) {
        if (o->nbench_args >= BG_AB_MAX_ARGS) {
            bg__errf("--bench-arg: at most %d", BG_AB_MAX_ARGS);
            return BG_EINVAL;
        }
        o->bench_args[o->nbench_args++] = v;
    } else if (id == O_STATISTIC) {
        if (!strcmp(v, "min"))
            o->statistic = BG_STAT_MIN;
        else if (!strcmp(v, "median"))
            o->statistic = BG_STAT_MEDIAN;
        else if (!strcmp(v, "mean"))
            o->statistic = BG_STAT_MEAN;
        else {
            bg__errf("--statistic: invalid value '%s'; expected min, median or mean", v);
            return BG_EINVAL;
        }
    } else if (id == O_FORMAT) {
        if (!strcmp(v, "console"))
            c->format = BG_CMP_CONSOLE;
        else if (!strcmp(v, "markdown"))
            c->format = BG_CMP_MARKDOWN;
        else if (!strcmp(v, "csv"))
            c->format = BG_CMP_CSV;
        else if (!strcmp(v, "json"))
            c->format = BG_CMP_JSON;
        else {
            bg__errf("--format: invalid value '%s'; expected console, markdown, csv or json", v);
            return BG_EINVAL;
        }
    } else if (id == O_P_ADJUST) {
        if (!strcmp(v, "bh"))
            o->cmp.padjust = BG_PADJ_BH;
        else if (!strcmp(v, "holm"))
            o->cmp.padjust = BG_PADJ_HOLM;
        else if (!strcmp(v, "none"))
            o->cmp.padjust = BG_PADJ_NONE;
        else {
            bg__errf("--p-adjust: invalid value '%s'; expected bh, holm or none", v);
            return BG_EINVAL;
        }
    } else if (id == O_PROCS) {
        if (parse_int(f, v, 2, 100, &l))
            return BG_EINVAL;
        o->procs = (int)l;
    } else if (id == O_MIN_BLOCKS) {
        if (parse_int(f, v, 6, 100000, &l))
            return BG_EINVAL;
        o->min_blocks = (int)l;
    } else if (id == O_MAX_BLOCKS) {
        if (parse_int(f, v, 6, 100000, &l))
            return BG_EINVAL;
        o->max_blocks = (int)l;
    } else if (id == O_SEED) {
        if (parse_int(f, v, 0, LONG_MAX, &l))
            return BG_EINVAL;
        o->cmp.seed = (uint64_t)l;
    } else if (id == O_TARGET) {
        if (parse_double(f, v, 0.01, 100, &d))
            return BG_EINVAL;
        o->target = d / 100;
    } else if (id == O_BUDGET) {
        if (parse_double(f, v, 0.1, 86400, &d))
            return BG_EINVAL;
        o->budget_s = d;
    } else if (id == O_THRESHOLD) {
        if (parse_double(f, v, 0, 1000, &d))
            return BG_EINVAL;
        o->cmp.threshold_pct = d;
        c->threshold_set = true;
    } else if (id == O_ALPHA) {
        if (parse_double(f, v, 1e-6, 0.5, &d))
            return BG_EINVAL;
        o->cmp.alpha = d;
    }
    return 0;
}

/* Returns 0, 1 after --help, or BG_EINVAL after a usage message. */
static int parse_ab(int argc, char **argv, ab_cli *c)
{
    memset(c, 0, sizeof *c);
    bg__settings_init(&c->settings);
    bg__ab_opts_default(&c->o);
    bg_opt_parser p;
    bg_opt_init(&p, AB_OPTIONS, "benchgate ab", argc, argv, 0);
    const char *v;
    int id, mode = 0; /* O_DUET, O_LOCKSTEP or O_SEQUENTIAL once named */
    while ((id = bg_opt_next(&p, &v)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EINVAL;
        if (id == BG_OPT_HELP) {
            ab_help();
            return 1;
        }
        if (id == O_ALLOW_DIRTY) {
            c->o.allow_dirty = true;
        } else if (id == O_DUET || id == O_LOCKSTEP || id == O_SEQUENTIAL) {
            /* One way of running a block; naming two is refused below. */
            if (mode && mode != id) {
                bg__errf("--%s and --%s are two ways of running a block's sides; choose one",
                         mode == O_DUET ? "duet" : mode == O_LOCKSTEP ? "lockstep" : "sequential",
                         id == O_DUET ? "duet" : id == O_LOCKSTEP ? "lockstep" : "sequential");
                return BG_EINVAL;
            }
            mode = id;
            c->o.duet = id == O_DUET;
            c->o.lockstep = id == O_LOCKSTEP;
        } else if (id == O_SAVE || id == O_NO_SAVE) {
            c->o.save = id == O_SAVE;
        } else if (id == BG_OPT_POS) {
            if (c->npos >= 2) {
                bg__errf("ab: unexpected argument '%s'; expected at most two revisions", v);
                return BG_EINVAL;
            }
            c->pos[c->npos++] = v;
        } else if (apply_value(c, id, p.name, v)) {
            return BG_EINVAL;
        }
    }
    /* Revisions go to the sides that have no prebuilt binary, A first. */
    size_t k = 0;
    if (!c->o.a.bin) {
        if (k >= c->npos) {
            bg__errf("ab: name the base revision (benchgate ab BASE [HEAD]) or give --bin-a");
            return BG_EINVAL;
        }
        c->o.a.rev = c->pos[k++];
    }
    if (!c->o.b.bin && k < c->npos)
        c->o.b.rev = c->pos[k++];
    if (k < c->npos) {
        bg__errf("ab: unexpected argument '%s' (a side given by --bin-a/--bin-b takes no revision)",
             c->pos[k]);
        return BG_EINVAL;
    }
    if (c->o.max_blocks < c->o.min_blocks) {
        bg__errf("ab: --max-blocks %d is below --min-blocks %d", c->o.max_blocks, c->o.min_blocks);
        return BG_EINVAL;
    }
    return 0;
}

static void print_summary(const bg_ab_result *r, int code)
{
    size_t counts[4] = {0}, other = 0;
    for (size_t i = 0; i < r->cmp.n; i++) {
        const bg_cmp_row *w = &r->cmp.rows[i];
        if (w->kind == BG_ROW_COMPARED)
            counts[w->verdict]++;
        else
            other++;
    }
    printf("ab: %s: %zu unchanged, %zu improved, %zu regressed, %zu inconclusive, %zu not "
           "compared; %.0f s\n",
           code == BG_EXIT_OK ? "passed" : code == BG_EXIT_REGRESSION ? "FAILED: regression" : "FAILED: a benchmark crashed or timed out",
           counts[BG_VERDICT_UNCHANGED], counts[BG_VERDICT_IMPROVED], counts[BG_VERDICT_REGRESSED],
           counts[BG_VERDICT_INCONCLUSIVE], other, r->wall_s);
}

static void add_side(cJSON *root, const char *key, const char *label, const char *commit,
                     const char *saved)
{
    cJSON *s = cJSON_AddObjectToObject(root, key);
    if (!s)
        return;
    cJSON_AddStringToObject(s, "label", label);
    if (commit[0])
        cJSON_AddStringToObject(s, "commit", commit);
    else
        cJSON_AddNullToObject(s, "commit");
    if (saved[0])
        cJSON_AddStringToObject(s, "saved", saved);
}

/* The comparison as `compare --format json` writes it, plus what ab knows
 * beyond it: the two sides (label, commit, where saved), how the blocks ran
 * (blocks_run) and, per benchmark,
 * its blocks, time, why it stopped and the side first in each block. */
static int print_json(FILE *f, const bg_ab_result *r)
{
    cJSON *root = bg__cmp_to_json(&r->cmp);
    if (!root)
        return BG_ENOMEM;
    add_side(root, "a", r->label_a, r->commit_a, r->saved_a);
    add_side(root, "b", r->label_b, r->commit_b, r->saved_b);
    cJSON_AddNumberToObject(root, "wall_s", r->wall_s);
    if (r->blocks_run)
        cJSON_AddStringToObject(root, "blocks_run", r->blocks_run);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    for (size_t i = 0; r->info && i < r->cmp.n && i < (size_t)cJSON_GetArraySize(arr); i++) {
        cJSON *o = cJSON_GetArrayItem(arr, (int)i);
        const bg_ab_row_info *in = &r->info[i];
        if (!in->stop[0])
            continue; /* only in one side: not measured */
        cJSON_AddNumberToObject(o, "blocks", (double)in->blocks);
        cJSON_AddNumberToObject(o, "elapsed_s", in->elapsed_s);
        cJSON_AddStringToObject(o, "stop", in->stop);
        cJSON_AddStringToObject(o, "first_in_block", in->order ? in->order : "");
    }
    return bg__json_fprint(f, root);
}

static int write_outputs(const ab_cli *c, const bg_ab_result *r)
{
    int rc = 0;
    if (c->format == BG_CMP_CONSOLE) {
        printf("A = %s\nB = %s\n\n", r->label_a, r->label_b);
        bg__cmp_print_console(stdout, &r->cmp, "A", "B");
    } else if (c->format == BG_CMP_JSON) {
        rc = print_json(stdout, r);
    } else {
        rc = bg__cmp_print(stdout, &r->cmp, c->format);
    }
    if (c->junit) {
        char err[512];
        if (bg__cmp_write_junit(c->junit, &r->cmp, "benchgate ab", err, sizeof err) != 0) {
            bg__errf("%s", err);
            rc = BG_EIO;
        }
    }
    if (c->markdown) {
        FILE *f = fopen(c->markdown, "w");
        if (!f) {
            bg__errf("cannot write %s: %s", c->markdown, strerror(errno));
            return BG_EIO;
        }
        char title[1200];
        snprintf(title, sizeof title, "benchgate ab: A = %s, B = %s", r->label_a, r->label_b);
        bg__cmp_print_markdown(f, &r->cmp, title);
        if (fclose(f) != 0) {
            bg__errf("cannot write %s: %s", c->markdown, strerror(errno));
            rc = BG_EIO;
        }
    }
    return rc;
}

/* The repository's settings (.benchgate.json), as compare reads them: the
 * suite's threshold and metric unless given, and each rule (its metric,
 * threshold, "ignore") for the benchmarks it matches. Returns 0, or
 * BG_EINVAL after a message naming the file. */
static int load_settings(ab_cli *c)
{
    if (bg__cli_load_settings(&c->settings, &c->o.cmp, c->threshold_set, true) != 0)
        return BG_EINVAL;
    /* ab's metric is its own option (o.metric), checked for what ab can compare */
    if (!c->metric_set && c->settings.metric[0]) {
        if (bg__metric_kind(c->settings.metric) != BG_METRIC_SUM) {
            bg__errf("%s: metric %s: not a total per sample; ab compares time, cpu or a counter summed "
                     "over each sample (give --metric)", c->settings.path, c->settings.metric);
            return BG_EINVAL;
        }
        c->o.metric = c->settings.metric;
    }
    return 0;
}

int bg__cmd_ab(int argc, char **argv)
{
    ab_cli c;
    int prc = parse_ab(argc, argv, &c);
    if (prc)
        return prc > 0 ? BG_EXIT_OK : bg__exit_of(prc);
    if (load_settings(&c) != 0) {
        bg__settings_free(&c.settings);
        return BG_EXIT_USAGE;
    }
    bg_ab_result r;
    int rc = bg__ab_run_cli(&c.o, &r, "ab", NULL, 0);
    if (rc) {
        bg__settings_free(&c.settings);
        return rc;
    }
    int code = bg__ab_exit_code(&r);
    if (write_outputs(&c, &r) != 0 && code == BG_EXIT_OK)
        code = BG_EXIT_USAGE;
    if (c.format == BG_CMP_CONSOLE)
        print_summary(&r, code);
    bg__ab_result_free(&r);
    bg__settings_free(&c.settings);
    return code;
}

int bg__cmd_doctor(int argc, char **argv)
{
    bool json = false;
    const char *root = NULL;
    bg_opt_parser p;
    bg_opt_init(&p, DOCTOR_OPTIONS, "benchgate doctor", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EXIT_USAGE;
        if (id == BG_OPT_HELP) {
            doctor_help();
            return BG_EXIT_OK;
        }
        if (id == BG_OPT_POS) {
            bg_opt_unexpected(&p, val);
            return BG_EXIT_USAGE;
        }
        if (id == O_JSON)
            json = true;
        else if (id == O_ROOT)
            root = val;
    }
    int rc = bg__doctor(stdout, root, json);
    if (rc != 0) {
        bg__errf("doctor: out of memory");
        return bg__exit_of(rc);
    }
    return BG_EXIT_OK;
}
