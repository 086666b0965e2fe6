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

enum { EXIT_PASS = 0, EXIT_REGRESSION = 1, EXIT_USAGE = 2, EXIT_CRASH = 3 };

static const char AB_HELP[] =
    "usage: benchgate ab BASE [HEAD] [options]\n"
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
    "\n"
    "sides:\n"
    "  --bin-a PATH, --bin-b PATH  a prebuilt bench binary instead of a revision\n"
    "  --env-a K=V, --env-b K=V    set K for that side's runs (repeatable)\n"
    "  --allow-dirty               measure commit HEAD although the tree has changes\n"
    "building:\n"
    "  --build-cmd CMD    run with /bin/sh -c in each checkout\n"
    "                     (default: " BG_AB_DEFAULT_BUILD ")\n"
    "  --bench-bin PATH   the bench binary, relative to the checkout (default:\n"
    "                     $BENCHGATE_BENCH_BIN, else " BG_AB_DEFAULT_BENCH_BIN ")\n"
    "measuring:\n"
    "  --filter REGEX     benchmarks to compare (extended regex)\n"
    "  --bench-arg ARG    pass ARG to every run of a bench binary (repeatable)\n"
    "  --statistic S      per run: min (default), median or mean per-iteration time\n"
    "  --metric M         what the statistic is of: time (default, wall), cpu or a\n"
    "                     counter summed per sample, e.g. gpu_timer_ns (the bench\n"
    "                     must record it: --bench-arg --counters --bench-arg gpu)\n"
    "  --procs N          processes per run (default 2)\n"
    "  --target PCT       stop a benchmark at this CI half-width (default: half of\n"
    "                     --threshold, so that an unchanged one can be shown unchanged)\n"
    "  --budget SEC       most time per benchmark, both sides (default 15)\n"
    "  --min-blocks N     blocks before a benchmark may stop (default 6, at least 6)\n"
    "  --max-blocks N     most blocks per benchmark (default 60)\n"
    "verdicts and output:\n"
    "  --threshold PCT    noise threshold (default 1)\n"
    "  --alpha X          significance level after adjustment (default 0.05)\n"
    "  --p-adjust M       bh (default), holm or none\n"
    "  --seed N           seeds the run order and layouts (default: a fresh seed per\n"
    "                     run, printed and recorded; 0 also draws one)\n"
    "  --format F         console (default), markdown, csv or json\n"
    "  --junit FILE       write JUnit XML (a regression is a <failure>)\n"
    "  --markdown FILE    write a Markdown summary\n"
    "  --store DIR        the store the runs are saved in; --no-save: do not save\n"
    "\n"
    "Exit codes: 0 no regression, 1 a benchmark regressed, 2 usage, environment or\n"
    "build error (the message names the revision), 3 a benchmark crashed or timed\n"
    "out on either side (also: its bench process died without a run record).\n"
    "Interrupted (Ctrl-C), it stops what it runs, removes its worktrees and exits\n"
    "by the signal. --format json adds both sides' labels and commits and, per\n"
    "benchmark, its blocks, why it stopped and the side first in each block.\n";

static const char DOCTOR_HELP[] =
    "usage: benchgate doctor [--json]\n"
    "\n"
    "Inspects this machine for what makes benchmarks noisy - CPU frequency governor\n"
    "and boost, busy SMT siblings, ASLR, perf_event_paranoid, load and busy\n"
    "processes, virtualisation and steal time, isolated CPUs, clock source and timer\n"
    "resolution - and prints what it found with the exact fix for each, saying which\n"
    "fixes need root. It changes nothing and needs no privileges.\n"
    "\n"
    "  --json        print the findings as JSON\n"
    "  --root DIR    read /proc and /sys under DIR (a copy, for tests)\n"
    "\n"
    "Exit codes: 0 (whatever it finds), 2 usage error.\n";

/* ---- flag values ---- */

/* A number; a trailing '%' is allowed (--threshold 1%). */
static int parse_double(const char *flag, const char *v, double lo, double hi, double *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '%')
        buf[n - 1] = '\0';
    return bg__parse_number(flag, buf, lo, hi, out) ? -1 : 0;
}

static int parse_int(const char *flag, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long d = strtol(v, &end, 10);
    if (errno || end == v || *end || d < lo || d > hi) {
        bg__errf("%s: invalid value '%s'; expected an integer from %ld to %ld", flag, v, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int add_env(bg_ab_side *s, const char *flag, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v) {
        bg__errf("%s: expected KEY=VALUE, got '%s'", flag, v);
        return -1;
    }
    if (s->nenv >= BG_AB_MAX_ENV) {
        bg__errf("%s: at most %d variables per side", flag, BG_AB_MAX_ENV);
        return -1;
    }
    s->env[s->nenv++] = v;
    return 0;
}

typedef struct ab_cli {
    bg_ab_opts o;
    bg_cmp_format format;
    const char *junit, *markdown;
    const char *pos[3];
    size_t npos;
} ab_cli;

/* Applies one flag that takes a value; returns 0, or -1 after a message. */
static int apply_value(ab_cli *c, const char *f, const char *v)
{
    bg_ab_opts *o = &c->o;
    double d;
    long l;
    if (!strcmp(f, "--bin-a"))
        o->a.bin = v;
    else if (!strcmp(f, "--bin-b"))
        o->b.bin = v;
    else if (!strcmp(f, "--env-a"))
        return add_env(&o->a, f, v);
    else if (!strcmp(f, "--env-b"))
        return add_env(&o->b, f, v);
    else if (!strcmp(f, "--build-cmd"))
        o->build_cmd = v;
    else if (!strcmp(f, "--bench-bin"))
        o->bench_bin = v;
    else if (!strcmp(f, "--filter"))
        o->filter = v;
    else if (!strcmp(f, "--metric"))
        o->metric = v;
    else if (!strcmp(f, "--store"))
        o->store = v;
    else if (!strcmp(f, "--junit"))
        c->junit = v;
    else if (!strcmp(f, "--markdown"))
        c->markdown = v;
    else if (!strcmp(f, "--bench-arg")) {
        if (o->nbench_args >= BG_AB_MAX_ARGS) {
            bg__errf("--bench-arg: at most %d", BG_AB_MAX_ARGS);
            return -1;
        }
        o->bench_args[o->nbench_args++] = v;
    } else if (!strcmp(f, "--statistic")) {
        if (!strcmp(v, "min"))
            o->statistic = BG_STAT_MIN;
        else if (!strcmp(v, "median"))
            o->statistic = BG_STAT_MEDIAN;
        else if (!strcmp(v, "mean"))
            o->statistic = BG_STAT_MEAN;
        else {
            bg__errf("--statistic: invalid value '%s'; expected min, median or mean", v);
            return -1;
        }
    } else if (!strcmp(f, "--format")) {
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
            return -1;
        }
    } else if (!strcmp(f, "--p-adjust")) {
        if (!strcmp(v, "bh"))
            o->cmp.padjust = BG_PADJ_BH;
        else if (!strcmp(v, "holm"))
            o->cmp.padjust = BG_PADJ_HOLM;
        else if (!strcmp(v, "none"))
            o->cmp.padjust = BG_PADJ_NONE;
        else {
            bg__errf("--p-adjust: invalid value '%s'; expected bh, holm or none", v);
            return -1;
        }
    } else if (!strcmp(f, "--procs")) {
        if (parse_int(f, v, 2, 100, &l))
            return -1;
        o->procs = (int)l;
    } else if (!strcmp(f, "--min-blocks")) {
        if (parse_int(f, v, 6, 100000, &l))
            return -1;
        o->min_blocks = (int)l;
    } else if (!strcmp(f, "--max-blocks")) {
        if (parse_int(f, v, 6, 100000, &l))
            return -1;
        o->max_blocks = (int)l;
    } else if (!strcmp(f, "--seed")) {
        if (parse_int(f, v, 0, LONG_MAX, &l))
            return -1;
        o->cmp.seed = (uint64_t)l;
    } else if (!strcmp(f, "--target")) {
        if (parse_double(f, v, 0.01, 100, &d))
            return -1;
        o->target = d / 100;
    } else if (!strcmp(f, "--budget")) {
        if (parse_double(f, v, 0.1, 86400, &d))
            return -1;
        o->budget_s = d;
    } else if (!strcmp(f, "--threshold")) {
        if (parse_double(f, v, 0, 1000, &d))
            return -1;
        o->cmp.threshold_pct = d;
    } else if (!strcmp(f, "--alpha")) {
        if (parse_double(f, v, 1e-6, 0.5, &d))
            return -1;
        o->cmp.alpha = d;
    } else {
        bg__errf("ab: unknown option '%s'; see 'benchgate ab --help'", f);
        return -1;
    }
    return 0;
}

static const char *const value_flags[] = {
    "--bin-a", "--bin-b", "--env-a", "--env-b", "--build-cmd", "--bench-bin", "--filter", "--metric",
    "--store", "--junit", "--markdown", "--bench-arg", "--statistic", "--format", "--p-adjust",
    "--procs", "--min-blocks", "--max-blocks", "--seed", "--target", "--budget",
    "--threshold", "--alpha", NULL};

static bool takes_value(const char *f)
{
    for (size_t i = 0; value_flags[i]; i++)
        if (!strcmp(f, value_flags[i]))
            return true;
    return false;
}

/* Returns 0, 1 after --help, or -1 after a usage message. */
static int parse_ab(int argc, char **argv, ab_cli *c)
{
    memset(c, 0, sizeof *c);
    bg__ab_opts_default(&c->o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(AB_HELP, stdout);
            return 1;
        }
        if (!strcmp(a, "--allow-dirty")) {
            c->o.allow_dirty = true;
            continue;
        }
        if (!strcmp(a, "--save") || !strcmp(a, "--no-save")) {
            c->o.save = !strcmp(a, "--save");
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (c->npos >= 2) {
                bg__errf("ab: unexpected argument '%s'; expected at most two revisions", a);
                return -1;
            }
            c->pos[c->npos++] = a;
            continue;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        if (!takes_value(name)) {
            bg__errf("ab: unknown option '%s'; see 'benchgate ab --help'", name);
            return -1;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) {
                bg__errf("ab: %s needs a value", name);
                return -1;
            }
            v = argv[++i];
        }
        if (apply_value(c, name, v))
            return -1;
    }
    /* Revisions go to the sides that have no prebuilt binary, A first. */
    size_t p = 0;
    if (!c->o.a.bin) {
        if (p >= c->npos) {
            bg__errf("ab: name the base revision (benchgate ab BASE [HEAD]) or give --bin-a");
            return -1;
        }
        c->o.a.rev = c->pos[p++];
    }
    if (!c->o.b.bin && p < c->npos)
        c->o.b.rev = c->pos[p++];
    if (p < c->npos) {
        bg__errf("ab: unexpected argument '%s' (a side given by --bin-a/--bin-b takes no revision)",
             c->pos[p]);
        return -1;
    }
    if (c->o.max_blocks < c->o.min_blocks) {
        bg__errf("ab: --max-blocks %d is below --min-blocks %d", c->o.max_blocks, c->o.min_blocks);
        return -1;
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
           code == EXIT_PASS ? "passed" : code == EXIT_REGRESSION ? "FAILED: regression" : "FAILED: a benchmark crashed or timed out",
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
 * beyond it: the two sides (label, commit, where saved) and, per benchmark,
 * its blocks, time, why it stopped and the side first in each block. */
static int print_json(FILE *f, const bg_ab_result *r)
{
    cJSON *root = bg__cmp_to_json(&r->cmp);
    if (!root)
        return BG_ENOMEM;
    add_side(root, "a", r->label_a, r->commit_a, r->saved_a);
    add_side(root, "b", r->label_b, r->commit_b, r->saved_b);
    cJSON_AddNumberToObject(root, "wall_s", r->wall_s);
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
            rc = -1;
        }
    }
    if (c->markdown) {
        FILE *f = fopen(c->markdown, "w");
        if (!f) {
            bg__errf("cannot write %s: %s", c->markdown, strerror(errno));
            return -1;
        }
        char title[1200];
        snprintf(title, sizeof title, "benchgate ab: A = %s, B = %s", r->label_a, r->label_b);
        bg__cmp_print_markdown(f, &r->cmp, title);
        if (fclose(f) != 0) {
            bg__errf("cannot write %s: %s", c->markdown, strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

int bg__ab_run_cli(const bg_ab_opts *o, bg_ab_result *r, const char *what, char *why, size_t nwhy)
{
    char err[8192] = "";
    int rc = bg__ab_run(o, r, err, sizeof err);
    if (r->interrupted) {
        bg__errf("%s", err);
        int sig = r->signal;
        bg__ab_result_free(r);
        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    if (rc) {
        bg__errf("%s: %s", what, err[0] ? err : "failed");
        if (why && nwhy)
            snprintf(why, nwhy, "%s: %s", what, err[0] ? err : "failed");
        bg__ab_result_free(r);
        return EXIT_USAGE;
    }
    return 0;
}

int bg__cmd_ab(int argc, char **argv)
{
    ab_cli c;
    int prc = parse_ab(argc, argv, &c);
    if (prc)
        return prc > 0 ? EXIT_PASS : EXIT_USAGE;
    bg_ab_result r;
    int rc = bg__ab_run_cli(&c.o, &r, "ab", NULL, 0);
    if (rc)
        return rc;
    int code = bg__ab_exit_code(&r);
    if (write_outputs(&c, &r) != 0 && code == EXIT_PASS)
        code = EXIT_USAGE;
    if (c.format == BG_CMP_CONSOLE)
        print_summary(&r, code);
    bg__ab_result_free(&r);
    return code;
}

int bg__cmd_doctor(int argc, char **argv)
{
    bool json = false;
    const char *root = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(DOCTOR_HELP, stdout);
            return EXIT_PASS;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
            root = argv[++i];
        } else {
            bg__errf("doctor: unknown argument '%s'; see 'benchgate doctor --help'", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (bg__doctor(stdout, root, json) != 0) {
        bg__errf("doctor: out of memory");
        return EXIT_USAGE;
    }
    return EXIT_PASS;
}
