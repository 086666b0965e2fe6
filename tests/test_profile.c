/* Profiles (profile/): perf script text folded into stacks, the top
 * functions by self time, the SVG flamegraph, and --profile on a real bench
 * binary: its files and console lines where perf works, "unavailable: why"
 * where it does not, and nothing else changed either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bg_profile.h"
#include "helpers.h"

static size_t count_of(const bg_folded *f, const char *stack)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->stack[i], stack))
            return f->count[i];
    return 0;
}

static void test_fold(void **state)
{
    (void)state;
    FILE *in = fopen(BG_FIXTURES_DIR "/perf-script.txt", "r");
    assert_non_null(in);
    bg_folded f;
    memset(&f, 0, sizeof f);
    char err[256] = "";
    assert_int_equal(bg__fold_perf_script(in, 4242, &f, err, sizeof err), 0);
    fclose(in);
    assert_int_equal(f.skipped, 1); /* the harness process */
    assert_int_equal(f.total, 5);
    assert_int_equal(f.n, 4);
    assert_int_equal(count_of(&f, "child_body;bg__bench_sort;__GI___qsort_r;msort_with_tmp;cmp_u32"), 2);
    /* a thread of the same process counts; unknown frames are named by
     * their library; kernel frames marked */
    assert_int_equal(count_of(&f, "[unknown];[libc.so.6];msort_with_tmp;asm_exc_page_fault_[k];__handle_mm_fault_[k]"),
                     1);
    /* ';' inside a name would split the frame: replaced */
    assert_int_equal(count_of(&f, "bg__bench_sort;operator new(unsigned long_ char*)"), 1);
    assert_int_equal(count_of(&f, "[no stack]"), 1);

    bg_profile_fn top[BG_PROFILE_TOP];
    size_t k = bg__folded_top(&f, top, BG_PROFILE_TOP);
    assert_int_equal(k, 4);
    assert_string_equal(top[0].name, "cmp_u32");
    assert_int_equal(top[0].samples, 2);
    assert_rel(top[0].self, 0.4, 1e-12);
    assert_string_equal(top[1].name, "[no stack]");

    /* written sorted, read back the same */
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    assert_int_equal(bg__folded_write(&f, o), 0);
    fclose(o);
    assert_non_null(strstr(buf, "[no stack] 1\n[unknown];[libc.so.6]"));
    FILE *back = fmemopen(buf, len, "r");
    bg_folded g;
    memset(&g, 0, sizeof g);
    assert_int_equal(bg__folded_read(back, &g, err, sizeof err), 0);
    fclose(back);
    assert_int_equal(g.total, f.total);
    assert_int_equal(g.n, f.n);
    for (size_t i = 0; i < f.n; i++)
        assert_int_equal(count_of(&g, f.stack[i]), f.count[i]);
    free(buf);
    bg__folded_free(&g);
    bg__folded_free(&f);
}

static void test_fold_bad_input(void **state)
{
    (void)state;
    char err[256] = "";
    bg_folded f;
    memset(&f, 0, sizeof f);
    static const char notperf[] = "{\"this\": \"is json\"}\n";
    FILE *in = fmemopen((void *)notperf, sizeof notperf - 1, "r");
    assert_int_equal(bg__fold_perf_script(in, 0, &f, err, sizeof err), BG_EPARSE);
    fclose(in);
    assert_non_null(strstr(err, "line 1 is not a perf script sample header"));
    bg__folded_free(&f);

    static const char badfolded[] = "a;b 3\na;c three\n";
    in = fmemopen((void *)badfolded, sizeof badfolded - 1, "r");
    assert_int_equal(bg__folded_read(in, &f, err, sizeof err), BG_EPARSE);
    fclose(in);
    assert_non_null(strstr(err, "line 2"));
    bg__folded_free(&f);
}

static size_t occurrences(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The flamegraph: one box per frame of the merged tree, names escaped
 * (a name with ]]> or <script> cannot break the XML), widths adding up. */
static void test_flamegraph(void **state)
{
    (void)state;
    bg_folded f;
    memset(&f, 0, sizeof f);
    assert_int_equal(bg__folded_add(&f, "main;work;<script>alert(1)</script>", 6), 0);
    assert_int_equal(bg__folded_add(&f, "main;work;inner]]>&'\"", 3), 0);
    assert_int_equal(bg__folded_add(&f, "main;other", 1), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    assert_int_equal(bg__flamegraph_svg(&f, "t<1>", o), 0);
    fclose(o);
    /* main, work, the two leaves under work, other: 5 frames */
    assert_int_equal(occurrences(buf, "rx=\"2\""), 5); /* frame boxes (the background has none) */
    assert_int_equal(occurrences(buf, "<g>"), occurrences(buf, "</g>"));
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "]]>"));
    assert_non_null(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt; (6 samples, 60.00%)"));
    assert_non_null(strstr(buf, "inner]]&gt;&amp;&apos;&quot; (3 samples"));
    assert_non_null(strstr(buf, "main (10 samples, 100.00%)"));
    assert_non_null(strstr(buf, "work (9 samples, 90.00%)"));
    assert_non_null(strstr(buf, "t&lt;1&gt;"));
    assert_non_null(strstr(buf, "</svg>\n"));
    free(buf);
    bg__folded_free(&f);

    char stem[64];
    bg__profile_file_stem("sort/n:1024/../x", stem, sizeof stem);
    assert_string_equal(stem, "sort_n_1024_.._x");
    bg__profile_file_stem(".hidden", stem, sizeof stem);
    assert_string_equal(stem, "_hidden");
}

static char dir[] = "/tmp/bg-profile-test.XXXXXX";

/* --profile where perf cannot be found: one line why, the run and its
 * record as without it, exit 0. */
static void test_profile_unavailable(void **state)
{
    (void)state;
    char json[300];
    snprintf(json, sizeof json, "%s/run.json", dir);
    char pdir[300];
    snprintf(pdir, sizeof pdir, "%s/prof-none", dir);
    const char *args[] = {"--quick", "--filter", "^fine_fast$", "--profile", "--profile-dir", pdir,
                          "--json", json, "--color", "never", NULL};
    const char *env[] = {"PATH=/nonexistent", NULL};
    bench_out o = run_bench(FAULTY_BENCH, args, env);
    if (o.code != 0)
        fail_msg("exit %d\n%s\n%s", o.code, o.out, o.err);
    assert_non_null(strstr(o.err, "profile of fine_fast unavailable: perf not found on PATH (install Debian's "
                                  "linux-perf)"));
    assert_non_null(strstr(o.out, "fine_fast"));
    cJSON *rec = read_record(json);
    const cJSON *b = record_bench(rec, "fine_fast");
    assert_non_null(b);
    assert_string_equal(bench_str(b, "status"), "ok");
    assert_null(cJSON_GetObjectItem(b, "profile"));
    cJSON_Delete(rec);
    bench_out_free(&o);
}

/* Where perf works: the folded stacks, the SVG and the top functions, in
 * the console and the record. Skipped (with why) where perf is missing or
 * not permitted. Asserts only what holds under load: samples exist and the
 * benchmark's function is among the stacks. */
static void test_profile_real(void **state)
{
    (void)state;
    char json[300], pdir[300];
    snprintf(json, sizeof json, "%s/run2.json", dir);
    snprintf(pdir, sizeof pdir, "%s/prof", dir);
    const char *args[] = {"--quick", "--filter", "^fine_fast$", "--profile", "--profile-dir", pdir,
                          "--profile-seconds", "0.3", "--json", json, "--color", "never", NULL};
    bench_out o = run_bench(FAULTY_BENCH, args, NULL);
    if (o.code != 0)
        fail_msg("exit %d\n%s\n%s", o.code, o.out, o.err);
    const char *un = strstr(o.err, "profile of fine_fast unavailable: ");
    if (un) {
        print_message("skipped: %s", un);
        bench_out_free(&o);
        unlink(json);
        skip();
    }
    assert_non_null(strstr(o.out, "profile fine_fast: "));
    assert_non_null(strstr(o.out, "self %  function"));
    char path[400];
    snprintf(path, sizeof path, "%s/fine_fast.folded", pdir);
    char *folded = slurp(path);
    assert_non_null(folded);
    assert_non_null(strstr(folded, "bg__bench_fine_fast"));
    free(folded);
    snprintf(path, sizeof path, "%s/fine_fast.svg", pdir);
    char *svg = slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    snprintf(path, sizeof path, "%s/fine_fast.perf.data", pdir);
    assert_int_not_equal(access(path, F_OK), 0); /* removed once folded */
    cJSON *rec = read_record(json);
    const cJSON *p = cJSON_GetObjectItem(record_bench(rec, "fine_fast"), "profile");
    assert_non_null(p);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "samples")) > 0);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(p, "top")) > 0);
    cJSON_Delete(rec);
    bench_out_free(&o);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_bad_input),
        cmocka_unit_test(test_flamegraph),
        cmocka_unit_test(test_profile_unavailable),
        cmocka_unit_test(test_profile_real),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
