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

#include "bg_cmds.h"
#include "bg_git.h"
#include "bg_harness.h"
#include "bg_report.h"
#include "bg_store.h"

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
    assert_true(line_has(o.out, "forged_scope_path", "malformed scope (number 0)"));
    assert_true(line_has(o.out, "forged_scope_figure", "malformed scope figure"));
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
    assert_int_equal(result_named(&run, "forged_scope_path")->status, BG_STATUS_ERROR);
    assert_int_equal(result_named(&run, "forged_scope_figure")->status, BG_STATUS_ERROR);
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

/* ---- a store in a git repository, with runs at c1 and c2 ---- */

static char tmp[256], repo[320], store[400];
static char c1[41], c2[41];
static char out[1 << 16];
#define MACHINE "aaaaaaaaaaaa"

/* A run record of benchmarks fast_thing and slow_thing (x slow), 3
 * processes x 10 samples; extra_name, when not NULL, adds a third. */
static char *make_record(const char *commit, int64_t created, double slow, const char *extra_name)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "benchgate.run");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "created", "2026-01-01T00:00:00Z");
    cJSON_AddNumberToObject(root, "created_unix", (double)created);
    cJSON *git = cJSON_AddObjectToObject(root, "git");
    cJSON_AddStringToObject(git, "commit", commit);
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddStringToObject(m, "id", MACHINE);
    cJSON_AddStringToObject(m, "cpu_model", "Test CPU");
    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    cJSON_AddNumberToObject(cfg, "warmup_s", 0.1);
    cJSON_AddNumberToObject(cfg, "measure_s", 0.3);
    cJSON_AddNumberToObject(cfg, "budget_s", 3);
    cJSON_AddNumberToObject(cfg, "target", 0.01);
    cJSON_AddNumberToObject(cfg, "timeout_s", 10);
    cJSON_AddNumberToObject(cfg, "samples", 10);
    cJSON_AddNumberToObject(cfg, "min_procs", 3);
    cJSON_AddNumberToObject(cfg, "max_procs", 3);
    cJSON_AddStringToObject(cfg, "seed", "1");
    cJSON_AddNumberToObject(cfg, "resamples", 1000);
    cJSON_AddNumberToObject(cfg, "confidence", 0.95);
    cJSON_AddStringToObject(cfg, "statistic", "mean");
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    const char *names[] = {"fast_thing", "slow_thing", extra_name};
    const double base_ns[] = {1000, 2000 * slow, 700};
    uint64_t x = 12345;
    for (int b = 0; b < (extra_name ? 3 : 2); b++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(benches, o);
        cJSON_AddStringToObject(o, "name", names[b]);
        cJSON_AddStringToObject(o, "status", "ok");
        cJSON_AddStringToObject(o, "seed", "7");
        cJSON *procs = cJSON_AddArrayToObject(o, "processes");
        for (int p = 0; p < 3; p++) {
            double it[10], w[10];
            for (int i = 0; i < 10; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                it[i] = 100.0 * (i + 1);
                w[i] = it[i] * base_ns[b] * (1.0 + 0.002 * ((double)(x >> 11) / 9007199254740992.0));
            }
            cJSON *po = cJSON_CreateObject();
            cJSON_AddItemToArray(procs, po);
            cJSON_AddItemToObject(po, "iters", cJSON_CreateDoubleArray(it, 10));
            cJSON_AddItemToObject(po, "wall_ns", cJSON_CreateDoubleArray(w, 10));
            cJSON_AddItemToObject(po, "cpu_ns", cJSON_CreateDoubleArray(w, 10));
        }
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    assert_non_null(text);
    return text;
}

static char *save_text(const char *commit, const char *text)
{
    bg_store *st = NULL;
    char err[1024] = "";
    assert_int_equal(bg_store_open(&st, store, NULL, err, sizeof err), 0);
    char *path = NULL;
    int rc = bg_store_save(st, text, commit, MACHINE, &path, err, sizeof err);
    if (rc)
        fail_msg("save failed: %s", err);
    bg_store_close(&st);
    return path;
}

static void save_run(const char *commit, int64_t created, double slow)
{
    char *text = make_record(commit, created, slow, NULL);
    free(save_text(commit, text));
    free(text);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("BENCHGATE_DIR");
    unsetenv("GITHUB_STEP_SUMMARY");
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_hostile") != 0)
        return -1;
    snprintf(store, sizeof store, "%s/.benchgate", repo);
#ifdef BENCHGATE_EXE
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out, .log = 1});
#endif
    sh("git init -q -b main '%s' && cd '%s' && echo 0 > f && git add f && " GIT " commit -q -m c1 && "
       "echo 1 > f && " GIT " commit -q -am c2", repo, repo);
    sh_line(c1, sizeof c1, "cd '%s' && git rev-parse HEAD~1", repo);
    sh_line(c2, sizeof c2, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c1, 1000, 1.0);
    save_run(c2, 2000, 1.3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(tmp);
}

#ifdef BENCHGATE_EXE
/* 2 and 3: a FIFO, a link to /dev/zero and an oversized file named *.json
 * in the store: compare neither hangs nor grows; each is skipped, named,
 * and the good runs still compare. */
static void test_store_fifo_zero_huge(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/runs/%s/" MACHINE, store, c2);
    sh("mkfifo '%s/9999-fifo.json' && ln -s /dev/zero '%s/9999-zero.json' && "
       "head -c 300000 /dev/zero | tr '\\0' ' ' > '%s/9999-huge.json'", dir, dir, dir);
    int rc = bg_env("BENCHGATE_MAX_READ=100000 timeout 60", "compare %s %s", c1, c2);
    sh("rm -f '%s/9999-fifo.json' '%s/9999-zero.json' '%s/9999-huge.json'", dir, dir, dir);
    if (rc != 1)
        fail_msg("compare exited %d, want 1 (a regression):\n%s", rc, out);
    assert_true(line_has(out, "9999-fifo.json", "FIFO"));
    assert_true(line_has(out, "9999-zero.json", "symbolic link"));
    assert_true(line_has(out, "9999-huge.json", "more than the limit of 100000"));
    assert_true(line_has(out, "slow_thing", "regressed"));
}

/* 9: a damaged newest run of c2 (its envelope reads, its body does not):
 * export and report take the next good one and name the skipped file. */
static void test_report_export_fall_back(void **state)
{
    (void)state;
    char *text = make_record(c2, 3000, 1.0, NULL);
    char *p = strstr(text, "\"iters\"");
    assert_non_null(p);
    memcpy(p, "\"itxrs\"", 7);
    char *path = save_text(c2, text);
    free(text);
    int rc = bg("export %s --format csv", c2);
    if (rc != 0)
        fail_msg("export exited %d:\n%s", rc, out);
    assert_true(line_has(out, "skipped", path));
    assert_non_null(strstr(out, "slow_thing"));
    rc = bg("report %s --out '%s/rep'", c2, tmp);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    assert_true(line_has(out, "skipped", path));
    unlink(path);
    free(path);
}

/* 12: a stale temporary file a killed save left is swept by the next save;
 * a fresh one (perhaps a save in progress) stays. */
static void test_stale_tmp_swept(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/runs/%s/" MACHINE, store, c2);
    sh("echo x > '%s/.old.json.tmp' && touch -d '3 hours ago' '%s/.old.json.tmp' && "
       "echo y > '%s/.new.json.tmp'", dir, dir, dir);
    save_run(c2, 2500, 1.3);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "test ! -e '%s/.old.json.tmp' && test -e '%s/.new.json.tmp'", dir, dir);
    assert_int_equal(system(cmd), 0);
    sh("rm -f '%s/.new.json.tmp'", dir);
}

/* 12: a baseline named like an option is refused. */
static void test_baseline_name_dash(void **state)
{
    (void)state;
    int rc = bg("baseline save -- -rf %s", c1);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "invalid baseline name"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test ! -e '%s/baselines/-rf.json'", store);
    assert_int_equal(system(cmd), 0);
}

/* 12: a failed write to the standard output is an error, for the benchgate
 * command and for a bench binary. */
static void test_stdout_errors(void **state)
{
    (void)state;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' ls 2>&1 >/dev/full", repo, BENCHGATE_EXE);
    int rc = run_shell_into(out, sizeof out, cmd);
    if (rc == 0)
        fail_msg("ls > /dev/full exited 0:\n%s", out);
    assert_non_null(strstr(out, "cannot write the standard output"));
    snprintf(cmd, sizeof cmd, "'%s' --list 2>&1 >/dev/full", HOSTILE_BENCH);
    rc = run_shell_into(out, sizeof out, cmd);
    if (rc != 2)
        fail_msg("bench --list > /dev/full exited %d, want 2:\n%s", rc, out);
    assert_non_null(strstr(out, "cannot write the standard output"));
}

/* 12: `bench | head -1`: the reader goes away before the bench binary
 * prints its results; the run is still saved (exit 2 for the lost output,
 * not death by SIGPIPE). */
static void test_sigpipe_still_saves(void **state)
{
    (void)state;
    char own[400], cmd[1600];
    snprintf(own, sizeof own, "%s/pipe-store", tmp);
    char status[400];
    snprintf(status, sizeof status, "%s/pipe-status", tmp);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && ('%s' --quick --filter a_fine --store '%s' 2>/dev/null; echo $? > '%s') | true",
             repo, HOSTILE_BENCH, own, status);
    assert_int_equal(system(cmd), 0);
    char *st = slurp(status);
    assert_non_null(st);
    if (atoi(st) != 2)
        fail_msg("the bench binary exited %s, want 2", st);
    free(st);
    snprintf(cmd, sizeof cmd, "test -n \"$(find '%s/runs' -name '*.json')\"", own);
    assert_int_equal(system(cmd), 0);
}

/* 12: gate --markdown on a full disk (a file size limit of 0): no 0-byte
 * file is left where the summary should be. */
static void test_markdown_full_disk(void **state)
{
    (void)state;
    char md[400], cmd[600];
    snprintf(md, sizeof md, "%s/summary.md", tmp);
    int rc = bg_env("trap '' XFSZ; ulimit -f 0;", "gate --base %s --head %s --markdown '%s'", c1, c2, md);
    snprintf(cmd, sizeof cmd, "test ! -e '%s'", md);
    if (system(cmd) != 0)
        fail_msg("gate left %s (exit %d):\n%s", md, rc, out);
    assert_non_null(strstr(out, md));
}

/* 5: a commit message's malformed Bench-Accept trailer is quoted with its
 * escape sequences shown as '?', never sent to the terminal. */
static void test_trailer_escaped(void **state)
{
    (void)state;
    char c3[41];
    sh("cd '%s' && echo 3 > f && " GIT " commit -q -am \"$(printf 'c3\\n\\nBench-Accept: \\033[2J\\033]0;pwn\\007 x')\"",
       repo);
    sh_line(c3, sizeof c3, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c3, 5000, 1.3);
    bg("gate --base %s --head %s", c1, c3);
    sh("cd '%s' && git reset -q --hard %s", repo, c2);
    assert_non_null(strstr(out, "ignoring malformed trailer"));
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\x07'));
}

/* 11: git's "dubious ownership" is named, with the safe.directory fix. */
static void test_dubious_ownership(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root to give the repository to another user\n");
        return;
    }
    char other[400];
    snprintf(other, sizeof other, "%s/other", tmp);
    sh("mkdir '%s' && cd '%s' && git init -q && " GIT " commit -q --allow-empty -m x && "
       "chown -R nobody '%s'", other, other, other);
    bg_git *g = NULL;
    char err[1024] = "";
    int rc = bg_git_open(&g, other, err, sizeof err);
    assert_true(rc != 0);
    assert_non_null(strstr(err, "dubious ownership"));
    assert_non_null(strstr(err, "safe.directory"));
    assert_null(strstr(err, "not a git repository"));
}
#endif

/* 4: a symbolic link planted at the old temporary name is not followed. */
static void test_atomic_write_symlink(void **state)
{
    (void)state;
    char victim[400], target[400], planted[500];
    snprintf(victim, sizeof victim, "%s/victim.txt", tmp);
    snprintf(target, sizeof target, "%s/out.json", tmp);
    snprintf(planted, sizeof planted, "%s.tmp.%ld", target, (long)getpid());
    sh("echo precious > '%s'", victim);
    assert_int_equal(symlink(victim, planted), 0);
    char err[512];
    assert_int_equal(bg__write_file_atomic(target, "{}\n", 3, err, sizeof err), 0);
    char *v = slurp(victim);
    assert_string_equal(v, "precious\n");
    free(v);
    v = slurp(target);
    assert_string_equal(v, "{}\n");
    free(v);
    struct stat st;
    assert_int_equal(lstat(target, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    unlink(planted);
    unlink(target);
    unlink(victim);
}

static char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, s);
    fclose(f);
    return buf;
}

/* 5, 6, 8: control characters never reach a terminal or a Markdown row;
 * CSV cells that a spreadsheet would run are neutralised; "]]>" is broken
 * in what gnuplot writes into SVG. */
static void test_escaping(void **state)
{
    (void)state;
    char *t = escaped(bg__term_escape, "a\x1b[31mb\nc\xff");
    assert_string_equal(t, "a?[31mb?c?");
    free(t);
    t = escaped(bg__md_escape, "x\ny|z\x1b");
    assert_null(strchr(t, '\n'));
    assert_null(strchr(t, '\x1b'));
    assert_non_null(strstr(t, "\\|"));
    free(t);
    static const char *const live[] = {"=HYPERLINK(\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                       "\tx", "\rx"};
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        t = escaped(bg__csv_escape, live[i]);
        if (strncmp(t, "\"'", 2) != 0)
            fail_msg("CSV cell %s left live: %s", live[i], t);
        free(t);
    }
    t = escaped(bg__csv_escape, "plain");
    assert_string_equal(t, "\"plain\"");
    free(t);
    t = escaped(bg__gp_quote, "a]]>b");
    assert_null(strstr(t, "]]>"));
    assert_string_equal(t, "'a]]\xe2\x80\x8b>b'");
    free(t);
}

static void noop_bench(bg_state *b)
{
    (void)b;
}

/* 5, 7, 11, 12: the loaders: a record with a control character, invalid
 * UTF-8 or an empty name is refused, as is a Google Benchmark file with
 * one; an object in place of a number names its benchmark. */
static void test_loaders_refuse_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"evil\x1b[2J", "bad\xff", "", "two\nlines"};
    char err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = make_record(c1, 1, 1.0, bad[i]);
        bg_run run;
        int rc = bg__record_parse(text, &run, err, sizeof err);
        if (rc == 0) {
            bg__run_free(&run);
            fail_msg("a record with the name %zu was accepted", i);
        }
        assert_int_equal(rc, BG_EPARSE);
        assert_non_null(strstr(err, "name"));
        assert_null(strchr(err, '\x1b'));
        free(text);
        cJSON *gb = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(gb, "benchmarks");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, e);
        cJSON_AddStringToObject(e, "name", bad[i]);
        cJSON_AddStringToObject(e, "run_type", "iteration");
        cJSON_AddNumberToObject(e, "iterations", 100);
        cJSON_AddNumberToObject(e, "real_time", 10);
        cJSON_AddNumberToObject(e, "cpu_time", 10);
        cJSON_AddStringToObject(e, "time_unit", "ns");
        char *gtext = cJSON_PrintUnformatted(gb);
        cJSON_Delete(gb);
        rc = bg__import_gbench(gtext, "gb.json", &run, err, sizeof err);
        if (rc == 0) {
            bg__run_free(&run);
            fail_msg("a Google Benchmark file with the name %zu was imported", i);
        }
        assert_non_null(strstr(err, "gb.json"));
        assert_non_null(strstr(err, "entry 1"));
        free(gtext);
    }
    /* Nor can a benchmark registered at run time carry such a name. */
    assert_int_equal(bg_register("runtime\nname", noop_bench, "f.c", 1), BG_EINVAL);
    assert_int_equal(bg_register("runtime\xc0\x80", noop_bench, "f.c", 1), BG_EINVAL);

    char *text = make_record(c1, 1, 1.0, NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "benchmarks"), 1);
    cJSON *est = cJSON_AddObjectToObject(b0, "estimates");
    cJSON *mean = cJSON_AddObjectToObject(est, "mean");
    cJSON_AddNumberToObject(mean, "point", 1);
    cJSON_AddItemToObject(mean, "lo", cJSON_CreateObject());
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    bg_run run;
    assert_int_equal(bg__record_parse(text, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "slow_thing"));
    assert_non_null(strstr(err, "'lo'"));
    free(text);
}

/* 12: fetch (importing runs from git notes) checks each run's body first
 * and names the damaged ones; the good one is imported. */
static void test_notes_import_checks_bodies(void **state)
{
    (void)state;
    char *good = make_record(c1, 4000, 1.0, NULL);
    char *bad = make_record(c1, 4001, 1.0, NULL);
    char *p = strstr(bad, "\"wall_ns\"");
    assert_non_null(p);
    memcpy(p, "\"wxll_ns\"", 9);
    char note[400];
    snprintf(note, sizeof note, "%s/note.json", tmp);
    FILE *f = fopen(note, "w");
    assert_non_null(f);
    fprintf(f, "[%s,%s]\n", good, bad);
    fclose(f);
    free(good);
    free(bad);
    sh("cd '%s' && git notes --ref=benchgate add -f -F '%s' %s", repo, note, c1);
    bg_store *st = NULL;
    bg_git *g = NULL;
    char err[1024] = "";
    assert_int_equal(bg_store_open(&st, store, NULL, err, sizeof err), 0);
    assert_int_equal(bg_git_open(&g, repo, err, sizeof err), 0);
    bg_sync_stats stats;
    memset(&stats, 0, sizeof stats);
    int rc = bg_store_import_notes(st, g, &stats, NULL, NULL, err, sizeof err);
    if (rc)
        fail_msg("import: %s", err);
    assert_int_equal(stats.runs_imported, 1);
    assert_int_equal(stats.skipped, 1);
    bg_git_close(&g);
    bg_store_close(&st);
    sh("cd '%s' && git notes --ref=benchgate remove %s 2>/dev/null", repo, c1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misbehaving_benchmarks),
        cmocka_unit_test(test_atomic_write_symlink),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_loaders_refuse_bad_names),
        cmocka_unit_test(test_notes_import_checks_bodies),
#ifdef BENCHGATE_EXE
        cmocka_unit_test(test_store_fifo_zero_huge),
        cmocka_unit_test(test_report_export_fall_back),
        cmocka_unit_test(test_stale_tmp_swept),
        cmocka_unit_test(test_baseline_name_dash),
        cmocka_unit_test(test_stdout_errors),
        cmocka_unit_test(test_sigpipe_still_saves),
        cmocka_unit_test(test_markdown_full_disk),
        cmocka_unit_test(test_trailer_escaped),
        cmocka_unit_test(test_dubious_ownership),
#endif
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
