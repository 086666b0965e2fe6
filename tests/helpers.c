/* The tests' shared helpers (declared and described in helpers.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "bg_model.h"
#include "helpers.h"

/* libgit2 1.5 leaks a PCRE2 match block whenever a config regex does not
 * match (e.g. in git_remote_lookup); fixed upstream after 1.5 by
 * libgit2/libgit2#6382. LeakSanitizer (when built with it) ignores
 * allocations made inside libpcre2 only, so our own leaks still fail. The
 * helpers are linked whole, so every test that uses them has this. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}

/* ---- files ---- */

char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
            size_t got = fread(s, 1, (size_t)n, f);
            s[got] = '\0';
        }
    }
    fclose(f);
    return s;
}

int line_has(const char *s, const char *a, const char *b)
{
    while (s && *s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), s);
        if (strstr(line, a) && strstr(line, b))
            return 1;
        s = eol ? eol + 1 : NULL;
    }
    return 0;
}

void assert_rel(double got, double want, double tol)
{
    double scale = fabs(want) > 1e-300 ? fabs(want) : 1.0;
    if (!(fabs(got - want) <= tol * scale))
        fail_msg("got %.17g, want %.17g (rel err %.3g)", got, want, fabs(got - want) / scale);
}

void assert_case(double got, double want, double scale, const char *what, size_t i)
{
    double tol = 1e-9 * fmax(fabs(want), scale);
    if (!(fabs(got - want) <= tol))
        fail_msg("case %zu: %s = %.17g, want %.17g (+- %.3g)", i, what, got, want, tol);
}

bg_boot_opts boot_opts(size_t resamples, bg_ci_method m, uint64_t seed)
{
    bg_boot_opts o;
    bg_boot_opts_default(&o);
    o.resamples = resamples;
    o.method = m;
    o.seed = seed;
    return o;
}

const char *pid_path(const char *stem, const char *suffix)
{
    static char p[256];
    if (!p[0])
        snprintf(p, sizeof p, "%s.%ld%s", stem, (long)getpid(), suffix);
    return p;
}

int remove_tree(const char *dir)
{
    if (!dir[0])
        return 0;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- shell commands ---- */

void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, cmd);
}

void write_script(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs("#!/bin/sh\n", f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) != 0)
        fail_msg("cannot write %s", path);
    sh("chmod +x '%s'", path);
}

void sh_line(char *out, size_t n, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(out, (int)n, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
}

int run_shell_into(char *buf, size_t n, const char *cmd)
{
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(buf, 1, n - 1, p);
    buf[len] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* ---- the benchgate command in a directory ---- */

static bg_tool tool;

void bg_use(const bg_tool *t)
{
    tool = *t;
}

/* Runs exe with env and the arguments from fmt in the tool's directory,
 * output into buf; with err, the standard error into err instead. */
static int tool_run(const char *exe, const char *env, char *buf, size_t n, char *err, size_t errsz,
                    const char *fmt, va_list ap)
{
    assert_non_null(exe);
    assert_non_null(tool.dir);
    assert_non_null(buf);
    char args[4096], cmd[8192], errp[] = "/tmp/bg_helpers_errXXXXXX";
    vsnprintf(args, sizeof args, fmt, ap);
    if (err) {
        int fd = mkstemp(errp);
        assert_true(fd >= 0);
        close(fd);
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && %s%s%s '%s' %s %s%s%s", tool.dir,
             tool.env ? tool.env : "", tool.env ? " " : "", env ? env : "", exe, args,
             err ? "2>'" : "2>&1", err ? errp : "", err ? "'" : "");
    int rc = run_shell_into(buf, n, cmd);
    if (err) {
        char *e = slurp(errp);
        unlink(errp);
        assert_non_null(e);
        snprintf(err, errsz, "%s", e);
        free(e);
    }
    if (tool.log)
        fprintf(stderr, "--- %s %s\n%s%s", exe, args, buf, err ? err : "");
    return rc;
}

int bg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_run(tool.exe, NULL, tool.out, tool.outsz, NULL, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int bg_env(const char *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_run(tool.exe, env, tool.out, tool.outsz, NULL, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int bg_into(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_run(tool.exe, NULL, buf, n, NULL, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int bg_stdout(const char *fmt, ...)
{
    assert_non_null(tool.err);
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_run(tool.exe, NULL, tool.out, tool.outsz, tool.err, tool.errsz, fmt, ap);
    va_end(ap);
    return rc;
}

int bg_prog(const char *exe, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_run(exe, NULL, tool.out, tool.outsz, NULL, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int bg_shell(const char *cmd)
{
    assert_non_null(tool.out);
    return run_shell_into(tool.out, tool.outsz, cmd);
}

/* ---- bench binaries ---- */

bench_out run_bench(const char *prog, const char *const *args, const char *const *env)
{
    char outp[] = "/tmp/bg_bp_outXXXXXX", errp[] = "/tmp/bg_bp_errXXXXXX";
    int of = mkstemp(outp), ef = mkstemp(errp);
    assert_true(of >= 0 && ef >= 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(of, 1);
        dup2(ef, 2);
        for (size_t i = 0; env && env[i]; i++) {
            char name[256];
            const char *eq = strchr(env[i], '=');
            if (eq) {
                snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
                setenv(name, eq + 1, 1);
            } else {
                unsetenv(env[i]);
            }
        }
        const char *argv[64] = {prog};
        for (size_t i = 0; args[i] && i < 62; i++)
            argv[i + 1] = args[i];
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(of);
    close(ef);
    bench_out o = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(outp), slurp(errp)};
    unlink(outp);
    unlink(errp);
    assert_non_null(o.out);
    assert_non_null(o.err);
    return o;
}

void bench_out_free(bench_out *o)
{
    free(o->out);
    free(o->err);
}

cJSON *parse_file(const char *path)
{
    char *s = slurp(path);
    assert_non_null(s);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

cJSON *read_record(const char *path)
{
    cJSON *j = parse_file(path);
    unlink(path);
    return j;
}

const cJSON *record_bench(const cJSON *rec, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(rec, "benchmarks"))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return b;
    }
    return NULL;
}

const char *bench_str(const cJSON *b, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

const bg_result *result_named(const bg_run *run, const char *name)
{
    for (size_t i = 0; i < run->nresults; i++)
        if (!strcmp(run->results[i].name, name))
            return &run->results[i];
    fail_msg("benchmark %s not in the run record", name);
    return NULL;
}

/* ---- git ---- */

int make_tmp_repo(char *tmp, size_t n, char *repo, size_t rn, const char *name)
{
    snprintf(tmp, n, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(tmp))
        return -1;
    snprintf(repo, rn, "%s/repo", tmp);
    return 0;
}

int git_sandbox(char *tmpl)
{
    if (!mkdtemp(tmpl))
        return -1;
    setenv("HOME", tmpl, 1);
    setenv("XDG_CONFIG_HOME", tmpl, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Test", 1);
    setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Test", 1);
    setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
    setenv("GIT_CEILING_DIRECTORIES", "/tmp", 1);
    return 0;
}
