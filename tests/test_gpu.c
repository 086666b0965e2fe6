/* The GPU counter group and the GPU helper, on a machine without a GPU.
 *
 * In process, against stand-ins for the driver and CUPTI (tests/fakes,
 * found through LD_LIBRARY_PATH and BENCHGATE_CUPTI set by meson): each way
 * the group can be unavailable says why; activity records are summed per
 * direction inside the sample's window and nothing outside it; lost records
 * make the values unknown, not wrong. Through bench binaries: without a
 * driver (or with one that finds no device) a GPU benchmark is reported as
 * skipped with "unavailable: <why>" and the CPU benchmark still runs; with
 * --counters gpu the run says once why the group is unavailable, or records
 * its counters with every sample; the SAXPY example, where nvcc built it, skips cleanly here and, on a machine
 * with a GPU, records its kernels and copies. */
#include <dlfcn.h>
#include <math.h>
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

#include "helpers.h"
#include "benchgate_cuda.h"
#include "bg_doctor.h"
#include "bg_gpu.h"
#include "bg_model.h"
#include "bg_nvml.h"
#include "bg_reporter.h"

#ifndef GPU_BENCH
#error "GPU_BENCH must be the path of the gpu_bench binary"
#endif

/* The run record's path, one per test process (build directories may run
 * their tests at the same time). */
static const char *json_path(void)
{
    return pid_path("/tmp/bg_gpu_test", ".json");
}

/* ---- the stand-ins' controls ---- */

typedef struct fakes {
    void (*set_now)(uint64_t);
    void (*record)(uint32_t, uint8_t, uint64_t, uint64_t, uint64_t);
    void (*drop)(size_t);
    int (*enabled)(int);
    unsigned long (*enable_calls)(void);
    int (*zeroed_attr)(void);
    unsigned long (*buffers)(void);
    unsigned long (*dirty_buffers)(void);
    unsigned long (*syncs)(void);
    void (*kernel)(const char *, uint64_t, uint64_t);
    unsigned long (*memsets)(void);
    size_t (*memset_bytes)(void);
    unsigned long (*live_allocs)(void);
} fakes;

static void *must_sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p)
        fail_msg("the stand-in library has no %s", name);
    return p;
}

/* The stand-ins as the group loaded them (same handles). */
static fakes get_fakes(void)
{
    const char *cupti = getenv("BENCHGATE_CUPTI");
    assert_non_null(cupti);
    void *hc = dlopen(cupti, RTLD_NOW | RTLD_NOLOAD);
    void *hd = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(hc);
    assert_non_null(hd);
    fakes f;
    void *p;
    p = must_sym(hc, "fake_cupti_set_now");
    memcpy(&f.set_now, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_record");
    memcpy(&f.record, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_drop");
    memcpy(&f.drop, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_enabled");
    memcpy(&f.enabled, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_enable_calls");
    memcpy(&f.enable_calls, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_zeroed_attr");
    memcpy(&f.zeroed_attr, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_buffers");
    memcpy(&f.buffers, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_dirty_buffers");
    memcpy(&f.dirty_buffers, &p, sizeof p);
    p = must_sym(hd, "fake_cuda_syncs");
    memcpy(&f.syncs, &p, sizeof p);
    p = must_sym(hc, "fake_cupti_kernel");
    memcpy(&f.kernel, &p, sizeof p);
    p = must_sym(hd, "fake_cuda_memsets");
    memcpy(&f.memsets, &p, sizeof p);
    p = must_sym(hd, "fake_cuda_memset_bytes");
    memcpy(&f.memset_bytes, &p, sizeof p);
    p = must_sym(hd, "fake_cuda_live_allocs");
    memcpy(&f.live_allocs, &p, sizeof p);
    dlclose(hc);
    dlclose(hd);
    return f;
}

static int reset_env(void **state)
{
    (void)state;
    unsetenv("FAKE_CUDA_INIT");
    unsetenv("FAKE_CUDA_DEVICES");
    unsetenv("FAKE_CUPTI_ENABLE");
    unsetenv("FAKE_CUDA_L2");
    unsetenv("FAKE_CUDA_ALLOC_FAIL");
    unsetenv("FAKE_CUDA_NO_CONTEXT");
    unsetenv("FAKE_NVML_INIT");
    unsetenv("FAKE_NVML_REASONS");
    unsetenv("FAKE_NVML_REASONS_AFTER");
    unsetenv("FAKE_NVML_PERSISTENCE");
    unsetenv("BENCHGATE_NVML");
    setenv("BENCHGATE_CUPTI", FAKE_CUPTI, 1);
    bg__gpu_set_flush_l2(false);
    bg__gpu_reset();
    return 0;
}

static void expect_unavailable(const char *why_expected)
{
    char why[320] = "";
    assert_int_equal(bg__gpu_group.open(why, sizeof why), BG_EUNAVAIL);
    assert_string_equal(why, why_expected);
}

/* ---- unavailable: each reason ---- */

static void test_no_device(void **state)
{
    (void)state;
    setenv("FAKE_CUDA_INIT", "100", 1);
    expect_unavailable("cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)");
    /* The verdict is kept: asking again does not run the check again. */
    unsetenv("FAKE_CUDA_INIT");
    expect_unavailable("cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)");
}

static void test_zero_devices(void **state)
{
    (void)state;
    setenv("FAKE_CUDA_DEVICES", "0", 1);
    expect_unavailable("cuDeviceGetCount: no CUDA device");
}

static void test_cupti_missing(void **state)
{
    (void)state;
    setenv("BENCHGATE_CUPTI", "/nonexistent/bg/libcupti.so", 1);
    expect_unavailable("BENCHGATE_CUPTI: /nonexistent/bg/libcupti.so: no such file");
}

static void test_cupti_not_permitted(void **state)
{
    (void)state;
    setenv("FAKE_CUPTI_ENABLE", "35", 1);
    expect_unavailable("cuptiActivityEnable(CONCURRENT_KERNEL): "
                       "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES");
}

/* bg_gpu_check says the same as the group, for bg_cuda_require. */
static void test_check_reason(void **state)
{
    (void)state;
    setenv("FAKE_CUDA_INIT", "35", 1);
    char why[200];
    assert_int_equal(bg_gpu_check(why, sizeof why), BG_EUNAVAIL);
    assert_string_equal(why, "cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER (CUDA driver version is "
                             "insufficient for CUDA runtime version)");
}

/* ---- available ---- */

/* Opening never loads the driver into this process (the check runs in a
 * child), and a process that never loaded it ran no GPU work: zeros. Must
 * run before any test that loads the driver here. */
static void test_cpu_process_counts_zero(void **state)
{
    (void)state;
    char why[320];
    assert_int_equal(bg__gpu_group.open(why, sizeof why), 0);
    assert_null(dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD));
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.begin();
    bg__gpu_group.end(v);
    for (size_t i = 0; i < BG_GPU_NCOUNTERS; i++)
        assert_true(v[i] == 0);
    bg__gpu_group.close();
}

static void open_and_activate(void)
{
    char why[320];
    assert_int_equal(bg__gpu_group.open(why, sizeof why), 0);
    /* What bg_cuda_require does in a GPU benchmark: loads the driver here
     * and starts recording. */
    assert_int_equal(bg_gpu_check(why, sizeof why), 0);
}

static void test_records_summed_by_direction(void **state)
{
    (void)state;
    open_and_activate();
    fakes f = get_fakes();
    assert_true(f.enabled(BG_CUPTI_KIND_CONCURRENT_KERNEL) && f.enabled(BG_CUPTI_KIND_MEMCPY) &&
                f.enabled(BG_CUPTI_KIND_MEMSET) && f.enabled(BG_CUPTI_KIND_MEMCPY2));
    unsigned long syncs = f.syncs();
    f.set_now(1000);
    bg__gpu_group.begin();
    f.record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, 1100, 1200);
    f.record(BG_CUPTI_KIND_KERNEL, 0, 0, 1300, 1500);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOD, 4096, 1600, 1700);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOA, 100, 1700, 1710);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_DTOH, 2048, 1800, 1900);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_DTOD, 512, 2000, 2050);
    f.record(BG_CUPTI_KIND_MEMCPY2, BG_CUPTI_MEMCPY_PTOP, 256, 2100, 2110);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOH, 999, 2150, 2160); /* not GPU memory */
    f.record(BG_CUPTI_KIND_MEMSET, 0, 1024, 2200, 2300);
    f.record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, 500, 1500); /* began before the sample */
    bg_gpu_timer_add(700);
    f.set_now(3000);
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.end(v);
    assert_true(v[BG_GPU_KERNELS] == 2);
    assert_true(v[BG_GPU_KERNEL_NS] == 300);
    assert_true(v[BG_GPU_HTOD_BYTES] == 4196);
    assert_true(v[BG_GPU_HTOD_NS] == 110);
    assert_true(v[BG_GPU_DTOH_BYTES] == 2048);
    assert_true(v[BG_GPU_DTOH_NS] == 100);
    assert_true(v[BG_GPU_DTOD_BYTES] == 768);
    assert_true(v[BG_GPU_DTOD_NS] == 60);
    assert_true(v[BG_GPU_MEMSET_BYTES] == 1024);
    assert_true(v[BG_GPU_MEMSET_NS] == 100);
    assert_true(v[BG_GPU_TIMER_NS] == 700);
    /* It waited for the GPU before opening and before closing the window. */
    assert_true(f.syncs() == syncs + 2);

    /* Work that started between samples belongs to neither. */
    f.record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, 3500, 3600);
    f.set_now(4000);
    bg__gpu_group.begin();
    bg__gpu_group.end(v);
    for (size_t i = 0; i < BG_GPU_NCOUNTERS; i++)
        assert_true(v[i] == 0);

    bg__gpu_group.close();
    assert_false(f.enabled(BG_CUPTI_KIND_CONCURRENT_KERNEL));
}

static void test_lost_records_are_unknown(void **state)
{
    (void)state;
    open_and_activate();
    fakes f = get_fakes();
    f.set_now(10000);
    bg__gpu_group.begin();
    f.record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, 10100, 10200);
    f.drop(3);
    bg_gpu_timer_add(50);
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.end(v);
    for (size_t i = 0; i < BG_GPU_TIMER_NS; i++)
        assert_true(isnan(v[i]));
    assert_true(v[BG_GPU_TIMER_NS] == 50); /* measured by the benchmark, not CUPTI */
    bg__gpu_group.close();
}

/* A runtime-only install has libcupti.so.N without the unversioned link:
 * found in a directory; an empty directory says what it looked for. */
static char g_cupti_dir[32]; /* test_cupti_versioned_name's directory, "" when none */

/* Removes test_cupti_versioned_name's directory (and the link in it) even
 * when the test failed half-way. */
static int remove_cupti_dir(void **state)
{
    (void)state;
    if (!g_cupti_dir[0])
        return 0;
    char link[64];
    snprintf(link, sizeof link, "%s/libcupti.so.12", g_cupti_dir);
    unlink(link);
    int rc = rmdir(g_cupti_dir);
    g_cupti_dir[0] = '\0';
    return rc;
}

static void test_cupti_versioned_name(void **state)
{
    (void)state;
    char dir[] = "/tmp/bg_cupti_XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(g_cupti_dir, sizeof g_cupti_dir, "%s", dir);
    setenv("BENCHGATE_CUPTI", dir, 1);
    char msg[400];
    snprintf(msg, sizeof msg,
             "BENCHGATE_CUPTI: %s has no libcupti.so (nor libcupti.so.13, .12, .11)", dir);
    expect_unavailable(msg);
    char link[128];
    snprintf(link, sizeof link, "%s/libcupti.so.12", dir);
    assert_int_equal(symlink(FAKE_CUPTI, link), 0);
    bg__gpu_reset();
    char why[320] = "";
    assert_int_equal(bg__gpu_group.open(why, sizeof why), 0);
    bg__gpu_group.close();
}

/* CUPTI is told its buffers come zeroed, and they do: the first from
 * calloc, the later ones reused after the records written into them. */
static void test_buffers_zeroed(void **state)
{
    (void)state;
    open_and_activate();
    fakes f = get_fakes();
    assert_int_equal(f.zeroed_attr(), 1);
    unsigned long before = f.buffers();
    for (uint64_t k = 0; k < 6; k++) {
        uint64_t t = 100000 + 1000 * k;
        f.set_now(t);
        bg__gpu_group.begin();
        f.record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, t + 10, t + 20);
        f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOD, 64, t + 30, t + 40);
        double v[BG_GPU_NCOUNTERS];
        bg__gpu_group.end(v);
        assert_true(v[BG_GPU_KERNELS] == 1);
        assert_true(v[BG_GPU_HTOD_BYTES] == 64);
    }
    assert_int_equal(f.buffers() - before, 6);
    assert_int_equal(f.dirty_buffers(), 0);
    bg__gpu_group.close();
}

/* The check passed, but CUPTI does not start recording once the benchmark
 * loads CUDA: the CUPTI counters are unknown, not 0; the start is not
 * retried every sample; the counter set says why once, and only after
 * every group of the set has stopped counting (the note writes to a pipe,
 * which must not land in another group's figures): "probe", before gpu in
 * the set, ends after it, and sees no note yet. */
static const char *g_noted_group;
static char g_noted_why[400];
static int g_notes;
static int g_notes_at_probe_end;

static void note_once(void *ctx, const char *group, const char *why)
{
    (void)ctx;
    g_notes++;
    g_noted_group = group;
    snprintf(g_noted_why, sizeof g_noted_why, "%s", why);
}

static int probe_open(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 0;
}

static void probe_nothing(void)
{
}

static void probe_end(double *v)
{
    g_notes_at_probe_end = g_notes;
    v[0] = 7;
}

static const char *const probe_names[] = {"probe_count"};
static const char *const probe_units[] = {""};
static const bg_counter_group probe_group = {"probe", 1, probe_names, probe_units, probe_open,
                                             probe_nothing, probe_end, probe_nothing, NULL, NULL};

static void test_failed_start_is_unknown(void **state)
{
    (void)state;
    char why[320];
    assert_int_equal(bg__gpu_group.open(why, sizeof why), 0);
    setenv("FAKE_CUPTI_ENABLE", "35", 1);
    assert_int_equal(bg_gpu_check(why, sizeof why), 0); /* the device is there */
    fakes f = get_fakes();
    unsigned long calls = f.enable_calls();
    g_notes = 0;
    bg_counter_set set;
    memset(&set, 0, sizeof set);
    set.ngroups = 2;
    set.groups[0] = &probe_group;
    set.groups[1] = &bg__gpu_group;
    set.nvalues = 1 + BG_GPU_NCOUNTERS;
    set.note = note_once;
    for (int k = 0; k < 3; k++) {
        double v[1 + BG_GPU_NCOUNTERS];
        g_notes_at_probe_end = -1;
        bg__counter_set_begin(&set);
        bg_gpu_timer_add(40);
        bg__counter_set_end(&set, v);
        assert_int_equal(g_notes_at_probe_end, k == 0 ? 0 : 1);
        assert_true(v[0] == 7);
        for (size_t i = 0; i < BG_GPU_TIMER_NS; i++)
            assert_true(isnan(v[1 + i]));
        assert_true(v[1 + BG_GPU_TIMER_NS] == 40);
    }
    assert_int_equal(f.enable_calls(), calls);
    assert_int_equal(g_notes, 1);
    assert_string_equal(g_noted_group, "gpu");
    assert_string_equal(g_noted_why,
                        "CUPTI did not start recording in this process "
                        "(cuptiActivityEnable(CONCURRENT_KERNEL): "
                        "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES); its GPU counters are left out");
    bg__gpu_group.close();
    /* Opened again (the next benchmark process), it tries again. */
    unsetenv("FAKE_CUPTI_ENABLE");
    assert_int_equal(bg__gpu_group.open(why, sizeof why), 0);
    assert_int_equal(bg_gpu_check(why, sizeof why), 0);
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.begin();
    bg__gpu_group.end(v);
    assert_true(v[BG_GPU_KERNELS] == 0);
    assert_null(bg__gpu_group.failure());
    bg__gpu_group.close();
}

/* ---- through a bench binary ---- */

static void expect_gpu_skipped(const char *const *env, const char *reason)
{
    const char *args[] = {"--quick", "--json", json_path(), "--color", "never", NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    cJSON *rec = read_record(json_path());
    const cJSON *g = record_bench(rec, "gpu_needs_device"), *c = record_bench(rec, "cpu_only");
    assert_non_null(g);
    assert_non_null(c);
    assert_string_equal(bench_str(g, "status"), "skipped");
    assert_string_equal(bench_str(g, "message"), reason);
    assert_string_equal(bench_str(c, "status"), "ok");
    char line[400];
    snprintf(line, sizeof line, "skipped: %s", reason);
    assert_non_null(strstr(o.out, line));
    cJSON_Delete(rec);
    bench_out_free(&o);
}

static void test_bench_without_driver_skips(void **state)
{
    (void)state;
    /* Without the stand-ins: whatever this machine has. */
    const char *env[] = {"LD_LIBRARY_PATH", NULL};
    const char *args[] = {"--quick", "--filter", "gpu", "--json", json_path(), NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    cJSON *rec = read_record(json_path());
    const char *status = bench_str(record_bench(rec, "gpu_needs_device"), "status");
    bool has_driver = !strcmp(status, "ok");
    cJSON_Delete(rec);
    bench_out_free(&o);
    if (has_driver)
        skip(); /* a CUDA driver and device are installed here */
    expect_gpu_skipped(env, "unavailable: libcuda.so.1 not found: no NVIDIA driver");
}

static void test_bench_without_device_skips(void **state)
{
    (void)state;
    const char *env[] = {"FAKE_CUDA_INIT=100", NULL};
    expect_gpu_skipped(env,
                       "unavailable: cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is "
                       "detected)");
}

/* The skip is conditional: with a device (the stand-in's) it runs. */
static void test_bench_with_device_runs(void **state)
{
    (void)state;
    const char *env[] = {"FAKE_CUDA_INIT=0", NULL};
    const char *args[] = {"--quick", "--json", json_path(), NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    cJSON *rec = read_record(json_path());
    assert_string_equal(bench_str(record_bench(rec, "gpu_needs_device"), "status"), "ok");
    cJSON_Delete(rec);
    bench_out_free(&o);
}

/* ---- the group in a run (once it is in the counter table) ---- */

static const cJSON *group_status(const cJSON *rec, const char *name)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rec, "counter_groups"))
    {
        if (!strcmp(bench_str(g, "name"), name))
            return g;
    }
    return NULL;
}

/* --counters gpu without a driver: said once, and the run goes on. */
static void test_run_says_unavailable(void **state)
{
    (void)state;
    if (!bg__counter_owner("gpu_kernels"))
        skip(); /* the gpu group is not in this build's counter table */
    const char *env[] = {"FAKE_CUDA_INIT=100", NULL};
    const char *args[] = {"--quick", "--counters", "gpu", "--json", json_path(), NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    assert_non_null(strstr(o.out, "gpu unavailable: cuInit: CUDA_ERROR_NO_DEVICE"));
    cJSON *rec = read_record(json_path());
    const cJSON *g = group_status(rec, "gpu");
    assert_non_null(g);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(g, "available")));
    assert_string_equal(bench_str(record_bench(rec, "cpu_only"), "status"), "ok");
    cJSON_Delete(rec);
    bench_out_free(&o);
}

/* --counters gpu with a device (the stand-ins'): every sample carries the
 * GPU counters; a benchmark that ran no GPU work has zeros. */
static void test_run_records_gpu_counters(void **state)
{
    (void)state;
    if (!bg__counter_owner("gpu_kernels"))
        skip();
    const char *env[] = {"FAKE_CUDA_INIT=0", NULL};
    const char *args[] = {"--quick", "--counters", "gpu", "--json", json_path(), NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    cJSON *rec = read_record(json_path());
    assert_true(cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(group_status(rec, "gpu"), "available")));
    const char *names[] = {"gpu_needs_device", "cpu_only"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(record_bench(rec, names[i]),
                                                               "processes"))
        {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "counters");
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(c, "gpu_kernels"), *v;
            assert_true(cJSON_GetArraySize(k) > 0);
            cJSON_ArrayForEach(v, k)
            {
                assert_true(v->valuedouble == 0);
            }
        }
    }
    cJSON_Delete(rec);
    bench_out_free(&o);
}


/* ---- the per-kernel breakdown ---- */

static const bg_activity *find_row(const bg_activity *rows, size_t n, int kind, const char *name,
                                   double bytes)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].kind == kind && !strcmp(rows[i].name, name) &&
            (kind == BG_ACT_KERNEL || rows[i].v[BG_ACT_BYTES] == bytes))
            return &rows[i];
    return NULL;
}

/* Records inside the sample windows are tallied by kernel (demangled) and
 * by copy direction and size; those outside are not. */
static void test_kernel_breakdown(void **state)
{
    (void)state;
    open_and_activate();
    fakes f = get_fakes();
    f.set_now(1000);
    bg__gpu_group.begin();
    f.kernel("_Z5saxpymfPKfPf", 1100, 1200);
    f.kernel("_Z5saxpymfPKfPf", 1300, 1450);
    f.kernel("plain_kernel", 1500, 1510);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOD, 4096, 1600, 1700);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOD, 4096, 1700, 1800);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_HTOD, 1024, 1800, 1830);
    f.record(BG_CUPTI_KIND_MEMCPY, BG_CUPTI_MEMCPY_DTOH, 4096, 1900, 1950);
    f.kernel("_Z5saxpymfPKfPf", 500, 900); /* before the window */
    f.set_now(2000);
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.end(v);
    f.kernel("plain_kernel", 2100, 2200); /* between samples */
    f.set_now(3000);
    bg__gpu_group.begin();
    f.kernel("_Z5saxpymfPKfPf", 3100, 3150);
    f.set_now(4000);
    bg__gpu_group.end(v);

    bg_activity rows[80];
    size_t n = bg__gpu_group.activity(rows, 80);
    assert_int_equal(n, 5);
    const bg_activity *a = find_row(rows, n, BG_ACT_KERNEL,
                                    "saxpy(unsigned long, float, float const*, float*)", 0);
    assert_non_null(a);
    assert_true(a->v[BG_ACT_COUNT] == 3 && a->v[BG_ACT_NS] == 300);
    a = find_row(rows, n, BG_ACT_KERNEL, "plain_kernel", 0);
    assert_non_null(a);
    assert_true(a->v[BG_ACT_COUNT] == 1 && a->v[BG_ACT_NS] == 10);
    a = find_row(rows, n, BG_ACT_MEMCPY_HTOD, "", 4096);
    assert_non_null(a);
    assert_true(a->v[BG_ACT_COUNT] == 2 && a->v[BG_ACT_NS] == 200);
    a = find_row(rows, n, BG_ACT_MEMCPY_HTOD, "", 1024);
    assert_non_null(a);
    assert_true(a->v[BG_ACT_COUNT] == 1 && a->v[BG_ACT_NS] == 30);
    a = find_row(rows, n, BG_ACT_MEMCPY_DTOH, "", 4096);
    assert_non_null(a);
    assert_true(a->v[BG_ACT_COUNT] == 1);
    bg__gpu_group.close();
    /* The next process starts with an empty table. */
    open_and_activate();
    assert_int_equal(bg__gpu_group.activity(rows, 80), 0);
    bg__gpu_group.close();
}

/* More distinct kernels than the table holds: the rest are summed into
 * "(others)", nothing is lost. */
static void test_kernel_breakdown_overflow(void **state)
{
    (void)state;
    open_and_activate();
    fakes f = get_fakes();
    static char names[100][16];
    f.set_now(1000);
    bg__gpu_group.begin();
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        f.kernel(names[i], 1100 + (uint64_t)i, 1101 + (uint64_t)i);
    }
    f.set_now(5000);
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.end(v);
    bg_activity rows[80];
    size_t n = bg__gpu_group.activity(rows, 80);
    assert_int_equal(n, 65);
    const bg_activity *o = find_row(rows, n, BG_ACT_KERNEL, "(others)", 0);
    assert_non_null(o);
    assert_true(o->v[BG_ACT_COUNT] == 36);
    bg__gpu_group.close();
}

/* Two processes' rows merged per iteration, largest GPU time first; the
 * console shows the top ones, the record keeps every row. */
static void add_act(bg_proc *p, int kind, const char *name, double count, double ns, double bytes)
{
    p->activity = realloc(p->activity, (p->nactivity + 1) * sizeof *p->activity);
    assert_non_null(p->activity);
    bg_activity *a = &p->activity[p->nactivity++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->v[BG_ACT_COUNT] = count;
    a->v[BG_ACT_NS] = ns;
    a->v[BG_ACT_BYTES] = bytes;
}

static void make_proc(bg_proc *p, double iters_per_sample, size_t n)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->iters = calloc(n, sizeof *p->iters);
    p->wall_ns = calloc(n, sizeof *p->wall_ns);
    p->cpu_ns = calloc(n, sizeof *p->cpu_ns);
    for (size_t j = 0; j < n; j++) {
        p->iters[j] = iters_per_sample;
        p->wall_ns[j] = p->cpu_ns[j] = 1000 * iters_per_sample;
    }
}

static void test_breakdown_figures(void **state)
{
    (void)state;
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    run.config.counters = bg__counters_default_mask();
    run.nresults = 1;
    run.results = calloc(1, sizeof *run.results);
    bg_result *r = &run.results[0];
    r->name = "saxpy";
    r->nprocs = 2;
    r->procs = calloc(2, sizeof *r->procs);
    make_proc(&r->procs[0], 10, 5); /* 50 iterations */
    make_proc(&r->procs[1], 10, 5);
    add_act(&r->procs[0], BG_ACT_KERNEL, "saxpy(unsigned long, float, float const*, float*)", 50,
            50 * 3500, 0);
    add_act(&r->procs[0], BG_ACT_MEMCPY_HTOD, "", 100, 100 * 400000, 4 << 20);
    add_act(&r->procs[1], BG_ACT_KERNEL, "saxpy(unsigned long, float, float const*, float*)", 50,
            50 * 3700, 0);
    add_act(&r->procs[1], BG_ACT_MEMCPY_HTOD, "", 100, 100 * 400000, 4 << 20);
    add_act(&r->procs[1], BG_ACT_KERNEL, "tiny", 1, 100, 0);
    run.config.resamples = 200;
    assert_int_equal(bg__summarize_result(&run.config, r), 0); /* derives the figures */
    const bg_figures *g = &r->fig;
    assert_int_equal(g->ngpu, 3);
    assert_int_equal(g->gpu[0].kind, BG_ACT_MEMCPY_HTOD);
    assert_true(g->gpu[0].calls_per_iter == 2);
    assert_true(g->gpu[0].ns_per_iter == 800000);
    assert_true(g->gpu[0].bytes == 4 << 20);
    assert_string_equal(g->gpu[1].name, "saxpy(unsigned long, float, float const*, float*)");
    assert_true(g->gpu[1].calls_per_iter == 1);
    assert_true(g->gpu[1].ns_per_iter == 3600);
    assert_true(g->gpu[1].ns_per_call == 3600);
    assert_true(fabs(g->gpu[0].share + g->gpu[1].share + g->gpu[2].share - 1) < 1e-12);
    assert_string_equal(g->gpu[2].name, "tiny");
    assert_true(g->gpu[2].calls_per_iter == 0.01);

    /* The console's lines. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = &run};
    const bg_reporter *rep = bg__reporter_find("console", BG_REPORT_RUN);
    rep->bench(mf, &src, 0);
    fclose(mf);
    assert_non_null(strstr(buf, "    gpu  99.6%  memcpy HtoD 4 MiB: 2/iter, 800.0 µs/iter (400.0 µs each)\n"));
    assert_non_null(strstr(buf, "    gpu   0.4%  saxpy(unsigned long, float, float const*, float*): 1/iter, "
                               "3.600 µs/iter (3.600 µs each)\n"));
    assert_non_null(strstr(buf, "tiny: 0.01/iter"));
    free(buf);

    /* The record keeps every process's rows, and reads them back. */
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"kind\":\t\"memcpy_htod\""));
    bg_run back;
    char err[256];
    assert_int_equal(bg__record_parse(json, &back, err, sizeof err), 0);
    assert_int_equal(back.results[0].procs[1].nactivity, 3);
    assert_int_equal(back.results[0].fig.ngpu, 3);
    assert_true(back.results[0].fig.gpu[1].ns_per_iter == 3600);
    free(json);
    bg__run_free(&back);
    bg__result_free(r);
    free(run.results);
}

/* ---- --gpu-flush-l2 ---- */

static void one_sample(void)
{
    double v[BG_GPU_NCOUNTERS];
    bg__gpu_group.begin();
    bg__gpu_group.end(v);
}

static void test_flush_l2(void **state)
{
    (void)state;
    setenv("FAKE_CUDA_L2", "4096", 1);
    open_and_activate();
    fakes f = get_fakes();
    unsigned long m0 = f.memsets(), live0 = f.live_allocs();
    one_sample(); /* off: nothing written */
    assert_int_equal(f.memsets(), m0);
    bg__gpu_group.close();

    bg__gpu_set_flush_l2(true);
    open_and_activate();
    unsigned long syncs = f.syncs();
    one_sample();
    one_sample();
    assert_int_equal(f.memsets(), m0 + 2);
    assert_int_equal(f.memset_bytes(), 8192); /* twice the L2 */
    assert_int_equal(f.live_allocs(), live0 + 1); /* one buffer for the process */
    assert_true(f.syncs() >= syncs + 6); /* each flush is waited for */
    assert_null(bg__gpu_group.failure());
    bg__gpu_group.close();
    assert_int_equal(f.live_allocs(), live0);
}

static void test_flush_l2_fails_once(void **state)
{
    (void)state;
    setenv("FAKE_CUDA_L2", "4096", 1);
    setenv("FAKE_CUDA_ALLOC_FAIL", "2", 1);
    bg__gpu_set_flush_l2(true);
    open_and_activate();
    fakes f = get_fakes();
    unsigned long m0 = f.memsets();
    one_sample();
    assert_string_equal(bg__gpu_group.failure(),
                        "--gpu-flush-l2: cuMemAlloc(8192 bytes): CUDA_ERROR_OUT_OF_MEMORY (out of "
                        "memory); the samples of this process are not flushed");
    one_sample();
    assert_null(bg__gpu_group.failure());
    assert_int_equal(f.memsets(), m0);
    bg__gpu_group.close();
}

/* Without a driver the option says why once and the run goes on. */
static void test_flush_l2_without_gpu(void **state)
{
    (void)state;
    const char *env[] = {"FAKE_CUDA_INIT=100", NULL};
    const char *args[] = {"--quick", "--gpu-flush-l2", "--json", json_path(), NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    const char *msg = "--gpu-flush-l2: unavailable: cuInit: CUDA_ERROR_NO_DEVICE";
    const char *at = strstr(o.err, msg);
    assert_non_null(at);
    assert_null(strstr(at + 1, msg));
    cJSON *rec = read_record(json_path());
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rec, "config"), "gpu_flush_l2")));
    cJSON_Delete(rec);
    bench_out_free(&o);
}

/* ---- NVML: the GPU's state and throttled samples ---- */

static void test_nvml_unavailable(void **state)
{
    (void)state;
    char why[320] = "";
    setenv("BENCHGATE_NVML", "/nonexistent/libnvidia-ml.so.1", 1);
    assert_int_equal(bg__nvml_group.open(why, sizeof why), BG_EUNAVAIL);
    assert_string_equal(why, "BENCHGATE_NVML: /nonexistent/libnvidia-ml.so.1: no such file");
    unsetenv("BENCHGATE_NVML");
    setenv("FAKE_NVML_INIT", "9", 1);
    assert_int_equal(bg__nvml_group.open(why, sizeof why), BG_EUNAVAIL);
    assert_string_equal(why, "nvmlInit: Driver Not Loaded");
}

static void test_nvml_throttle_flag(void **state)
{
    (void)state;
    /* Reads 1 (open), 2-3 (sample 1): clear; from read 4 on, software
     * thermal slowdown. */
    setenv("FAKE_NVML_REASONS", "0x20", 1);
    setenv("FAKE_NVML_REASONS_AFTER", "3", 1);
    char why[320] = "";
    assert_int_equal(bg__nvml_group.open(why, sizeof why), 0);
    double v[1];
    bg__nvml_group.begin();
    bg__nvml_group.end(v);
    assert_true(v[0] == 0);
    bg__nvml_group.begin();
    bg__nvml_group.end(v);
    assert_true(v[0] == 1);
    bg_activity rows[4];
    assert_int_equal(bg__nvml_group.activity(rows, 4), 2);
    assert_int_equal(rows[0].kind, BG_ACT_GPU_START);
    assert_string_equal(rows[0].name, "Fake GPU");
    assert_true(rows[0].v[BG_ACT_SM_MHZ] == 1980 && rows[0].v[BG_ACT_MEM_MHZ] == 3201);
    assert_true(rows[0].v[BG_ACT_TEMP_C] == 41 && rows[0].v[BG_ACT_REASONS] == 0);
    assert_int_equal(rows[1].kind, BG_ACT_GPU_END);
    assert_true(rows[1].v[BG_ACT_REASONS] == 0x20);
    bg__nvml_group.close();
    char text[160];
    bg__nvml_reasons_text(0x25, text, sizeof text);
    assert_string_equal(text, "idle, software power cap, software thermal slowdown");
    assert_false(bg__nvml_throttled(BG_NVML_REASON_IDLE | BG_NVML_REASON_APP_CLOCKS));
    assert_true(bg__nvml_throttled(BG_NVML_REASON_HW_THERMAL));
}

/* Through a bench binary: every sample carries gpu_throttled, every
 * process its GPU state, and the console counts the throttled samples. */
static void test_run_flags_throttled_samples(void **state)
{
    (void)state;
    const char *env[] = {"FAKE_CUDA_INIT=0", "FAKE_NVML_REASONS=0x4", NULL};
    const char *args[] = {"--quick", "--counters", "nvml", "--filter", "cpu_only", "--json",
                          json_path(), "--color", "never", NULL};
    bench_out o = run_bench(GPU_BENCH, args, env);
    assert_int_equal(o.code, 0);
    cJSON *rec = read_record(json_path());
    assert_true(cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(group_status(rec, "nvml"), "available")));
    const cJSON *p;
    int samples = 0, procs = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(record_bench(rec, "cpu_only"),
                                                           "processes"))
    {
        procs++;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(p, "counters"), "gpu_throttled"), *v;
        cJSON_ArrayForEach(v, t)
        {
            assert_true(v->valuedouble == 1);
            samples++;
        }
        const cJSON *act = cJSON_GetObjectItemCaseSensitive(p, "gpu_activity");
        assert_int_equal(cJSON_GetArraySize(act), 2);
        assert_string_equal(bench_str(cJSON_GetArrayItem(act, 0), "kind"), "gpu_start");
        assert_string_equal(bench_str(cJSON_GetArrayItem(act, 1), "kind"), "gpu_end");
    }
    assert_true(samples > 0 && procs == 2);
    char line[128];
    snprintf(line, sizeof line, "gpu: throttled in %d of %d samples", samples, samples);
    assert_non_null(strstr(o.out, line));
    cJSON_Delete(rec);
    bench_out_free(&o);
}

/* ---- the doctor's GPU lines (read only) ---- */

static const bg_finding *finding(const bg_doctor_report *r, const char *check)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->f[i].check, check))
            return &r->f[i];
    return NULL;
}

static void doctor(bg_doctor_report *r)
{
    bg_doctor_opts o;
    bg__doctor_opts_default(&o);
    o.sample_ms = 0;
    o.measure_timer = false;
    assert_int_equal(bg__doctor_collect(&o, r), 0);
}

static void test_doctor_gpu_lines(void **state)
{
    (void)state;
    bg_doctor_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    doctor(r);
    const bg_finding *g = finding(r, "gpu"), *pm = finding(r, "gpu_persistence");
    assert_non_null(g);
    assert_non_null(pm);
    assert_int_equal(g->level, BG_DOC_OK);
    assert_string_equal(g->found, "GPU 0 (Fake GPU): SM clock 1980 MHz (max 1980), memory clock "
                                  "3201 MHz (max 3201), 41 C, clock event reasons: none");
    assert_int_equal(pm->level, BG_DOC_OK);

    setenv("FAKE_NVML_REASONS", "0x41", 1); /* idle + hardware thermal slowdown */
    setenv("FAKE_NVML_PERSISTENCE", "0", 1);
    doctor(r);
    g = finding(r, "gpu");
    pm = finding(r, "gpu_persistence");
    assert_int_equal(g->level, BG_DOC_WARN);
    assert_non_null(strstr(g->found, "clock event reasons: idle, hardware thermal slowdown "
                                      "(throttled)"));
    assert_int_equal(pm->level, BG_DOC_NOTE);
    assert_string_equal(pm->fix, "sudo nvidia-smi -i 0 -pm 1");
    assert_true(pm->needs_root);

    setenv("FAKE_NVML_INIT", "9", 1); /* NVML_ERROR_DRIVER_NOT_LOADED */
    doctor(r);
    g = finding(r, "gpu");
    assert_string_equal(g->found, "unavailable: nvmlInit: Driver Not Loaded");
    assert_null(finding(r, "gpu_persistence"));
    free(r);
}

/* ---- the SAXPY example (built where nvcc is) ---- */

#ifdef SAXPY_BENCH
/* On a machine with a GPU: BG_TEST_REAL_CUPTI names the real libcupti.so
 * (or its directory); then only test_saxpy runs, against the real driver
 * and CUPTI (the stand-ins are not used), with the example binary at
 * $BG_TEST_SAXPY_BENCH if set, else where the build put it. */
static const char *real_cupti(void)
{
    const char *e = getenv("BG_TEST_REAL_CUPTI");
    return e && *e ? e : NULL;
}

static const char *saxpy_bench(void)
{
    const char *e = getenv("BG_TEST_SAXPY_BENCH");
    return e && *e ? e : SAXPY_BENCH;
}

/* Per-sample values of counter `name` in process p (failing the test when
 * it was not recorded there). */
static const cJSON *counter_values(const cJSON *p, const char *name)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "counters"), name);
    if (!cJSON_IsArray(v))
        fail_msg("counter %s was not recorded", name);
    return v;
}

/* Asserts that every sample of process p has exactly (exact) or at least
 * per_iter * iters of counter `name`. */
static void expect_per_sample(const cJSON *p, const char *bench, const char *name, double per_iter,
                              bool exact)
{
    const cJSON *iters = cJSON_GetObjectItemCaseSensitive(p, "iters");
    const cJSON *v = counter_values(p, name);
    int n = cJSON_GetArraySize(iters);
    assert_true(n > 0);
    assert_int_equal(cJSON_GetArraySize(v), n);
    for (int j = 0; j < n; j++) {
        double it = cJSON_GetArrayItem(iters, j)->valuedouble;
        double x = cJSON_GetArrayItem(v, j)->valuedouble;
        bool ok = it >= 1 && (exact ? x == per_iter * it : x >= per_iter * it);
        if (!ok)
            fail_msg("%s: %s: sample %d: %g for %g iterations, expected %s %g per iteration", bench,
                     name, j, x, it, exact ? "exactly" : "at least", per_iter);
    }
}

/* The kernels' GPU time (CUPTI) lies inside the CUDA events' interval
 * around them, give or take the two clocks' granularity: per sample,
 * kernel <= 1.1 * timer + 5 us per iteration (a loose bound: the exact
 * agreement is measured by tools/gpu-check.sh, not asserted here). */
static void expect_kernel_within_timer(const cJSON *p, const char *bench)
{
    const cJSON *iters = cJSON_GetObjectItemCaseSensitive(p, "iters");
    const cJSON *k = counter_values(p, "gpu_kernel_ns"), *t = counter_values(p, "gpu_timer_ns");
    for (int j = 0; j < cJSON_GetArraySize(iters); j++) {
        double it = cJSON_GetArrayItem(iters, j)->valuedouble;
        double kn = cJSON_GetArrayItem(k, j)->valuedouble, tn = cJSON_GetArrayItem(t, j)->valuedouble;
        if (!(kn <= 1.1 * tn + 5000 * it))
            fail_msg("%s: sample %d: gpu_kernel_ns %g against gpu_timer_ns %g for %g iterations",
                     bench, j, kn, tn, it);
    }
}

/* The example: without a GPU every benchmark is skipped saying why, and
 * the gpu group says the same; with one, the gpu group is available and
 * every sample of every process counted exactly its kernel launches and
 * copied bytes, with GPU time beside them. */
static void test_saxpy(void **state)
{
    (void)state;
    /* Here the example runs without the stand-ins (their variables unset);
     * on a GPU machine with the real CUPTI and the library path as given
     * (the example's libraries may be found through it alone). */
    char cupti_env[600];
    snprintf(cupti_env, sizeof cupti_env, "BENCHGATE_CUPTI=%s", real_cupti() ? real_cupti() : "");
    const char *env_fake[] = {"LD_LIBRARY_PATH", "BENCHGATE_CUPTI", "BG_FMA_EXTRA_PCT", NULL};
    const char *env_real[] = {cupti_env, "BG_FMA_EXTRA_PCT", NULL};
    const char *const *env = real_cupti() ? env_real : env_fake;
    const char *args[] = {"--quick", "--counters", "all", "--json", json_path(), NULL};
    bench_out o = run_bench(saxpy_bench(), args, env);
    assert_int_equal(o.code, 0);
    cJSON *rec = read_record(json_path());
    const cJSON *g = group_status(rec, "gpu");
    assert_non_null(g);
    bool gpu = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "available"));
    if (real_cupti() && !gpu)
        fail_msg("BG_TEST_REAL_CUPTI is set but the gpu group is unavailable: %s", bench_str(g, "note"));
    const cJSON *b;
    int n = 0;
    const double n1m = 1 << 20;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(rec, "benchmarks"))
    {
        n++;
        const char *status = bench_str(b, "status"), *name = bench_str(b, "name");
        if (!gpu) {
            /* The benchmark's own check and the group's agree on why. */
            char reason[400];
            snprintf(reason, sizeof reason, "unavailable: %s", bench_str(g, "note"));
            assert_string_equal(status, "skipped");
            assert_true(strlen(bench_str(g, "note")) > 0);
            assert_string_equal(bench_str(b, "message"), reason);
            char line[480];
            snprintf(line, sizeof line, "skipped: %s", reason);
            assert_non_null(strstr(o.out, line));
            continue;
        }
        if (strcmp(status, "ok") != 0)
            fail_msg("%s: %s (%s)", name, status, bench_str(b, "message"));
        const cJSON *procs = cJSON_GetObjectItemCaseSensitive(b, "processes"), *p;
        assert_true(cJSON_GetArraySize(procs) > 0);
        cJSON_ArrayForEach(p, procs)
        {
            if (!strcmp(name, "copy_dtod_64M")) {
                expect_per_sample(p, name, "gpu_memcpy_dtod_bytes", 64.0 * (1 << 20), true);
                expect_per_sample(p, name, "gpu_memcpy_dtod_ns", 1e-3, false);
                expect_per_sample(p, name, "gpu_timer_ns", 1e-3, false);
                continue;
            }
            expect_per_sample(p, name, "gpu_kernels", 1, true);
            expect_per_sample(p, name, "gpu_kernel_ns", 1e-3, false);
            if (strstr(name, "roundtrip")) {
                expect_per_sample(p, name, "gpu_memcpy_htod_bytes", 2.0 * 4 * n1m, true);
                expect_per_sample(p, name, "gpu_memcpy_dtoh_bytes", 4.0 * n1m, true);
                expect_per_sample(p, name, "gpu_memcpy_htod_ns", 1e-3, false);
            } else {
                expect_per_sample(p, name, "gpu_timer_ns", 1e-3, false); /* bg_cuda_timer */
                expect_kernel_within_timer(p, name);
            }
            if (!strcmp(name, "saxpy_kernel_16M") || !strcmp(name, "fma_chain_1M"))
                expect_per_sample(p, name, "gpu_memcpy_htod_bytes", 0, true);
        }
    }
    assert_int_equal(n, 5);
    cJSON_Delete(rec);
    bench_out_free(&o);
}
#endif

int main(void)
{
#ifdef SAXPY_BENCH
    if (real_cupti()) {
        const struct CMUnitTest real[] = {cmocka_unit_test(test_saxpy)};
        return cmocka_run_group_tests(real, NULL, NULL);
    }
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_device, reset_env),
        cmocka_unit_test_setup(test_zero_devices, reset_env),
        cmocka_unit_test_setup(test_cupti_missing, reset_env),
        cmocka_unit_test_setup(test_cupti_not_permitted, reset_env),
        cmocka_unit_test_setup(test_cpu_process_counts_zero, reset_env),
        cmocka_unit_test_setup(test_check_reason, reset_env),
        cmocka_unit_test_setup(test_records_summed_by_direction, reset_env),
        cmocka_unit_test_setup(test_lost_records_are_unknown, reset_env),
        cmocka_unit_test_setup(test_failed_start_is_unknown, reset_env),
        cmocka_unit_test_setup(test_buffers_zeroed, reset_env),
        cmocka_unit_test_setup_teardown(test_cupti_versioned_name, reset_env, remove_cupti_dir),
        cmocka_unit_test_setup(test_bench_without_driver_skips, reset_env),
        cmocka_unit_test_setup(test_bench_without_device_skips, reset_env),
        cmocka_unit_test_setup(test_bench_with_device_runs, reset_env),
        cmocka_unit_test_setup(test_run_says_unavailable, reset_env),
        cmocka_unit_test_setup(test_run_records_gpu_counters, reset_env),
        cmocka_unit_test_setup(test_kernel_breakdown, reset_env),
        cmocka_unit_test_setup(test_kernel_breakdown_overflow, reset_env),
        cmocka_unit_test_setup(test_breakdown_figures, reset_env),
        cmocka_unit_test_setup(test_flush_l2, reset_env),
        cmocka_unit_test_setup(test_flush_l2_fails_once, reset_env),
        cmocka_unit_test_setup(test_flush_l2_without_gpu, reset_env),
        cmocka_unit_test_setup(test_nvml_unavailable, reset_env),
        cmocka_unit_test_setup(test_nvml_throttle_flag, reset_env),
        cmocka_unit_test_setup(test_run_flags_throttled_samples, reset_env),
        cmocka_unit_test_setup(test_doctor_gpu_lines, reset_env),
#ifdef SAXPY_BENCH
        cmocka_unit_test_setup(test_saxpy, reset_env),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
