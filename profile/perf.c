/* Profiling one benchmark with Linux perf: the bench binary run once more
 * under `perf record -e cpu-clock --call-graph dwarf`, its samples read back with `perf
 * script` and folded (see bg_profile.h). The one place perf is run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchgate.h"
#include "bg_profile.h"

void bg__profile_file_stem(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < n; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == '_';
        out[k++] = ok ? c : '_';
    }
    if (k == 0 && n > 1)
        out[k++] = '_';
    if (n)
        out[k] = '\0';
    if (n > 1 && out[0] == '.')
        out[0] = '_'; /* never a hidden file */
}

bool bg__profile_inner(void)
{
    const char *path = getenv(BG_PROFILE_INNER_ENV);
    if (!path || !*path)
        return false;
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%ld\n", (long)getpid());
        fclose(f);
    }
    return true;
}

/* The first directory on PATH with an executable `name`, into out. */
static bool find_on_path(const char *name, char *out, size_t n)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", name);
        if (access(out, X_OK) == 0)
            return true;
        path += len + (colon != NULL);
    }
    return false;
}

/* Runs argv with stdout to out_path (or /dev/null) and stderr to
 * log_path, env_kv ("NAME=value", may be NULL) added. Returns the exit
 * status, 128+signal, or -1 when it could not start. */
static int run(char *const argv[], const char *env_kv, const char *out_path, const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fo = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int fe = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int fi = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fo < 0 || fe < 0 || fi < 0)
            _exit(126);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        if (env_kv)
            putenv((char *)env_kv);
        execv(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* The last non-empty line of a file that says what went wrong, into out. */
static void log_reason(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] && !strstr(line, "Consider tweaking") && !strstr(line, "perf_event_paranoid setting is"))
            snprintf(out, n, "%s", line);
        if (strstr(line, "No permission") || strstr(line, "Access to performance monitoring") ||
            strstr(line, "not permitted")) {
            snprintf(out, n, "%s", line);
            break;
        }
    }
    fclose(f);
}

static int read_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int v = -99;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -99;
        fclose(f);
    }
    return v;
}

/* Escapes ERE metacharacters of name into an anchored regex. */
static void exact_regex(const char *name, char *out, size_t n)
{
    size_t k = 0;
    if (k + 1 < n)
        out[k++] = '^';
    for (const char *p = name; *p && k + 3 < n; p++) {
        if (strchr(".[]()*+?{}|^$\\", *p))
            out[k++] = '\\';
        out[k++] = *p;
    }
    if (k + 1 < n)
        out[k++] = '$';
    out[k] = '\0';
}

int bg__profile_bench(const bg_profile_opts *o, const char *name, bg_profile *out, char *why, size_t nwhy)
{
    memset(out, 0, sizeof *out);
    char perf[PATH_MAX];
    if (!find_on_path("perf", perf, sizeof perf)) {
        snprintf(why, nwhy, "perf not found on PATH (install Debian's linux-perf)");
        return BG_EUNAVAIL;
    }
    if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(why, nwhy, "cannot create %s: %s", o->dir, strerror(errno));
        return BG_EUNAVAIL;
    }
    char stem[200], data[PATH_MAX], log[PATH_MAX], pidf[PATH_MAX], script[PATH_MAX];
    bg__profile_file_stem(name, stem, sizeof stem);
    snprintf(data, sizeof data, "%s/%s.perf.data", o->dir, stem);
    snprintf(log, sizeof log, "%s/%s.perf.log", o->dir, stem);
    snprintf(pidf, sizeof pidf, "%s/%s.pid", o->dir, stem);
    snprintf(script, sizeof script, "%s/%s.perf.txt", o->dir, stem);
    snprintf(out->folded, sizeof out->folded, "%s/%s.folded", o->dir, stem);
    snprintf(out->svg, sizeof out->svg, "%s/%s.svg", o->dir, stem);
    unlink(log);
    unlink(pidf);

    char freq[32], measure[32], filter[1024], env[PATH_MAX + 64];
    snprintf(freq, sizeof freq, "%d", o->frequency > 0 ? o->frequency : 999);
    snprintf(measure, sizeof measure, "%g", o->seconds > 0 ? o->seconds : 2.0);
    exact_regex(name, filter, sizeof filter);
    snprintf(env, sizeof env, "%s=%s", BG_PROFILE_INNER_ENV, pidf);
    /* DWARF call graphs: bench binaries are built without frame pointers
     * (-O2), where -g alone stops at the first frame. */
    char *rec[] = {perf, "record", "-e", "cpu-clock", "-F", freq, "--call-graph", "dwarf,8192", "-q", "-o", data, "--",
                   (char *)o->exe, "--filter", filter, "--no-save", "--procs", "2", "--max-procs", "2",
                   "--samples", "10", "--measure", measure, "--warmup", "0.1", "--counters", "none",
                   "--color", "never", NULL};
    int rc = run(rec, env, NULL, log);
    FILE *pf = fopen(pidf, "r");
    long inner = 0;
    if (pf) {
        if (fscanf(pf, "%ld", &inner) != 1)
            inner = 0;
        fclose(pf);
        unlink(pidf);
    }
    if (rc != 0 || !inner) {
        char reason[512];
        log_reason(log, reason, sizeof reason);
        int par = read_paranoid();
        if (strstr(reason, "ermission") || strstr(reason, "not permitted") || strstr(reason, "Access to")) {
            snprintf(why, nwhy, "perf is not permitted here (%s; kernel.perf_event_paranoid=%d): allow it "
                     "with 'sudo sysctl kernel.perf_event_paranoid=1', run as root, or grant "
                     "CAP_PERFMON; a container needs perf_event_open allowed by its seccomp profile",
                     reason, par);
        } else if (!inner) {
            snprintf(why, nwhy, "the profiled process did not start (perf exit %d: %s; log %s)", rc,
                     reason[0] ? reason : "no message", log);
        } else {
            snprintf(why, nwhy, "perf record failed (exit %d: %s; log %s)", rc, reason[0] ? reason : "no message",
                     log);
        }
        unlink(data);
        return BG_EUNAVAIL;
    }
    char *scr[] = {perf, "script", "-F", "pid,tid,period,ip,sym,dso", "-i", data, NULL};
    rc = run(scr, NULL, script, log);
    if (rc != 0) {
        char reason[512];
        log_reason(log, reason, sizeof reason);
        snprintf(why, nwhy, "perf script failed (exit %d: %s; log %s)", rc, reason, log);
        return BG_EUNAVAIL;
    }
    unlink(data); /* ~8 KiB a sample: the folded stacks keep what it showed */
    FILE *in = fopen(script, "r");
    if (!in) {
        snprintf(why, nwhy, "cannot read %s: %s", script, strerror(errno));
        return BG_EUNAVAIL;
    }
    bg_folded f;
    memset(&f, 0, sizeof f);
    char err[256] = "";
    rc = bg__fold_perf_script(in, (pid_t)inner, &f, err, sizeof err);
    fclose(in);
    unlink(script);
    if (rc != 0 || f.total == 0) {
        snprintf(why, nwhy, "no samples of the benchmark's process in %s (%s)", data,
                 rc ? err : "too short a run? raise --profile-seconds");
        bg__folded_free(&f);
        return BG_EUNAVAIL;
    }
    out->samples = f.total;
    out->ntop = bg__folded_top(&f, out->top, BG_PROFILE_TOP);
    FILE *fo = fopen(out->folded, "w");
    int wrc = fo ? bg__folded_write(&f, fo) : BG_EIO;
    if (fo && fclose(fo) != 0)
        wrc = BG_EIO;
    FILE *so = wrc == 0 ? fopen(out->svg, "w") : NULL;
    if (so) {
        char title[512];
        snprintf(title, sizeof title, "%s: %zu samples (cpu-clock, %s Hz)", name, f.total, freq);
        wrc = bg__flamegraph_svg(&f, title, so);
        if (fclose(so) != 0)
            wrc = BG_EIO;
    } else if (wrc == 0) {
        wrc = BG_EIO;
    }
    bg__folded_free(&f);
    if (wrc != 0) {
        snprintf(why, nwhy, "cannot write %s or %s: %s", out->folded, out->svg, strerror(errno));
        return BG_EUNAVAIL;
    }
    unlink(log);
    return 0;
}
