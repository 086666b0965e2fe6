/* The CI gate's policy (bg_gate.h): the default base, loading or measuring
 * head, Bench-Accept trailers, re-measuring regressions, the verdict, and
 * what the JUnit and Markdown reports say. */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_gate.h"
#include "bg_git.h"
#include "bg_noise.h"
#include "bg_store.h"

void bg__gate_opts_default(bg_gate_opts *o)
{
    memset(o, 0, sizeof *o);
    bg__cmp_opts_default(&o->cmp);
    o->stages = 2;
    /* Stage 2 seconds per suspect: a CPU-bound suspect clears or confirms
     * in 6-10 blocks (2-3 s); a memory-bound one is rarely decided even in
     * 15 s on a shared 2-core VM, and half the suite can be suspect on such
     * a machine, so a longer budget buys little but time. */
    o->stage2_budget = 8;
}

void bg__gate_result_init(bg_gate_result *r)
{
    memset(r, 0, sizeof *r);
    r->code = BG_EXIT_USAGE;
}

void bg__gate_result_free(bg_gate_result *r)
{
    if (!r)
        return;
    free(r->rows);
    r->rows = NULL;
    r->cmp = NULL;
    bg__comparison_free(&r->c);
    bg__side_free(&r->a);
    bg__side_free(&r->b);
    if (r->have_ab)
        bg__ab_result_free(&r->abr);
    r->have_ab = false;
    if (r->noise) {
        bg__noise_free(r->noise);
        free(r->noise);
        r->noise = NULL;
    }
}

int bg__check_machines(const bg_side *a, const bg_side *b, bool force, char *why, size_t nwhy)
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
    return BG_EINVAL;
}

/* Compares the two runs, with the between-run noise `noise` (may be NULL);
 * prints why on failure (BG_EXIT_USAGE). */
static int compare(const bg_run *a, const bg_run *b, const bg_gate_opts *o, const bg_noise *noise,
                   bg_comparison *c)
{
    char err[512] = "";
    bg_cmp_opts co = o->cmp;
    co.noise = noise;
    int rc = bg__compare_runs(a, b, &co, c, err, sizeof err);
    if (rc) {
        bg__errf("cannot compare: %s", err[0] ? err : bg_strerror(rc));
        return BG_EXIT_USAGE;
    }
    return 0;
}

/* Writes c as JUnit XML to path; BG_EIO with the error printed. */
static int write_junit(const char *path, const bg_comparison *c)
{
    char err[512] = "";
    if (bg__cmp_write_junit(path, c, "benchgate", err, sizeof err) != 0) {
        bg__errf("cannot write JUnit XML: %s", err[0] ? err : path);
        return BG_EIO;
    }
    return 0;
}

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
                    /* A commit message may hold escape sequences: shown as '?'. */
                    char shown[512];
                    snprintf(shown, sizeof shown, "%.*s", (int)len, p);
                    for (char *q = shown; *q; q++)
                        if ((unsigned char)*q < 0x20 || *q == 0x7f)
                            *q = '?';
                    fprintf(stderr,
                            "benchgate: warning: ignoring malformed trailer in commit %.12s: '%s' "
                            "(expected 'Bench-Accept: <glob> +<N>%%')\n",
                            msgs[i].id, shown);
                }
            }
            p = eol ? eol + 1 : NULL;
        }
    }
    *out = r;
    return cnt;
}

/* Writes the Markdown summary of r (ending with exit status code) to path,
 * opened with fopen mode "w" or "a" ($GITHUB_STEP_SUMMARY is appended to).
 * Returns 0, or BG_EIO when path could not be written (said on stderr). */
static int write_markdown_file(const char *path, const char *mode, const bg_gate_result *r, bg_exit code)
{
    /* Written whole in memory first, then atomically (or appended, cut back
     * on failure): a full disk leaves the old file, never a 0-byte one. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        bg__errf("cannot write %s: %s", path, strerror(errno));
        return BG_EIO;
    }
    if (r->cmp) {
        static const char *const res[] = {"passed", "failed: regression", "error",
                                          "failed: crash or timeout"};
        fprintf(f, "## benchgate gate: %s\n\nbase `%.40s` vs head `%.40s`\n\n", res[code & 3],
                r->base_label, r->head_label);
        bg__cmp_print_markdown(f, r->cmp, NULL);
    } else {
        /* A message of several lines (a build's output) goes into a code block. */
        const char *why = r->why[0] ? r->why : "an error before the comparison (see the log)";
        const char *nl = strchr(why, '\n');
        fprintf(f, "## benchgate gate: %s\n\nThe gate could not decide: %.*s\n\n",
                code == BG_EXIT_CRASH ? "failed: crash" : "error",
                nl ? (int)(nl - why) : (int)strlen(why), why);
        if (nl)
            fprintf(f, "```\n%s\n```\n\n", nl + 1);
    }
    if (fclose(f) != 0) {
        bg__errf("cannot write %s: %s", path, strerror(errno));
        free(text);
        return BG_EIO;
    }
    char err[1024];
    int rc = mode[0] == 'a' ? bg__append_file(path, text, len, err, sizeof err)
                            : bg__write_file_atomic(path, text, len, err, sizeof err);
    free(text);
    if (rc) {
        bg__errf("%s", err);
        return BG_EIO;
    }
    return 0;
}

/* The default base: the merge-base of HEAD with the first of main, master,
 * origin/main, origin/master that exists, as 40 hex in out; name gets
 * "merge-base of HEAD and <branch>" and branch the branch (static string).
 * On failure fills why and returns BG_EXIT_USAGE. */
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
    return BG_EXIT_USAGE;
}

/* Runs the bench binary o->bench (fork + execv, no shell, cwd unchanged)
 * with the --bench-args, then `--filter FILTER` when given, `--save` and
 * `--store DIR` when gate has one (save) or `--no-save` (!save: a re-run
 * must not become the newest stored run of HEAD), and `--json TMP`, and
 * loads the run it wrote into *out (owned by the caller: bg__side_free).
 * The child's stdout goes to our stderr so that gate's own output stays
 * clean. Returns 0, or BG_EXIT_USAGE or BG_EXIT_CRASH with the reason in why. */
static int run_bench(const bg_gate_opts *o, const char *filter, bool save, bg_side *out, char *why,
                     size_t nwhy)
{
    const char *tmpdir = getenv("TMPDIR");
    char json[4096];
    snprintf(json, sizeof json, "%s/benchgate-run-XXXXXX.json", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemps(json, 5);
    if (fd < 0) {
        snprintf(why, nwhy, "cannot create a temporary file %.300s: %.300s", json, strerror(errno));
        bg__errf("%s", why);
        return BG_EXIT_USAGE;
    }
    close(fd);
    const char *av[sizeof o->bench_args / sizeof o->bench_args[0] + 14];
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
    if (o->shard && !filter) { /* the head's shard; a re-measure names its benchmarks */
        av[n++] = "--shard";
        av[n++] = o->shard;
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
        return BG_EXIT_USAGE;
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
            return BG_EXIT_USAGE;
        }
    }
    int ret = 0;
    if (WIFSIGNALED(st)) {
        snprintf(why, nwhy, "the bench binary %.300s was killed by signal %d (%.300s)", o->bench,
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
        bg__errf("%s", why);
        ret = BG_EXIT_CRASH;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        snprintf(why, nwhy, "cannot run the bench binary %.300s (exit 127; see the log)", o->bench);
        ret = BG_EXIT_USAGE;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
        snprintf(why, nwhy, "the bench binary %.300s failed with a usage or environment error (exit 2)",
                 o->bench);
        bg__errf("%s", why);
        ret = BG_EXIT_USAGE;
    }
    if (ret == 0) {
        /* Exit 0, or 3 with crashed benchmarks in the record (reported by the comparison). */
        if (bg__side_load_file(json, out) != 0) {
            snprintf(why, nwhy, "the bench binary %.300s wrote no readable run (exit %d)", o->bench,
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            bg__errf("%s", why);
            ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? BG_EXIT_USAGE : BG_EXIT_CRASH;
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

/* Whether stage 1 could not clear row w (not accepted): it clears only a
 * benchmark whose drift-aware interval lies below +threshold, i.e. one
 * that cannot have regressed beyond it. A screen on the change alone
 * misses regressions behind a base that drifted the other way: measured
 * (tools/measure-gate.sh) with a base made while the machine was busy,
 * "change > threshold" let a +2 % spin_injected through 2 times in 10 and
 * "change > 0" let +2 % and even +5 % through, since the head runs were
 * all faster than the base. */
static bool is_suspect(const bg_cmp_row *w, double threshold)
{
    if (w->kind != BG_ROW_COMPARED || w->accepted)
        return false;
    /* A decided row carries its own threshold (a settings rule's, or the
     * comparison's: bg__decide_all). */
    (void)threshold;
    return w->verdict == BG_VERDICT_REGRESSED || !(w->ch.hi < w->threshold);
}

/* Copies the bench arguments that a stage-2 run may take: the ones that
 * make the bench binary save, compare or write a record of its own are
 * left out (ab runs with --no-save and --json of its own, and a --baseline
 * NAME would be resolved outside the gate's --store). Returns the count, or
 * -1 when there are too many. */
static int stage2_args(const bg_gate_opts *o, const char **out, size_t max)
{
    static const char *const with_value[] = {"--baseline", "--save-baseline", "--json", "--store",
                                             "--shard", "--shard-cost", NULL};
    static const char *const alone[] = {"--save", "--no-save", NULL};
    size_t n = 0;
    for (size_t i = 0; i < o->nbench_args; i++) {
        const char *a = o->bench_args[i];
        bool drop = false, skip_next = false;
        for (const char *const *w = with_value; *w && !drop; w++) {
            size_t len = strlen(*w);
            if (!strcmp(a, *w))
                drop = skip_next = true;
            else if (!strncmp(a, *w, len) && a[len] == '=')
                drop = true;
        }
        for (const char *const *w = alone; *w && !drop; w++)
            drop = !strcmp(a, *w);
        if (skip_next)
            i++;
        if (drop)
            continue;
        if (n >= max)
            return -1;
        out[n++] = a;
    }
    return (int)n;
}

/* The result of benchmark `name` in side s's run, or NULL. */
static const bg_result *result_of(const bg_side *s, const char *name)
{
    for (size_t i = 0; i < s->run.nresults; i++)
        if (s->run.results[i].name && !strcmp(s->run.results[i].name, name))
            return &s->run.results[i];
    return NULL;
}

/* The benchmark a scope's result named `name` is inside, from head's run
 * (or base's); NULL for a benchmark. */
static const char *scope_of(const bg_side *head, const char *name)
{
    const bg_result *r = result_of(head, name);
    return r && r->scope_of[0] ? r->scope_of : NULL;
}

/* One stage-2 run of ab for the suspects (sus[i]) of c whose row metric
 * (bg_cmp_row.metric) is `metric` ("": the comparison's, measured on ab's
 * default metric): their rows become ab's, stage SECOND. `main`: the run
 * for the comparison's metric, whose result is kept in r->abr and whose
 * failure makes stage 2 unavailable (BG_EUNAVAIL, why in r->stage2_note);
 * another metric's failure, or a metric ab cannot measure (not a total per
 * sample), leaves its suspects to stage 1 with why in r->rows[i].why.
 * Exits by the signal after Ctrl-C, as ab does. */
static int stage2_group(bg_ab_opts *ao, const bg_side *b, bg_comparison *c, const bool *sus, const char *metric,
                        bg_gate_result *r, bool main)
{
    char *note = r->stage2_note;
    size_t nnote = sizeof r->stage2_note;
    /* A suspect scope (bench/scope) is measured by running its benchmark,
     * whose runs record it; stage 2 then waits for the scope's interval
     * too (ab's watch). */
    char filter[8192] = "^(", watch[8192] = "^(";
    size_t nsus = 0, nscope = 0;
    for (size_t i = 0; i < c->n; i++)
        if (sus[i] && !strcmp(c->rows[i].metric, metric)) {
            const char *of = scope_of(b, c->rows[i].name);
            if (nsus++ && strlen(filter) + 1 < sizeof filter)
                strcat(filter, "|");
            regex_append(filter, sizeof filter, of ? of : c->rows[i].name);
            if (of) {
                if (nscope++ && strlen(watch) + 1 < sizeof watch)
                    strcat(watch, "|");
                regex_append(watch, sizeof watch, c->rows[i].name);
            }
        }
    if (!nsus)
        return 0;
    /* ab compares a total per sample: a user counter says its kind in the
     * head's run (a maximum is not one), a built-in one by its name. */
    bg_metric_kind kind = bg__metric_kind(metric);
    for (size_t i = 0; !main && i < c->n; i++)
        if (sus[i] && !strcmp(c->rows[i].metric, metric)) {
            const bg_result *hr = result_of(b, c->rows[i].name);
            if (hr && bg__result_metric_kind(hr, metric) != BG_METRIC_SUM)
                kind = bg__result_metric_kind(hr, metric);
        }
    char why[320] = "";
    if (!main && kind != BG_METRIC_SUM)
        snprintf(why, sizeof why,
                 "stage 2 cannot measure %s (it compares a figure summed over each sample: time, cpu, "
                 "or a counter such as instructions)",
                 metric);
    else if (strlen(filter) + 3 >= sizeof filter || strlen(watch) + 3 >= sizeof watch)
        snprintf(why, sizeof why, "too many suspects for one stage-2 filter");
    if (why[0]) {
        if (main) {
            snprintf(note, nnote, "%s", why);
            return BG_EUNAVAIL;
        }
        for (size_t i = 0; i < c->n; i++)
            if (sus[i] && !strcmp(c->rows[i].metric, metric)) {
                r->rows[i].stage = BG_GATE_STAGE_UNSURE;
                snprintf(r->rows[i].why, sizeof r->rows[i].why, "%s", why);
                snprintf(c->rows[i].note, sizeof c->rows[i].note, "%s", why);
            }
        return 0;
    }
    strcat(filter, ")$");
    strcat(watch, ")$");
    ao->filter = filter;
    ao->watch = nscope ? watch : NULL;
    const char *saved_metric = ao->metric;
    if (!main)
        ao->metric = metric;
    if (main)
        fprintf(stderr, "benchgate: stage 2: %zu benchmark%s stage 1 could not clear, base and head "
                        "interleaved\n", nsus, nsus == 1 ? "" : "s");
    else
        fprintf(stderr, "benchgate: stage 2: %zu benchmark%s compared on %s, base and head interleaved\n",
                nsus, nsus == 1 ? "" : "s", metric);
    char err[8192] = "";
    bg_ab_result other;
    bg_ab_result *ab = main ? &r->abr : &other;
    int rc = bg__ab_run(ao, ab, err, sizeof err);
    ao->metric = saved_metric;
    ao->filter = NULL;
    ao->watch = NULL;
    if (main)
        r->have_ab = true;
    if (ab->interrupted) {
        bg__errf("%s", err);
        int sig = ab->signal;
        if (!main)
            bg__ab_result_free(&other);
        bg__gate_result_free(r);
        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
        return BG_EIO;
    }
    if (rc) {
        if (!main)
            bg__ab_result_free(&other);
        if (main) {
            snprintf(note, nnote, "%.1000s", err[0] ? err : "stage 2 failed");
            return BG_EUNAVAIL;
        }
        for (size_t i = 0; i < c->n; i++)
            if (sus[i] && !strcmp(c->rows[i].metric, metric)) {
                r->rows[i].stage = BG_GATE_STAGE_UNSURE;
                snprintf(r->rows[i].why, sizeof r->rows[i].why, "stage 2 on %s failed: %.250s", metric,
                         err[0] ? err : "?");
                snprintf(c->rows[i].note, sizeof c->rows[i].note, "%s", r->rows[i].why);
            }
        return 0;
    }
    r->stage2_ran = true;
    char m[32];
    snprintf(m, sizeof m, "%s", metric);
    for (size_t i = 0; i < c->n; i++) {
        bg_cmp_row *w = &c->rows[i];
        if (!sus[i] || strcmp(w->metric, m) != 0)
            continue;
        const bg_cmp_row *w2 = NULL;
        size_t k;
        for (k = 0; k < ab->cmp.n && !w2; k++)
            if (!strcmp(ab->cmp.rows[k].name, w->name))
                w2 = &ab->cmp.rows[k];
        if (!w2 || w2->kind == BG_ROW_ONLY_A) {
            r->rows[i].stage = BG_GATE_STAGE_UNSURE;
            continue;
        }
        const char *name = w->name;
        *w = *w2;
        w->name = name;
        snprintf(w->metric, sizeof w->metric, "%s", m); /* ab's rows are on its one metric */
        const bg_ab_row_info *inf = &ab->info[k - 1];
        snprintf(w->note, sizeof w->note, "stage 2: %zu blocks interleaved, %s", inf->blocks, inf->stop);
        r->rows[i].stage = BG_GATE_STAGE_SECOND;
    }
    if (!main)
        bg__ab_result_free(&other);
    return 0;
}

/* Stage 2: the suspects of c (rows[i].stage set to SECOND for each that
 * it decides) run interleaved, base binary against head binary; their rows
 * become stage 2's comparison. Returns 0 when stage 2 ran, or BG_EUNAVAIL
 * with why it could not in r->stage2_note (the caller then judges the
 * suspects by stage 1). Exits by the signal after Ctrl-C, as ab does. */
static int stage2(const bg_gate_opts *o, const bg_side *a, const bg_side *b, bg_comparison *c,
                  const accept_rule *rules, size_t nrules, bg_gate_result *r)
{
    char *note = r->stage2_note;
    size_t nnote = sizeof r->stage2_note;
    bg_ab_opts ao;
    bg__ab_opts_default(&ao);
    ao.gate_wording = true;
    /* The base binary: given, or built from the base commit. */
    /* The base is a commit: its code is what head is compared with, even
     * when its stored run was made in a tree with untracked files (a CI
     * job's own reports, say). */
    if (o->base_bin) {
        ao.a.bin = o->base_bin;
    } else if (a->run.git_commit[0]) {
        ao.a.rev = a->run.git_commit;
    } else {
        snprintf(note, nnote, "no base binary: the base run was not made at a commit; give --base-bin PATH");
        return BG_EUNAVAIL;
    }
    /* The head binary: the one just measured, or built from head's commit
     * (a stored head run of a commit), or the working tree. */
    if (o->bench)
        ao.b.bin = o->bench;
    else if (o->head && b->run.git_commit[0] && !b->run.git_dirty)
        ao.b.rev = b->run.git_commit;
    else if (o->head) {
        snprintf(note, nnote, "no head binary: the head run was not made at a clean commit; give "
                 "--bench PATH");
        return BG_EUNAVAIL;
    }
    ao.allow_dirty = o->allow_dirty;
    ao.build_cmd = o->build_cmd;
    ao.bench_bin = o->bench_bin;
    ao.cmp = o->cmp;
    ao.cmp.noise = NULL;
    ao.cmp.metric = NULL;
    ao.cmp.seed = 0; /* a fresh run order each time, recorded */
    ao.store = o->store;
    ao.save = 0;
    ao.budget_s = o->stage2_budget;
    ao.lockstep = !o->sequential;
    ao.stop_when_cleared = true;
    /* Short runs, many blocks: a block's two runs cost ~0.25 s instead of
     * ~0.75 s with the bench binary's defaults, and more blocks in the same
     * budget narrow a noisy benchmark's interval more than longer runs do
     * (chase_16MiB A/A on this 2-core VM: +-2.3 % after 15 s in 28 blocks
     * with --quick, +-3.8 % in 15 blocks without). The gate's --bench-args
     * come after it, so an explicit --measure or --procs still wins. */
    ao.bench_args[0] = "--quick";
    int na = stage2_args(o, ao.bench_args + 1, BG_AB_MAX_ARGS - 1);
    na = na < 0 ? na : na + 1;
    if (na < 0) {
        snprintf(note, nnote, "too many --bench-arg for stage 2 (at most %d)", BG_AB_MAX_ARGS);
        return BG_EUNAVAIL;
    }
    ao.nbench_args = (size_t)na;
    /* The suspects, fixed before any is replaced. Each is measured on its
     * row's metric: the comparison's (the first stage-2 run, on ab's
     * default metric as always), then one run per other metric a settings
     * rule gives (ab compares one metric per run). */
    bool *sus = calloc(c->n ? c->n : 1, sizeof *sus);
    if (!sus) {
        snprintf(note, nnote, "out of memory");
        return BG_EUNAVAIL;
    }
    for (size_t i = 0; i < c->n; i++)
        sus[i] = is_suspect(&c->rows[i], c->threshold);
    int rc = stage2_group(&ao, b, c, sus, "", r, true);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        const char *m = c->rows[i].metric;
        if (!sus[i] || !m[0])
            continue;
        bool first = true; /* the first row of this metric: its group not yet run */
        for (size_t j = 0; j < i && first; j++)
            first = !(sus[j] && !strcmp(c->rows[j].metric, m));
        if (first)
            rc = stage2_group(&ao, b, c, sus, m, r, false);
    }
    free(sus);
    if (rc)
        return rc;
    /* The false-discovery control spans the whole suite, not the suspects
     * alone: stage 2's p-values are adjusted together with the p-values of
     * the benchmarks stage 1 cleared (a suspect among 14 is judged as one of
     * 14, as it would be without the screen). */
    if (bg__decide_all(c) != 0) {
        snprintf(note, nnote, "the suite-wide p-value adjustment failed");
        return BG_EUNAVAIL;
    }
    for (size_t i = 0; i < c->n; i++)
        apply_accept(&c->rows[i], rules, nrules);
    return 0;
}

/* A suspect that stage 2 could not decide fails only when stage 1 found it
 * regressed beyond the drift band; otherwise it is inconclusive, with a
 * note saying why. */
static void judge_by_stage1(bg_cmp_row *w, const char *why)
{
    double band = bg__cmp_row_drift_band(w);
    bool beyond = !isfinite(band) || w->ch.change > band;
    if (bg__cmp_row_is_regression(w) && beyond)
        return;
    if (w->verdict == BG_VERDICT_REGRESSED)
        w->verdict = BG_VERDICT_INCONCLUSIVE;
    snprintf(w->note, sizeof w->note, "not confirmed: %.280s", why);
}

int bg__gate_write_reports(const bg_gate_result *r, bg_exit code, const char *junit, const char *markdown)
{
    int rc = 0;
    if (junit) {
        const bg_comparison *c = r->cmp;
        bg_cmp_row row;
        bg_comparison err_c;
        if (!c) {
            memset(&row, 0, sizeof row);
            row.name = "gate";
            row.kind = BG_ROW_NOT_OK;
            row.head_failed = true; /* written as an <error> with the note as its message */
            row.mean_a = row.mean_b = row.p_adj = NAN;
            const char *why = r->why[0] ? r->why : "an error before the comparison (see the log)";
            snprintf(row.note, sizeof row.note, "%.*s", (int)sizeof row.note - 1, why);
            memset(&err_c, 0, sizeof err_c);
            err_c.rows = &row;
            err_c.n = 1;
            c = &err_c;
        }
        if (write_junit(junit, c) != 0)
            rc = BG_EIO;
    }
    if (markdown && write_markdown_file(markdown, "w", r, code) != 0)
        rc = BG_EIO;
    const char *gss = getenv("GITHUB_STEP_SUMMARY");
    if (gss && gss[0] && write_markdown_file(gss, "a", r, code) != 0)
        rc = BG_EIO;
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

/* gate --ab: the base revision is checked out, built and run interleaved
 * with head (the working tree, or --head REV) instead of being read from
 * the store; both runs are saved. No re-measurement: the interleaved runs
 * continue until the interval reaches its target. Fills r (its comparison
 * in r->abr); returns the exit code, with the reason in r->why when the
 * gate could not decide. */
static bg_exit gate_ab(const bg_gate_opts *o, bg_git **g, const char *base_spec, bg_gate_result *r)
{
    char *why = r->why;
    size_t nwhy = sizeof r->why;
    if (o->cmp.metric) {
        snprintf(why, nwhy,
                 "--metric/--gate-on %.100s cannot be combined with --ab: --ab compares the time "
                 "per iteration of interleaved runs only; gate on a counter without --ab (stored "
                 "runs or --bench)", o->cmp.metric);
        bg__errf("%s", why);
        return BG_EXIT_USAGE;
    }
    bg_ab_opts ao;
    bg__ab_opts_default(&ao);
    ao.allow_dirty = o->allow_dirty;
    ao.gate_wording = true;
    ao.a.rev = base_spec;
    ao.b.rev = o->head;
    ao.lockstep = !o->sequential;
    ao.build_cmd = o->build_cmd;
    ao.bench_bin = o->bench_bin;
    ao.cmp = o->cmp;
    ao.store = o->store;
    ao.filter = o->filter;
    if (o->nbench_args > BG_AB_MAX_ARGS) {
        snprintf(why, nwhy, "too many --bench-arg for --ab (at most %d)", BG_AB_MAX_ARGS);
        bg__errf("%s", why);
        return BG_EXIT_USAGE;
    }
    for (size_t i = 0; i < o->nbench_args; i++)
        ao.bench_args[ao.nbench_args++] = o->bench_args[i];
    bg_ab_result *ab = &r->abr;
    int rc = bg__ab_run_cli(&ao, ab, "gate --ab", why, nwhy);
    if (rc)
        return (bg_exit)rc;
    r->have_ab = true;
    bg_git_commit_msg *msgs = NULL;
    size_t nmsgs = 0;
    accept_rule *rules = NULL;
    size_t nrules = accept_rules(g, ab->commit_a, ab->commit_b[0] ? ab->commit_b : "HEAD", &msgs, &nmsgs,
                                 &rules);
    for (size_t i = 0; i < ab->cmp.n; i++)
        apply_accept(&ab->cmp.rows[i], rules, nrules);
    free(rules);
    bg_git_log_free(msgs, nmsgs);
    if (o->cmp.nbudgets) {
        char err[512] = "";
        if (!ab->have_runs) {
            snprintf(why, nwhy, "the budgets cannot be checked: the interleaved runs were not kept");
            bg__errf("%s", why);
            return BG_EXIT_USAGE;
        }
        if (bg__budget_apply(&ab->cmp, &ab->run_b, o->cmp.budgets, o->cmp.nbudgets, err, sizeof err)) {
            snprintf(why, nwhy, "%.1000s", err);
            bg__errf("%s", why);
            return BG_EXIT_USAGE;
        }
    }
    r->rows = calloc(ab->cmp.n ? ab->cmp.n : 1, sizeof *r->rows);
    if (!r->rows) {
        snprintf(why, nwhy, "out of memory");
        bg__errf("%s", why);
        return BG_EXIT_USAGE;
    }
    snprintf(r->base_desc, sizeof r->base_desc, "%s", ab->label_a);
    snprintf(r->head_desc, sizeof r->head_desc, "%s", ab->label_b);
    snprintf(r->base_label, sizeof r->base_label, "%.12s", ab->commit_a[0] ? ab->commit_a : "base");
    snprintf(r->head_label, sizeof r->head_label, "%.12s", ab->commit_b[0] ? ab->commit_b : "working tree");
    r->cmp = &ab->cmp;
    return (bg_exit)bg__ab_exit_code(ab);
}

/* On the main branch the default base, the merge-base of head with
 * main_branch, is head's own commit: base (40 hex, replaced in place)
 * becomes that commit's first parent, with a note naming head_name
 * ("HEAD" or --head). Returns 0, or BG_EXIT_USAGE with why filled (and
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
        return BG_EXIT_USAGE;
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
 * Returns 0, or BG_EXIT_USAGE with why. */
static int ab_default_base(const bg_gate_opts *o, bg_git *g, char base[BG_GIT_OID_BUF],
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
            return BG_EXIT_USAGE;
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
static void head_commit_of(const bg_gate_opts *o, bg_git **g, const bg_side *b, char out[BG_GIT_OID_BUF])
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

/* Learns the between-run noise for stage 1 into r->noise: on b's machine
 * along b's commit (a stored head, whose own file is left out), or, before
 * head is measured (b NULL), on the base's machine along head_commit. A
 * store that cannot be read leaves every benchmark the default, with a
 * note. */
static void learn_noise(const bg_gate_opts *o, bg_store *st, bg_git *g, const bg_side *a, const bg_side *b,
                        const char *head_commit, bg_gate_result *r)
{
    bg_noise *nz = calloc(1, sizeof *nz);
    if (!nz)
        return;
    char err[512] = "";
    int rc;
    if (b) {
        rc = bg__noise_for_compare(st, g, &a->run, &b->run, &o->cmp, b->path[0] ? b->path : NULL, nz, err,
                                   sizeof err);
    } else {
        const char *metric = o->cmp.metric ? o->cmp.metric
                             : a->run.config.mode != BG_MODE_TIME ? "instructions" : "time";
        rc = bg__noise_learn(st, g, a->run.machine_id, head_commit && head_commit[0] ? head_commit : NULL,
                             metric, o->cmp.settings, NULL, bg__skip_report, NULL, nz, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "benchgate: note: no between-run noise learned (%s); every benchmark uses the "
                        "default\n", err[0] ? err : bg_strerror(rc));
        bg__noise_free(nz);
        bg__noise_init(nz, b ? b->run.machine_id : a->run.machine_id);
    }
    r->noise = nz;
}

/* The sides of a gate, loaded in an order that never compares a run with
 * itself: the base is resolved and loaded before --bench measures head (the
 * run it saves cannot be picked as the base), and a default base (the
 * merge-base with main) that is head's own commit (a gate on main) is
 * replaced by its first parent, with a note. Fills a and b (b measured now
 * with --bench); returns 0, or an exit code with the reason in why. */
static int gate_load(const bg_gate_opts *o, bg_store *st, bg_git **g, bg_side *a, bg_side *b,
                     const char *base_spec, const char *base_label, const char *main_branch,
                     bg_gate_result *r, char *why, size_t nwhy)
{
    const char *head_spec = o->head ? o->head : "HEAD";
    if (bg__side_resolve(st, g, a, base_spec) != 0) {
        snprintf(why, nwhy, "cannot resolve the base '%.300s' (see the log)", base_spec);
        return BG_EXIT_USAGE;
    }
    if (!o->bench && bg__side_resolve(st, g, b, head_spec) != 0) {
        snprintf(why, nwhy, "cannot resolve the head '%.300s' (see the log)", head_spec);
        return BG_EXIT_USAGE;
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
            return BG_EXIT_USAGE;
        }
        if (a_stored && bg__side_load_store(st, *g, a, "base", base_label, b->run.machine_id) != 0) {
            snprintf(why, nwhy, "no stored run for the base '%.300s' nor its nearest ancestors (see "
                     "the log)", base_spec);
            return BG_EXIT_USAGE;
        }
        if (!strcmp(a->path, b->path)) {
            snprintf(why, nwhy,
                     "base and head are the same stored run %.600s: nothing to compare. Measure head "
                     "first (gate --bench PATH, or the bench binary with --save), or give another "
                     "--base", a->path);
            bg__errf("%s", why);
            return BG_EXIT_USAGE;
        }
        learn_noise(o, st, *g, a, b, NULL, r);
        return 0;
    }
    /* --bench: the base first, so that a missing base fails before measuring. */
    if (a_stored && bg__side_load_store(st, *g, a, "base", base_label, NULL) != 0) {
        snprintf(why, nwhy, "no stored run for the base '%.300s' nor its nearest ancestors (see the "
                 "log)", base_spec);
        return BG_EXIT_USAGE;
    }
    /* The noise is learned before head is measured: head's own run (saved
     * at its commit) must not teach the drift it is judged by. */
    learn_noise(o, st, *g, a, NULL, head_commit, r);
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


bg_exit bg__gate_run(const bg_gate_opts *o, bg_gate_result *r)
{
    bg_store *st = NULL;
    bg_git *g = NULL;
    bg_side *a = &r->a, *b = &r->b;
    bg_exit ret = BG_EXIT_USAGE;
    char err[512] = "";
    char *why = r->why;
    const size_t nwhy = sizeof r->why;
    char base_id[BG_GIT_OID_BUF], base_name[128];
    const char *base_spec = NULL, *main_branch = NULL;
    bg_comparison *c = &r->c;
    bg_git_commit_msg *msgs = NULL;
    size_t nmsgs = 0;
    accept_rule *rules = NULL;
    size_t nrules = 0;

    char store_err[512] = "";
    if (bg_store_open(&st, o->store, NULL, store_err, sizeof store_err) != 0) {
        bg__errf("cannot open the run store: %s", store_err);
        snprintf(why, nwhy, "cannot open the run store: %s", store_err);
        goto done;
    }
    base_spec = o->base;

    if (!base_spec) {
        if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
            snprintf(why, nwhy, "no --base given and no git repository: %s", err);
            bg__errf("%s", why);
            goto done;
        }
        if (default_base(g, base_id, base_name, sizeof base_name, &main_branch, why, nwhy))
            goto done;
        base_spec = base_id;
    }
    if (o->ab && o->shard) {
        snprintf(why, nwhy, "--shard cannot be combined with --ab; give --filter to measure part of the suite");
        bg__errf("%s", why);
        goto done;
    }
    if (o->ab) {
        if (o->bench) {
            snprintf(why, nwhy, "--ab and --bench cannot be combined (--ab builds both sides; "
                     "--bench-bin names the bench binary in the build)");
            bg__errf("%s", why);
            goto done;
        }
        if (main_branch && ab_default_base(o, g, base_id, main_branch, why, nwhy) != 0)
            goto done;
        ret = gate_ab(o, &g, base_spec, r);
        goto done;
    }
    if (o->bench && o->head) {
        snprintf(why, nwhy, "--bench and --head cannot be combined (--bench measures the head run)");
        bg__errf("%s", why);
        goto done;
    }
    if (o->shard && !o->bench) {
        snprintf(why, nwhy,
                 "--shard needs --bench (it picks what the bench binary measures); the stored shard runs "
                 "of a commit are merged when the gate loads it");
        bg__errf("%s", why);
        goto done;
    }
    ret = (bg_exit)gate_load(o, st, &g, a, b, base_spec, o->base ? "base" : base_name, main_branch, r,
                             why, nwhy);
    if (ret)
        goto done;
    ret = BG_EXIT_USAGE;
    if (bg__check_machines(a, b, o->force, why, nwhy))
        goto done;
    if (compare(&a->run, &b->run, o, r->noise, c) != 0) {
        snprintf(why, nwhy, "cannot compare the base and head runs (see the log)");
        goto done;
    }
    r->rows = calloc(c->n ? c->n : 1, sizeof *r->rows);
    if (!r->rows) {
        snprintf(why, nwhy, "out of memory");
        bg__errf("%s", why);
        goto done;
    }

    /* Accepted regressions: trailers in base..head. */
    const char *bc = a->commit[0] ? a->commit : a->run.git_commit;
    const char *hc = b->commit[0] ? b->commit : b->run.git_commit;
    nrules = accept_rules(&g, bc, hc, &msgs, &nmsgs, &rules);
    for (size_t i = 0; i < c->n; i++) {
        apply_accept(&c->rows[i], rules, nrules);
        r->nsuspects += is_suspect(&c->rows[i], c->threshold);
    }
    /* Stage 2 for what stage 1 could not clear. The git handle is closed
     * first: ab opens the repository itself. */
    if (r->nsuspects && o->stages >= 2) {
        bg_git_close(&g);
        if (stage2(o, a, b, c, rules, nrules, r) != 0)
            fprintf(stderr, "benchgate: stage 2 unavailable: %s; failing only on stage-1 regressions "
                            "beyond the drift band\n", r->stage2_note);
    } else if (r->nsuspects) {
        snprintf(r->stage2_note, sizeof r->stage2_note, "--stages 1");
    }
    /* Budgets are absolute: checked on head's own run, whichever stage
     * decided the relative verdict (stage 2 replaced its rows). */
    if (o->cmp.nbudgets && bg__budget_apply(c, &b->run, o->cmp.budgets, o->cmp.nbudgets, err, sizeof err)) {
        snprintf(why, nwhy, "%.1000s", err);
        bg__errf("%s", why);
        goto done;
    }
    bool regression = false, crashed = false;
    for (size_t i = 0; i < c->n; i++) {
        bg_cmp_row *w = &c->rows[i];
        if (r->rows[i].stage != BG_GATE_STAGE_SECOND && is_suspect(w, c->threshold)) {
            r->rows[i].stage = BG_GATE_STAGE_UNSURE;
            judge_by_stage1(w, r->rows[i].why[0] ? r->rows[i].why
                               : r->stage2_ran     ? "missing from stage 2"
                                                   : r->stage2_note);
        }
        if (w->head_failed)
            crashed = true;
        if (bg__cmp_row_is_regression(w))
            regression = true;
    }
    if (bg__cmp_class_regressed(c)) /* a growth order that grew (O(n) -> O(n^2)) */
        regression = true;
    ret = crashed ? BG_EXIT_CRASH : regression ? BG_EXIT_REGRESSION : BG_EXIT_OK;
    snprintf(r->base_desc, sizeof r->base_desc, "%.4000s (%s)", a->path,
             a->run.git_commit[0] ? a->run.git_commit : "?");
    snprintf(r->head_desc, sizeof r->head_desc, "%.4000s (%s)", b->path,
             b->run.git_commit[0] ? b->run.git_commit : "?");
    snprintf(r->base_label, sizeof r->base_label, "%.12s", a->run.git_commit[0] ? a->run.git_commit : a->path);
    snprintf(r->head_label, sizeof r->head_label, "%.12s", b->run.git_commit[0] ? b->run.git_commit : b->path);
    r->cmp = c;
done:
    if (!r->cmp) {
        free(r->rows);
        r->rows = NULL;
    } else {
        why[0] = '\0';
    }
    r->code = ret;
    free(rules);
    bg_git_log_free(msgs, nmsgs);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}
