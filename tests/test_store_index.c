/* Tests for the store's summary index: built when missing, used when current, rebuilt when stale or damaged, never losing a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_config.h"
#include "bg_git.h"
#include "bg_index.h"
#include "bg_store.h"

static char base[256];
static char dir[512];

static const char C1[] = "1111111111111111111111111111111111111111";
static const char C2[] = "2222222222222222222222222222222222222222";

static void full_run(char *out, size_t n, const char *commit, const char *machine, long long created, int nbench)
{
    int k = snprintf(out, n,
                     "{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": %lld,\n"
                     " \"git\": {\"commit\": \"%s\", \"branch\": \"main\", \"dirty\": false},\n"
                     " \"machine\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\"},\n"
                     " \"config\": {\"warmup_s\": 0.1, \"measure_s\": 0.3, \"budget_s\": 3, \"target\": 0.01,"
                     " \"timeout_s\": 10, \"samples\": 2, \"min_procs\": 1, \"max_procs\": 1, \"seed\": \"1\","
                     " \"resamples\": 100, \"confidence\": 0.95, \"statistic\": \"mean\"},\n"
                     " \"benchmarks\": [",
                     created, commit, machine);
    for (int b = 0; b < nbench; b++)
        k += snprintf(out + k, n - (size_t)k,
                      "%s{\"name\": \"bench_%d\", \"status\": \"ok\", \"seed\": \"7\",\n"
                      "   \"processes\": [{\"iters\": [10, 20], \"wall_ns\": [1000, 2000], \"cpu_ns\": [1000, 2000]}]}",
                      b ? ", " : "", b);
    snprintf(out + k, n - (size_t)k, "]}\n");
}

static int setup(void **state)
{
    snprintf(base, sizeof base, "/tmp/bg-test-index-XXXXXX");
    if (git_sandbox(base) != 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/.benchgate", base);
    unsetenv("BENCHGATE_DIR");
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(base);
}

/* Lists the whole store in full; returns the count and fills the index's
 * counters of that listing. */
static size_t list_all(bg_store *s, size_t *hits, size_t *misses, bool *written)
{
    char err[512] = "";
    bg_run_list l;
    assert_int_equal(bg_store_list_ex(s, NULL, NULL, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err), 0);
    size_t n = l.n;
    bg_run_list_free(&l);
    bg__index_last(hits, misses, written);
    return n;
}

static bg_store *store_with_runs(char paths[][600], int n)
{
    char err[512] = "", run[8192];
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        full_run(run, sizeof run, i % 2 ? C2 : C1, "m1", 100 + i, 1 + i % 3);
        char *p = NULL;
        assert_int_equal(bg_store_save(s, run, i % 2 ? C2 : C1, "m1", &p, err, sizeof err), 0);
        snprintf(paths[i], 600, "%s", p);
        free(p);
    }
    return s;
}

static void test_built_then_used(void **state)
{
    char paths[6][600];
    bg_store *s = store_with_runs(paths, 6);
    size_t hits, misses;
    bool written;
    char ix[600];
    snprintf(ix, sizeof ix, "%s/%s", dir, BG_INDEX_FILE);
    assert_int_equal(access(ix, F_OK), -1);

    assert_int_equal(list_all(s, &hits, &misses, &written), 6);
    assert_int_equal(hits, 0);
    assert_int_equal(misses, 6);
    assert_true(written);
    assert_int_equal(access(ix, F_OK), 0);

    /* the second listing reads no run file and writes nothing */
    assert_int_equal(list_all(s, &hits, &misses, &written), 6);
    assert_int_equal(hits, 6);
    assert_int_equal(misses, 0);
    assert_false(written);

    /* what the index gives is what a parse gives: commit, machine, time, count */
    char err[512] = "";
    bg_run_list l;
    assert_int_equal(bg_store_list_ex(s, NULL, "m1", BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 6);
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(l.runs[i].meta.commit, i % 2 ? C2 : C1);
        assert_string_equal(l.runs[i].meta.machine, "m1");
        assert_int_equal(l.runs[i].meta.created_unix, 100 + (long long)i);
        assert_int_equal(l.runs[i].nbench, 1 + i % 3);
        assert_null(l.runs[i].damage);
    }
    /* listing one commit reads its few files directly, and agrees */
    bg_run_list one;
    assert_int_equal(bg_store_list_ex(s, C2, NULL, BG_STORE_LIST_FULL, &one, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(one.n, 3);
    for (size_t i = 0; i < one.n; i++) {
        assert_string_equal(one.runs[i].path, l.runs[2 * i + 1].path);
        assert_int_equal(one.runs[i].nbench, l.runs[2 * i + 1].nbench);
    }
    bg_run_list_free(&one);
    bg_run_list_free(&l);
    bg_store_close(&s);
}

static void test_damaged_index_rebuilt(void **state)
{
    char paths[4][600];
    bg_store *s = store_with_runs(paths, 4);
    size_t hits, misses;
    bool written;
    assert_int_equal(list_all(s, &hits, &misses, &written), 4);

    char ix[600];
    snprintf(ix, sizeof ix, "%s/%s", dir, BG_INDEX_FILE);
    const char *bad[] = {
        "{\"schema\": \"benchgate.index\", \"version\": 1, \"runs\": [", /* truncated */
        "not json at all",
        "{\"schema\": \"benchgate.index\", \"version\": 99, \"tool\": \"0\", \"record_version\": 1, \"runs\": []}",
        "{\"schema\": \"benchgate.index\", \"version\": 1, \"tool\": \"" BG_VERSION "\", \"record_version\": 1,"
        " \"runs\": [{\"file\": 7}, {\"file\": \"x/y/z.json\", \"size\": \"big\"}, 3]}",
        "",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        FILE *f = fopen(ix, "w");
        assert_non_null(f);
        fputs(bad[k], f);
        fclose(f);
        assert_int_equal(list_all(s, &hits, &misses, &written), 4); /* no run lost */
        assert_int_equal(misses, 4);
        assert_true(written);
        assert_int_equal(list_all(s, &hits, &misses, &written), 4);
        assert_int_equal(hits, 4);
    }
    /* an index that cannot be written (a directory in its place) costs time only */
    unlink(ix);
    assert_int_equal(mkdir(ix, 0755), 0);
    assert_int_equal(list_all(s, &hits, &misses, &written), 4);
    assert_false(written);
    assert_int_equal(list_all(s, &hits, &misses, &written), 4);
    assert_int_equal(misses, 4);
    rmdir(ix);
    bg_store_close(&s);
}

static void test_stale_entries(void **state)
{
    char paths[4][600];
    bg_store *s = store_with_runs(paths, 4);
    size_t hits, misses;
    bool written;
    assert_int_equal(list_all(s, &hits, &misses, &written), 4);

    /* a run rewritten in place (another size) is parsed again: the new count shows */
    char run[8192];
    full_run(run, sizeof run, C1, "m1", 100, 3);
    FILE *f = fopen(paths[0], "w");
    assert_non_null(f);
    fputs(run, f);
    fclose(f);
    char err[512] = "";
    bg_run_list l;
    assert_int_equal(bg_store_list_ex(s, NULL, NULL, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err), 0);
    size_t hs, ms;
    bg__index_last(&hs, &ms, NULL);
    assert_int_equal(ms, 1);
    assert_int_equal(hs, 3);
    assert_int_equal(l.runs[0].nbench, 3);
    bg_run_list_free(&l);

    /* a run file made damaged is listed as damaged, not as the index's good run */
    f = fopen(paths[1], "w");
    assert_non_null(f);
    fputs("{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": 101,"
          " \"git\": {\"commit\": \"2222222222222222222222222222222222222222\"}, \"machine\": {\"id\": \"m1\"},"
          " \"benchmarks\": 5}",
          f);
    fclose(f);
    assert_int_equal(bg_store_list_ex(s, NULL, NULL, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 4);
    assert_non_null(l.runs[1].damage);
    assert_non_null(strstr(l.runs[1].damage, paths[1]));
    bg_run_list_free(&l);
    /* and the damage is cached too: the next listing says the same */
    assert_int_equal(bg_store_list_ex(s, NULL, NULL, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err), 0);
    bg__index_last(&hs, &ms, NULL);
    assert_int_equal(ms, 0);
    assert_non_null(l.runs[1].damage);
    bg_run_list_free(&l);

    /* a removed run is gone from the listing and from the index after a full one */
    unlink(paths[3]);
    assert_int_equal(list_all(s, &hits, &misses, &written), 3);
    assert_true(written);
    char ix[600];
    snprintf(ix, sizeof ix, "%s/%s", dir, BG_INDEX_FILE);
    char *text = slurp(ix);
    const char *name = strrchr(paths[3], '/') + 1;
    assert_null(strstr(text, name));
    assert_non_null(strstr(text, strrchr(paths[2], '/') + 1));
    free(text);

    /* a new run saved by another process is listed at once */
    char *p = NULL;
    full_run(run, sizeof run, C1, "m2", 500, 2);
    assert_int_equal(bg_store_save(s, run, C1, "m2", &p, err, sizeof err), 0);
    free(p);
    assert_int_equal(list_all(s, &hits, &misses, &written), 4);
    assert_int_equal(misses, 1);
    bg_store_close(&s);
}

/* An envelope-only listing does not count as a full load: a later full
 * listing parses, and then both kinds are answered by the index. */
static void test_envelope_then_full(void **state)
{
    char paths[3][600];
    bg_store *s = store_with_runs(paths, 3);
    char err[512] = "";
    bg_run_list l;
    size_t hs, ms;
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    bg_run_list_free(&l);
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    bg_run_list_free(&l);
    bg__index_last(&hs, &ms, NULL);
    assert_int_equal(hs, 3);
    assert_int_equal(list_all(s, &hs, &ms, NULL), 3);
    assert_int_equal(ms, 3);
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    bg_run_list_free(&l);
    bg__index_last(&hs, &ms, NULL);
    assert_int_equal(hs, 3);
    bg_store_close(&s);
}

/* A push after one new run reads and rewrites only that run's note: the
 * others are skipped by their tags; a note changed behind the index's back
 * is read and merged again, so no run is left out of it. */
static void test_export_skips_unchanged_notes(void **state)
{
    char repo[300], err[1024] = "", run[8192], c1[64], c2[64];
    snprintf(repo, sizeof repo, "%s/repo", base);
    sh("git init -q -b main %s && cd %s && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m a && "
       "git -c user.name=t -c user.email=t@e commit -q --allow-empty -m b",
       repo, repo);
    sh_line(c1, sizeof c1, "git -C %s rev-parse HEAD~1", repo);
    sh_line(c2, sizeof c2, "git -C %s rev-parse HEAD", repo);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, repo, err, sizeof err), 0);
    bg_store *s = NULL;
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    full_run(run, sizeof run, c1, "m1", 100, 2);
    assert_int_equal(bg_store_save(s, run, c1, "m1", NULL, err, sizeof err), 0);

    bg_sync_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 1);
    char ix[700];
    snprintf(ix, sizeof ix, "%s/%s", dir, BG_INDEX_FILE);
    char *text = slurp(ix);
    assert_non_null(strstr(text, "\"note\":"));
    free(text);

    /* one new run on another commit: only its note is written */
    full_run(run, sizeof run, c2, "m1", 200, 1);
    assert_int_equal(bg_store_save(s, run, c2, "m1", NULL, err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 1);
    assert_int_equal(st.runs_exported, 1);

    /* c1's note replaced by one without our run: the tag no longer matches
     * the note, so the run is merged back in */
    assert_int_equal(bg_git_note_write(g, BG_STORE_NOTES_REF, c1, "[]", err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 1);
    assert_int_equal(st.runs_exported, 1);
    char *note = NULL;
    assert_int_equal(bg_git_note_read(g, BG_STORE_NOTES_REF, c1, &note, err, sizeof err), 0);
    assert_non_null(strstr(note, c1));
    free(note);

    /* without the index (deleted) the same push still writes nothing new */
    unlink(ix);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 0);
    bg_store_close(&s);

    /* a fresh store filled from the notes (a CI job's fetch): the runs it
     * writes are tagged with their notes, so its first push reads none */
    char fresh[400];
    snprintf(fresh, sizeof fresh, "%s/fresh-store", base);
    assert_int_equal(bg_store_open(&s, fresh, NULL, err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 2);
    snprintf(ix, sizeof ix, "%s/%s", fresh, BG_INDEX_FILE);
    text = slurp(ix);
    const char *t1 = strstr(text, "\"note\":");
    assert_non_null(t1);
    assert_non_null(strstr(t1 + 1, "\"note\":")); /* both runs */
    free(text);
    size_t hs, ms;
    assert_int_equal(list_all(s, &hs, &ms, NULL), 2); /* a full listing keeps the tags */
    text = slurp(ix);
    t1 = strstr(text, "\"note\":");
    assert_true(t1 && strstr(t1 + 1, "\"note\":"));
    free(text);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 0);
    bg_store_close(&s);
    bg_git_close(&g);
}

/* One push writes the notes of many commits as ONE notes commit (a
 * commit per note copied the whole notes tree each time); every note reads
 * back, with git's own reader too; a second export adds a second commit on
 * top; notes put in a batch and then abandoned are not written. */
static void test_export_one_notes_commit(void **state)
{
    char repo[300], err[1024] = "", run[8192], ids[4][64], out[64];
    snprintf(repo, sizeof repo, "%s/repo", base);
    sh("git init -q -b main %s && cd %s && for i in 1 2 3 4; do git -c user.name=t -c user.email=t@e commit -q "
       "--allow-empty -m c$i; done",
       repo, repo);
    for (int i = 0; i < 4; i++)
        sh_line(ids[i], sizeof ids[i], "git -C %s rev-parse HEAD~%d", repo, i);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, repo, err, sizeof err), 0);
    bg_store *s = NULL;
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        full_run(run, sizeof run, ids[i], "m1", 100 + i, 1);
        assert_int_equal(bg_store_save(s, run, ids[i], "m1", NULL, err, sizeof err), 0);
    }
    bg_sync_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 3);
    sh_line(out, sizeof out, "git -C %s rev-list --count %s", repo, BG_STORE_NOTES_REF);
    assert_string_equal(out, "1");
    for (int i = 0; i < 3; i++) {
        char *note = NULL;
        assert_int_equal(bg_git_note_read(g, BG_STORE_NOTES_REF, ids[i], &note, err, sizeof err), 0);
        assert_non_null(strstr(note, ids[i]));
        free(note);
        sh_line(out, sizeof out, "git -C %s notes --ref=benchgate show %s | grep -c %s", repo, ids[i], ids[i]);
        assert_string_equal(out, "1");
    }
    full_run(run, sizeof run, ids[3], "m1", 200, 1);
    assert_int_equal(bg_store_save(s, run, ids[3], "m1", NULL, err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.notes_written, 1);
    sh_line(out, sizeof out, "git -C %s rev-list --count %s", repo, BG_STORE_NOTES_REF);
    assert_string_equal(out, "2");
    sh_line(out, sizeof out, "git -C %s notes --ref=benchgate list | wc -l", repo);
    assert_string_equal(out, "4");

    /* a batch read sees its own puts; ended without commit, nothing is written */
    bg_git_notes_batch *b = NULL;
    char *text = NULL;
    assert_int_equal(bg_git_notes_batch_begin(g, BG_STORE_NOTES_REF, &b, err, sizeof err), 0);
    assert_int_equal(bg_git_notes_batch_put(b, ids[0], "[]", err, sizeof err), 0);
    assert_int_equal(bg_git_notes_batch_read(b, ids[0], &text, err, sizeof err), 0);
    assert_string_equal(text, "[]");
    free(text);
    assert_int_equal(bg_git_notes_batch_read(b, "abababababababababababababababababababab", &text, err, sizeof err),
                     BG_ENOTFOUND);
    assert_int_equal(bg_git_notes_batch_put(b, "not-an-id", "[]", err, sizeof err), BG_EINVAL);
    assert_int_equal(bg_git_notes_batch_end(&b, false, err, sizeof err), 0);
    assert_null(b);
    sh_line(out, sizeof out, "git -C %s rev-list --count %s", repo, BG_STORE_NOTES_REF);
    assert_string_equal(out, "2");

    /* a fan-out notes tree (as git writes for many notes) is edited note by
     * note and stays readable */
    sh("cd %s && t=$(git rev-parse %s^{tree}) && sub=$(git ls-tree $t | head -1 | awk '{print $3}') && "
       "n=$(git ls-tree $t | head -1 | awk '{print $4}') && "
       "st=$(printf '100644 blob %%s\\t%%s\\n' $sub $(echo $n | cut -c3-) | git mktree) && "
       "rest=$(git ls-tree $t | tail -n +2; printf '040000 tree %%s\\t%%s\\n' $st $(echo $n | cut -c1-2)) && "
       "nt=$(echo \"$rest\" | git mktree) && c=$(git -c user.name=t -c user.email=t@e commit-tree $nt -p %s -m fan) && "
       "git update-ref %s $c",
       repo, BG_STORE_NOTES_REF, BG_STORE_NOTES_REF, BG_STORE_NOTES_REF);
    sh_line(out, sizeof out, "git -C %s ls-tree %s^{tree} | grep -c ' tree '", repo, BG_STORE_NOTES_REF);
    assert_string_equal(out, "1");
    assert_int_equal(bg_git_notes_batch_begin(g, BG_STORE_NOTES_REF, &b, err, sizeof err), 0);
    assert_int_equal(bg_git_notes_batch_put(b, ids[1], "[1]", err, sizeof err), 0);
    assert_int_equal(bg_git_notes_batch_end(&b, true, err, sizeof err), 0);
    sh_line(out, sizeof out, "git -C %s notes --ref=benchgate list | wc -l", repo);
    assert_string_equal(out, "4");
    assert_int_equal(bg_git_note_read(g, BG_STORE_NOTES_REF, ids[1], &text, err, sizeof err), 0);
    assert_string_equal(text, "[1]");
    free(text);
    bg_store_close(&s);
    bg_git_close(&g);
}

/* A fetch skips, unread, a note it found wholly in the store last time
 * while the note and the commit's run files are unchanged; a run removed
 * from the store, a changed note or a damaged record bring the note back. */
static void test_fetch_skips_imported_notes(void **state)
{
    char repo[300], err[1024] = "", run[8192], c1[64], c2[64];
    snprintf(repo, sizeof repo, "%s/repo", base);
    sh("git init -q -b main %s && cd %s && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m a && "
       "git -c user.name=t -c user.email=t@e commit -q --allow-empty -m b",
       repo, repo);
    sh_line(c1, sizeof c1, "git -C %s rev-parse HEAD~1", repo);
    sh_line(c2, sizeof c2, "git -C %s rev-parse HEAD", repo);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, repo, err, sizeof err), 0);
    bg_store *s = NULL;
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    full_run(run, sizeof run, c1, "m1", 100, 1);
    assert_int_equal(bg_store_save(s, run, c1, "m1", NULL, err, sizeof err), 0);
    full_run(run, sizeof run, c2, "m1", 200, 1);
    assert_int_equal(bg_store_save(s, run, c2, "m1", NULL, err, sizeof err), 0);
    bg_sync_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_export_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    bg_store_close(&s);

    char fresh[400], seen[500], rm[600];
    snprintf(fresh, sizeof fresh, "%s/fresh-store", base);
    snprintf(seen, sizeof seen, "%s/notes-imported", fresh);
    assert_int_equal(bg_store_open(&s, fresh, NULL, err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 2);
    char *text = slurp(seen);
    assert_non_null(strstr(text, c1));
    assert_non_null(strstr(text, c2));
    free(text);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 0);
    assert_int_equal(st.runs_present, 2);

    /* c1's run removed from the store: its note is read and the run comes back */
    snprintf(rm, sizeof rm, "rm %s/runs/%s/m1/*.json", fresh, c1);
    sh("%s", rm);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 1);
    assert_int_equal(st.runs_present, 1);

    /* c2's note gains a run from elsewhere: read again, the new run imported */
    bg_store *s0 = NULL;
    assert_int_equal(bg_store_open(&s0, dir, NULL, err, sizeof err), 0);
    full_run(run, sizeof run, c2, "m2", 300, 1);
    assert_int_equal(bg_store_save(s0, run, c2, "m2", NULL, err, sizeof err), 0);
    assert_int_equal(bg_store_export_notes(s0, g, NULL, NULL, NULL, err, sizeof err), 0);
    bg_store_close(&s0);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 1);
    assert_int_equal(st.runs_present, 2);

    /* a damaged record of what was imported: every note read, nothing lost */
    sh("printf 'garbage\\n%s zz\\n' > %s", c1, seen);
    sh("rm %s/runs/%s/m2/*.json", fresh, c2);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_import_notes(s, g, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 1);
    assert_int_equal(st.runs_present, 2);
    bg_store_close(&s);
    bg_git_close(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_built_then_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_index_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envelope_then_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_skips_unchanged_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_one_notes_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_skips_imported_notes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
