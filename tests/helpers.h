/* The tests' shared helpers (tests/helpers.c, linked as the bg_test_helpers
 * static library): checked shell commands, running the benchgate command or
 * a bench binary and capturing what it printed, reading files and run
 * records, and a sandbox for tests that drive real git. Include after
 * cmocka.h; the helpers fail the running test (cmocka) when something they
 * need does not work. Strings returned are malloc'd and the caller's. */
#ifndef BG_TEST_HELPERS_H
#define BG_TEST_HELPERS_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_stats.h"

/* ---- files ---- */

/* The whole file at path, NUL-terminated; NULL when it cannot be read. */
char *slurp(const char *path);

/* Does some line of s contain both a and b? */
int line_has(const char *s, const char *a, const char *b);

/* Fails the test unless got is want to within tol, relative to |want| (or
 * absolute when want is 0). */
void assert_rel(double got, double want, double tol);

/* For a table of reference cases: fails the test, naming case i and what,
 * unless got is want to within 1e-9 of max(|want|, scale). */
void assert_case(double got, double want, double scale, const char *what, size_t i);

/* The default bootstrap options with these resamples, method and seed. */
bg_boot_opts boot_opts(size_t resamples, bg_ci_method m, uint64_t seed);

/* "<stem>.<pid><suffix>": a file name of this test process's own (test
 * executables of several build directories may run at once). Static
 * storage: the first call fixes it. */
const char *pid_path(const char *stem, const char *suffix);

/* Removes the directory tree at dir (when dir is not ""); 0, or -1 when
 * that fails. For a teardown. */
int remove_tree(const char *dir);

/* ---- shell commands ---- */

/* Runs a shell command built from fmt; fails the test when it fails. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command built from fmt and returns the first line of its
 * output, without the newline, in out; fails the test when it fails. */
void sh_line(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes an executable shell script at path: "#!/bin/sh\n" and the body
 * built from fmt; fails the test when it cannot. */
void write_script(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs the shell command cmd with its standard output read into buf (n
 * bytes, NUL-terminated, the rest dropped); returns its exit code (fails the
 * test when it did not exit). */
int run_shell_into(char *buf, size_t n, const char *cmd);

/* ---- the benchgate command (or another program) in a directory ---- */

/* Where and how bg() runs a program; bg_use() copies it. The buffers stay
 * the caller's (usually a test file's static `out`). */
typedef struct bg_tool {
    const char *exe;  /* the program (BENCHGATE_EXE) */
    const char *dir;  /* the directory it runs in */
    const char *env;  /* shell assignments before it, e.g. "TMPDIR=/x"; NULL for none */
    char *out;        /* what it prints lands here ... */
    size_t outsz;     /* ... up to outsz - 1 bytes */
    char *err;        /* bg_stdout(): its standard error lands here (may be NULL) */
    size_t errsz;
    int log;          /* echo each command and its output to stderr (the test log) */
} bg_tool;

void bg_use(const bg_tool *t);

/* Runs the program with the arguments built from fmt (shell words) in the
 * directory; both streams in out; returns its exit code. */
int bg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bg with `env` (shell assignments, may be "") before the program. */
int bg_env(const char *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* bg with the output into buf (n bytes) instead of out. */
int bg_into(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* bg with only the standard output in out, the standard error in err. */
int bg_stdout(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bg running another program (exe) in the same directory. */
int bg_prog(const char *exe, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The shell command cmd, its standard output in out; its exit code. */
int bg_shell(const char *cmd);

/* ---- bench binaries ---- */

typedef struct bench_out {
    int code; /* exit status, or -1 when it died of a signal */
    char *out, *err;
} bench_out;

/* Runs `prog` with args (NULL-terminated), capturing its exit code, stdout
 * and stderr. env: NULL, or NULL-terminated "NAME=value" to set and "NAME"
 * (no '=') to unset in the child. Free with bench_out_free. */
bench_out run_bench(const char *prog, const char *const *args, const char *const *env);
void bench_out_free(bench_out *o);

/* Parses the JSON file at path; fails the test when it cannot. */
cJSON *parse_file(const char *path);
/* Parses the run record at path, then removes the file. */
cJSON *read_record(const char *path);
/* The benchmark called name in a run record, or NULL. */
const cJSON *record_bench(const cJSON *rec, const char *name);
/* b's string member key, or "" when there is none. */
const char *bench_str(const cJSON *b, const char *key);

struct bg_run;
struct bg_result;
/* The result called name in run; fails the test when there is none. */
const struct bg_result *result_named(const struct bg_run *run, const char *name);

/* ---- git ---- */

/* Makes a temporary directory /tmp/<name>.XXXXXX into tmp (n bytes) and
 * names <tmp>/repo in repo (rn bytes; not created). 0, or -1 when the
 * directory cannot be made. */
int make_tmp_repo(char *tmp, size_t n, char *repo, size_t rn, const char *name);

/* git with an author and no signing, for commits in a test repository. */
#define GIT "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false"

/* Makes a fresh directory from tmpl (a mkdtemp template, rewritten in
 * place) and points git at it: HOME, no system config, a fixed author and
 * committer, no repository search above /tmp. Returns 0, or -1 when the
 * directory cannot be made. */
int git_sandbox(char *tmpl);

#endif
