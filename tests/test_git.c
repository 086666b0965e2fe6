/* Tests for the git module against real repositories made with the git command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_git.h"

static char base[256]; /* per-run temp dir, removed at the end */

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", base, name);
}

/* main: a.txt, commits "first" (tag v1, annotated tag v1a), "second", "third". */
static void make_repo(const char *dir)
{
    sh("git init -q -b main %s", dir);
    sh("cd %s && echo 1 > a.txt && git add a.txt && git commit -q -m first && git tag v1 && "
       "git tag -a -m annotated v1a",
       dir);
    sh("cd %s && echo 2 >> a.txt && git commit -q -am second", dir);
    sh("cd %s && echo 3 >> a.txt && git commit -q -am third", dir);
}

static int setup(void **state)
{
    snprintf(base, sizeof base, "/tmp/bg-test-git-XXXXXX");
    if (git_sandbox(base) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(base);
}

static void test_outside_repo(void **state)
{
    char dir[512], err[512] = "";
    path_of(dir, sizeof dir, "plain");
    sh("mkdir -p %s/sub", dir);
    strcat(dir, "/sub");
    bg_git *g = (bg_git *)1;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), BG_ENOTFOUND);
    assert_null(g);
    assert_non_null(strstr(err, "not a git repository"));
    assert_non_null(strstr(err, dir));

    bg_git_info info;
    err[0] = '\0';
    assert_int_equal(bg_git_describe(dir, NULL, &info, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, dir));
    bg_git_close(&g); /* NULL is fine */
}

static void test_head_and_resolve(void **state)
{
    char dir[512], err[512] = "", want[64], got[BG_GIT_OID_BUF];
    path_of(dir, sizeof dir, "basic");
    make_repo(dir);
    sh("mkdir -p %s/deep/er", dir);

    bg_git *g = NULL;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/deep/er", dir);
    assert_int_equal(bg_git_open(&g, sub, err, sizeof err), 0); /* discovered from a subdirectory */
    char root[600];
    snprintf(root, sizeof root, "%s/", dir);
    assert_string_equal(bg_git_workdir(g), root);

    bg_git_head h;
    assert_int_equal(bg_git_head_info(g, &h, err, sizeof err), 0);
    sh_line(want, sizeof want, "git -C %s rev-parse HEAD", dir);
    assert_string_equal(h.commit, want);
    assert_string_equal(bg_git_head_branch(&h), "main");
    assert_false(h.detached);
    assert_false(h.unborn);
    assert_false(h.shallow);

    static const char *const revs[] = {"HEAD", "HEAD~2", "HEAD^", "main", "v1", "v1a", "main~1"};
    for (size_t i = 0; i < sizeof revs / sizeof revs[0]; i++) {
        sh_line(want, sizeof want, "git -C %s rev-parse '%s^{commit}'", dir, revs[i]);
        assert_int_equal(bg_git_resolve(g, revs[i], got, err, sizeof err), 0);
        assert_string_equal(got, want);
    }
    char shortid[16];
    sh_line(want, sizeof want, "git -C %s rev-parse HEAD~1", dir);
    snprintf(shortid, sizeof shortid, "%.8s", want);
    assert_int_equal(bg_git_resolve(g, shortid, got, err, sizeof err), 0);
    assert_string_equal(got, want);

    assert_int_equal(bg_git_resolve(g, "no-such-branch", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "'no-such-branch'"));
    assert_int_equal(bg_git_resolve(g, "HEAD~10", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "'HEAD~10'"));
    assert_int_equal(bg_git_resolve(g, "HEAD^{tree}", got, err, sizeof err), BG_EINVAL);

    /* detached HEAD */
    sh("git -C %s checkout -q --detach HEAD~1", dir);
    assert_int_equal(bg_git_head_info(g, &h, err, sizeof err), 0);
    sh_line(want, sizeof want, "git -C %s rev-parse HEAD", dir);
    assert_string_equal(h.commit, want);
    assert_true(h.detached);
    assert_null(bg_git_head_branch(&h));
    bg_git_close(&g);
    assert_null(g);

    bg_git_info info;
    assert_int_equal(bg_git_describe(sub, NULL, &info, err, sizeof err), 0);
    assert_string_equal(info.head.commit, want);
    assert_true(info.head.detached);
    assert_string_equal(info.root, root);
}

static void test_unborn(void **state)
{
    char dir[512], err[512] = "", got[BG_GIT_OID_BUF];
    path_of(dir, sizeof dir, "empty");
    sh("git init -q -b trunk %s", dir);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    bg_git_head h;
    assert_int_equal(bg_git_head_info(g, &h, err, sizeof err), 0);
    assert_true(h.unborn);
    assert_string_equal(h.commit, "");
    assert_string_equal(bg_git_head_branch(&h), "trunk");
    assert_int_equal(bg_git_resolve(g, "HEAD", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "no commits yet"));
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    assert_int_equal(bg_git_ancestors(g, "HEAD", 5, &ids, &n, err, sizeof err), BG_ENOTFOUND);
    assert_null(ids);
    int dirty = 1;
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, NULL, 0, err, sizeof err), 0);
    assert_false(dirty);
    bg_git_close(&g);
}

static void test_dirty(void **state)
{
    char dir[512], err[512] = "", first[256];
    path_of(dir, sizeof dir, "dirty");
    make_repo(dir);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    int dirty = -1;
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_false(dirty);

    /* the store and build directories never count */
    sh("mkdir -p %s/.benchgate/runs/x && echo '{}' > %s/.benchgate/runs/x/r.json", dir, dir);
    sh("mkdir -p %s/build-asan/obj && echo x > %s/build-asan/obj/a.o && mkdir -p %s/build && echo y > "
       "%s/build/b",
       dir, dir, dir, dir);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_false(dirty);
    /* .gitignore'd files never count */
    sh("cd %s && echo '*.log' > .git/info/exclude && echo x > run.log", dir);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_false(dirty);

    /* an untracked source file counts */
    sh("echo x > %s/new.c", dir);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_true(dirty);
    assert_string_equal(first, "new.c");
    static const char *const only_c[] = {"*.c", ".benchgate/", "build*/", NULL};
    assert_int_equal(bg_git_dirty(g, only_c, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_false(dirty);
    sh("rm %s/new.c", dir);

    /* a modified tracked file counts */
    sh("echo changed >> %s/a.txt", dir);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_true(dirty);
    assert_string_equal(first, "a.txt");
    /* staged counts too */
    sh("git -C %s add a.txt", dir);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, first, sizeof first, err, sizeof err), 0);
    assert_true(dirty);
    assert_string_equal(first, "a.txt");
    bg_git_close(&g);

    bg_git_info info;
    assert_int_equal(bg_git_describe(dir, NULL, &info, err, sizeof err), 0);
    assert_true(info.dirty);
    assert_string_equal(info.dirty_path, "a.txt");
}

static void test_history(void **state)
{
    char dir[512], err[512] = "", want[64], got[BG_GIT_OID_BUF];
    path_of(dir, sizeof dir, "hist");
    make_repo(dir);
    char b[64];
    sh_line(b, sizeof b, "git -C %s rev-parse HEAD", dir);
    sh("cd %s && git checkout -q -b feature && echo c > c.txt && git add c.txt && "
       "git commit -q -m 'feature C' -m 'Benchgate-Allow: sort_1k +10%%'",
       dir);
    sh("cd %s && echo d >> c.txt && git commit -q -am 'feature D'", dir);
    sh("cd %s && git checkout -q main && echo e > e.txt && git add e.txt && git commit -q -m 'main E'", dir);

    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    assert_int_equal(bg_git_merge_base(g, "main", "feature", got, err, sizeof err), 0);
    assert_string_equal(got, b);
    assert_int_equal(bg_git_merge_base(g, "main", "nope", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "'nope'"));

    bg_git_commit_msg *msgs = NULL;
    size_t n = 0;
    assert_int_equal(bg_git_log(g, "main", "feature", 1, &msgs, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(msgs[0].message, "feature D\n");
    assert_non_null(strstr(msgs[1].message, "Benchgate-Allow: sort_1k +10%"));
    sh_line(want, sizeof want, "git -C %s rev-parse feature~1", dir);
    assert_string_equal(msgs[1].id, want);
    bg_git_log_free(msgs, n);

    /* merge feature into main: first parent skips C and D */
    sh("cd %s && git merge -q --no-ff -m 'merge feature' feature", dir);
    assert_int_equal(bg_git_log(g, b, "HEAD", 1, &msgs, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(msgs[0].message, "merge feature\n");
    assert_string_equal(msgs[1].message, "main E\n");
    bg_git_log_free(msgs, n);
    assert_int_equal(bg_git_log(g, b, "HEAD", 0, &msgs, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    bg_git_log_free(msgs, n);
    assert_int_equal(bg_git_log(g, NULL, "v1", 0, &msgs, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    bg_git_log_free(msgs, n);

    char(*ids)[BG_GIT_OID_BUF] = NULL;
    assert_int_equal(bg_git_ancestors(g, "HEAD", 3, &ids, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        sh_line(want, sizeof want, "git -C %s rev-parse HEAD~%zu", dir, i);
        assert_string_equal(ids[i], want);
    }
    free(ids);
    assert_int_equal(bg_git_ancestors(g, "HEAD", 100, &ids, &n, err, sizeof err), 0);
    assert_int_equal(n, 5); /* merge, E, third, second, first */
    free(ids);

    /* unrelated history has no merge base */
    sh("cd %s && git checkout -q --orphan other && git commit -q -m orphan", dir);
    assert_int_equal(bg_git_merge_base(g, "other", "main", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "no common ancestor"));
    bg_git_close(&g);
}

static void test_shallow(void **state)
{
    char src[512], dir[512], err[512] = "", want[64], got[BG_GIT_OID_BUF];
    path_of(src, sizeof src, "shallow-src");
    path_of(dir, sizeof dir, "shallow");
    make_repo(src);
    sh("git clone -q --depth 1 file://%s %s", src, dir);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    bg_git_head h;
    assert_int_equal(bg_git_head_info(g, &h, err, sizeof err), 0);
    assert_true(h.shallow);
    sh_line(want, sizeof want, "git -C %s rev-parse HEAD", src);
    assert_string_equal(h.commit, want);

    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    assert_int_equal(bg_git_ancestors(g, "HEAD", 10, &ids, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], want);
    free(ids);

    bg_git_commit_msg *msgs = NULL;
    assert_int_equal(bg_git_log(g, NULL, "HEAD", 1, &msgs, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(msgs[0].message, "third\n");
    bg_git_log_free(msgs, n);

    assert_int_equal(bg_git_resolve(g, "HEAD~1", got, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "shallow"));
    bg_git_close(&g);
}

static void test_worktree(void **state)
{
    char dir[512], wt[512], err[512] = "", want[64], root[600];
    path_of(dir, sizeof dir, "wtmain");
    path_of(wt, sizeof wt, "wt-linked");
    make_repo(dir);
    sh("git -C %s worktree add -q -b topic %s HEAD~1", dir, wt);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, wt, err, sizeof err), 0);
    snprintf(root, sizeof root, "%s/", wt);
    assert_string_equal(bg_git_workdir(g), root);
    bg_git_head h;
    assert_int_equal(bg_git_head_info(g, &h, err, sizeof err), 0);
    sh_line(want, sizeof want, "git -C %s rev-parse HEAD~1", dir);
    assert_string_equal(h.commit, want);
    assert_string_equal(bg_git_head_branch(&h), "topic");
    /* the main checkout's root, where the shared store lives */
    snprintf(root, sizeof root, "%s/", dir);
    assert_string_equal(bg_git_main_workdir(g), root);
    int dirty = -1;
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, NULL, 0, err, sizeof err), 0);
    assert_false(dirty);
    sh("echo x >> %s/a.txt", wt);
    assert_int_equal(bg_git_dirty(g, NULL, &dirty, NULL, 0, err, sizeof err), 0);
    assert_true(dirty);
    bg_git_close(&g);
    /* in the main checkout both roots are the same */
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    assert_string_equal(bg_git_main_workdir(g), bg_git_workdir(g));
    bg_git_close(&g);
}

/* A store given with --store inside the tree is not a change to it: the
 * second run of a bench binary is not recorded dirty. */
static void test_dirty_ignores_store(void **state)
{
    char dir[512], err[512] = "", store[700], nested[700], outside[700];
    path_of(dir, sizeof dir, "dirty-store");
    make_repo(dir);
    snprintf(store, sizeof store, "%s/mystore", dir);
    snprintf(nested, sizeof nested, "%s/bench/st[1]", dir);
    path_of(outside, sizeof outside, "elsewhere-store");
    sh("mkdir -p '%s/runs' '%s/runs' '%s' && echo '{}' > '%s/runs/r.json' && echo '{}' > '%s/runs/r.json'",
       store, nested, outside, store, nested);
    sh("git -C %s add -f a.txt && cd %s && mkdir -p bench && echo 1 > bench/keep.c && git add bench/keep.c && "
       "git commit -q -m bench",
       dir, dir);
    bg_git_info info;
    /* without naming the store, its files make the tree dirty */
    assert_int_equal(bg_git_describe(dir, NULL, &info, err, sizeof err), 0);
    assert_true(info.dirty);
    assert_string_equal(info.dirty_path, "bench/st[1]/");
    assert_int_equal(bg_git_describe(dir, nested, &info, err, sizeof err), 0);
    assert_true(info.dirty);
    assert_string_equal(info.dirty_path, "mystore/");
    /* naming each (glob characters in the name are literal) */
    sh("mv '%s' '%s/moved'", nested, outside);
    assert_int_equal(bg_git_describe(dir, store, &info, err, sizeof err), 0);
    assert_false(info.dirty);
    assert_string_equal(info.dirty_path, "");
    sh("mv '%s/moved' '%s'", outside, nested);
    sh("rm -rf '%s'", store);
    assert_int_equal(bg_git_describe(dir, nested, &info, err, sizeof err), 0);
    assert_false(info.dirty);
    /* a store outside the tree changes nothing; other files still count */
    sh("echo x > %s/new.c", dir);
    assert_int_equal(bg_git_describe(dir, outside, &info, err, sizeof err), 0);
    assert_true(info.dirty);
    assert_string_equal(info.dirty_path, "bench/st[1]/");
    assert_int_equal(bg_git_describe(dir, nested, &info, err, sizeof err), 0);
    assert_true(info.dirty);
    assert_string_equal(info.dirty_path, "new.c");
}

static void test_notes_local(void **state)
{
    char dir[512], err[512] = "", head[64];
    path_of(dir, sizeof dir, "notes");
    make_repo(dir);
    sh_line(head, sizeof head, "git -C %s rev-parse HEAD", dir);
    bg_git *g = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    char *text = NULL;
    assert_int_equal(bg_git_note_read(g, "refs/notes/t", head, &text, err, sizeof err), BG_ENOTFOUND);
    assert_int_equal(bg_git_note_write(g, "refs/notes/t", head, "[1]", err, sizeof err), 0);
    assert_int_equal(bg_git_note_write(g, "refs/notes/t", head, "[1,2]", err, sizeof err), 0);
    assert_int_equal(bg_git_note_read(g, "refs/notes/t", head, &text, err, sizeof err), 0);
    assert_string_equal(text, "[1,2]");
    free(text);
    char out[64];
    sh_line(out, sizeof out, "git -C %s notes --ref=t show HEAD", dir);
    assert_string_equal(out, "[1,2]");
    assert_int_equal(bg_git_note_write(g, "refs/notes/t", "xyz", "[]", err, sizeof err), BG_EINVAL);
    assert_int_equal(bg_git_ref_delete(g, "refs/notes/t", err, sizeof err), 0);
    assert_int_equal(bg_git_ref_delete(g, "refs/notes/t", err, sizeof err), 0);
    assert_int_equal(bg_git_push_ref(g, "nosuchremote", "refs/notes/t", "refs/notes/t", NULL, err, sizeof err),
                     BG_EINVAL);
    assert_non_null(strstr(err, "nosuchremote"));
    bg_git_close(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outside_repo), cmocka_unit_test(test_head_and_resolve),
        cmocka_unit_test(test_unborn),       cmocka_unit_test(test_dirty),
        cmocka_unit_test(test_history),      cmocka_unit_test(test_shallow),
        cmocka_unit_test(test_worktree),     cmocka_unit_test(test_notes_local),
        cmocka_unit_test(test_dirty_ignores_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
