/* Shared by the GPU and instruction-mode tests: runs a bench binary with
 * arguments and a changed environment, captures its exit code, stdout and
 * stderr, and reads benchmarks out of the JSON run record it wrote.
 * Include once per test executable, after cmocka.h. */
#ifndef BG_BENCH_PROC_H
#define BG_BENCH_PROC_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct bench_out {
    int code; /* exit status, or -1 when it died of a signal */
    char *out, *err;
} bench_out;

static char *bp_slurp(const char *path)
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

/* Runs `prog` with args (NULL-terminated). env: NULL-terminated
 * "NAME=value" to set and "NAME" (no '=') to unset in the child. */
static bench_out run_bench(const char *prog, const char *const *args, const char *const *env)
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
    bench_out o = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, bp_slurp(outp), bp_slurp(errp)};
    unlink(outp);
    unlink(errp);
    assert_non_null(o.out);
    assert_non_null(o.err);
    return o;
}

static void bench_out_free(bench_out *o)
{
    free(o->out);
    free(o->err);
}

/* Parses the run record at path (then removes the file). */
static cJSON *read_record(const char *path)
{
    char *s = bp_slurp(path);
    assert_non_null(s);
    cJSON *j = cJSON_Parse(s);
    free(s);
    unlink(path);
    assert_non_null(j);
    return j;
}

/* The benchmark called name in a run record, or NULL. */
static const cJSON *record_bench(const cJSON *rec, const char *name)
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

static const char *bench_str(const cJSON *b, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

#endif
