/* The machine doctor over fake /proc and /sys trees: each finding, its
 * level and its fix, a quiet machine with nothing to fix, an empty tree
 * (everything unknown, nothing crashes), the JSON output; and the noisy
 * result test of the bench binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bg_doctor.h"
#include "helpers.h"

static char root[256];

/* Writes text to root/path, creating the directories. */
static void put(const char *path, const char *fmt, ...)
{
    char full[1024];
    snprintf(full, sizeof full, "%s%s", root, path);
    for (char *p = full + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(full, 0755);
            *p = '/';
        }
    FILE *f = fopen(full, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/bg_doctor_test.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    return remove_tree(root);
}

static const bg_finding *find(const bg_doctor_report *r, const char *check)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->f[i].check, check))
            return &r->f[i];
    fail_msg("no finding '%s'", check);
    return NULL;
}

static void expect(const bg_doctor_report *r, const char *check, bg_doc_level level,
                   const char *found_part, const char *fix_part, int root_needed)
{
    const bg_finding *f = find(r, check);
    if (f->level != level)
        fail_msg("%s: level %s, want %s (%s)", check, bg__doc_level_name(f->level),
                 bg__doc_level_name(level), f->found);
    if (found_part && !strstr(f->found, found_part))
        fail_msg("%s: '%s' does not say '%s'", check, f->found, found_part);
    if (fix_part && !strstr(f->fix, fix_part))
        fail_msg("%s: fix '%s' does not say '%s'", check, f->fix, fix_part);
    if (root_needed >= 0 && f->needs_root != (root_needed != 0))
        fail_msg("%s: needs_root %d, want %d", check, f->needs_root, root_needed);
}

/* ---- a noisy machine ---- */

static void noisy_second_sample(void *ud)
{
    (void)ud;
    /* 100 jiffies per CPU later: CPU 2 was 90 % busy, CPU 3 lost 20 to
     * steal (5 % of all), process 123 used 80 ticks (80 % of a CPU). */
    put("/proc/stat", "cpu  1090 0 1000 32290 0 0 0 20 0 0\n"
                      "cpu0 250 0 250 8100 0 0 0 0 0 0\n"
                      "cpu1 250 0 250 8100 0 0 0 0 0 0\n"
                      "cpu2 340 0 250 8010 0 0 0 0 0 0\n"
                      "cpu3 250 0 250 8080 0 0 0 20 0 0\n");
    put("/proc/123/stat", "123 (my (odd) job) R 1 1 1 0 -1 0 0 0 0 0 580 100 0 0\n");
    put("/proc/456/stat", "456 (sleepy) S 1 1 1 0 -1 0 0 0 0 0 11 0 0 0\n");
}

static void build_noisy_tree(void)
{
    put("/sys/devices/system/cpu/online", "0-3\n");
    for (int i = 0; i < 4; i++) {
        char p[128];
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i);
        put(p, i < 2 ? "powersave\n" : "performance\n");
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", i);
        put(p, i % 2 ? "1,3\n" : "0,2\n");
    }
    put("/sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
    put("/sys/devices/system/cpu/smt/control", "on\n");
    put("/sys/devices/system/cpu/isolated", "\n");
    put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet\n");
    put("/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm\n");
    put("/proc/sys/kernel/randomize_va_space", "2\n");
    put("/proc/sys/kernel/perf_event_paranoid", "3\n");
    put("/proc/loadavg", "3.50 2.00 1.00 5/300 1234\n");
    put("/proc/cmdline", "quiet splash\n");
    put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme sse2 hypervisor avx2\n");
    put("/proc/stat", "cpu  1000 0 1000 32000 0 0 0 0 0 0\n"
                      "cpu0 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu1 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu2 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu3 250 0 250 8000 0 0 0 0 0 0\n");
    put("/proc/123/stat", "123 (my (odd) job) R 1 1 1 0 -1 0 0 0 0 0 500 100 0 0\n");
    /* Another user's process: stopping it needs root. */
    unsigned other = (unsigned)getuid() + 1000;
    put("/proc/123/status", "Name:\tjob\nUid:\t%u\t%u\t%u\t%u\n", other, other, other, other);
    put("/proc/456/stat", "456 (sleepy) S 1 1 1 0 -1 0 0 0 0 0 10 0 0 0\n");
}

static void collect(bg_doctor_report *r, void (*between)(void *))
{
    bg_doctor_opts o;
    bg__doctor_opts_default(&o);
    o.root = root;
    o.sample_ms = 0;
    o.between = between;
    o.self = 99999;
    o.measure_timer = false;
    assert_int_equal(bg__doctor_collect(&o, r), 0);
}

static void test_noisy_machine(void **state)
{
    (void)state;
    build_noisy_tree();
    bg_doctor_report r;
    collect(&r, noisy_second_sample);
    expect(&r, "governor", BG_DOC_WARN, "'powersave' on CPU 0-1",
           "echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor", 1);
    expect(&r, "boost", BG_DOC_WARN, "no_turbo = 0",
           "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo", 1);
    expect(&r, "smt", BG_DOC_WARN, "CPU 0 shares a core with CPU 2, which was 90 % busy",
           "echo off | sudo tee /sys/devices/system/cpu/smt/control", 1);
    expect(&r, "smt", BG_DOC_WARN, NULL, "taskset -c 0", 1);
    expect(&r, "aslr", BG_DOC_NOTE, "randomize_va_space = 2",
           "echo 0 | sudo tee /proc/sys/kernel/randomize_va_space", 1);
    expect(&r, "aslr", BG_DOC_NOTE, NULL, "setarch $(uname -m) -R", 1);
    expect(&r, "perf", BG_DOC_WARN, "perf_event_paranoid = 3",
           "echo 2 | sudo tee /proc/sys/kernel/perf_event_paranoid", 1);
    expect(&r, "load", BG_DOC_WARN, "load average 3.50 (1 min)", "stop what runs", 0);
    expect(&r, "load", BG_DOC_WARN, "on 4 CPUs, 5 runnable", NULL, 0);
    /* Busy: the odd name is read whole; the idle process is not listed;
     * pid 123 belongs to another user, so stopping it needs root. */
    expect(&r, "busy", BG_DOC_WARN, "my (odd) job (pid 123, 80 % of a CPU)", "kill -STOP 123", 1);
    assert_null(strstr(find(&r, "busy")->found, "sleepy"));
    expect(&r, "virtualization", BG_DOC_NOTE, "hypervisor flag", "bare metal", 0);
    expect(&r, "steal", BG_DOC_WARN, "steal time 5.0 %", "dedicated vCPUs", 0);
    expect(&r, "isolation", BG_DOC_NOTE, "no CPU is isolated",
           "isolcpus=3 nohz_full=3 rcu_nocbs=3", 1);
    expect(&r, "clocksource", BG_DOC_WARN, "clock source is hpet",
           "echo tsc | sudo tee /sys/devices/system/clocksource/clocksource0/current_clocksource", 1);
    expect(&r, "timer", BG_DOC_OK, "clock_getres", NULL, 0);

    /* The text output names each fix and marks those needing root. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bg__doctor_print(f, &r, false), 0);
    fclose(f);
    assert_non_null(strstr(buf, "fix (needs root): echo performance | sudo tee"));
    assert_non_null(strstr(buf, "fix: ask for dedicated vCPUs"));
    assert_non_null(strstr(buf, "to fix"));
    free(buf);
}

static void test_json_output(void **state)
{
    (void)state;
    build_noisy_tree();
    bg_doctor_report r;
    collect(&r, noisy_second_sample);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bg__doctor_print(f, &r, true), 0);
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "schema")->valuestring, "benchgate.doctor");
    cJSON *arr = cJSON_GetObjectItem(j, "findings");
    assert_int_equal(cJSON_GetArraySize(arr), (int)r.n);
    int seen_governor = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (strcmp(cJSON_GetObjectItem(it, "check")->valuestring, "governor") != 0)
            continue;
        seen_governor = 1;
        assert_string_equal(cJSON_GetObjectItem(it, "status")->valuestring, "warn");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(it, "needs_root")));
        assert_non_null(strstr(cJSON_GetObjectItem(it, "fix")->valuestring, "scaling_governor"));
    }
    assert_true(seen_governor);
    assert_true(cJSON_GetObjectItem(j, "warnings")->valuedouble >= 8);
    cJSON_Delete(j);
}

/* ---- a quiet machine ---- */

static void quiet_second_sample(void *ud)
{
    (void)ud;
    put("/proc/stat", "cpu  1002 0 1000 32198 0 0 0 0 0 0\n"
                      "cpu0 251 0 250 8049 0 0 0 0 0 0\n"
                      "cpu1 251 0 250 8049 0 0 0 0 0 0\n"
                      "cpu2 250 0 250 8050 0 0 0 0 0 0\n"
                      "cpu3 250 0 250 8050 0 0 0 0 0 0\n");
}

static void test_quiet_machine(void **state)
{
    (void)state;
    put("/sys/devices/system/cpu/online", "0-3\n");
    for (int i = 0; i < 4; i++) {
        char p[128];
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i);
        put(p, "performance\n");
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", i);
        put(p, "%d\n", i);
    }
    put("/sys/devices/system/cpu/cpufreq/boost", "0\n");
    put("/sys/devices/system/cpu/isolated", "3\n");
    put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
    put("/proc/sys/kernel/randomize_va_space", "0\n");
    put("/proc/sys/kernel/perf_event_paranoid", "1\n");
    put("/proc/loadavg", "0.05 0.10 0.02 1/200 99\n");
    put("/proc/cmdline", "quiet isolcpus=3 nohz_full=3\n");
    put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme sse2 avx2 nohypervisorx\n");
    put("/proc/stat", "cpu  1000 0 1000 32000 0 0 0 0 0 0\n"
                      "cpu0 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu1 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu2 250 0 250 8000 0 0 0 0 0 0\n"
                      "cpu3 250 0 250 8000 0 0 0 0 0 0\n");
    bg_doctor_report r;
    collect(&r, quiet_second_sample);
    const char *ok[] = {"governor", "boost", "smt", "aslr", "perf", "load", "busy",
                        "virtualization", "steal", "isolation", "clocksource"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        expect(&r, ok[i], BG_DOC_OK, NULL, NULL, 0);
    expect(&r, "isolation", BG_DOC_OK, "CPU 3 isolated", "taskset -c 3", 0);
    expect(&r, "isolation", BG_DOC_OK, "nohz_full=3", NULL, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bg__doctor_print(f, &r, false);
    fclose(f);
    assert_non_null(strstr(buf, "nothing to fix"));
    free(buf);
}

/* isolcpus on the command line but nothing isolated; a clock source with
 * no tsc to switch to; boost through cpufreq/boost. */
static void test_mismatches(void **state)
{
    (void)state;
    put("/proc/cmdline", "isolcpus=2-3\n");
    put("/sys/devices/system/cpu/isolated", "\n");
    put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "acpi_pm\n");
    put("/sys/devices/system/clocksource/clocksource0/available_clocksource", "acpi_pm\n");
    put("/sys/devices/system/cpu/cpufreq/boost", "1\n");
    bg_doctor_report r;
    collect(&r, NULL);
    expect(&r, "isolation", BG_DOC_WARN, "asks for isolcpus=2-3 but no CPU is isolated", "isolcpus=", 1);
    expect(&r, "clocksource", BG_DOC_WARN, "no tsc to switch to", NULL, 0);
    assert_string_equal(find(&r, "clocksource")->fix, "");
    expect(&r, "boost", BG_DOC_WARN, "cpufreq/boost = 1",
           "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost", 1);
}

/* Nothing to read: every check says unknown or gives its default, nothing
 * crashes, and no finding claims a fix it cannot know. */
static void test_empty_tree(void **state)
{
    (void)state;
    bg_doctor_report r;
    collect(&r, NULL);
    assert_true(r.n >= 11);
    expect(&r, "aslr", BG_DOC_UNKNOWN, "cannot read", "", 0);
    expect(&r, "load", BG_DOC_UNKNOWN, "/proc/loadavg", "", 0);
    expect(&r, "busy", BG_DOC_UNKNOWN, NULL, "", 0);
    expect(&r, "steal", BG_DOC_UNKNOWN, NULL, "", 0);
    expect(&r, "virtualization", BG_DOC_UNKNOWN, NULL, "", 0);
    expect(&r, "clocksource", BG_DOC_UNKNOWN, NULL, "", 0);
    expect(&r, "governor", BG_DOC_NOTE, "no cpufreq interface", "", 0);
    assert_int_equal(bg__doctor_collect(NULL, &r), BG_EINVAL);
}

/* The real machine: whatever it finds, every check is there. */
static void test_real_machine(void **state)
{
    (void)state;
    bg_doctor_opts o;
    bg__doctor_opts_default(&o);
    o.sample_ms = 50;
    bg_doctor_report r;
    assert_int_equal(bg__doctor_collect(&o, &r), 0);
    /* 11 machine checks and the GPU's: one line without NVML, two (state
     * and persistence mode) per GPU with it. */
    assert_true(r.n >= 12);
    find(&r, "timer");
    find(&r, "gpu");
    assert_non_null(strstr(find(&r, "timer")->found, "one read costs"));
}

/* ---- noisy results ---- */

/* Three processes of five samples each, at the given per-iteration means. */
typedef struct fake {
    bg_proc procs[3];
    double iters[3][5], wall[3][5], cpu[3][5];
} fake;

static void make_result(bg_result *r, fake *f, const char *name, const double means[3])
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->status = BG_STATUS_OK;
    r->nprocs = 3;
    r->procs = f->procs;
    for (int p = 0; p < 3; p++) {
        f->procs[p] = (bg_proc){.n = 5, .iters = f->iters[p], .wall_ns = f->wall[p], .cpu_ns = f->cpu[p]};
        for (int i = 0; i < 5; i++) {
            f->iters[p][i] = 10.0 * (i + 1);
            f->wall[p][i] = f->iters[p][i] * means[p];
            f->cpu[p][i] = f->wall[p][i];
        }
    }
}

static void test_noisy_results(void **state)
{
    (void)state;
    bg_result r;
    fake f1, f2;
    char why[256];
    const double steady[3] = {100, 101, 99.5}, noisy[3] = {100, 108, 95};
    make_result(&r, &f1, "bench_x", steady);
    assert_false(bg__noisy(NULL, &r, why, sizeof why));
    make_result(&r, &f1, "bench_x", noisy);
    assert_true(bg__noisy(NULL, &r, why, sizeof why));
    assert_non_null(strstr(why, "bench_x varies"));
    assert_non_null(strstr(why, "between processes"));
    /* A crashed or single-process result is never called noisy. */
    r.status = BG_STATUS_CRASHED;
    assert_false(bg__noisy(NULL, &r, why, sizeof why));

    /* Steady processes but the precision target missed with processes free
     * to grow: noisy; with --quick or a fixed count of processes: not. */
    bg_config c;
    bg__config_default(&c);
    make_result(&r, &f1, "bench_x", steady);
    r.has_summary = true;
    r.wall.est[BG_STAT_MEAN] = (bg_estimate){.point = 100, .lo = 97, .hi = 103};
    assert_true(bg__noisy(&c, &r, why, sizeof why));
    assert_non_null(strstr(why, "reached only"));
    /* A half-width just above the target never reads as equal to it. */
    c.target = 0.01;
    r.wall.est[BG_STAT_MEAN] = (bg_estimate){.point = 100, .lo = 98.96, .hi = 101.04};
    assert_true(bg__noisy(&c, &r, why, sizeof why));
    assert_non_null(strstr(why, "\u00b11.04 % (target \u00b11.00 %)"));
    r.wall.est[BG_STAT_MEAN] = (bg_estimate){.point = 100, .lo = 97, .hi = 103};
    c.quick = true;
    assert_false(bg__noisy(&c, &r, why, sizeof why));
    c.quick = false;
    c.min_procs = c.max_procs = 3;
    assert_false(bg__noisy(&c, &r, why, sizeof why));

    /* A run: the first noisy result and how many more. */
    bg_result rs[2];
    make_result(&rs[0], &f1, "bench_x", steady);
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    run.results = rs;
    run.nresults = 1;
    assert_false(bg__run_noisy(&run, why, sizeof why));
    make_result(&rs[1], &f2, "bench_y", noisy);
    run.nresults = 2;
    assert_true(bg__run_noisy(&run, why, sizeof why));
    assert_non_null(strstr(why, "bench_y varies"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_noisy_machine, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_json_output, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_quiet_machine, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_mismatches, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_empty_tree, make_root, remove_root),
        cmocka_unit_test(test_real_machine),
        cmocka_unit_test(test_noisy_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
