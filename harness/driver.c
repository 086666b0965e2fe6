/* The bench binary's driver: its flags, their defaults, and bg_main(), which runs, saves and compares. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bg_advice.h"
#include "bg_alloc.h"
#include "bg_baseline.h"
#include "bg_noise.h"
#include "bg_compare.h"
#include "bg_config.h"
#include "bg_doctor.h"
#include "bg_exit.h"
#include "bg_fingerprint.h"
#include "bg_git.h"
#include "bg_gpu.h"
#include "bg_model.h"
#include "bg_reporter.h"
#include "bg_harness.h"
#include "bg_instr.h"
#include "bg_options.h"
#include "bg_settings.h"
#include "bg_store.h"

/* Prints "<prog>: <message>" to stderr, wrapped (bg__wrap) at the
 * width bg__wrap_width(stderr) gives (COLUMNS, else a terminal's width). */
static void say(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *prog, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0)
        bg__wrapf(stderr, bg__wrap_width(stderr), "%s: %s", prog, msg);
}

/* The bench binary's options: parsed by bg__parse_args, listed by --help. */
enum {
    O_FILTER = 1, O_LIST, O_WARMUP, O_MEASURE, O_SAMPLES, O_PROCS, O_MAX_PROCS, O_BUDGET, O_TARGET,
    O_TIMEOUT, O_QUICK, O_SEED, O_RESAMPLES, O_CONFIDENCE, O_STATISTIC, O_JSON, O_SAVE, O_NO_SAVE,
    O_STORE, O_COLOR, O_MODE, O_COUNTERS, O_BASELINE, O_SAVE_BASELINE, O_VERSION,
    O_PROFILE, O_PROFILE_DIR, O_PROFILE_SECONDS, O_NO_SCOPES,
    O_GPU_FLUSH_L2, O_SHARD, O_SHARD_COST,
};

static const bg_opt OPTIONS[] = {
    {0, NULL, 0, NULL, NULL, "selection:"},
    {O_FILTER, "filter", 0, "REGEX", NULL, "run benchmarks whose name matches (POSIX extended)"},
    {O_LIST, "list", 0, NULL, NULL, "print the benchmark names and exit"},
    {O_SHARD, "shard", 0, "K/N", NULL,
     "run shard K of N of the selected benchmarks: each is in\n"
     "exactly one shard, the same on every machine (dealt by a\n"
     "hash of its name); recorded in the run, for 'benchgate merge'"},
    {O_SHARD_COST, "shard-cost", 0, "B", NULL,
     "balance the shards by the time each benchmark took in run B\n"
     "(a run file, a named baseline or a revision, as --baseline);\n"
     "every shard must be given the same B"},
    {0, NULL, 0, NULL, NULL, "measurement:"},
    {O_WARMUP, "warmup", 0, "SEC", NULL, "warm-up time per process (default 0.04)"},
    {O_MEASURE, "measure", 0, "SEC", NULL, "measurement time per process (default 0.12)"},
    {O_SAMPLES, "samples", 0, "N", NULL, "samples per process, linear plan k..Nk (default 20)"},
    {O_PROCS, "procs", 0, "N", NULL, "fewest processes per benchmark, >= 2 (default 5)"},
    {O_MAX_PROCS, "max-procs", 0, "N", NULL, "most processes per benchmark (default 10)"},
    {O_BUDGET, "budget", 0, "SEC", NULL, "stop adding processes after this long (default 3)"},
    {O_TARGET, "target", 0, "PCT", NULL, "stop at this relative CI half-width, % (default 1)"},
    {O_TIMEOUT, "timeout", 0, "SEC", NULL, "a process with no sample for this long hangs (default 10)"},
    {O_QUICK, "quick", 0, NULL, NULL, "short rough run: 2 processes, little warm-up"},
    {0, NULL, 0, NULL, NULL, "statistics:"},
    {O_SEED, "seed", 0, "N", NULL, "seed of bootstrap and layout randomisation (default 1)"},
    {O_RESAMPLES, "resamples", 0, "N", NULL, "bootstrap resamples (default 10000)"},
    {O_CONFIDENCE, "confidence", 0, "X", NULL, "interval level in (0.5, 1) (default 0.95)"},
    {O_STATISTIC, "statistic", 0, "S", NULL, "mean, median or slope: shown first (default mean)"},
    {0, NULL, 0, NULL, NULL, "output:"},
    {O_JSON, "json", 0, "FILE", NULL, "write the run record (samples and estimates) as JSON"},
    {O_SAVE, "save", 0, NULL, NULL, "save the run in the store, keyed by git commit and machine"},
    {O_NO_SAVE, "no-save", 0, NULL, NULL, "do not save the run (the default; overrides --save)"},
    {O_STORE, "store", 0, "DIR", NULL,
     "the store directory (implies --save; default: $BENCHGATE_DIR,\n"
     "else .benchgate/ at the repository root)"},
    {O_COLOR, "color", 0, "WHEN", NULL, "auto, always or never (default auto; NO_COLOR respected)"},
    {0, NULL, 0, NULL, NULL, "mode:"},
    {O_MODE, "mode", 0, "M", NULL,
     "time (default), or instructions: instructions retired per\n"
     "iteration, from the hardware counter where there is one,\n"
     "else from valgrind (identical run to run, with est_cycles);\n"
     "instructions:hw or instructions:valgrind choose"},
    {0, NULL, 0, NULL, NULL, "counters:"},
    {O_COUNTERS, "counters", 0, "LIST", NULL,
     "counter groups measured around each sample: all, none,\n"
     "default (sw,hw,gpu,nvml), or a comma-separated list of sw,\n"
     "hw, alloc, gpu, nvml; an empty list or name ('' or 'sw,') is\n"
     "refused.\n"
     "A group this machine lacks says why, once. alloc re-executes\n"
     "the binary once with an allocation counter preloaded.\n"
     "Given (other than default), the console shows every\n"
     "counter; otherwise a compact set"},
    {O_GPU_FLUSH_L2, "gpu-flush-l2", 0, NULL, NULL,
     "before each sample of a GPU benchmark, outside the timed\n"
     "interval, overwrite the GPU's L2 cache (a write of twice its\n"
     "size), so no kernel is timed warm by accident; needs the gpu\n"
     "counter group"},
    {0, NULL, 0, NULL, NULL, "comparison:"},
    {O_BASELINE, "baseline", 0, "B", NULL,
     "after the run, print the change of every benchmark against B:\n"
     "a run record file, a named baseline, a git revision, or\n"
     "auto (the newest earlier run of this commit or its nearest\n"
     "ancestor on this machine; nothing when there is none).\n"
     "A revision takes its newest stored run on this machine,\n"
     "else the nearest first-parent ancestor's (up to 50 back)\n"
     "on this machine, else the nearest run of any machine,\n"
     "which is refused when the machines differ. A stored run\n"
     "that fails to load is skipped, named, for the next-newest"},
    {O_SAVE_BASELINE, "save-baseline", 0, "N", NULL, "also keep this run as the named baseline N"},
    {0, NULL, 0, NULL, NULL, "profile:"},
    {O_PROFILE, "profile", 0, NULL, NULL,
     "after measuring, run each selected benchmark once more\n"
     "under 'perf record' (cpu-clock, call graphs; not part of the\n"
     "estimates): folded stacks, an SVG flamegraph and the top\n"
     "functions by self time (select one with --filter)"},
    {O_PROFILE_DIR, "profile-dir", 0, "DIR", NULL, "where --profile writes (default benchgate-profile)"},
    {O_PROFILE_SECONDS, "profile-seconds", 0, "SEC", NULL,
     "measure time of each of the profiled run's 2 processes\n(default 1)"},
    {O_NO_SCOPES, "no-scopes", 0, NULL, NULL,
     "time no scopes (BG_SCOPE): each costs a call and a test\n"
     "instead of two clock reads; -DBG_NO_SCOPES compiles them out"},
    {0, NULL, 0, NULL, NULL, "other:"},
    {O_VERSION, "version", 0, NULL, NULL, "print the version and exit"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [options]\n"
            "\n"
            "Runs the benchmarks of this binary and prints a table of estimates with\n"
            "bootstrap confidence intervals.\n"
            "\n",
            prog);
    bg_opt_help(f, OPTIONS);
    fprintf(f, "\n"
               "exit status: 0 ok, 2 usage error, the run could not be saved or the output could\n"
               "not be written, 3 a benchmark crashed or timed out\n");
}

/* Each flag that takes a value: its parser validates and stores it. */
typedef struct flag_ctx {
    bg_config *c;
    FILE *err;
    const char *prog;
} flag_ctx;

static int bad_value(flag_ctx *x, const char *flag, const char *val, const char *allowed)
{
    fprintf(x->err, "%s: %s: invalid value '%s'; %s\n", x->prog, flag, val, allowed);
    return BG_EINVAL;
}

static int parse_double(flag_ctx *x, const char *flag, const char *val, double lo, double hi,
                        bool lo_open, const char *allowed, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno || end == val || *end != '\0' || !isfinite(v) || v < lo || v > hi ||
        (lo_open && v == lo))
        return bad_value(x, flag, val, allowed);
    *out = v;
    return 0;
}

static int parse_u64(flag_ctx *x, const char *flag, const char *val, unsigned long long lo,
                     unsigned long long hi, const char *allowed, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*val == '-' || *val == '\0')
        return bad_value(x, flag, val, allowed);
    unsigned long long v = strtoull(val, &end, 0);
    if (errno || *end != '\0' || v < lo || v > hi)
        return bad_value(x, flag, val, allowed);
    *out = v;
    return 0;
}

/* Applies option `id`, written as `flag`, with its value. */
static int apply_flag(flag_ctx *x, int id, const char *flag, const char *val)
{
    bg_config *c = x->c;
    unsigned long long u;
    double d;
    int rc;
    if (id == O_FILTER) {
        c->filter = val;
        return 0;
    }
    if (id == O_SHARD) {
        if (bg__shard_parse(val, &c->shard_k, &c->shard_n) != 0)
            return bad_value(x, flag, val, "expected K/N with 1 <= K <= N <= 256 (e.g. 2/4)");
        return 0;
    }
    if (id == O_SHARD_COST) {
        if (!*val)
            return bad_value(x, flag, val, "expected a run file, a baseline name or a revision");
        c->shard_cost = val;
        return 0;
    }
    if (id == O_STORE) {
        if (!*val)
            return bad_value(x, flag, val, "expected a directory");
        c->store_dir = val;
        c->save = true;
        return 0;
    }
    if (id == O_BASELINE) {
        if (!*val)
            return bad_value(x, flag, val, "expected a revision, a baseline name, a file, auto or none");
        c->baseline = strcmp(val, "none") ? val : NULL;
        return 0;
    }
    if (id == O_SAVE_BASELINE) {
        char why[256];
        if (bg__baseline_check_name(val, why, sizeof why) != 0)
            return bad_value(x, flag, val, why);
        c->save_baseline = val;
        return 0;
    }
    if (id == O_JSON) {
        if (!*val)
            return bad_value(x, flag, val, "expected a file name");
        c->json_path = val;
        return 0;
    }
    if (id == O_PROFILE_DIR) {
        if (!*val)
            return bad_value(x, flag, val, "expected a directory name");
        c->profile_dir = val;
        c->profile = true;
        return 0;
    }
    if (id == O_PROFILE_SECONDS) {
        c->profile = true;
        return parse_double(x, flag, val, 0, 600, true, "expected seconds > 0 and <= 600 (e.g. 1)",
                            &c->profile_s);
    }
    if (id == O_WARMUP)
        return parse_double(x, flag, val, 0, 3600, true,
                            "expected seconds > 0 and <= 3600 (e.g. 0.05)", &c->warmup_s);
    if (id == O_MEASURE)
        return parse_double(x, flag, val, 0, 3600, true,
                            "expected seconds > 0 and <= 3600 (e.g. 0.15)", &c->measure_s);
    if (id == O_BUDGET)
        return parse_double(x, flag, val, 0, 86400, true,
                            "expected seconds > 0 (e.g. 3)", &c->budget_s);
    if (id == O_TIMEOUT)
        return parse_double(x, flag, val, 0, 86400, true,
                            "expected seconds > 0 (e.g. 10)", &c->timeout_s);
    if (id == O_TARGET) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", val);
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '%')
            buf[n - 1] = '\0';
        rc = parse_double(x, flag, buf, 0, 100, true,
                          "expected a percentage > 0 and <= 100 (e.g. 1 or 0.5%)", &d);
        if (rc == 0)
            c->target = d / 100.0;
        return rc;
    }
    if (id == O_CONFIDENCE)
        return parse_double(x, flag, val, 0.5, 0.9999, true,
                            "expected a level in (0.5, 0.9999] (e.g. 0.95)", &c->confidence);
    if (id == O_SAMPLES) {
        rc = parse_u64(x, flag, val, 5, 100000, "expected an integer from 5 to 100000", &u);
        if (rc == 0)
            c->samples = (size_t)u;
        return rc;
    }
    if (id == O_PROCS) {
        rc = parse_u64(x, flag, val, 2, 1000,
                       "expected an integer from 2 to 1000 (between-process variance needs "
                       "at least 2)",
                       &u);
        if (rc == 0) {
            c->min_procs = (int)u;
            if (c->max_procs < c->min_procs)
                c->max_procs = c->min_procs;
        }
        return rc;
    }
    if (id == O_MAX_PROCS) {
        rc = parse_u64(x, flag, val, 2, 1000, "expected an integer from 2 to 1000", &u);
        if (rc == 0)
            c->max_procs = (int)u;
        return rc;
    }
    if (id == O_SEED) {
        rc = parse_u64(x, flag, val, 0, ULLONG_MAX, "expected a non-negative integer", &u);
        if (rc == 0)
            c->seed = (uint64_t)u;
        return rc;
    }
    if (id == O_RESAMPLES) {
        rc = parse_u64(x, flag, val, 100, 10000000, "expected an integer from 100 to 10000000",
                       &u);
        if (rc == 0)
            c->resamples = (size_t)u;
        return rc;
    }
    if (id == O_STATISTIC) {
        if (!strcmp(val, "mean"))
            c->primary = BG_STAT_MEAN;
        else if (!strcmp(val, "median"))
            c->primary = BG_STAT_MEDIAN;
        else if (!strcmp(val, "slope"))
            c->primary = BG_STAT_SLOPE;
        else
            return bad_value(x, flag, val, "expected mean, median or slope");
        return 0;
    }
    if (id == O_COUNTERS) {
        char why[256];
        if (bg__counters_parse(val, &c->counters, why, sizeof why) != 0)
            return bad_value(x, flag, val, why);
        c->counters_all = strcmp(val, "default") != 0;
        return 0;
    }
    if (id == O_MODE) {
        if (bg__mode_parse(val, &c->mode) != 0)
            return bad_value(x, flag, val,
                             "expected time, instructions, instructions:hw or "
                             "instructions:valgrind");
        return 0;
    }
    if (id == O_COLOR) {
        if (!strcmp(val, "always"))
            c->color = true;
        else if (!strcmp(val, "never"))
            c->color = false;
        else if (strcmp(val, "auto") != 0)
            return bad_value(x, flag, val, "expected auto, always or never");
        return 0;
    }
    return 0; /* options without a value: bg__parse_args */
}


int bg__parse_args(int argc, char **argv, bg_config *c, FILE *out, FILE *err)
{
    const char *prog = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
    prog = prog ? prog + 1 : (argc > 0 && argv[0] ? argv[0] : "bench");
    flag_ctx x = {c, err, prog};

    /* Colour and progress follow the terminal unless a flag says otherwise. */
    const char *nc = getenv("NO_COLOR");
    c->color = isatty(STDOUT_FILENO) && !(nc && *nc);
    c->progress = isatty(STDERR_FILENO);

    /* --quick first, so explicit flags override what it sets. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            c->quick = true;
            c->warmup_s = 0.01;
            c->measure_s = 0.03;
            c->samples = 10;
            c->min_procs = 2;
            c->max_procs = 2;
            c->resamples = 2000;
        }
        if (!strcmp(argv[i], "--")) /* nothing after -- is ours */
            break;
    }
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, prog, argc, argv, 1);
    p.err = err;
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        switch (id) {
        case BG_OPT_ERROR:
            return BG_EINVAL;
        case BG_OPT_HELP:
            usage(out, prog);
            return 1;
        case BG_OPT_POS:
            bg_opt_errf(&p, "unexpected argument '%s'; options start with --, see --help", val);
            return BG_EINVAL;
        case O_VERSION:
            fprintf(out, "benchgate %s (%s, %s)\n", BG_VERSION, BG_COMPILER, BG_BUILDTYPE);
            return 1;
        case O_LIST:
            c->list = true;
            break;
        case O_QUICK: /* applied above */
            break;
        case O_NO_SCOPES:
            c->no_scopes = true;
            break;
        case O_SAVE:
            c->save = true;
            break;
        case O_NO_SAVE:
            c->save = false;
            break;
        case O_PROFILE:
            c->profile = true;
            break;
        case O_GPU_FLUSH_L2:
            c->gpu_flush_l2 = true;
            break;
        default:
            if (apply_flag(&x, id, p.name, val) != 0)
                return BG_EINVAL;
        }
    }
    if (c->max_procs < c->min_procs) {
        fprintf(err, "%s: --max-procs %d is below --procs %d; raise --max-procs\n", prog,
                c->max_procs, c->min_procs);
        return BG_EINVAL;
    }
    return 0;
}

static void now_iso(bg_run *run)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    run->created_unix = (int64_t)t;
    strftime(run->created, sizeof run->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (gethostname(run->host, sizeof run->host) != 0)
        snprintf(run->host, sizeof run->host, "unknown");
    run->host[sizeof run->host - 1] = '\0';
}

static void add_machine_field(bg_run *run, const char *k, const char *v)
{
    if (run->nmachine_fields >= BG_MACHINE_FIELDS)
        return;
    bg_kv *kv = &run->machine_fields[run->nmachine_fields++];
    snprintf(kv->key, sizeof kv->key, "%s", k);
    snprintf(kv->value, sizeof kv->value, "%s", v);
}

/* Fills the run's git and machine fields. Outside a repository the run is
 * "no commit" with a warning; nothing here stops the benchmarks. The store
 * the run goes to (c->store_dir, $BENCHGATE_DIR or the default) does not
 * count as a change to the tree. */
static void describe_where(bg_run *run, const bg_config *c, const char *prog)
{
    bg_git_info gi;
    char err[512];
    bg_store *st = NULL;
    if (bg_store_open(&st, c->store_dir, ".", err, sizeof err) != 0)
        st = NULL; /* save_run reports it */
    int rc = bg_git_describe(".", st ? bg_store_dir(st) : NULL, &gi, err, sizeof err);
    bg_store_close(&st);
    if (rc == BG_ENOTFOUND) {
        snprintf(run->git_status, sizeof run->git_status, "no-repo");
        say(prog, "warning: not in a git repository; the run is recorded as "
                        "\"no commit\"");
    } else if (rc != 0) {
        snprintf(run->git_status, sizeof run->git_status, "error");
        say(prog, "warning: cannot read git state (%s); the run is recorded as "
                        "\"no commit\"", err);
    } else if (gi.head.unborn) {
        snprintf(run->git_status, sizeof run->git_status, "no-commits");
        snprintf(run->git_branch, sizeof run->git_branch, "%s", gi.head.branch);
        say(prog, "warning: the repository has no commits yet; the run is "
                        "recorded as \"no commit\"");
    } else {
        snprintf(run->git_commit, sizeof run->git_commit, "%s", gi.head.commit);
        snprintf(run->git_branch, sizeof run->git_branch, "%s", gi.head.branch);
        run->git_dirty = gi.dirty != 0;
        snprintf(run->git_status, sizeof run->git_status, "%s",
                 gi.head.detached ? "detached" : gi.head.shallow ? "shallow" : "ok");
    }
    bg_fingerprint fp;
    if (bg_fingerprint_collect(&fp, NULL, "buildtype=" BG_BUILDTYPE) == 0) {
        snprintf(run->machine_id, sizeof run->machine_id, "%s", fp.id);
        char cores[16];
        snprintf(cores, sizeof cores, "%d", fp.cores);
        add_machine_field(run, "cpu_model", fp.cpu_model);
        add_machine_field(run, "cores", cores);
        add_machine_field(run, "kernel", fp.kernel);
        add_machine_field(run, "os", fp.os);
        add_machine_field(run, "arch", fp.arch);
        add_machine_field(run, "compiler", fp.compiler);
        add_machine_field(run, "flags", fp.flags);
        add_machine_field(run, "version", fp.version);
    }
}

/* Saves the run in the store; returns 0 or prints why not. */
static int save_run(const bg_run *run, const bg_config *c, const char *prog)
{
    char err[1024];
    bg_store *st = NULL;
    if (bg_store_open(&st, c->store_dir, ".", err, sizeof err) != 0) {
        say(prog, "cannot open the run store: %s", err);
        return BG_EIO;
    }
    char *json = bg__record_to_json(run);
    int rc = BG_ENOMEM;
    char *path = NULL;
    if (json)
        rc = bg_store_save(st, json, run->git_commit[0] ? run->git_commit : NULL,
                           run->machine_id, &path, err, sizeof err);
    if (rc == 0)
        say(prog, "run saved: %s", path);
    else
        say(prog, "the run was not saved: %s", json ? err : "out of memory");
    free(path);
    free(json);
    bg_store_close(&st);
    return rc;
}

/* Loads the run named by --baseline before anything is measured, so a bad
 * name fails at once and "auto" never finds the run about to be saved.
 * Returns 0 with *base loaded, 1 when "auto" found nothing (a note says
 * so), or BG_E* after printing why (exit 2). */
static int load_baseline(const bg_config *c, const bg_run *run, bg_side *base, const char *prog)
{
    char err[1024] = "";
    bg_store *st = NULL;
    bg_git *g = NULL;
    int rc = bg_store_open(&st, c->store_dir, ".", err, sizeof err);
    if (rc) {
        say(prog, "--baseline: cannot open the run store: %s", err);
        return rc;
    }
    memset(base, 0, sizeof *base);
    bool is_auto = !strcmp(c->baseline, "auto");
    int have = is_auto ? bg_store_require_dir(st, err, sizeof err) : 0;
    if (have != 0) {
        /* A store this run is about to create: nothing to compare with yet. */
        if (have == BG_ENOTFOUND)
            say(prog, "note: no baseline yet (no store at %s yet); this run becomes the baseline of "
                            "the next one", bg_store_dir(st));
        else
            say(prog, "--baseline auto: %s", err);
        bg_store_close(&st);
        return 1;
    }
    if (is_auto) {
        base->spec = "auto";
        snprintf(base->commit, sizeof base->commit, "%s", run->git_commit);
        if (run->git_commit[0] && bg_git_open(&g, NULL, err, sizeof err) != 0)
            g = NULL;
        /* Quiet when there is none (what = NULL): a first run is not an
         * error, and the note below says so in one line. */
        rc = bg__side_load_store(st, g, base, NULL, "this commit", run->machine_id);
        if (rc == 0 && strcmp(base->run.machine_id, run->machine_id) != 0) {
            say(prog, "note: the newest stored run (%s) was made on another machine (%s); "
                            "no comparison", base->path, base->run.machine_id);
            bg__side_free(base);
            rc = 1;
        } else if (rc != 0) {
            say(prog, "note: no baseline yet; this run becomes the baseline of the next "
                            "one");
            rc = 1;
        }
    } else {
        rc = bg__side_resolve(st, &g, base, c->baseline);
        if (rc == 0 && !base->loaded)
            rc = bg__side_load_store(st, g, base, "--baseline", "--baseline", run->machine_id);
        char msg[1024];
        if (rc == 0 && bg__machines_differ(&base->run, run, msg, sizeof msg) != 0) {
            say(prog, "--baseline %s: the run %s was made on another machine (%s); "
                            "compare with 'benchgate compare --force' if you must", c->baseline, base->path, msg);
            bg__side_free(base);
            rc = BG_EINVAL;
        }
    }
    bg_git_close(&g);
    bg_store_close(&st);
    return rc;
}

/* Prints the change of every benchmark of `run` against the baseline. */
static void print_against_baseline(const bg_config *c, const bg_side *base, const bg_run *run,
                                   const char *prog)
{
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.seed = c->seed;
    o.resamples = c->resamples;
    bg_comparison cmp;
    char err[512] = "";
    /* The repository's settings (.benchgate.json): its threshold, metric
     * and per-benchmark rules, as compare and the gate use them (loaded
     * first: the noise is learned on each benchmark's metric). */
    bg_settings settings;
    if (bg__settings_load(NULL, &settings, err, sizeof err) != 0) {
        say(prog, "%s; no comparison with the baseline until it is fixed", err);
        return;
    }
    if (!isnan(settings.threshold_pct))
        o.threshold_pct = settings.threshold_pct;
    if (settings.metric[0])
        o.metric = settings.metric;
    o.settings = &settings;
    /* The baseline was measured at another time: its comparison includes
     * the between-run noise the store has seen on this machine. */
    bg_noise noise;
    bg__noise_init(&noise, run->machine_id);
    bg_store *st = NULL;
    bg_git *g = NULL;
    if (bg_store_open(&st, c->store_dir, ".", err, sizeof err) == 0) {
        if (run->git_commit[0] && bg_git_open(&g, NULL, err, sizeof err) != 0)
            g = NULL;
        if (bg__noise_for_compare(st, g, &base->run, run, &o, NULL, &noise, err, sizeof err) != 0) {
            bg__noise_free(&noise);
            bg__noise_init(&noise, run->machine_id);
        }
    }
    o.noise = &noise; /* none learned: every benchmark gets the default */
    bg_git_close(&g);
    bg_store_close(&st);
    int crc = bg__compare_runs(&base->run, run, &o, &cmp, err, sizeof err);
    bg__noise_free(&noise);
    if (crc != 0)
        bg__settings_free(&settings);
    if (crc != 0) {
        say(prog, "cannot compare with the baseline: %s (options of 'benchgate compare')", err);
        return;
    }
    if (c->filter) { /* benchmarks not selected are not "only in A" */
        size_t k = 0;
        for (size_t i = 0; i < cmp.n; i++)
            if (cmp.rows[i].kind != BG_ROW_ONLY_A)
                cmp.rows[k++] = cmp.rows[i];
        cmp.n = k;
    }
    char label[80];
    snprintf(label, sizeof label, "%.12s", base->run.git_commit[0] ? base->run.git_commit : "no-commit");
    bg_report_src src = {.kind = BG_REPORT_COMPARISON, .cmp = &cmp, .label_a = "base",
                         .label_b = "now"};
    bg__console_style(&src, STDOUT_FILENO, c->color ? "always" : "never");
    if (src.width > 0 && src.width < 120) /* a narrow terminal: the file on a line of its own */
        printf("\nchange against baseline %s (run of %s), metric %s%s%s:\n  %s\n", base->spec ? base->spec : "",
               label, cmp.metric, cmp.metric_note[0] ? " " : "", cmp.metric_note, base->path);
    else
        printf("\nchange against baseline %s (%s, run of %s), metric %s%s%s:\n",
               base->spec ? base->spec : "", base->path, label, cmp.metric, cmp.metric_note[0] ? " " : "",
               cmp.metric_note);
    bg__report(stdout, bg__reporter_find("console", BG_REPORT_COMPARISON), &src);
    bg__comparison_free(&cmp);
    bg__settings_free(&settings);
}

/* Keeps the run as the named baseline c->save_baseline. */
static int save_named_baseline(const bg_run *run, const bg_config *c, const char *prog)
{
    char err[1024] = "";
    bg_store *st = NULL;
    if (bg_store_open(&st, c->store_dir, ".", err, sizeof err) != 0) {
        say(prog, "cannot open the run store: %s", err);
        return BG_EIO;
    }
    char *json = bg__record_to_json(run);
    int rc = json ? bg__baseline_save(st, c->save_baseline, json, err, sizeof err) : BG_ENOMEM;
    if (rc == 0)
        say(prog, "saved as baseline '%s'", c->save_baseline);
    else
        say(prog, "baseline '%s' was not saved: %s", c->save_baseline,
                json ? err : "out of memory");
    free(json);
    bg_store_close(&st);
    return rc;
}

/* The time each selected benchmark took in the run c->shard_cost (0 when it
 * has none), and that run as "<commit>@<created_unix>" in cost_from. */
static int load_shard_costs(const bg_config *c, const bg_bench *const *sel, size_t nsel, double *cost,
                            char *cost_from, size_t n, const char *prog)
{
    char err[1024] = "";
    bg_store *st = NULL;
    bg_git *g = NULL;
    bg_side side;
    memset(&side, 0, sizeof side);
    int rc = bg_store_open(&st, c->store_dir, ".", err, sizeof err);
    if (rc) {
        say(prog, "--shard-cost: cannot open the run store: %s", err);
        return rc;
    }
    rc = bg__side_resolve(st, &g, &side, c->shard_cost);
    if (rc == 0 && !side.loaded)
        rc = bg__side_load_store(st, g, &side, "--shard-cost", "--shard-cost", NULL);
    if (rc == 0) {
        for (size_t i = 0; i < nsel; i++) {
            cost[i] = 0;
            for (size_t j = 0; j < side.run.nresults; j++)
                if (!strcmp(side.run.results[j].name, sel[i]->name))
                    cost[i] = side.run.results[j].elapsed_s;
        }
        snprintf(cost_from, n, "%s@%lld", side.run.git_commit[0] ? side.run.git_commit : "no-commit",
                 (long long)side.run.created_unix);
    } else {
        say(prog, "--shard-cost %s: no run to balance the shards by; give a run file, a "
                        "baseline name or a revision with a stored run", c->shard_cost);
    }
    bg__side_free(&side);
    bg_git_close(&g);
    bg_store_close(&st);
    return rc;
}

/* Keeps in sel only shard c->shard_k of c->shard_n (the plan of shard.c over
 * the whole selection), and describes the shard in *sh (its suite borrows
 * `names`, which the caller keeps until the run is written). */
static int select_shard(const bg_config *c, const bg_bench **sel, size_t *nsel, const char **names,
                        bg_shard *sh, const char *prog)
{
    size_t n = *nsel;
    int *assign = calloc(n ? n : 1, sizeof *assign);
    double *cost = c->shard_cost ? calloc(n ? n : 1, sizeof *cost) : NULL;
    memset(sh, 0, sizeof *sh);
    if (!assign || (c->shard_cost && !cost)) {
        free(assign);
        free(cost);
        say(prog, "out of memory");
        return BG_ENOMEM;
    }
    int rc = cost ? load_shard_costs(c, (const bg_bench *const *)sel, n, cost, sh->cost_from,
                                     sizeof sh->cost_from, prog)
                  : 0;
    for (size_t i = 0; i < n; i++)
        names[i] = sel[i]->name;
    if (rc == 0)
        rc = bg__shard_plan(names, cost, n, c->shard_n, assign);
    if (rc == 0) {
        sh->k = c->shard_k;
        sh->n = c->shard_n;
        snprintf(sh->method, sizeof sh->method, "%s", cost ? "cost" : "name");
        sh->nsuite = n;
        sh->suite = names;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (assign[i] == c->shard_k - 1)
                sel[k++] = sel[i];
        *nsel = k;
    }
    free(assign);
    free(cost);
    return rc;
}

/* The scopes result ri timed, as results of their own right after it (the
 * benchmarks still to run move down). Returns 0, or -1 when out of memory
 * (said; the run goes on without them). */
static int insert_scopes(const bg_config *c, bg_run *run, size_t ri, const char *prog)
{
    bg_result *sc;
    size_t nsc;
    if (bg__scope_results(c, &run->overhead, &run->results[ri], &sc, &nsc) != 0) {
        say(prog, "%s: out of memory turning its scopes into results", run->results[ri].name);
        return -1;
    }
    if (nsc == 0)
        return 0;
    bg_result *a = realloc(run->results, (run->nresults + nsc) * sizeof *a);
    if (!a) {
        for (size_t k = 0; k < nsc; k++)
            bg__result_free(&sc[k]);
        free(sc);
        say(prog, "%s: out of memory turning its scopes into results", run->results[ri].name);
        return -1;
    }
    run->results = a;
    memmove(&a[ri + 1 + nsc], &a[ri + 1], (run->nresults - ri - 1) * sizeof *a);
    memcpy(&a[ri + 1], sc, nsc * sizeof *a);
    run->nresults += nsc;
    free(sc);
    return 0;
}

/* --profile: each selected benchmark that ran once more under perf, after
 * the measurements (the profiled processes are not part of them); the top
 * functions printed, the files recorded in its result. A profile that
 * cannot be made says why and changes nothing else. */
static void profile_all(const bg_config *c, bg_run *run, const bg_bench *const *sel, size_t nsel,
                        const char *prog)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        say(prog, "profile unavailable: cannot find this program (/proc/self/exe): %s",
                strerror(errno));
        return;
    }
    exe[k] = '\0';
    bg_profile_opts po = {exe, c->profile_dir ? c->profile_dir : "benchgate-profile",
                          c->profile_s > 0 ? c->profile_s : 1.0, 999};
    if (nsel > 5)
        say(prog, "note: profiling all %zu benchmarks (about %.0f s each); --filter selects one", nsel, 2 * po.seconds + 1);
    for (size_t i = 0; i < nsel; i++) {
        bg_result *r = NULL;
        for (size_t j = 0; j < run->nresults && !r; j++)
            if (run->results[j].name && !strcmp(run->results[j].name, sel[i]->name))
                r = &run->results[j];
        if (!r || r->status != BG_STATUS_OK)
            continue;
        bg_profile *p = calloc(1, sizeof *p);
        if (!p) {
            say(prog, "profile of %s: out of memory", sel[i]->name);
            return;
        }
        char why[1024] = "";
        double t0 = (double)bg__wall_ns();
        if (bg__profile_bench(&po, sel[i]->name, p, why, sizeof why) != 0) {
            say(prog, "profile of %s unavailable: %s", sel[i]->name, why);
            free(p);
            if (strstr(why, "perf not found") || strstr(why, "not permitted"))
                return; /* the same for every benchmark: said once */
            continue;
        }
        r->profile = p;
        printf("profile %s: %zu samples in %.1f s; flamegraph %s, stacks %s\n", sel[i]->name, p->samples,
               ((double)bg__wall_ns() - t0) / 1e9, p->svg, p->folded);
        printf("  self %%  function\n");
        for (size_t t = 0; t < p->ntop && t < 8; t++)
            printf("  %5.1f%%  %s\n", 100 * p->top[t].self, p->top[t].name);
    }
    fflush(stdout);
}

/* --gpu-flush-l2: on in the benchmark processes when the gpu group is;
 * otherwise said once, and nothing is done. */
static void gpu_flush_setup(const bg_run *run, const char *prog)
{
    if (!run->config.gpu_flush_l2)
        return;
    for (size_t i = 0; i < run->ncounter_groups; i++) {
        const bg_counter_status *g = &run->counter_groups[i];
        if (strcmp(g->group, "gpu") != 0)
            continue;
        if (g->available)
            bg__gpu_set_flush_l2(true);
        else
            say(prog, "--gpu-flush-l2: unavailable: %s", g->note);
        return;
    }
    say(prog, "--gpu-flush-l2: unavailable: the gpu counter group is not measured "
                    "(add gpu to --counters)");
}

static int run_main(int argc, char **argv);

/* The bench binary's entry: SIGPIPE is ignored, so `bench | head -1` still
 * finishes and saves its run, and a failed write to the standard output
 * (a closed pipe, a full disk) is an error: exit 2 when nothing else was. */
int bg_main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    int rc = run_main(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        const char *prog = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
        prog = prog ? prog + 1 : (argc > 0 && argv[0] ? argv[0] : "bench");
        say(prog, "cannot write the standard output (a closed pipe or a full disk)");
        if (rc == BG_EXIT_OK)
            rc = BG_EXIT_USAGE;
    }
    return rc;
}

static int run_main(int argc, char **argv)
{
    bg_config c;
    bg__config_default(&c);
    int rc = bg__parse_args(argc, argv, &c, stdout, stderr);
    if (rc == 1)
        return BG_EXIT_OK;
    if (rc != 0)
        return bg__exit_of(rc);
    /* --counters alloc: once, re-executes this program with the allocation
     * interposer preloaded (returns when it cannot; the group says why). */
    if (!c.list)
        bg__alloc_preload(c.counters, argv);
    /* Messages name the program as parse errors do: its file name alone. */
    const char *prog = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
    prog = prog ? prog + 1 : (argc > 0 && argv[0] ? argv[0] : "bench");

    const char *dup;
    if (bg__registry_duplicate(&dup)) {
        say(prog, "two benchmarks are named '%s'; rename one (names must be unique)", dup);
        return BG_EXIT_USAGE;
    }

    regex_t re;
    if (c.filter) {
        int e = regcomp(&re, c.filter, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char msg[256];
            regerror(e, &re, msg, sizeof msg);
            say(prog, "--filter '%s' is not a valid extended regular expression: %s", c.filter, msg);
            return BG_EXIT_USAGE;
        }
    }
    size_t n;
    const bg_bench *all = NULL;
    char xerr[512];
    if (bg__registry_instances(&all, &n, xerr, sizeof xerr) != 0) {
        say(prog, "%s", xerr);
        if (c.filter)
            regfree(&re);
        return BG_EXIT_USAGE;
    }
    const bg_bench **sel = calloc(n ? n : 1, sizeof *sel);
    if (!sel) {
        say(prog, "out of memory");
        if (c.filter)
            regfree(&re);
        return BG_EXIT_USAGE;
    }
    size_t nsel = 0;
    for (size_t i = 0; i < n; i++)
        if (c.filter ? regexec(&re, all[i].name, 0, NULL, 0) == 0 : !all[i].on_request)
            sel[nsel++] = &all[i];
    if (c.filter)
        regfree(&re);
    /* --shard: the suite is the selection; this run measures its part. */
    bg_shard shard;
    memset(&shard, 0, sizeof shard);
    const char **suite = NULL;
    if (c.shard_n > 0) {
        size_t nsuite = nsel;
        suite = calloc(nsel ? nsel : 1, sizeof *suite);
        if (!suite || select_shard(&c, sel, &nsel, suite, &shard, prog) != 0) {
            free(suite);
            free(sel);
            return BG_EXIT_USAGE;
        }
        if (nsel == 0 && nsuite > 0) /* more shards than benchmarks: an empty shard is fine */
            say(prog, "shard %d/%d holds none of the %zu benchmarks", c.shard_k,
                    c.shard_n, nsuite);
    }

    if (c.list) {
        for (size_t i = 0; i < nsel; i++)
            printf("%s\n", sel[i]->name);
        free(suite);
        free(sel);
        return BG_EXIT_OK;
    }
    if (nsel == 0 && c.shard_n == 0) {
        if (c.filter)
            say(prog, "no benchmark matches --filter '%s'; --list shows the names%s", c.filter,
                strchr(c.filter, '/') ? " (a scope, bench/scope, is timed with its benchmark: "
                                        "select the benchmark)" : "");
        else
            say(prog, "this binary has no benchmarks (no BENCH() was linked in)");
        free(sel);
        return BG_EXIT_USAGE;
    }
    /* The process --profile runs under perf: the one benchmark, quietly,
     * nothing saved or compared (perf.c reads its samples). */
    if (bg__profile_inner()) {
        c.save = false;
        c.json_path = NULL;
        c.baseline = NULL;
        c.save_baseline = NULL;
        c.profile = false;
        c.progress = false;
    }
    if (c.profile && c.mode != BG_MODE_TIME) {
        say(prog, "--profile goes with --mode time (a profile under valgrind would show "
                        "valgrind)");
        free(sel);
        return BG_EXIT_USAGE;
    }
    int irc = bg__instr_start(&c, sel, nsel, prog); /* instruction mode (instr_mode.c) */
    if (irc >= 0) {
        free(suite);
        free(sel);
        return irc;
    }

    bg_run run;
    memset(&run, 0, sizeof run);
    run.config = c;
    run.shard = shard;
    now_iso(&run);
    run.start_mono_ns = bg__wall_ns();
    run.results = calloc(nsel ? nsel : 1, sizeof *run.results);
    if (!run.results) {
        say(prog, "out of memory");
        free(suite);
        free(sel);
        return BG_EXIT_USAGE;
    }
    bg__overhead_get(&run.overhead);
    bg__counters_probe_run(&run, c.counters);
    gpu_flush_setup(&run, prog);
    describe_where(&run, &c, prog);
    bg_side base;
    memset(&base, 0, sizeof base);
    if (c.baseline && load_baseline(&c, &run, &base, prog) < 0) {
        free(suite);
        free(sel);
        bg__run_free(&run);
        return BG_EXIT_USAGE;
    }
    /* Names first, so the reporter can size its columns before any result. */
    for (size_t i = 0; i < nsel; i++)
        run.results[i].name = sel[i]->name;
    run.nresults = nsel;
    c.progress_total = nsel;

    const bg_reporter *rep = bg__reporter_find("console", BG_REPORT_RUN);
    bg_report_src src = {.kind = BG_REPORT_RUN, .run = &run};
    bg__console_style(&src, STDOUT_FILENO, c.color ? "always" : "never");
    rep->begin(stdout, &src);
    int exit_code = BG_EXIT_OK;
    for (size_t i = 0, ri = 0; i < nsel; i++, ri++) {
        if (c.mode != BG_MODE_TIME)
            bg__instr_run_bench(&c, sel[i], i, run.start_mono_ns, &run.results[ri]);
        else
            bg__run_bench(&c, sel[i], i, run.start_mono_ns, &run.results[ri]);
        bg_status st = run.results[ri].status;
        if (st == BG_STATUS_CRASHED || st == BG_STATUS_TIMEOUT || st == BG_STATUS_ERROR)
            exit_code = BG_EXIT_CRASH;
        rep->bench(stdout, &src, ri);
        if (insert_scopes(&c, &run, ri, prog) == 0)
            for (; ri + 1 < run.nresults && run.results[ri + 1].scope_of[0]; ri++)
                rep->bench(stdout, &src, ri + 1);
        fflush(stdout);
    }
    /* The doctor's verdict, for the reporter to print. Instruction counts do
     * not vary with the machine's noise; times under valgrind do, and would
     * only mislead. */
    if (c.mode == BG_MODE_TIME)
        bg__run_noisy(&run, run.noisy, sizeof run.noisy);
    if (bg__run_sweeps(&run) != 0)
        say(prog, "out of memory fitting growth orders and thread scaling");
    bg__advise_run(&run);
    rep->end(stdout, &src);
    if (c.profile)
        profile_all(&c, &run, sel, nsel, prog);
    free(sel);

    if (c.json_path) {
        char err[512];
        if (bg__record_write(&run, c.json_path, err, sizeof err) != 0) {
            say(prog, "%s", err);
            if (exit_code == BG_EXIT_OK)
                exit_code = BG_EXIT_USAGE;
        }
    }
    if (base.loaded)
        print_against_baseline(&c, &base, &run, prog);
    if (c.save && save_run(&run, &c, prog) != 0 && exit_code == BG_EXIT_OK)
        exit_code = BG_EXIT_USAGE;
    if (c.save_baseline && save_named_baseline(&run, &c, prog) != 0 && exit_code == BG_EXIT_OK)
        exit_code = BG_EXIT_USAGE;
    bg__side_free(&base);
    bg__run_free(&run);
    free(suite);
    return exit_code;
}
