/* `benchgate gate`: parses the gate's flags, runs the gate (compare/gate.c), prints its table and verdict, writes its reports and exits with its code. */
#include <stdio.h>
#include <string.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_gate.h"

enum {
    O_BASE = 1, O_HEAD, O_JUNIT, O_MARKDOWN, O_BENCH, O_BENCH_ARG, O_FILTER, O_AB, O_BUILD_CMD,
    O_BENCH_BIN, O_ALLOW_DIRTY, O_STAGES, O_BASE_BIN, O_STAGE2_BUDGET, O_SEQUENTIAL, O_SHARD,
};

static const bg_opt OPTIONS[] = {
    {O_BASE, "base", 0, "REF", NULL,
     "baseline commit-ish or run file (default: merge-base of\n"
     "HEAD with main, else master; on main itself, HEAD's\n"
     "parent, also with --ab, unless head is a working tree\n"
     "with uncommitted changes: then HEAD)"},
    {O_HEAD, "head", 0, "FILE-or-REF", NULL, "candidate (default: the newest stored run of HEAD)"},
    {O_JUNIT, "junit", 0, "FILE", NULL,
     "write JUnit XML (a regression is a <failure>, a crash an\n"
     "<error>; when the gate cannot decide, one <error> why)"},
    {O_MARKDOWN, "markdown", 0, "FILE", NULL,
     "write a Markdown summary (also appended to\n"
     "$GITHUB_STEP_SUMMARY when set)"},
    {O_BENCH, "bench", 0, "PATH", NULL,
     "measure head now: run the bench binary PATH with --save\n"
     "(in the current directory) after loading the base; it is\n"
     "also stage 2's head binary"},
    {O_BENCH_ARG, "bench-arg", 0, "ARG", NULL, "pass ARG to the bench binary (repeatable)"},
    {O_FILTER, "filter", 0, "REGEX", NULL, "measure only the benchmarks whose names match"},
    {O_SHARD, "shard", 0, "K/N", NULL,
     "with --bench: measure shard K of N (the bench binary's --shard)\n"
     "and gate it alone, a verdict for that shard; the suite's\n"
     "verdict is 'benchgate gate' once every shard's run is stored\n"
     "(shard runs merge on load; see 'benchgate merge')"},
    {O_AB, "ab", 0, NULL, NULL,
     "do not read base from the store: check out base and head\n"
     "(the working tree, or --head REV) into temporary\n"
     "worktrees, build both and run them interleaved, block\n"
     "by block (see 'benchgate ab --help'); both runs are\n"
     "saved. Robust to drift between runs made at different\n"
     "times"},
    {O_STAGES, "stages", 0, "N", NULL,
     "2 (default): benchmarks stage 1 cannot clear run again,\n"
     "base and head binaries interleaved (stage 2), and fail\n"
     "only when stage 2 confirms them; 1: stage 1 alone, failing\n"
     "only on regressions beyond the drift band"},
    {O_BASE_BIN, "base-bin", 0, "PATH", NULL,
     "stage 2's base bench binary (e.g. restored from a CI cache\n"
     "keyed by the base commit); default: build the base commit\n"
     "in a temporary worktree with --build-cmd"},
    {O_STAGE2_BUDGET, "stage2-budget", 0, "S", NULL, "stage 2 seconds per benchmark, both sides (default 8);\nstage 2 runs are --quick runs unless --bench-arg says otherwise"},
    {O_SEQUENTIAL, "sequential", 0, NULL, NULL,
     "stage 2 and --ab run each block's base and head one after\n"
     "the other, not in lockstep (see 'benchgate ab --help')"},
    {O_BUILD_CMD, "build-cmd", 0, "CMD", NULL, "with --ab or stage 2: the build command, as for 'benchgate ab'"},
    {O_BENCH_BIN, "bench-bin", 0, "PATH", NULL,
     "with --ab or stage 2: the bench binary in the build, as for\n'benchgate ab'"},
    {O_ALLOW_DIRTY, "allow-dirty", 0, NULL, NULL,
     "with --ab: measure commit HEAD as head although the tree\n"
     "has changes"},
    BG_CLI_CMP_OPTS,
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: benchgate gate [--base REF] [--head FILE-or-REF] [--bench PATH] [options]\n\n"
           "Two stages. Stage 1 compares head with the stored base run, each interval\n"
           "widened by the between-run noise the store has learned for the benchmark\n"
           "on this machine (benchgate noise): a change inside the drift band is\n"
           "inconclusive. Benchmarks stage 1 cannot clear (whose interval reaches\n"
           "+threshold) go to stage 2: base and head bench binaries run\n"
           "interleaved, block by block, so drift cancels. The gate fails only on\n"
           "regressions stage 2 confirms; each row says which stage decided it.\n\n");
    bg_opt_help(stdout, OPTIONS);
    printf("\n"
           "A base commit without a stored run falls back to its nearest first-parent\n"
           "ancestor with one (at most %d commits back), with a note.\n\n"
           "A commit trailer between base and head of the form\n"
           "    Bench-Accept: <glob> +<N>%%\n"
           "accepts a regression of a benchmark matching <glob> by at most N percent.\n\n%s",
           BG_ANCESTOR_BOUND, bg__cli_exit_help);
}

/* What the gate command was given beyond the gate's own options. */
typedef struct gate_cli {
    bg_gate_opts g;
    bg_cli_cmp c;
    const char *junit, *markdown;
} gate_cli;

/* Returns 0, 1 after --help, or BG_EINVAL after a message. junit and
 * markdown keep what was given before a bad option. */
static int parse(int argc, char **argv, gate_cli *o)
{
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate gate", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        bg_gate_opts *g = &o->g;
        switch (id) {
        case BG_OPT_ERROR:
            return BG_EINVAL;
        case BG_OPT_HELP:
            help();
            return 1;
        case BG_OPT_POS:
            bg_opt_unexpected(&p, val);
            return BG_EINVAL;
        case O_BASE: g->base = val; break;
        case O_HEAD: g->head = val; break;
        case O_JUNIT: o->junit = val; break;
        case O_MARKDOWN: o->markdown = val; break;
        case O_BENCH: g->bench = val; break;
        case O_FILTER: g->filter = val; break;
        case O_SHARD: {
            int k, n;
            if (bg__shard_parse(val, &k, &n) != 0) {
                bg_opt_errf(&p, "--shard takes K/N with 1 <= K <= N <= %d, not '%s'", BG_SHARDS_MAX, val);
                return BG_EINVAL;
            }
            g->shard = val;
            break;
        }
        case O_AB: g->ab = true; break;
        case O_BUILD_CMD: g->build_cmd = val; break;
        case O_BENCH_BIN: g->bench_bin = val; break;
        case O_ALLOW_DIRTY: g->allow_dirty = true; break;
        case O_BASE_BIN: g->base_bin = val; break;
        case O_SEQUENTIAL: g->sequential = true; break;
        case O_STAGES:
            if (strcmp(val, "1") && strcmp(val, "2")) {
                bg_opt_errf(&p, "--stages takes 1 or 2, not '%s'", val);
                return BG_EINVAL;
            }
            g->stages = val[0] - '0';
            break;
        case O_STAGE2_BUDGET:
            if (bg__parse_number("--stage2-budget", val, 0.1, 86400, &g->stage2_budget))
                return BG_EINVAL;
            break;
        case O_BENCH_ARG:
            if (g->nbench_args >= BG_GATE_MAX_ARGS) {
                bg__errf("too many --bench-arg (at most %d)", BG_GATE_MAX_ARGS);
                return BG_EINVAL;
            }
            g->bench_args[g->nbench_args++] = val;
            break;
        default:
            if (bg__cli_cmp_option(&o->c, id, val) != 0)
                return BG_EINVAL;
        }
    }
    if (o->g.allow_dirty && !o->g.ab) {
        bg__errf("--allow-dirty goes with --ab only (it lets --ab measure commit HEAD although "
                 "the working tree has changes)");
        return BG_EINVAL;
    }
    return 0;
}

static void print_verdict(bg_exit code)
{
    switch (code) {
    case BG_EXIT_OK: printf("gate: passed\n"); break;
    case BG_EXIT_REGRESSION: printf("gate: FAILED: regression\n"); break;
    case BG_EXIT_CRASH: printf("gate: FAILED: a benchmark crashed or timed out in head\n"); break;
    default: break;
    }
}

/* Which stage decided what: one line per benchmark stage 1 could not
 * clear, and a count of the rest. */
static void print_stages(const bg_gate_result *r)
{
    size_t first = 0;
    int wrap = bg__wrap_width(stdout);
    for (size_t i = 0; i < r->cmp->n; i++) {
        const bg_cmp_row *w = &r->cmp->rows[i];
        char ch[96];
        bg__cmp_fmt_change(w, ch, sizeof ch);
        switch (r->rows[i].stage) {
        case BG_GATE_STAGE_SECOND:
            bg__wrapf(stdout, wrap, "stage 2 decided %s: %s %s", w->name, bg__cmp_row_verdict(w), ch);
            break;
        case BG_GATE_STAGE_UNSURE:
            bg__wrapf(stdout, wrap, "stage 1 decided %s: %s %s (%s)", w->name, bg__cmp_row_verdict(w), ch,
                      w->note);
            break;
        case BG_GATE_STAGE_FIRST: first += w->kind == BG_ROW_COMPARED; break;
        }
    }
    bg_msgbuf mb;
    FILE *m = bg__msg_begin(&mb, stdout);
    fprintf(m, "stage 1 cleared %zu benchmark%s; %zu went on to stage 2", first, first == 1 ? "" : "s",
            r->nsuspects);
    if (r->nsuspects && !r->stage2_ran)
        fprintf(m, " (unavailable: %s)", r->stage2_note);
    fputc('\n', m);
    bg__msg_end(&mb, stdout, wrap);
}

int bg__cmd_gate(int argc, char **argv)
{
    gate_cli o;
    memset(&o, 0, sizeof o);
    bg__gate_opts_default(&o.g);
    bg__cli_cmp_default(&o.c);
    bg_gate_result r;
    bg__gate_result_init(&r);

    int prc = parse(argc, argv, &o);
    if (prc == 1)
        return BG_EXIT_OK;
    if (prc) {
        /* Even a bad command line gets its error reports, as far as it
         * names them (--junit and --markdown before the bad option). */
        snprintf(r.why, sizeof r.why, "invalid gate options (see the log and 'benchgate gate --help')");
        bg__gate_write_reports(&r, BG_EXIT_USAGE, o.junit, o.markdown);
        return BG_EXIT_USAGE;
    }
    if (bg__cli_cmp_settings(&o.c) != 0) {
        snprintf(r.why, sizeof r.why, "the settings file (%.900s) is not valid (see the log)",
                 o.c.settings.path[0] ? o.c.settings.path : BG_SETTINGS_FILE);
        bg__gate_write_reports(&r, BG_EXIT_USAGE, o.junit, o.markdown);
        bg__settings_free(&o.c.settings);
        return BG_EXIT_USAGE;
    }
    o.g.store = o.c.store;
    o.g.cmp = o.c.cmp;
    o.g.force = o.c.force;

    bg_exit code = bg__gate_run(&o.g, &r);
    if (!r.cmp) {
        bg__gate_write_reports(&r, code, o.junit, o.markdown);
        if (code == BG_EXIT_CRASH)
            print_verdict(code);
        bg__gate_result_free(&r);
        bg__settings_free(&o.c.settings);
        return code;
    }
    printf("base: %s\nhead: %s\n", r.base_desc, r.head_desc);
    /* A report that cannot be written is an environment error, but it does
     * not hide a regression or a crash: exit 1 and 3 stand. */
    if (bg__cli_emit(r.cmp, o.c.format, o.c.out) != 0 && code == BG_EXIT_OK)
        code = BG_EXIT_USAGE;
    if (!o.g.ab)
        print_stages(&r);
    if (bg__gate_write_reports(&r, code, o.junit, o.markdown) != 0 && code == BG_EXIT_OK)
        code = BG_EXIT_USAGE;
    print_verdict(code);
    bg__gate_result_free(&r);
    bg__settings_free(&o.c.settings);
    return code;
}
