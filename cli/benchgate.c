/* The benchgate command: ls, compare, gate, push and fetch over the run store.
 *
 * Exit codes (all subcommands): 0 success / gate passed, 1 a regression was
 * found (gate), 2 usage or environment error, 3 a benchmark in the head run
 * crashed or timed out (gate). */
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_ab.h"
#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_compare.h"
#include "bg_fingerprint.h"
#include "bg_git.h"
#include "bg_model.h"
#include "bg_stats.h"
#include "bg_store.h"

/* libgit2 1.5 leaks a PCRE2 match block when a config regex does not match
 * (libgit2/libgit2#6382); let LeakSanitizer ignore allocations in libpcre2. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}

enum { EXIT_PASS = 0, EXIT_REGRESSION = 1, EXIT_USAGE = 2, EXIT_CRASH = 3 };

typedef struct opts {
    const char *store;
    bg_cmp_format format;
    const char *out;
    bg_cmp_opts cmp;             /* threshold, alpha, p adjustment, seed, resamples, metric */
    bool force;
    const char *base;
    const char *head;
    const char *junit;
    const char *markdown;
    const char *bench;           /* gate --bench: the bench binary to run */
    bool ab;                     /* gate --ab: rebuild base and run it beside head */
    bool allow_dirty;            /* gate --ab --allow-dirty */
    const char *build_cmd;       /* gate --ab --build-cmd */
    const char *bench_bin;       /* gate --ab --bench-bin */
    const char *filter;          /* gate --filter: the benchmarks measured */
    const char *bench_args[64];  /* gate --bench-arg, in order */
    size_t nbench_args;
    const char *pos[4];
    size_t npos;
} opts;

/* ---- small helpers ---- */

/* ---- option parsing ---- */

enum {
    OPT_STORE = 1 << 0,
    OPT_STATS = 1 << 1,  /* --format --out --threshold --alpha --padjust --force */
    OPT_GATE = 1 << 2,   /* --base --head --junit --markdown */
};

/* Returns 0, 1 for --help (help printed by caller), or EXIT_USAGE + 100. */
static int parse_opts(int argc, char **argv, unsigned allowed, size_t maxpos, opts *o, bool *help)
{
    memset(o, 0, sizeof *o);
    bg__cmp_opts_default(&o->cmp);
    o->format = BG_CMP_CONSOLE;
    *help = false;
    bool no_more_flags = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (no_more_flags || a[0] != '-' || !strcmp(a, "-")) {
            if (o->npos >= maxpos || o->npos >= 4) {
                bg__errf("unexpected argument '%s'", a);
                return EXIT_USAGE;
            }
            o->pos[o->npos++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            no_more_flags = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return 0;
        }
        if (!strcmp(a, "--ab") && (allowed & OPT_GATE)) {
            o->ab = true;
            continue;
        }
        if (!strcmp(a, "--allow-dirty") && (allowed & OPT_GATE)) {
            o->allow_dirty = true;
            continue;
        }
        if (!strcmp(a, "--force") && (allowed & OPT_STATS)) {
            o->force = true;
            o->cmp.force = true;
            continue;
        }
        /* Flags with a value: --flag VALUE or --flag=VALUE. */
        static const struct {
            const char *name;
            unsigned group;
        } vf[] = {{"--store", OPT_STORE},    {"--format", OPT_STATS}, {"--out", OPT_STATS},
                  {"--threshold", OPT_STATS}, {"--alpha", OPT_STATS},  {"--padjust", OPT_STATS},
                  {"--base", OPT_GATE},       {"--head", OPT_GATE},    {"--junit", OPT_GATE},
                  {"--markdown", OPT_GATE},   {"--bench", OPT_GATE},   {"--bench-arg", OPT_GATE},
                  {"--seed", OPT_STATS},      {"--resamples", OPT_STATS}, {"--metric", OPT_STATS},
                  {"--gate-on", OPT_STATS},   {"--build-cmd", OPT_GATE}, {"--bench-bin", OPT_GATE},
                  {"--filter", OPT_GATE}};
        const char *val = NULL;
        const char *name = NULL;
        for (size_t k = 0; k < sizeof vf / sizeof vf[0]; k++) {
            size_t len = strlen(vf[k].name);
            if (!(allowed & vf[k].group) || strncmp(a, vf[k].name, len) != 0)
                continue;
            if (a[len] == '=') {
                val = a + len + 1;
            } else if (a[len] == '\0') {
                if (i + 1 >= argc) {
                    bg__errf("option %s needs a value", vf[k].name);
                    return EXIT_USAGE;
                }
                val = argv[++i];
            } else {
                continue;
            }
            name = vf[k].name;
            break;
        }
        if (!name) {
            bg__errf("unknown option '%s' (see --help)", a);
            return EXIT_USAGE;
        }
        if (!strcmp(name, "--store")) {
            o->store = val;
        } else if (!strcmp(name, "--format")) {
            if (!strcmp(val, "console"))
                o->format = BG_CMP_CONSOLE;
            else if (!strcmp(val, "markdown"))
                o->format = BG_CMP_MARKDOWN;
            else if (!strcmp(val, "csv"))
                o->format = BG_CMP_CSV;
            else if (!strcmp(val, "json"))
                o->format = BG_CMP_JSON;
            else {
                bg__errf("unknown --format '%s' (console, markdown, csv or json)", val);
                return EXIT_USAGE;
            }
        } else if (!strcmp(name, "--out")) {
            o->out = val;
        } else if (!strcmp(name, "--threshold")) {
            if (bg__parse_number(name, val, 0, 1000, &o->cmp.threshold_pct))
                return EXIT_USAGE;
        } else if (!strcmp(name, "--alpha")) {
            if (bg__parse_number(name, val, 1e-12, 1, &o->cmp.alpha))
                return EXIT_USAGE;
        } else if (!strcmp(name, "--padjust")) {
            if (!strcmp(val, "bh"))
                o->cmp.padjust = BG_PADJ_BH;
            else if (!strcmp(val, "holm"))
                o->cmp.padjust = BG_PADJ_HOLM;
            else if (!strcmp(val, "none"))
                o->cmp.padjust = BG_PADJ_NONE;
            else {
                bg__errf("unknown --padjust '%s' (bh, holm or none)", val);
                return EXIT_USAGE;
            }
        } else if (!strcmp(name, "--seed")) {
            double d;
            if (bg__parse_number(name, val, 0, 9007199254740992.0, &d))
                return EXIT_USAGE;
            if (d != (double)(uint64_t)d) {
                bg__errf("invalid value '%s' for --seed (expected a whole number)", val);
                return EXIT_USAGE;
            }
            o->cmp.seed = (uint64_t)d;
        } else if (!strcmp(name, "--resamples")) {
            double d;
            if (bg__parse_number(name, val, 100, 10000000, &d))
                return EXIT_USAGE;
            o->cmp.resamples = (size_t)d;
        } else if (!strcmp(name, "--metric") || !strcmp(name, "--gate-on")) {
            o->cmp.metric = val;
        } else if (!strcmp(name, "--filter")) {
            o->filter = val;
        } else if (!strcmp(name, "--build-cmd")) {
            o->build_cmd = val;
        } else if (!strcmp(name, "--bench-bin")) {
            o->bench_bin = val;
        } else if (!strcmp(name, "--base")) {
            o->base = val;
        } else if (!strcmp(name, "--head")) {
            o->head = val;
        } else if (!strcmp(name, "--junit")) {
            o->junit = val;
        } else if (!strcmp(name, "--markdown")) {
            o->markdown = val;
        } else if (!strcmp(name, "--bench")) {
            o->bench = val;
        } else if (!strcmp(name, "--bench-arg")) {
            if (o->nbench_args >= sizeof o->bench_args / sizeof o->bench_args[0]) {
                bg__errf("too many --bench-arg (at most %zu)", sizeof o->bench_args / sizeof o->bench_args[0]);
                return EXIT_USAGE;
            }
            o->bench_args[o->nbench_args++] = val;
        }
    }
    if (o->allow_dirty && !o->ab) {
        bg__errf("--allow-dirty goes with --ab only (it lets --ab measure commit HEAD although "
                 "the working tree has changes)");
        return EXIT_USAGE;
    }
    return 0;
}

static const char STATS_HELP[] =
    "  --store DIR          the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)\n"
    "  --format FMT         console (default), markdown, csv or json\n"
    "  --out FILE           write the table to FILE instead of stdout\n"
    "  --threshold PCT      noise threshold in percent (default 1)\n"
    "  --alpha X            significance level (default 0.05)\n"
    "  --padjust M          suite-wide p-value adjustment: bh (default), holm or none\n"
    "  --metric NAME        what to compare: time (default, wall ns per iteration;\n"
    "                       instructions when both runs are instruction mode), cpu,\n"
    "                       or a recorded counter such as instructions (alias --gate-on)\n"
    "  --seed N             bootstrap seed (default 1; same seed, same intervals)\n"
    "  --resamples N        bootstrap resamples (default 10000)\n"
    "  --force              compare runs from different machines, or of different\n"
    "                       --mode, anyway\n";

static const char EXIT_HELP[] =
    "Exit codes:\n"
    "  0  no regression (accepted regressions do not fail)\n"
    "  1  at least one benchmark regressed\n"
    "  2  usage or environment error (bad flag, unknown ref, no stored data, different machines)\n"
    "  3  a benchmark in the head run crashed or timed out\n";

static void help_main(FILE *f)
{
    fprintf(f,
            "usage: benchgate <command> [options]\n\n"
            "Commands:\n"
            "  ls        list stored runs\n"
            "  compare   compare two runs (commit-ishes or run record files)\n"
            "  gate      CI gate: compare head against base and fail on a regression\n"
            "  baseline  name a stored run (ls, save NAME [REF], rm NAME)\n"
            "  push      share stored runs as git notes with a remote\n"
            "  report    write the HTML report (plots, history, change points)\n"
            "  export    write a run as CSV, Google Benchmark JSON or a Chrome trace\n"
            "  import    store Google Benchmark JSON as a run (import gbench FILE)\n"
            "  fetch     import runs shared as git notes from a remote\n"
            "  ab        build two revisions and compare them, runs interleaved\n"
            "  doctor    what on this machine makes benchmarks noisy, and the fixes\n\n"
            "Run 'benchgate <command> --help' for its options.\n\n%s",
            EXIT_HELP);
}

static void help_cmd(const char *cmd)
{
    if (!strcmp(cmd, "ls"))
        printf("usage: benchgate ls [REF] [--store DIR]\n\n"
               "Lists stored runs, oldest first: commit, machine, time (UTC), benchmarks, path;\n"
               "with REF (a commit-ish), only the runs of that commit.\n"
               "Files that cannot be read are skipped and named on stderr.\n");
    else if (!strcmp(cmd, "compare"))
        printf("usage: benchgate compare A B [options]\n\n"
               "A and B are commit-ishes (the newest stored run of that commit, on the same\n"
               "machine as the other side when possible) or paths to run record files.\n"
               "Compares the mean per-iteration time of every benchmark present in both\n"
               "with a hierarchical bootstrap; p-values are adjusted across the suite.\n\n"
               "Options:\n%s\n%s",
               STATS_HELP, EXIT_HELP);
    else if (!strcmp(cmd, "gate"))
        printf("usage: benchgate gate [--base REF] [--head FILE-or-REF] [--bench PATH] [options]\n\n"
               "  --base REF           baseline commit-ish or run file (default: merge-base of\n"
               "                       HEAD with main, else master; on main itself, HEAD's\n"
               "                       parent, also with --ab, unless head is a working tree\n"
               "                       with uncommitted changes: then HEAD)\n"
               "  --head FILE-or-REF   candidate (default: the newest stored run of HEAD)\n"
               "  --junit FILE         write JUnit XML (a regression is a <failure>, a crash an\n"
               "                       <error>; when the gate cannot decide, one <error> why)\n"
               "  --markdown FILE      write a Markdown summary (also appended to\n"
               "                       $GITHUB_STEP_SUMMARY when set)\n"
               "  --bench PATH         measure head now: run the bench binary PATH with --save\n"
               "                       (in the current directory) after loading the base;\n"
               "                       regressed benchmarks are re-run once (not saved) and\n"
               "                       fail only when the re-run confirms them\n"
               "  --bench-arg ARG      pass ARG to the bench binary (repeatable)\n"
               "  --filter REGEX       measure only the benchmarks whose names match\n"
               "  --ab                 do not read base from the store: check out base and head\n"
               "                       (the working tree, or --head REV) into temporary\n"
               "                       worktrees, build both and run them interleaved, block\n"
               "                       by block (see 'benchgate ab --help'); both runs are\n"
               "                       saved. Robust to drift between runs made at different\n"
               "                       times; takes --build-cmd CMD, --bench-bin PATH and\n"
               "                       --allow-dirty (measure commit HEAD as head although\n"
               "                       the tree has changes)\n"
               "%s\n"
               "A base commit without a stored run falls back to its nearest first-parent\n"
               "ancestor with one (at most %d commits back), with a note.\n\n"
               "A commit trailer between base and head of the form\n"
               "    Bench-Accept: <glob> +<N>%%\n"
               "accepts a regression of a benchmark matching <glob> by at most N percent.\n\n%s",
               STATS_HELP, BG_ANCESTOR_BOUND, EXIT_HELP);
    else if (!strcmp(cmd, "baseline"))
        printf("usage: benchgate baseline ls | save NAME [REF-or-FILE] | rm NAME [--store DIR]\n\n"
               "A named baseline is a copy of one stored run kept as <store>/baselines/NAME.json;\n"
               "save takes the newest stored run of REF (default HEAD) or a run record file.\n"
               "Wherever a run is expected (compare A B, gate --base, the bench binary's\n"
               "--baseline) a name is looked up in this order: an existing file, a named\n"
               "baseline, a git revision.\n");
    else if (!strcmp(cmd, "push"))
        printf("usage: benchgate push [remote] [--store DIR]\n\n"
               "Exports stored runs into git notes (%s) and pushes them to remote\n"
               "(default origin).\n",
               BG_STORE_NOTES_REF);
    else if (!strcmp(cmd, "fetch"))
        printf("usage: benchgate fetch [remote] [--store DIR]\n\n"
               "Fetches git notes (%s) from remote (default origin) and imports the runs\n"
               "into the store.\n",
               BG_STORE_NOTES_REF);
}

/* Opens the store of --store, $BENCHGATE_DIR or the repository into *st
 * (the caller closes it). Returns 0, or EXIT_USAGE with the error printed
 * and, when why is not NULL, copied there for a report. */
static int open_store(const opts *o, bg_store **st, char *why, size_t nwhy)
{
    char err[512] = "";
    int rc = bg_store_open(st, o->store, NULL, err, sizeof err);
    if (rc) {
        bg__errf("cannot open the run store: %s", err);
        if (why)
            snprintf(why, nwhy, "cannot open the run store: %s", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- comparing and writing ---- */

/* 0 when comparable (or forced), else prints why (also into why when not
 * NULL) and returns EXIT_USAGE. */
static int check_machines(const bg_side *a, const bg_side *b, bool force, char *why, size_t nwhy)
{
    char msg[1024] = "";
    if (bg__machines_differ(&a->run, &b->run, msg, sizeof msg) == 0)
        return 0;
    if (force) {
        fprintf(stderr, "benchgate: warning (--force): %s\n", msg);
        return 0;
    }
    bg__errf("refusing to compare runs from different machines: %s (A: %s, B: %s); use --force to "
         "compare anyway",
         msg, a->path, b->path);
    if (why)
        snprintf(why, nwhy, "base and head come from different machines: %.400s (use --force to "
                 "compare anyway)", msg);
    return EXIT_USAGE;
}

/* Compares the two runs; prints why on failure (EXIT_USAGE). */
static int compare(const bg_run *a, const bg_run *b, const opts *o, bg_comparison *c)
{
    char err[512] = "";
    int rc = bg__compare_runs(a, b, &o->cmp, c, err, sizeof err);
    if (rc) {
        bg__errf("cannot compare: %s", err[0] ? err : bg_strerror(rc));
        return EXIT_USAGE;
    }
    return 0;
}

static int emit(const bg_comparison *c, const opts *o)
{
    FILE *f = stdout;
    if (o->out) {
        f = fopen(o->out, "w");
        if (!f) {
            bg__errf("cannot write %s: %s", o->out, strerror(errno));
            return EXIT_USAGE;
        }
    }
    int rc = bg__cmp_print(f, c, o->format);
    if (f != stdout && fclose(f) != 0) {
        bg__errf("cannot write %s: %s", o->out, strerror(errno));
        return EXIT_USAGE;
    }
    if (rc) {
        bg__errf("cannot write the comparison: %s", bg_strerror(rc));
        return EXIT_USAGE;
    }
    return 0;
}

static int write_junit(const char *path, const bg_comparison *c)
{
    char err[512] = "";
    if (bg__cmp_write_junit(path, c, "benchgate", err, sizeof err) != 0) {
        bg__errf("cannot write JUnit XML: %s", err[0] ? err : path);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- ls ---- */

/* Opens the store for a command that only reads it: a --store or
 * $BENCHGATE_DIR that does not exist or is not a directory is an error
 * naming it (exit 2). */
static int open_store_to_read(const opts *o, bg_store **st)
{
    if (open_store(o, st, NULL, 0))
        return EXIT_USAGE;
    char err[1024] = "";
    if (bg_store_require_dir(*st, err, sizeof err) != 0) {
        bg__errf("%s", err);
        bg_store_close(st);
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_ls(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE, 1, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("ls");
        return 0;
    }
    /* ls REF: only the runs of that commit */
    char commit[BG_GIT_OID_BUF] = "";
    const char *only = NULL;
    if (o.npos == 1) {
        char gerr[512] = "";
        bg_git *g = NULL;
        if (bg_git_open(&g, NULL, gerr, sizeof gerr) != 0 ||
            bg_git_resolve(g, o.pos[0], commit, gerr, sizeof gerr) != 0) {
            bg__errf("ls %s: %s", o.pos[0], gerr);
            bg_git_close(&g);
            return EXIT_USAGE;
        }
        bg_git_close(&g);
        only = commit;
    }
    bg_store *st = NULL;
    if (open_store_to_read(&o, &st))
        return EXIT_USAGE;
    bg_run_list l;
    char err[512] = "";
    memset(&l, 0, sizeof l);
    /* Each run loaded in full, as compare and gate would, in the one read
     * that lists it: a run whose envelope is fine but whose benchmarks are
     * not is listed as damaged. */
    int rc = bg_store_list_ex(st, only, NULL, BG_STORE_LIST_FULL, &l, bg__skip_report, NULL, err, sizeof err);
    if (rc) {
        bg__errf("cannot list the store %s: %s", bg_store_dir(st), err);
        bg_store_close(&st);
        return EXIT_USAGE;
    }
    printf("%-12s  %-12s  %-20s  %7s  %s\n", "commit", "machine", "time (UTC)", "benches", "path");
    size_t damaged = 0;
    for (size_t i = 0; i < l.n; i++) {
        const bg_run_entry *e = &l.runs[i];
        char when[32] = "?";
        time_t t = (time_t)e->meta.created_unix;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char nb[32] = "damaged";
        if (!e->damage)
            snprintf(nb, sizeof nb, "%zu", e->nbench);
        else {
            fprintf(stderr, "benchgate: damaged: %s\n", e->damage);
            damaged++;
        }
        printf("%-12.12s  %-12s  %-20s  %7s  %s\n", e->meta.commit[0] ? e->meta.commit : "no-commit",
               e->meta.machine, when, nb, e->path);
    }
    if (l.skipped)
        fprintf(stderr, "benchgate: %zu file(s) skipped\n", l.skipped);
    if (damaged)
        fprintf(stderr, "benchgate: %zu run(s) damaged; compare and gate skip them for the next-newest run\n",
                damaged);
    if (!l.n && only)
        printf("(no runs of %s (%.12s) stored in %s)\n", o.pos[0], only, bg_store_dir(st));
    else if (!l.n)
        printf("(no runs stored in %s)\n", bg_store_dir(st));
    bg_run_list_free(&l);
    bg_store_close(&st);
    return 0;
}

/* ---- compare ---- */

static int cmd_compare(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE | OPT_STATS, 2, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("compare");
        return 0;
    }
    if (o.npos != 2) {
        bg__errf("compare needs two runs: benchgate compare A B (see --help)");
        return EXIT_USAGE;
    }
    bg_store *st = NULL;
    if (open_store_to_read(&o, &st))
        return EXIT_USAGE;
    bg_git *g = NULL;
    bg_side a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ret = EXIT_USAGE;
    if (bg__load_pair(st, &g, &a, o.pos[0], "A", "A", &b, o.pos[1], "B", "B") != 0)
        goto done;
    if (check_machines(&a, &b, o.force, NULL, 0))
        goto done;
    bg_comparison c;
    if (compare(&a.run, &b.run, &o, &c) != 0)
        goto done;
    ret = emit(&c, &o);
    bg__comparison_free(&c);
done:
    bg__side_free(&a);
    bg__side_free(&b);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

/* ---- gate ---- */

typedef struct accept_rule {
    char glob[256];
    double pct;
    char commit[BG_GIT_OID_BUF];
} accept_rule;

/* Parses "Bench-Accept: <glob> +<N>%" lines of every message. */
static size_t parse_trailers(const bg_git_commit_msg *msgs, size_t n, accept_rule **out)
{
    size_t cap = 0, cnt = 0;
    accept_rule *r = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *p = msgs[i].message;
        while (p && *p) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            static const char key[] = "Bench-Accept:";
            if (len > sizeof key - 1 && strncasecmp(p, key, sizeof key - 1) == 0) {
                char line[512];
                snprintf(line, sizeof line, "%.*s", (int)(len - (sizeof key - 1)), p + sizeof key - 1);
                char glob[256];
                double pct;
                char pc = 0;
                if (sscanf(line, " %255s +%lf%c", glob, &pct, &pc) == 3 && pc == '%' && pct >= 0) {
                    if (cnt == cap) {
                        cap = cap ? 2 * cap : 4;
                        accept_rule *nr = realloc(r, cap * sizeof *r);
                        if (!nr)
                            break;
                        r = nr;
                    }
                    snprintf(r[cnt].glob, sizeof r[cnt].glob, "%s", glob);
                    r[cnt].pct = pct;
                    snprintf(r[cnt].commit, sizeof r[cnt].commit, "%s", msgs[i].id);
                    cnt++;
                } else {
                    fprintf(stderr,
                            "benchgate: warning: ignoring malformed trailer in commit %.12s: '%.*s' "
                            "(expected 'Bench-Accept: <glob> +<N>%%')\n",
                            msgs[i].id, (int)len, p);
                }
            }
            p = eol ? eol + 1 : NULL;
        }
    }
    *out = r;
    return cnt;
}

/* What the gate's reports say: the comparison of base and head (labels)
 * with the gate's exit code, or, with c NULL, that the gate ended (code 2
 * or 3) before it could compare, and why. Plain pointers, owned elsewhere. */
typedef struct gate_outcome {
    const bg_comparison *c;
    const char *base, *head;
    const char *why;
    int code;
} gate_outcome;

/* Writes the Markdown summary of g to path, opened with fopen mode "w" or
 * "a" ($GITHUB_STEP_SUMMARY is appended to). Returns 0, or EXIT_USAGE when
 * path could not be written (said on stderr). */
static int write_markdown_file(const char *path, const char *mode, const gate_outcome *g)
{
    FILE *f = fopen(path, mode);
    if (!f) {
        bg__errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    if (g->c) {
        static const char *const res[] = {"passed", "failed: regression", "error",
                                          "failed: crash or timeout"};
        fprintf(f, "## benchgate gate: %s\n\nbase `%.40s` vs head `%.40s`\n\n", res[g->code & 3],
                g->base, g->head);
        bg__cmp_print_markdown(f, g->c, NULL);
    } else {
        /* A message of several lines (a build's output) goes into a code block. */
        const char *nl = strchr(g->why, '\n');
        fprintf(f, "## benchgate gate: %s\n\nThe gate could not decide: %.*s\n\n",
                g->code == EXIT_CRASH ? "failed: crash" : "error",
                nl ? (int)(nl - g->why) : (int)strlen(g->why), g->why);
        if (nl)
            fprintf(f, "```\n%s\n```\n\n", nl + 1);
    }
    if (fclose(f) != 0) {
        bg__errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

/* The default base: the merge-base of HEAD with the first of main, master,
 * origin/main, origin/master that exists, as 40 hex in out; name gets
 * "merge-base of HEAD and <branch>" and branch the branch (static string).
 * On failure fills why and returns EXIT_USAGE. */
static int default_base(bg_git *g, char out[BG_GIT_OID_BUF], char *name, size_t nlen,
                        const char **branch, char *why, size_t nwhy)
{
    char err[512] = "";
    static const char *const mains[] = {"main", "master", "origin/main", "origin/master"};
    for (size_t i = 0; i < sizeof mains / sizeof mains[0]; i++) {
        if (bg_git_merge_base(g, "HEAD", mains[i], out, err, sizeof err) == 0) {
            snprintf(name, nlen, "merge-base of HEAD and %s", mains[i]);
            *branch = mains[i];
            return 0;
        }
    }
    snprintf(why, nwhy, "no --base given and no merge-base of HEAD with main or master: %s", err);
    bg__errf("%s", why);
    return EXIT_USAGE;
}

/* Runs the bench binary o->bench (fork + execv, no shell, cwd unchanged)
 * with the --bench-args, then `--filter FILTER` when given, `--save` and
 * `--store DIR` when gate has one (save) or `--no-save` (!save: a re-run
 * must not become the newest stored run of HEAD), and `--json TMP`, and
 * loads the run it wrote into *out (owned by the caller: bg__side_free).
 * The child's stdout goes to our stderr so that gate's own output stays
 * clean. Returns 0, or EXIT_USAGE or EXIT_CRASH with the reason in why. */
static int run_bench(const opts *o, const char *filter, bool save, bg_side *out, char *why,
                     size_t nwhy)
{
    const char *tmpdir = getenv("TMPDIR");
    char json[4096];
    snprintf(json, sizeof json, "%s/benchgate-run-XXXXXX.json", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemps(json, 5);
    if (fd < 0) {
        snprintf(why, nwhy, "cannot create a temporary file %.300s: %.300s", json, strerror(errno));
        bg__errf("%s", why);
        return EXIT_USAGE;
    }
    close(fd);
    const char *av[sizeof o->bench_args / sizeof o->bench_args[0] + 12];
    size_t n = 0;
    av[n++] = o->bench;
    for (size_t i = 0; i < o->nbench_args; i++)
        av[n++] = o->bench_args[i];
    if (o->filter && !filter) {
        av[n++] = "--filter";
        av[n++] = o->filter;
    }
    if (filter) {
        av[n++] = "--filter";
        av[n++] = filter;
    }
    if (save) {
        av[n++] = "--save";
        if (o->store) {
            av[n++] = "--store";
            av[n++] = o->store;
        }
    } else {
        av[n++] = "--no-save";
    }
    av[n++] = "--json";
    av[n++] = json;
    av[n] = NULL;
    fprintf(stderr, "benchgate: running:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", av[i]);
    fputc('\n', stderr);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, nwhy, "cannot fork to run %.300s: %.300s", o->bench, strerror(errno));
        bg__errf("%s", why);
        unlink(json);
        return EXIT_USAGE;
    }
    if (pid == 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(o->bench, (char *const *)av);
        fprintf(stderr, "benchgate: cannot run %s: %s\n", o->bench, strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            snprintf(why, nwhy, "waiting for %.300s: %.300s", o->bench, strerror(errno));
            bg__errf("%s", why);
            unlink(json);
            return EXIT_USAGE;
        }
    }
    int ret = 0;
    if (WIFSIGNALED(st)) {
        snprintf(why, nwhy, "the bench binary %.300s was killed by signal %d (%.300s)", o->bench,
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
        bg__errf("%s", why);
        ret = EXIT_CRASH;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        snprintf(why, nwhy, "cannot run the bench binary %.300s (exit 127; see the log)", o->bench);
        ret = EXIT_USAGE;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
        snprintf(why, nwhy, "the bench binary %.300s failed with a usage or environment error (exit 2)",
                 o->bench);
        bg__errf("%s", why);
        ret = EXIT_USAGE;
    }
    if (ret == 0) {
        /* Exit 0, or 3 with crashed benchmarks in the record (reported by the comparison). */
        if (bg__side_load_file(json, out) != 0) {
            snprintf(why, nwhy, "the bench binary %.300s wrote no readable run (exit %d)", o->bench,
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            bg__errf("%s", why);
            ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_USAGE : EXIT_CRASH;
        } else {
            snprintf(out->path, sizeof out->path, "measured now by %s", o->bench);
        }
    }
    unlink(json);
    return ret;
}

/* Appends s to the regex in buf, escaping ERE metacharacters. */
static void regex_append(char *buf, size_t n, const char *s)
{
    size_t len = strlen(buf);
    for (; *s && len + 3 < n; s++) {
        if (strchr(".[](){}*+?|^$\\", *s))
            buf[len++] = '\\';
        buf[len++] = *s;
    }
    buf[len] = '\0';
}

/* Marks w accepted when a Bench-Accept rule covers its regression. */
static void apply_accept(bg_cmp_row *w, const accept_rule *rules, size_t nrules)
{
    if (w->kind != BG_ROW_COMPARED || w->verdict != BG_VERDICT_REGRESSED)
        return;
    for (size_t k = 0; k < nrules; k++)
        if (fnmatch(rules[k].glob, w->name, 0) == 0 && 100 * w->ch.change <= rules[k].pct) {
            w->accepted = true;
            snprintf(w->note, sizeof w->note, "Bench-Accept: %s +%g%% in %.12s", rules[k].glob,
                     rules[k].pct, rules[k].commit);
            return;
        }
}

/* Re-runs the regressed benchmarks of c once, without saving (the stored
 * run of HEAD stays the full first run), and re-compares them against base
 * with the new samples; a regression stands only when confirmed. Sets
 * *regression and *crashed; returns 0 or an exit code with the reason in
 * why. */
static int remeasure(const opts *o, const bg_side *a, bg_comparison *c, const accept_rule *rules,
                     size_t nrules, bool *regression, bool *crashed, char *why, size_t nwhy)
{
    char filter[8192] = "^(";
    size_t nreg = 0;
    for (size_t i = 0; i < c->n; i++)
        if (bg__cmp_row_is_regression(&c->rows[i])) {
            if (nreg++ && strlen(filter) + 1 < sizeof filter)
                strcat(filter, "|");
            regex_append(filter, sizeof filter, c->rows[i].name);
        }
    if (strlen(filter) + 3 >= sizeof filter) {
        snprintf(why, nwhy, "too many regressed benchmarks to re-measure");
        bg__errf("%s", why);
        return EXIT_USAGE;
    }
    strcat(filter, ")$");
    bg_side r;
    memset(&r, 0, sizeof r);
    int rc = run_bench(o, filter, false, &r, why, nwhy);
    if (rc)
        return rc;
    bg_comparison c2;
    if (compare(&a->run, &r.run, o, &c2) != 0) {
        snprintf(why, nwhy, "cannot compare the re-measured benchmarks with the base (see the log)");
        bg__side_free(&r);
        return EXIT_USAGE;
    }
    *regression = false;
    for (size_t i = 0; i < c->n; i++) {
        bg_cmp_row *w = &c->rows[i];
        if (!bg__cmp_row_is_regression(w))
            continue;
        const bg_cmp_row *w2 = NULL;
        for (size_t k = 0; k < c2.n && !w2; k++)
            if (!strcmp(c2.rows[k].name, w->name))
                w2 = &c2.rows[k];
        if (!w2 || w2->kind == BG_ROW_ONLY_A) {
            printf("re-measured: confirmed %s (missing from the re-run; the regression stands)\n",
                   w->name);
            *regression = true;
            continue;
        }
        const char *name = w->name;
        *w = *w2;
        w->name = name;
        if (w->head_failed)
            *crashed = true;
        apply_accept(w, rules, nrules);
        char ch[96];
        bg__cmp_fmt_change(w, ch, sizeof ch);
        if (bg__cmp_row_is_regression(w)) {
            *regression = true;
            printf("re-measured: confirmed %s (%s)\n", w->name, ch);
        } else {
            printf("re-measured: not confirmed %s (now %s %s)\n", w->name, bg__cmp_row_verdict(w), ch);
        }
    }
    bg__comparison_free(&c2);
    bg__side_free(&r);
    return 0;
}

/* Writes the gate's reports of g: the JUnit file (--junit), the Markdown
 * summary (--markdown) and $GITHUB_STEP_SUMMARY when set. Without a
 * comparison (g->c NULL) the JUnit file has one <error> test case named
 * "gate" whose message is g->why, and the summaries say why the gate could
 * not decide, so that CI shows the cause rather than a missing report.
 * Returns 0, or EXIT_USAGE when a file could not be written (said on
 * stderr). */
static int write_reports(const opts *o, const gate_outcome *g)
{
    int rc = 0;
    if (o->junit) {
        const bg_comparison *c = g->c;
        bg_cmp_row row;
        bg_comparison err_c;
        if (!c) {
            memset(&row, 0, sizeof row);
            row.name = "gate";
            row.kind = BG_ROW_NOT_OK;
            row.head_failed = true; /* written as an <error> with the note as its message */
            row.mean_a = row.mean_b = row.p_adj = NAN;
            snprintf(row.note, sizeof row.note, "%s", g->why);
            memset(&err_c, 0, sizeof err_c);
            err_c.rows = &row;
            err_c.n = 1;
            c = &err_c;
        }
        if (write_junit(o->junit, c) != 0)
            rc = EXIT_USAGE;
    }
    if (o->markdown && write_markdown_file(o->markdown, "w", g) != 0)
        rc = EXIT_USAGE;
    const char *gss = getenv("GITHUB_STEP_SUMMARY");
    if (gss && gss[0] && write_markdown_file(gss, "a", g) != 0)
        rc = EXIT_USAGE;
    return rc;
}

/* Reads the Bench-Accept trailers of the commits base..head. */
static size_t accept_rules(bg_git **g, const char *base, const char *head, bg_git_commit_msg **msgs,
                           size_t *nmsgs, accept_rule **rules)
{
    char err[512] = "";
    *rules = NULL;
    if (!base[0] || !head[0])
        return 0;
    if (!*g && bg_git_open(g, NULL, err, sizeof err) != 0) {
        *g = NULL;
        return 0;
    }
    if (bg_git_log(*g, base, head, 0, msgs, nmsgs, err, sizeof err) != 0) {
        fprintf(stderr, "benchgate: warning: cannot read commits %.12s..%.12s for Bench-Accept "
                        "trailers: %s\n", base, head, err);
        return 0;
    }
    return parse_trailers(*msgs, *nmsgs, rules);
}

static void print_gate_result(int ret)
{
    switch (ret) {
    case EXIT_PASS: printf("gate: passed\n"); break;
    case EXIT_REGRESSION: printf("gate: FAILED: regression\n"); break;
    case EXIT_CRASH: printf("gate: FAILED: a benchmark crashed or timed out in head\n"); break;
    default: break;
    }
}

/* gate --ab: the base revision is checked out, built and run interleaved
 * with head (the working tree, or --head REV) instead of being read from
 * the store; both runs are saved. No re-measurement: the interleaved runs
 * continue until the interval reaches its target. Sets *reported once the
 * comparison's reports are written; an error before that (exit 2) leaves
 * them to the caller, with the reason in why. Returns the exit code. */
static int gate_ab(const opts *o, bg_git **g, const char *base_spec, bool *reported, char *why,
                   size_t nwhy)
{
    if (o->cmp.metric) {
        snprintf(why, nwhy,
                 "--metric/--gate-on %.100s cannot be combined with --ab: --ab compares the time "
                 "per iteration of interleaved runs only; gate on a counter without --ab (stored "
                 "runs or --bench)", o->cmp.metric);
        bg__errf("%s", why);
        return EXIT_USAGE;
    }
    bg_ab_opts ao;
    bg__ab_opts_default(&ao);
    ao.allow_dirty = o->allow_dirty;
    ao.gate_wording = true;
    ao.a.rev = base_spec;
    ao.b.rev = o->head;
    ao.build_cmd = o->build_cmd;
    ao.bench_bin = o->bench_bin;
    ao.cmp = o->cmp;
    ao.store = o->store;
    ao.filter = o->filter;
    if (o->nbench_args > BG_AB_MAX_ARGS) {
        snprintf(why, nwhy, "too many --bench-arg for --ab (at most %d)", BG_AB_MAX_ARGS);
        bg__errf("%s", why);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < o->nbench_args; i++)
        ao.bench_args[ao.nbench_args++] = o->bench_args[i];
    bg_ab_result r;
    int rc = bg__ab_run_cli(&ao, &r, "gate --ab", why, nwhy);
    if (rc)
        return rc;
    bg_git_commit_msg *msgs = NULL;
    size_t nmsgs = 0;
    accept_rule *rules = NULL;
    size_t nrules = accept_rules(g, r.commit_a, r.commit_b[0] ? r.commit_b : "HEAD", &msgs, &nmsgs,
                                 &rules);
    for (size_t i = 0; i < r.cmp.n; i++)
        apply_accept(&r.cmp.rows[i], rules, nrules);
    int ret = bg__ab_exit_code(&r);
    printf("base: %s\nhead: %s\n", r.label_a, r.label_b);
    /* As without --ab: a report that cannot be written makes a passing
     * gate exit 2, but a regression (1) or a crash (3) stands. */
    *reported = true;
    if (emit(&r.cmp, o) != 0 && ret == EXIT_PASS)
        ret = EXIT_USAGE;
    char la[64], lb[64];
    snprintf(la, sizeof la, "%.12s", r.commit_a[0] ? r.commit_a : "base");
    snprintf(lb, sizeof lb, "%.12s", r.commit_b[0] ? r.commit_b : "working tree");
    gate_outcome go = {.c = &r.cmp, .base = la, .head = lb, .code = ret};
    if (write_reports(o, &go) != 0 && ret == EXIT_PASS)
        ret = EXIT_USAGE;
    print_gate_result(ret);
    free(rules);
    bg_git_log_free(msgs, nmsgs);
    bg__ab_result_free(&r);
    return ret;
}

/* On the main branch the default base, the merge-base of head with
 * main_branch, is head's own commit: base (40 hex, replaced in place)
 * becomes that commit's first parent, with a note naming head_name
 * ("HEAD" or --head). Returns 0, or EXIT_USAGE with why filled (and
 * printed) when the commit has no parent here (a root commit, the edge of
 * a shallow clone). */
static int base_to_parent(bg_git *g, char base[BG_GIT_OID_BUF], const char *head_name,
                          const char *main_branch, char *why, size_t nwhy)
{
    char err[512] = "";
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    if (bg_git_ancestors(g, base, 2, &ids, &n, err, sizeof err) != 0 || n < 2) {
        snprintf(why, nwhy,
                 "%.100s is the merge-base with %s and has no parent to compare with (a root "
                 "commit, or the edge of a shallow clone%s%.200s); give --base REF",
                 head_name, main_branch, err[0] ? ": " : "", err);
        bg__errf("%s", why);
        free(ids);
        return EXIT_USAGE;
    }
    fprintf(stderr, "benchgate: note: %s is the merge-base with %s; comparing with its parent %.12s\n",
            head_name, main_branch, ids[1]);
    snprintf(base, BG_GIT_OID_BUF, "%s", ids[1]);
    free(ids);
    return 0;
}

/* The default base of gate --ab (base, the merge-base with main_branch,
 * updated in place): when it is head's own commit (a gate on main), the
 * first parent (base_to_parent), as without --ab. Except when head is the
 * working tree (no --head) with uncommitted changes: comparing those with
 * HEAD is what --ab is for there, so the base stays HEAD (with a note).
 * Returns 0, or EXIT_USAGE with why. */
static int ab_default_base(const opts *o, bg_git *g, char base[BG_GIT_OID_BUF],
                           const char *main_branch, char *why, size_t nwhy)
{
    const char *head_name = o->head ? o->head : "HEAD";
    char head[BG_GIT_OID_BUF], err[512] = "";
    /* An unknown --head is left to ab, whose message names it. */
    if (bg_git_resolve(g, head_name, head, err, sizeof err) != 0 || strcmp(head, base) != 0)
        return 0;
    if (!o->head) {
        int dirty = 0;
        char first[256] = "";
        if (bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err) != 0) {
            snprintf(why, nwhy, "cannot tell whether the working tree has uncommitted changes: %.600s",
                     err);
            bg__errf("%s", why);
            return EXIT_USAGE;
        }
        if (dirty) {
            fprintf(stderr,
                    "benchgate: note: HEAD is the merge-base with %s and the working tree has "
                    "uncommitted changes (%s, ...): comparing them with HEAD\n",
                    main_branch, first);
            return 0;
        }
    }
    return base_to_parent(g, base, head_name, main_branch, why, nwhy);
}

/* Resolves the head commit for the base check: HEAD for --bench (the run
 * about to be measured), else head's resolved commit ("" when unknown). */
static void head_commit_of(const opts *o, bg_git **g, const bg_side *b, char out[BG_GIT_OID_BUF])
{
    char err[512] = "";
    out[0] = '\0';
    if (!o->bench) {
        if (!b->loaded)
            snprintf(out, BG_GIT_OID_BUF, "%s", b->commit);
        return;
    }
    if (!*g && bg_git_open(g, NULL, err, sizeof err) != 0) {
        *g = NULL;
        return;
    }
    if (bg_git_resolve(*g, "HEAD", out, err, sizeof err) != 0)
        out[0] = '\0';
}

/* The sides of a gate, loaded in an order that never compares a run with
 * itself: the base is resolved and loaded before --bench measures head (the
 * run it saves cannot be picked as the base), and a default base (the
 * merge-base with main) that is head's own commit (a gate on main) is
 * replaced by its first parent, with a note. Fills a and b (b measured now
 * with --bench); returns 0, or an exit code with the reason in why. */
static int gate_load(const opts *o, bg_store *st, bg_git **g, bg_side *a, bg_side *b,
                     const char *base_spec, const char *base_label, const char *main_branch,
                     char *why, size_t nwhy)
{
    const char *head_spec = o->head ? o->head : "HEAD";
    if (bg__side_resolve(st, g, a, base_spec) != 0) {
        snprintf(why, nwhy, "cannot resolve the base '%.300s' (see the log)", base_spec);
        return EXIT_USAGE;
    }
    if (!o->bench && bg__side_resolve(st, g, b, head_spec) != 0) {
        snprintf(why, nwhy, "cannot resolve the head '%.300s' (see the log)", head_spec);
        return EXIT_USAGE;
    }
    char head_commit[BG_GIT_OID_BUF], parent_label[128];
    head_commit_of(o, g, b, head_commit);
    if (main_branch && !a->loaded && *g && head_commit[0] && !strcmp(a->commit, head_commit)) {
        int rc = base_to_parent(*g, a->commit, o->head ? o->head : "HEAD", main_branch, why, nwhy);
        if (rc)
            return rc;
        snprintf(parent_label, sizeof parent_label, "base (parent of %.100s)", o->head ? o->head : "HEAD");
        base_label = parent_label;
    }
    char want[BG_GIT_OID_BUF];
    snprintf(want, sizeof want, "%s", a->commit);
    bool a_stored = !a->loaded;
    if (!o->bench) {
        if (!b->loaded && bg__side_load_store(st, *g, b, "head", "head",
                                              a->loaded ? a->run.machine_id : NULL) != 0) {
            snprintf(why, nwhy, "no stored run for the head '%.300s' (see the log)", head_spec);
            return EXIT_USAGE;
        }
        if (a_stored && bg__side_load_store(st, *g, a, "base", base_label, b->run.machine_id) != 0) {
            snprintf(why, nwhy, "no stored run for the base '%.300s' nor its nearest ancestors (see "
                     "the log)", base_spec);
            return EXIT_USAGE;
        }
        if (!strcmp(a->path, b->path)) {
            snprintf(why, nwhy,
                     "base and head are the same stored run %.600s: nothing to compare. Measure head "
                     "first (gate --bench PATH, or the bench binary with --save), or give another "
                     "--base", a->path);
            bg__errf("%s", why);
            return EXIT_USAGE;
        }
        return 0;
    }
    /* --bench: the base first, so that a missing base fails before measuring. */
    if (a_stored && bg__side_load_store(st, *g, a, "base", base_label, NULL) != 0) {
        snprintf(why, nwhy, "no stored run for the base '%.300s' nor its nearest ancestors (see the "
                 "log)", base_spec);
        return EXIT_USAGE;
    }
    int rc = run_bench(o, NULL, true, b, why, nwhy);
    if (rc)
        return rc;
    /* The newest base run came from another machine: prefer one from head's
     * machine when the base commit has one. The base is not head's commit
     * here (else the run just saved could be picked), so that is safe. */
    if (a_stored && strcmp(a->run.machine_id, b->run.machine_id) != 0 && strcmp(want, head_commit) != 0) {
        bg_side a2;
        memset(&a2, 0, sizeof a2);
        snprintf(a2.commit, sizeof a2.commit, "%s", want);
        a2.spec = a->spec;
        if (bg__side_load_store(st, *g, &a2, "base", base_label, b->run.machine_id) == 0) {
            bg__side_free(a);
            *a = a2;
        } else {
            bg__side_free(&a2);
        }
    }
    return 0;
}

static int cmd_gate(int argc, char **argv)
{
    opts o;
    bool help;
    bg_store *st = NULL;
    bg_git *g = NULL;
    bg_side a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ret = EXIT_USAGE;
    bool reported = false; /* the comparison's reports were written */
    char err[512] = "", why[1024] = "";
    char base_id[BG_GIT_OID_BUF], base_name[128];
    const char *base_spec = NULL, *main_branch = NULL;
    bg_comparison c;
    memset(&c, 0, sizeof c);
    bg_git_commit_msg *msgs = NULL;
    size_t nmsgs = 0;
    accept_rule *rules = NULL;
    size_t nrules = 0;

    /* Even a bad command line gets its error reports, as far as it names
     * them (--junit and --markdown before the bad option). */
    if (parse_opts(argc, argv, OPT_STORE | OPT_STATS | OPT_GATE, 0, &o, &help)) {
        snprintf(why, sizeof why, "invalid gate options (see the log and 'benchgate gate --help')");
        goto done;
    }
    if (help) {
        help_cmd("gate");
        return 0;
    }
    if (open_store(&o, &st, why, sizeof why))
        goto done;
    base_spec = o.base;

    if (!base_spec) {
        if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
            snprintf(why, sizeof why, "no --base given and no git repository: %s", err);
            bg__errf("%s", why);
            goto done;
        }
        if (default_base(g, base_id, base_name, sizeof base_name, &main_branch, why, sizeof why))
            goto done;
        base_spec = base_id;
    }
    if (o.ab) {
        if (o.bench) {
            snprintf(why, sizeof why, "--ab and --bench cannot be combined (--ab builds both sides; "
                     "--bench-bin names the bench binary in the build)");
            bg__errf("%s", why);
            goto done;
        }
        if (main_branch && ab_default_base(&o, g, base_id, main_branch, why, sizeof why) != 0)
            goto done;
        ret = gate_ab(&o, &g, base_spec, &reported, why, sizeof why);
        goto done;
    }
    if (o.bench && o.head) {
        snprintf(why, sizeof why, "--bench and --head cannot be combined (--bench measures the head run)");
        bg__errf("%s", why);
        goto done;
    }
    ret = gate_load(&o, st, &g, &a, &b, base_spec, o.base ? "base" : base_name, main_branch, why,
                    sizeof why);
    if (ret)
        goto done;
    ret = EXIT_USAGE;
    if (check_machines(&a, &b, o.force, why, sizeof why))
        goto done;
    if (compare(&a.run, &b.run, &o, &c) != 0) {
        snprintf(why, sizeof why, "cannot compare the base and head runs (see the log)");
        goto done;
    }

    /* Accepted regressions: trailers in base..head. */
    const char *bc = a.commit[0] ? a.commit : a.run.git_commit;
    const char *hc = b.commit[0] ? b.commit : b.run.git_commit;
    nrules = accept_rules(&g, bc, hc, &msgs, &nmsgs, &rules);
    bool regression = false, crashed = false;
    for (size_t i = 0; i < c.n; i++) {
        bg_cmp_row *w = &c.rows[i];
        if (w->head_failed)
            crashed = true;
        apply_accept(w, rules, nrules);
        if (bg__cmp_row_is_regression(w))
            regression = true;
    }
    if (regression && o.bench) {
        int rc = remeasure(&o, &a, &c, rules, nrules, &regression, &crashed, why, sizeof why);
        if (rc) {
            ret = rc;
            goto done;
        }
    }
    ret = crashed ? EXIT_CRASH : regression ? EXIT_REGRESSION : EXIT_PASS;

    printf("base: %s (%s)\nhead: %s (%s)\n", a.path, a.run.git_commit[0] ? a.run.git_commit : "?",
           b.path, b.run.git_commit[0] ? b.run.git_commit : "?");
    /* A report that cannot be written is an environment error, but it does
     * not hide a regression or a crash: exit 1 and 3 stand. */
    reported = true;
    if (emit(&c, &o) != 0 && ret == EXIT_PASS)
        ret = EXIT_USAGE;
    char la[64], lb[64];
    snprintf(la, sizeof la, "%.12s", a.run.git_commit[0] ? a.run.git_commit : a.path);
    snprintf(lb, sizeof lb, "%.12s", b.run.git_commit[0] ? b.run.git_commit : b.path);
    gate_outcome go = {.c = &c, .base = la, .head = lb, .code = ret};
    if (write_reports(&o, &go) != 0 && ret == EXIT_PASS)
        ret = EXIT_USAGE;
    print_gate_result(ret);
done:
    if (!reported && (ret == EXIT_USAGE || ret == EXIT_CRASH)) {
        gate_outcome fail = {.why = why[0] ? why : "an error before the comparison (see the log)",
                             .code = ret};
        write_reports(&o, &fail);
        if (ret == EXIT_CRASH)
            print_gate_result(ret);
    }
    free(rules);
    bg_git_log_free(msgs, nmsgs);
    bg__comparison_free(&c);
    bg__side_free(&a);
    bg__side_free(&b);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

/* ---- named baselines ---- */

static int baseline_ls(bg_store *st)
{
    char **names = NULL;
    size_t n = 0;
    char err[512] = "";
    if (bg__baseline_names(st, &names, &n, err, sizeof err) != 0) {
        bg__errf("%s", err);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        bg_side s;
        memset(&s, 0, sizeof s);
        if (bg__baseline_path(st, names[i], path, sizeof path) == 0 && bg__side_load_file(path, &s) == 0)
            printf("%-24s  %-12.12s  %-12s  %s  %zu benchmarks\n", names[i],
                   s.run.git_commit[0] ? s.run.git_commit : "no-commit", s.run.machine_id,
                   s.run.created, s.run.nresults);
        else
            printf("%-24s  (unreadable: see above)\n", names[i]);
        bg__side_free(&s);
    }
    if (!n)
        printf("(no named baselines in %s/baselines)\n", bg_store_dir(st));
    bg__baseline_names_free(names, n);
    return 0;
}

static int baseline_save(bg_store *st, const char *name, const char *spec)
{
    char err[512] = "";
    if (bg__baseline_check_name(name, err, sizeof err) != 0) {
        bg__errf("%s", err);
        return EXIT_USAGE;
    }
    bg_git *g = NULL;
    bg_side s;
    memset(&s, 0, sizeof s);
    int ret = EXIT_USAGE;
    if (bg__side_resolve(st, &g, &s, spec) != 0)
        goto done;
    if (!s.loaded && bg__side_load_store(st, NULL, &s, "revision", NULL, NULL) != 0)
        goto done;
    char *text = NULL;
    if (bg_store_load(s.path, &text, NULL, NULL, err, sizeof err) != 0) {
        bg__errf("%s", err);
        goto done;
    }
    int rc = bg__baseline_save(st, name, text, err, sizeof err);
    free(text);
    if (rc) {
        bg__errf("cannot save baseline '%s': %s", name, err);
        goto done;
    }
    printf("baseline '%s' = run of %.12s on %s (%s)\n", name,
           s.run.git_commit[0] ? s.run.git_commit : "no-commit", s.run.machine_id, s.path);
    ret = 0;
done:
    bg__side_free(&s);
    bg_git_close(&g);
    return ret;
}

static int cmd_baseline(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE, 3, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("baseline");
        return 0;
    }
    const char *sub = o.npos ? o.pos[0] : "ls";
    bg_store *st = NULL;
    if (open_store(&o, &st, NULL, 0))
        return EXIT_USAGE;
    int ret = EXIT_USAGE;
    char err[512] = "";
    if (!strcmp(sub, "ls") && o.npos <= 1) {
        ret = baseline_ls(st);
    } else if (!strcmp(sub, "save") && (o.npos == 2 || o.npos == 3)) {
        ret = baseline_save(st, o.pos[1], o.npos == 3 ? o.pos[2] : "HEAD");
    } else if (!strcmp(sub, "rm") && o.npos == 2) {
        int rc = bg__baseline_remove(st, o.pos[1], err, sizeof err);
        if (rc)
            bg__errf("%s", err);
        else
            printf("removed baseline '%s'\n", o.pos[1]);
        ret = rc ? EXIT_USAGE : 0;
    } else {
        bg__errf("usage: benchgate baseline ls | save NAME [REF-or-FILE] | rm NAME (see --help)");
    }
    bg_store_close(&st);
    return ret;
}

/* ---- push / fetch ---- */

static int cmd_sync(int argc, char **argv, bool push)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE, 1, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd(push ? "push" : "fetch");
        return 0;
    }
    const char *remote = o.npos ? o.pos[0] : NULL;
    bg_store *st = NULL;
    if (open_store(&o, &st, NULL, 0))
        return EXIT_USAGE;
    bg_git *g = NULL;
    char err[512] = "";
    int ret = EXIT_USAGE;
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        bg__errf("%s needs a git repository: %s", push ? "push" : "fetch", err);
        goto done;
    }
    bg_sync_stats s;
    memset(&s, 0, sizeof s);
    int rc = push ? bg_store_push(st, g, remote, &s, bg__skip_report, NULL, err, sizeof err)
                  : bg_store_fetch(st, g, remote, &s, bg__skip_report, NULL, err, sizeof err);
    if (rc) {
        bg__errf("%s %s failed: %s", push ? "push to" : "fetch from", remote ? remote : "origin", err);
        goto done;
    }
    if (push && !s.pushed)
        printf("nothing pushed to %s: no stored run has a commit (runs made outside any commit are "
               "not shared)\n",
               remote ? remote : "origin");
    else if (push)
        printf("pushed %s to %s: %zu run(s) newly added to the notes of %zu commit(s)%s, %zu "
               "skipped\n",
               BG_STORE_NOTES_REF, remote ? remote : "origin", s.runs_exported, s.notes_written,
               s.runs_exported ? "" : " (the notes already held every stored run)", s.skipped);
    else
        printf("fetched from %s: %zu run(s) imported, %zu already present, %zu skipped%s\n",
               remote ? remote : "origin", s.runs_imported, s.runs_present, s.skipped,
               s.remote_had_notes ? "" : " (the remote has no benchgate notes)");
    ret = 0;
done:
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        help_main(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("benchgate %s\n", BG_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "ls"))
        return cmd_ls(argc - 2, argv + 2);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 2, argv + 2);
    if (!strcmp(cmd, "gate"))
        return cmd_gate(argc - 2, argv + 2);
    if (!strcmp(cmd, "baseline"))
        return cmd_baseline(argc - 2, argv + 2);
    if (!strcmp(cmd, "push"))
        return cmd_sync(argc - 2, argv + 2, true);
    if (!strcmp(cmd, "fetch"))
        return cmd_sync(argc - 2, argv + 2, false);
    if (!strcmp(cmd, "report"))
        return bg__cmd_report(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return bg__cmd_export(argc - 2, argv + 2);
    if (!strcmp(cmd, "import"))
        return bg__cmd_import(argc - 2, argv + 2);
    if (!strcmp(cmd, "ab"))
        return bg__cmd_ab(argc - 2, argv + 2);
    if (!strcmp(cmd, "doctor"))
        return bg__cmd_doctor(argc - 2, argv + 2);
    bg__errf("unknown command '%s' (ls, compare, gate, baseline, push, fetch; see --help)", cmd);
    return EXIT_USAGE;
}
