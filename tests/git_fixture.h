/* Shared by the tests that drive real git repositories and the benchgate
 * binaries through the shell: the LeakSanitizer suppression for libgit2 and
 * checked shell commands. Include once per test executable, after cmocka.h. */
#ifndef BG_GIT_FIXTURE_H
#define BG_GIT_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgit2 1.5 leaks a PCRE2 match block whenever a config regex does not
 * match (e.g. in git_remote_lookup); fixed upstream after 1.5 by
 * libgit2/libgit2#6382. LeakSanitizer (when built with it) ignores
 * allocations made inside libpcre2 only, so our own leaks still fail. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}

/* Runs a shell command built from fmt; fails the test when it fails. */
static inline void sh(const char *fmt, ...)
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

/* Runs a shell command built from fmt and returns the first line of its
 * output, without the newline, in out; fails the test when it fails. */
static inline void sh_line(char *out, size_t n, const char *fmt, ...)
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

#endif
