/* `benchgate noise [REF]` prints the between-run noise the store has learned per benchmark; `benchgate calibrate` records it quickly by running a bench binary several times at one commit. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_noise.h"
#include "bg_settings.h"

enum { OPT_MACHINE = 1, OPT_METRIC, OPT_FORMAT, OPT_BENCH, OPT_BENCH_ARG, OPT_RUNS, OPT_STORE };

static const bg_opt NOISE_OPTIONS[] = {
    {OPT_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"},
    {OPT_MACHINE, "machine", 0, "ID", NULL,
     "the machine whose noise to show (default: the machine of the\nnewest stored run of REF, else of the store)"},
    {OPT_METRIC, "metric", 0, "NAME", NULL, "time (default), cpu, instructions or a counter"},
    {OPT_FORMAT, "format", 0, "FMT", NULL, "console (default) or json"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void noise_help(void)
{
    printf("usage: benchgate noise [REF] [options]\n\n"
           "Prints, per benchmark, the between-run noise that comparisons of runs made\n"
           "at different times (compare, gate, a bench binary's --baseline) add to\n"
           "their intervals: the spread of log(run B / run A) for runs of unchanged\n"
           "code, learned from repeated runs of one commit and from consecutive\n"
           "commits of REF's first-parent history (default HEAD) with change points\n"
           "left out. A benchmark with fewer than %d run pairs uses the default\n"
           "sigma %.0f %% (drift band +-%.1f %%). `benchgate calibrate` records pairs quickly.\n\n"
           "Options:\n",
           BG_NOISE_MIN_PAIRS, 100 * BG_NOISE_DEFAULT_SIGMA, 100 * bg__drift_band(BG_NOISE_DEFAULT_SIGMA));
    bg_opt_help(stdout, NOISE_OPTIONS);
}

/* The machine of the newest run of `commit` (NULL: of the whole store). */
static int newest_machine(bg_store *st, const char *commit, char *out, size_t n)
{
    bg_run_list l = {0};
    char err[512];
    int rc = bg_store_list(st, commit, NULL, &l, NULL, NULL, err, sizeof err);
    if (rc == 0 && l.n)
        snprintf(out, n, "%s", l.runs[l.n - 1].meta.machine);
    rc = rc ? rc : l.n ? 0 : BG_ENOTFOUND;
    bg_run_list_free(&l);
    return rc;
}

static void print_console(const bg_noise *nz, const char *commit)
{
    printf("between-run noise of machine %s, metric %s: %zu run%s read, %zu clean at a commit, "
           "%zu first-parent commit%s of %.12s with a run\n",
           nz->machine, nz->metric, nz->runs_read, nz->runs_read == 1 ? "" : "s", nz->runs_used,
           nz->commits, nz->commits == 1 ? "" : "s", commit[0] ? commit : "(no history)");
    size_t wn = 9;
    for (size_t i = 0; i < nz->nrows; i++)
        if (strlen(nz->rows[i].name) > wn)
            wn = strlen(nz->rows[i].name) > 60 ? 60 : strlen(nz->rows[i].name);
    printf("%-*s  %10s  %8s  %6s  %7s  %8s  %s\n", (int)wn, "benchmark", "drift band", "sigma", "pairs",
           "repeats", "history", "used");
    for (size_t i = 0; i < nz->nrows; i++) {
        const bg_noise_row *w = &nz->rows[i];
        char src[96];
        size_t df;
        double s = bg__noise_for(nz, w->name, &df, src, sizeof src);
        char band[32], sig[32];
        snprintf(band, sizeof band, "+-%.2f %%", 100 * bg__drift_band(s));
        if (isfinite(w->sigma))
            snprintf(sig, sizeof sig, "%.2f %%", 100 * w->sigma);
        else
            snprintf(sig, sizeof sig, "-");
        printf("%-*.*s  %10s  %8s  %6zu  %7zu  %8zu  %s%s%s%s\n", (int)wn, (int)wn, w->name, band, sig,
               w->npairs, w->nrepeat, w->nhistory, src, w->metric[0] ? " (metric " : "", w->metric,
               w->metric[0] ? ", a settings rule)" : "");
    }
    if (!nz->nrows)
        printf("(no pairs of clean runs yet: every benchmark uses the default +-%.1f %%; run "
               "`benchgate calibrate --bench BIN` at a commit)\n",
               100 * bg__drift_band(nz->default_sigma));
}

static int print_json(const bg_noise *nz, const char *commit)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return BG_ENOMEM;
    cJSON_AddStringToObject(root, "machine", nz->machine);
    cJSON_AddStringToObject(root, "metric", nz->metric);
    cJSON_AddStringToObject(root, "commit", commit);
    cJSON_AddNumberToObject(root, "runs_read", (double)nz->runs_read);
    cJSON_AddNumberToObject(root, "runs_used", (double)nz->runs_used);
    cJSON_AddNumberToObject(root, "commits", (double)nz->commits);
    cJSON_AddNumberToObject(root, "default_sigma", nz->default_sigma);
    cJSON_AddNumberToObject(root, "min_pairs", (double)nz->min_pairs);
    cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (size_t i = 0; arr && i < nz->nrows; i++) {
        const bg_noise_row *w = &nz->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            break;
        }
        char src[96];
        size_t df;
        double s = bg__noise_for(nz, w->name, &df, src, sizeof src);
        cJSON_AddStringToObject(o, "name", w->name);
        if (isfinite(w->sigma))
            cJSON_AddNumberToObject(o, "learned_sigma", w->sigma);
        else
            cJSON_AddNullToObject(o, "learned_sigma");
        cJSON_AddNumberToObject(o, "sigma", s);
        cJSON_AddNumberToObject(o, "band", bg__drift_band(s));
        cJSON_AddNumberToObject(o, "pairs", (double)w->npairs);
        cJSON_AddNumberToObject(o, "repeat_pairs", (double)w->nrepeat);
        cJSON_AddNumberToObject(o, "history_pairs", (double)w->nhistory);
        cJSON_AddStringToObject(o, "source", src);
        cJSON_AddStringToObject(o, "metric", w->metric[0] ? w->metric : nz->metric);
    }
    return bg__json_fprint(stdout, root);
}

/* Learns and prints the noise of REF's machine (or `machine`). */
static int show_noise(const char *store, const char *ref, const char *machine, const char *metric, bool json)
{
    bg_store *st = NULL;
    if (bg__cli_open_store_to_read(store, &st))
        return BG_EXIT_USAGE;
    bg_git *g = NULL;
    char err[1024] = "", commit[BG_GIT_OID_BUF] = "", mach[BG_MACHINE_ID_MAX + 1] = "";
    int ret = BG_EXIT_USAGE;
    if (bg_git_open(&g, NULL, err, sizeof err) == 0) {
        if (bg_git_resolve(g, ref ? ref : "HEAD", commit, err, sizeof err) != 0) {
            if (ref) {
                bg__errf("noise: cannot resolve '%s': %s", ref, err);
                goto done;
            }
            commit[0] = '\0'; /* no commits yet: repeated runs only */
        }
    } else if (ref) {
        bg__errf("noise: '%s' needs a git repository: %s", ref, err);
        goto done;
    }
    if (machine)
        snprintf(mach, sizeof mach, "%s", machine);
    else if ((commit[0] ? newest_machine(st, commit, mach, sizeof mach) : BG_ENOTFOUND) != 0 &&
             newest_machine(st, NULL, mach, sizeof mach) != 0) {
        bg__errf("noise: the store %s holds no runs yet; run a bench binary with --save (or "
                 "`benchgate calibrate --bench BIN`) first",
                 bg_store_dir(st));
        goto done;
    }
    /* The repository's settings, as compare and the gate read them: their
     * metric unless --metric, and each rule's metric for its benchmarks. */
    bg_settings settings;
    if (bg__settings_load(NULL, &settings, err, sizeof err) != 0) {
        bg__errf("noise: %s", err);
        goto done;
    }
    if (!metric && settings.metric[0])
        metric = settings.metric;
    bg_noise nz;
    int rc = bg__noise_learn(st, g, mach, commit[0] ? commit : NULL, metric ? metric : "time", &settings,
                             NULL, bg__skip_report, NULL, &nz, err, sizeof err);
    bg__settings_free(&settings);
    if (rc) {
        bg__errf("noise: %s", err[0] ? err : bg_strerror(rc));
        goto done;
    }
    ret = BG_EXIT_OK;
    if (json) {
        if (print_json(&nz, commit) != 0)
            ret = BG_EXIT_USAGE;
    } else {
        print_console(&nz, commit);
    }
    bg__noise_free(&nz);
done:
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

int bg__cmd_noise(int argc, char **argv)
{
    const char *store = NULL, *ref = NULL, *machine = NULL, *metric = NULL;
    bool json = false;
    bg_opt_parser p;
    bg_opt_init(&p, NOISE_OPTIONS, "benchgate noise", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        switch (id) {
        case BG_OPT_ERROR: return BG_EXIT_USAGE;
        case BG_OPT_HELP: noise_help(); return BG_EXIT_OK;
        case BG_OPT_POS:
            if (ref) {
                bg_opt_unexpected(&p, val);
                return BG_EXIT_USAGE;
            }
            ref = val;
            break;
        case OPT_STORE: store = val; break;
        case OPT_MACHINE: machine = val; break;
        case OPT_METRIC: metric = val; break;
        case OPT_FORMAT:
            if (strcmp(val, "console") && strcmp(val, "json")) {
                bg_opt_errf(&p, "unknown --format '%s' (console or json)", val);
                return BG_EXIT_USAGE;
            }
            json = !strcmp(val, "json");
            break;
        default: return BG_EXIT_USAGE;
        }
    }
    return show_noise(store, ref, machine, metric, json);
}

/* ---- calibrate ---- */

#define CALIBRATE_MAX_ARGS 64

static const bg_opt CALIBRATE_OPTIONS[] = {
    {OPT_BENCH, "bench", 0, "PATH", NULL, "the bench binary to run (required)"},
    {OPT_BENCH_ARG, "bench-arg", 0, "ARG", NULL, "an argument for the bench binary (repeatable)"},
    {OPT_RUNS, "runs", 0, "N", NULL, "runs to make (default 5: 4 pairs, past the 3 needed)"},
    {OPT_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void calibrate_help(void)
{
    printf("usage: benchgate calibrate --bench PATH [options]\n\n"
           "Seeds the store's noise record on a new machine: runs the bench binary N\n"
           "times at the current commit, saving each run, then prints what `benchgate\n"
           "noise` learned. Runs made with uncommitted changes teach nothing (their code\n"
           "is unknown), so commit first. Main-branch CI runs keep adding history.\n\n"
           "Options:\n");
    bg_opt_help(stdout, CALIBRATE_OPTIONS);
}

/* Runs argv (no shell) and returns its exit status, or -1 when it could not
 * run or died of a signal. */
static int run_wait(char *const *argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(argv[0], argv);
        bg__errf("cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bg__cmd_calibrate(int argc, char **argv)
{
    const char *bench = NULL, *store = NULL;
    const char *args[CALIBRATE_MAX_ARGS];
    size_t nargs = 0;
    double runs = 5;
    bg_opt_parser p;
    bg_opt_init(&p, CALIBRATE_OPTIONS, "benchgate calibrate", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        switch (id) {
        case BG_OPT_ERROR: return BG_EXIT_USAGE;
        case BG_OPT_HELP: calibrate_help(); return BG_EXIT_OK;
        case BG_OPT_POS: bg_opt_unexpected(&p, val); return BG_EXIT_USAGE;
        case OPT_BENCH: bench = val; break;
        case OPT_STORE: store = val; break;
        case OPT_RUNS:
            if (bg__parse_number("--runs", val, 2, 1000, &runs) || runs != (double)(int)runs) {
                bg_opt_errf(&p, "--runs takes a whole number from 2 to 1000");
                return BG_EXIT_USAGE;
            }
            break;
        case OPT_BENCH_ARG:
            if (nargs >= CALIBRATE_MAX_ARGS) {
                bg_opt_errf(&p, "too many --bench-arg (at most %d)", CALIBRATE_MAX_ARGS);
                return BG_EXIT_USAGE;
            }
            args[nargs++] = val;
            break;
        default: return BG_EXIT_USAGE;
        }
    }
    if (!bench) {
        bg__errf("calibrate needs --bench PATH (the bench binary to run; see --help)");
        return BG_EXIT_USAGE;
    }
    if (access(bench, X_OK) != 0) {
        bg__errf("calibrate: --bench %s: %s", bench, strerror(errno));
        return BG_EXIT_USAGE;
    }
    /* A dirty tree: its runs would be saved but never used to learn. */
    bg_git *g = NULL;
    char err[1024] = "";
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        bg__errf("calibrate: needs a git repository with a commit (runs are keyed by commit): %s", err);
        return BG_EXIT_USAGE;
    }
    int dirty = 0;
    char first[512] = "";
    /* The default ignores, as the bench binary uses when it records "dirty". */
    int drc = bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err);
    bg_git_close(&g);
    if (drc == 0 && dirty) {
        bg__errf("calibrate: the working tree has uncommitted changes (%s); runs of unknown code teach "
                 "no noise: commit or stash them first",
                 first[0] ? first : "...");
        return BG_EXIT_USAGE;
    }
    char *av[CALIBRATE_MAX_ARGS + 8];
    size_t n = 0;
    av[n++] = (char *)bench;
    for (size_t i = 0; i < nargs; i++)
        av[n++] = (char *)args[i];
    av[n++] = "--save";
    if (store) {
        av[n++] = "--store";
        av[n++] = (char *)store;
    }
    av[n] = NULL;
    for (int i = 0; i < (int)runs; i++) {
        bg__errf("calibrate: run %d of %d", i + 1, (int)runs);
        int rc = run_wait(av);
        if (rc != 0) {
            bg__errf("calibrate: %s exited with %d in run %d; the runs made so far are saved", bench, rc,
                     i + 1);
            return rc == 3 ? BG_EXIT_CRASH : BG_EXIT_USAGE;
        }
    }
    return show_noise(store, NULL, NULL, NULL, false);
}
