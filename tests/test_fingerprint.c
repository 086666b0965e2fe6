/* Tests for the machine fingerprint: collection, the machine id, and the comparison message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "bg_config.h"
#include "bg_fingerprint.h"

/* Reference values from the FNV authors' test suite (isthe.com/chongo/src/fnv/test_fnv.c). */
static void test_fnv1a64_vectors(void **state)
{
    assert_true(bg_fnv1a64("", 0, BG_FNV1A64_INIT) == UINT64_C(0xcbf29ce484222325));
    assert_true(bg_fnv1a64("a", 1, BG_FNV1A64_INIT) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(bg_fnv1a64("foobar", 6, BG_FNV1A64_INIT) == UINT64_C(0x85944171f73967e8));
    /* incremental equals one shot */
    assert_true(bg_fnv1a64("bar", 3, bg_fnv1a64("foo", 3, BG_FNV1A64_INIT)) == UINT64_C(0x85944171f73967e8));
}

static void test_collect(void **state)
{
    bg_fingerprint fp;
    assert_int_equal(bg_fingerprint_collect(&fp, NULL, "-O2 -march=native"), 0);
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    assert_true(strlen(fp.cpu_model) > 0);
    assert_int_equal(fp.cores, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_string_equal(fp.kernel, u.release);
    assert_string_equal(fp.arch, u.machine);
    assert_true(strlen(fp.os) > 0);
    assert_string_equal(fp.compiler, BG_COMPILER);
    assert_string_equal(fp.flags, "-O2 -march=native");
    assert_string_equal(fp.version, BG_VERSION);
    assert_int_equal(strlen(fp.id), BG_FP_ID_LEN);
    for (size_t i = 0; i < BG_FP_ID_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", fp.id[i]));

    /* the same machine gives the same id */
    bg_fingerprint again;
    assert_int_equal(bg_fingerprint_collect(&again, NULL, "-O2 -march=native"), 0);
    assert_string_equal(fp.id, again.id);
    char msg[256];
    assert_int_equal(bg_fingerprint_compare(&fp, &again, msg, sizeof msg), 0);
    assert_string_equal(msg, "");

    /* the caller's compiler is used when given */
    assert_int_equal(bg_fingerprint_collect(&again, "clang 99.0.0", "-O2 -march=native"), 0);
    assert_string_equal(again.compiler, "clang 99.0.0");
    assert_string_not_equal(again.id, fp.id);
    assert_int_equal(bg_fingerprint_collect(NULL, NULL, NULL), BG_EINVAL);
}

static void test_this_compiler_macro(void **state)
{
    /* this file is built by the compiler that built the library */
    assert_string_equal(BG_FINGERPRINT_THIS_COMPILER, BG_COMPILER);
}

static bg_fingerprint sample(void)
{
    bg_fingerprint fp;
    memset(&fp, 0, sizeof fp);
    snprintf(fp.cpu_model, sizeof fp.cpu_model, "X");
    fp.cores = 8;
    snprintf(fp.kernel, sizeof fp.kernel, "6.1");
    snprintf(fp.os, sizeof fp.os, "Debian 12");
    snprintf(fp.arch, sizeof fp.arch, "x86_64");
    snprintf(fp.compiler, sizeof fp.compiler, "gcc 12.2.0");
    snprintf(fp.flags, sizeof fp.flags, "-O2");
    snprintf(fp.version, sizeof fp.version, "0.1.0");
    bg_fingerprint_update_id(&fp);
    return fp;
}

static void test_id_fields(void **state)
{
    bg_fingerprint a = sample(), b = sample();
    assert_string_equal(a.id, b.id);

    /* informational fields do not change the id */
    snprintf(b.os, sizeof b.os, "Ubuntu 24.04");
    snprintf(b.arch, sizeof b.arch, "aarch64");
    bg_fingerprint_update_id(&b);
    assert_string_equal(a.id, b.id);

    /* each comparability field does, the benchgate version included, and
     * the comparison names it */
    b = sample();
    snprintf(b.version, sizeof b.version, "9.9.9");
    bg_fingerprint_update_id(&b);
    assert_string_not_equal(a.id, b.id);
    char msg[512];
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "made by benchgate 9.9.9, this is " BG_VERSION));
    b = sample();
    b.cores = 16;
    bg_fingerprint_update_id(&b);
    assert_string_not_equal(a.id, b.id);
    b = sample();
    snprintf(b.flags, sizeof b.flags, "-O3");
    bg_fingerprint_update_id(&b);
    assert_string_not_equal(a.id, b.id);

    /* field boundaries matter: "ab"+"c" is not "a"+"bc" */
    bg_fingerprint c = sample(), d = sample();
    snprintf(c.cpu_model, sizeof c.cpu_model, "Xa");
    snprintf(c.kernel, sizeof c.kernel, "b");
    snprintf(d.cpu_model, sizeof d.cpu_model, "X");
    snprintf(d.kernel, sizeof d.kernel, "ab");
    bg_fingerprint_update_id(&c);
    bg_fingerprint_update_id(&d);
    assert_string_not_equal(c.id, d.id);
}

static void test_compare_message(void **state)
{
    bg_fingerprint a = sample(), b = sample();
    snprintf(b.cpu_model, sizeof b.cpu_model, "Y");
    snprintf(b.kernel, sizeof b.kernel, "6.5");
    bg_fingerprint_update_id(&b);
    char msg[256];
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 2);
    assert_string_equal(msg, "machine differs: cpu_model 'X' vs 'Y'; kernel '6.1' vs '6.5'");

    b = sample();
    b.cores = 4;
    snprintf(b.compiler, sizeof b.compiler, "clang 14.0.6");
    snprintf(b.flags, sizeof b.flags, "-O3");
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 3);
    assert_string_equal(msg, "machine differs: cores '8' vs '4'; compiler 'gcc 12.2.0' vs 'clang 14.0.6'; "
                             "flags '-O2' vs '-O3'");

    /* a small buffer is truncated, terminated, and the count is still right */
    char tiny[20];
    memset(tiny, 'z', sizeof tiny);
    assert_int_equal(bg_fingerprint_compare(&a, &b, tiny, sizeof tiny), 3);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(bg_fingerprint_compare(&a, &b, NULL, 0), 3);

    /* equal fields but different stored ids (e.g. a record from another build) */
    b = sample();
    snprintf(b.id, sizeof b.id, "000000000000");
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "id '"));
}

/* The id hashes the benchgate version: runs that differ only in it are
 * refused with a message naming both versions and saying what to do, and so
 * are runs whose id was computed before the version was part of it. */
static void test_version_only_message(void **state)
{
    (void)state;
    bg_fingerprint a = sample(), b = sample();
    snprintf(a.version, sizeof a.version, "%s", BG_VERSION);
    bg_fingerprint_update_id(&a);
    snprintf(b.version, sizeof b.version, "0.0.9");
    bg_fingerprint_update_id(&b);
    char msg[512], want[512];
    snprintf(want, sizeof want,
             "machine differs only in the benchgate version: made by benchgate 0.0.9, this is %s: a new version "
             "starts a new history; --force compares anyway",
             BG_VERSION);
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 1);
    assert_string_equal(msg, want);
    assert_int_equal(bg_fingerprint_compare(&b, &a, msg, sizeof msg), 1);
    assert_string_equal(msg, want);

    /* neither is this version: both named */
    snprintf(a.version, sizeof a.version, "0.0.8");
    bg_fingerprint_update_id(&a);
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, "made by benchgate 0.0.8 and 0.0.9, this is " BG_VERSION));

    /* the version and another field: the plain list, both named */
    snprintf(a.kernel, sizeof a.kernel, "6.5");
    bg_fingerprint_update_id(&a);
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 2);
    assert_string_equal(msg, "machine differs: kernel '6.5' vs '6.1'; benchgate version '0.0.8' vs '0.0.9'");

    /* the same fields, but b's id hashed without the version (the earlier
     * recipe): named as such, with its version */
    a = sample();
    b = sample();
    char cores[32];
    snprintf(cores, sizeof cores, "%d", b.cores);
    const char *fields[] = {b.cpu_model, cores, b.kernel, b.compiler, b.flags};
    uint64_t h = BG_FNV1A64_INIT;
    for (size_t i = 0; i < 5; i++)
        h = bg_fnv1a64(fields[i], strlen(fields[i]) + 1, h);
    snprintf(b.id, sizeof b.id, "%012llx", (unsigned long long)(h >> 16));
    assert_string_not_equal(a.id, b.id);
    assert_int_equal(bg_fingerprint_compare(&a, &b, msg, sizeof msg), 1);
    snprintf(want, sizeof want,
             "machine differs only in its id: id '%s' was computed by a benchgate 0.1.0 from before the benchgate "
             "version was part of the id, this is %s: a new version starts a new history; --force compares anyway",
             b.id, BG_VERSION);
    assert_string_equal(msg, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a64_vectors), cmocka_unit_test(test_collect),
        cmocka_unit_test(test_this_compiler_macro), cmocka_unit_test(test_id_fields),
        cmocka_unit_test(test_compare_message), cmocka_unit_test(test_version_only_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
