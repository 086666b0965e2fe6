/* The machine doctor: inspects /proc, /sys and the clocks for what makes
 * benchmarks noisy and says how to fix each; and the noisy-result test the
 * bench binary uses to point at it. */
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_doctor.h"
#include "bg_nvml.h"
#include "bg_harness.h"

#define MAX_CPUS 1024
#define MAX_BUSY 5

/* A process using more than this share of one CPU during the check is
 * "busy": 10 % is well above a daemon's background ticking and well below
 * anything that competes with a benchmark for a core. */
#define BUSY_SHARE 0.10
/* An SMT sibling above this share slows the thread beside it measurably. */
#define SIBLING_BUSY 0.25
/* Steal above 1 % of the CPU time means the host is overcommitted. */
#define STEAL_WARN 0.01

const char *bg__doc_level_name(bg_doc_level l)
{
    switch (l) {
    case BG_DOC_OK: return "ok";
    case BG_DOC_NOTE: return "note";
    case BG_DOC_WARN: return "warn";
    case BG_DOC_UNKNOWN: return "unknown";
    }
    return "unknown";
}

void bg__doctor_opts_default(bg_doctor_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sample_ms = 300;
    o->measure_timer = true;
}

/* ---- reading the tree ---- */

typedef struct ctx {
    const bg_doctor_opts *o;
    bg_doctor_report *r;
} ctx;

static void path_of(const ctx *x, const char *path, char *out, size_t n)
{
    const char *root = x->o->root && x->o->root[0] ? x->o->root : "";
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    snprintf(out, n, "%.*s%s", (int)rl, root, path);
}

/* Reads a whole small file under the root into buf, trailing whitespace
 * trimmed. Returns 0, or -1 when it cannot be read. */
static int read_text(const ctx *x, const char *path, char *buf, size_t n)
{
    char full[4096];
    path_of(x, path, full, sizeof full);
    FILE *f = fopen(full, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[len] = '\0';
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        buf[--len] = '\0';
    return 0;
}

static void add(ctx *x, const char *check, bg_doc_level level, bool root, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(ctx *x, const char *check, bg_doc_level level, bool root, const char *fix,
                const char *fmt, ...)
{
    if (x->r->n >= BG_DOCTOR_MAX)
        return;
    bg_finding *f = &x->r->f[x->r->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->check, sizeof f->check, "%s", check);
    f->level = level;
    f->needs_root = root && fix && fix[0];
    snprintf(f->fix, sizeof f->fix, "%s", fix ? fix : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->found, sizeof f->found, fmt, ap);
    va_end(ap);
}

/* Parses a kernel CPU list ("0-3,8,10-11") into set[]; returns the count. */
static int parse_cpulist(const char *s, bool set[MAX_CPUS])
{
    memset(set, 0, MAX_CPUS * sizeof set[0]);
    int count = 0;
    while (s && *s) {
        char *end;
        long a = strtol(s, &end, 10);
        if (end == s)
            break;
        long b = a;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s)
                break;
        }
        for (long i = a; i <= b && i < MAX_CPUS; i++)
            if (i >= 0 && !set[i]) {
                set[i] = true;
                count++;
            }
        s = end;
        while (*s == ',' || isspace((unsigned char)*s))
            s++;
    }
    return count;
}

/* Formats set[] back into a compact list ("0-3,8"). */
static void format_cpulist(const bool set[MAX_CPUS], char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < MAX_CPUS; i++) {
        if (!set[i])
            continue;
        int j = i;
        while (j + 1 < MAX_CPUS && set[j + 1])
            j++;
        int w = j > i ? snprintf(out + len, n - len, "%s%d-%d", len ? "," : "", i, j)
                      : snprintf(out + len, n - len, "%s%d", len ? "," : "", i);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
        i = j;
    }
}

/* The online CPUs: /sys/devices/system/cpu/online, else the cpuN lines of
 * /proc/stat. Returns the count (at least 1). */
static int online_cpus(const ctx *x, bool set[MAX_CPUS])
{
    char buf[4096];
    if (read_text(x, "/sys/devices/system/cpu/online", buf, sizeof buf) == 0) {
        int n = parse_cpulist(buf, set);
        if (n > 0)
            return n;
    }
    memset(set, 0, MAX_CPUS * sizeof set[0]);
    int n = 0;
    char full[4096];
    path_of(x, "/proc/stat", full, sizeof full);
    FILE *f = fopen(full, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        int cpu;
        if (sscanf(line, "cpu%d ", &cpu) == 1 && cpu >= 0 && cpu < MAX_CPUS && !set[cpu]) {
            set[cpu] = true;
            n++;
        }
    }
    if (f)
        fclose(f);
    if (n == 0) {
        set[0] = true;
        n = 1;
    }
    return n;
}

/* ---- /proc/stat and /proc/<pid>/stat samples ---- */

typedef struct cpu_times {
    bool have;
    double total, idle, steal; /* jiffies */
} cpu_times;

typedef struct proc_sample {
    int pid;
    double ticks; /* utime + stime */
    unsigned uid;
    char comm[64];
} proc_sample;

typedef struct snapshot {
    cpu_times all;
    cpu_times cpu[MAX_CPUS];
    proc_sample *procs;
    size_t nprocs, cap;
} snapshot;

static void parse_cpu_line(const char *line, cpu_times *t)
{
    /* user nice system idle iowait irq softirq steal (guest time is
     * already counted in user) */
    double v[8] = {0};
    const char *p = strchr(line, ' ');
    int k = 0;
    while (p && k < 8) {
        char *end;
        double d = strtod(p, &end);
        if (end == p)
            break;
        v[k++] = d;
        p = end;
    }
    if (k < 4)
        return;
    t->have = true;
    t->total = 0;
    for (int i = 0; i < k; i++)
        t->total += v[i];
    t->idle = v[3] + v[4];
    t->steal = v[7];
}

static void read_proc_stat(const ctx *x, snapshot *s)
{
    char full[4096];
    path_of(x, "/proc/stat", full, sizeof full);
    FILE *f = fopen(full, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        int cpu;
        if (!strncmp(line, "cpu ", 4))
            parse_cpu_line(line, &s->all);
        else if (sscanf(line, "cpu%d ", &cpu) == 1 && cpu >= 0 && cpu < MAX_CPUS)
            parse_cpu_line(line, &s->cpu[cpu]);
    }
    fclose(f);
}

/* Reads /proc/<pid>/stat: the command name sits in parentheses and may hold
 * spaces or ')', so the fields are counted from the last ')'. */
static int read_pid(const ctx *x, int pid, proc_sample *p)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_text(x, path, buf, sizeof buf) != 0)
        return -1;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return -1;
    memset(p, 0, sizeof *p);
    p->pid = pid;
    snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close - open - 1), open + 1);
    /* After ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15). */
    char *q = close + 1;
    double utime = 0, stime = 0;
    for (int field = 3; field <= 15 && *q; field++) {
        while (*q == ' ')
            q++;
        char *end;
        double v = strtod(q, &end);
        if (field == 14)
            utime = v;
        if (field == 15)
            stime = v;
        while (*q && *q != ' ')
            q++;
    }
    p->ticks = utime + stime;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    char st[4096];
    if (read_text(x, path, st, sizeof st) == 0) {
        const char *u = strstr(st, "\nUid:");
        if (u)
            p->uid = (unsigned)strtoul(u + 5, NULL, 10);
    }
    return 0;
}

static void read_procs(const ctx *x, snapshot *s)
{
    char full[4096];
    path_of(x, "/proc", full, sizeof full);
    DIR *d = opendir(full);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        int pid = atoi(e->d_name);
        if (s->nprocs == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 256;
            proc_sample *np = realloc(s->procs, nc * sizeof *np);
            if (!np)
                break;
            s->procs = np;
            s->cap = nc;
        }
        if (read_pid(x, pid, &s->procs[s->nprocs]) == 0)
            s->nprocs++;
    }
    closedir(d);
}

static void take_snapshot(const ctx *x, snapshot *s)
{
    read_proc_stat(x, s);
    read_procs(x, s);
}

static const proc_sample *find_pid(const snapshot *s, int pid)
{
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

/* ---- the checks ---- */

static void check_governor(ctx *x, const bool online[MAX_CPUS])
{
    bool slow[MAX_CPUS] = {false};
    char gov[64] = "", buf[64];
    int seen = 0, nslow = 0;
    for (int i = 0; i < MAX_CPUS; i++) {
        if (!online[i])
            continue;
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i);
        if (read_text(x, path, buf, sizeof buf) != 0)
            continue;
        seen++;
        if (strcmp(buf, "performance") != 0) {
            slow[i] = true;
            nslow++;
            snprintf(gov, sizeof gov, "%s", buf);
        }
    }
    if (seen == 0) {
        add(x, "governor", BG_DOC_NOTE, false, "",
            "no cpufreq interface: the kernel does not expose frequency scaling here (typical "
            "in a virtual machine; the host sets the frequency)");
        return;
    }
    if (nslow == 0) {
        add(x, "governor", BG_DOC_OK, false, "", "every CPU uses the performance governor");
        return;
    }
    char list[256];
    format_cpulist(slow, list, sizeof list);
    add(x, "governor", BG_DOC_WARN, true,
        "echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
        "CPU frequency governor is '%s' on CPU %s: the clock speed changes with load, so "
        "timings drift", gov, list);
}

static void check_boost(ctx *x)
{
    char buf[64];
    if (read_text(x, "/sys/devices/system/cpu/intel_pstate/no_turbo", buf, sizeof buf) == 0) {
        if (!strcmp(buf, "0"))
            add(x, "boost", BG_DOC_WARN, true,
                "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo",
                "Turbo Boost is on (intel_pstate/no_turbo = 0): the clock depends on "
                "temperature and on how many cores are busy");
        else
            add(x, "boost", BG_DOC_OK, false, "", "Turbo Boost is off (intel_pstate/no_turbo = %s)",
                buf);
        return;
    }
    if (read_text(x, "/sys/devices/system/cpu/cpufreq/boost", buf, sizeof buf) == 0) {
        if (!strcmp(buf, "1"))
            add(x, "boost", BG_DOC_WARN, true,
                "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost",
                "frequency boost is on (cpufreq/boost = 1): the clock depends on temperature "
                "and on how many cores are busy");
        else
            add(x, "boost", BG_DOC_OK, false, "", "frequency boost is off (cpufreq/boost = %s)", buf);
        return;
    }
    add(x, "boost", BG_DOC_NOTE, false, "",
        "no boost control exposed (neither intel_pstate/no_turbo nor cpufreq/boost); in a "
        "virtual machine the host decides");
}

/* Share of CPU i that was busy between the snapshots, or -1. */
static double cpu_busy(const snapshot *a, const snapshot *b, int i)
{
    const cpu_times *p = &a->cpu[i], *q = &b->cpu[i];
    if (!p->have || !q->have || q->total <= p->total)
        return -1;
    double dt = q->total - p->total;
    return 1.0 - (q->idle - p->idle) / dt;
}

static void check_smt(ctx *x, const bool online[MAX_CPUS], const snapshot *a, const snapshot *b)
{
    char buf[256];
    bool pairs_found = false;
    int busy_cpu = -1, quiet_cpu = -1;
    double busy_share = 0;
    char group[256] = "";
    for (int i = 0; i < MAX_CPUS; i++) {
        if (!online[i])
            continue;
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
                 i);
        if (read_text(x, path, buf, sizeof buf) != 0)
            continue;
        bool sib[MAX_CPUS];
        if (parse_cpulist(buf, sib) < 2)
            continue;
        if (!pairs_found)
            snprintf(group, sizeof group, "%s", buf);
        pairs_found = true;
        for (int j = 0; j < MAX_CPUS; j++) {
            if (!sib[j] || j == i)
                continue;
            double s = cpu_busy(a, b, j);
            if (s > SIBLING_BUSY && s > busy_share) {
                busy_share = s;
                busy_cpu = j;
                quiet_cpu = i;
            }
        }
    }
    char smt_state[64] = "";
    read_text(x, "/sys/devices/system/cpu/smt/control", smt_state, sizeof smt_state);
    if (!pairs_found) {
        add(x, "smt", BG_DOC_OK, false, "", "no SMT (hyper-threading) siblings: each CPU is a core%s%s%s",
            smt_state[0] ? " (smt/control = " : "", smt_state, smt_state[0] ? ")" : "");
        return;
    }
    const char *fix_off = "echo off | sudo tee /sys/devices/system/cpu/smt/control";
    if (busy_cpu >= 0) {
        char fix[256];
        snprintf(fix, sizeof fix, "%s  (or leave CPU %d's sibling idle and pin: taskset -c %d <bench>)",
                 fix_off, quiet_cpu, quiet_cpu);
        add(x, "smt", BG_DOC_WARN, true, fix,
            "SMT siblings busy: CPU %d shares a core with CPU %d, which was %.0f %% busy; a "
            "benchmark on CPU %d runs slower while it is",
            quiet_cpu, busy_cpu, 100 * busy_share, quiet_cpu);
        return;
    }
    add(x, "smt", BG_DOC_NOTE, true, fix_off,
        "SMT is on (CPUs %s share a core) but the siblings were idle during the check; a busy "
        "sibling would slow a benchmark", group);
}

static void check_aslr(ctx *x)
{
    char buf[32];
    if (read_text(x, "/proc/sys/kernel/randomize_va_space", buf, sizeof buf) != 0) {
        add(x, "aslr", BG_DOC_UNKNOWN, false, "", "cannot read /proc/sys/kernel/randomize_va_space");
        return;
    }
    if (!strcmp(buf, "0")) {
        add(x, "aslr", BG_DOC_OK, false, "",
            "ASLR is off (randomize_va_space = 0): layout changes come only from benchgate's "
            "own variation between processes");
        return;
    }
    add(x, "aslr", BG_DOC_NOTE, true,
        "echo 0 | sudo tee /proc/sys/kernel/randomize_va_space  (lowers security; for one "
        "command only, without root: setarch $(uname -m) -R <bench>)",
        "ASLR is on (randomize_va_space = %s): every process gets a different memory layout; "
        "benchgate averages over processes, so this widens intervals but does not bias them",
        buf);
}

static void check_perf(ctx *x)
{
    char buf[32];
    if (read_text(x, "/proc/sys/kernel/perf_event_paranoid", buf, sizeof buf) != 0) {
        add(x, "perf", BG_DOC_UNKNOWN, false, "",
            "cannot read /proc/sys/kernel/perf_event_paranoid (no perf events in this kernel?)");
        return;
    }
    long v = strtol(buf, NULL, 10);
    if (v <= 2) {
        add(x, "perf", BG_DOC_OK, false, "",
            "perf_event_paranoid = %ld: a process may count its own events (when the CPU or "
            "virtual machine exposes hardware counters)", v);
        return;
    }
    add(x, "perf", BG_DOC_WARN, true, "echo 2 | sudo tee /proc/sys/kernel/perf_event_paranoid",
        "perf_event_paranoid = %ld: unprivileged processes cannot count instructions, so the "
        "deterministic counter mode is unavailable", v);
}

static void check_load(ctx *x, int ncpu)
{
    char buf[128];
    if (read_text(x, "/proc/loadavg", buf, sizeof buf) != 0) {
        add(x, "load", BG_DOC_UNKNOWN, false, "", "cannot read /proc/loadavg");
        return;
    }
    double l1 = 0, l5 = 0, l15 = 0;
    char running[32] = "?";
    sscanf(buf, "%lf %lf %lf %31s", &l1, &l5, &l15, running);
    char *slash = strchr(running, '/');
    if (slash)
        *slash = '\0';
    /* More than half the CPUs busy on average: neighbours share caches,
     * memory bandwidth and often the benchmark's own core. */
    if (l1 > 0.5 * ncpu)
        add(x, "load", BG_DOC_WARN, false,
            "wait until the machine is idle, or stop what runs (see 'busy' below)",
            "load average %.2f (1 min), %.2f (5 min) on %d CPU%s, %s runnable now: other work "
            "competes with the benchmarks", l1, l5, ncpu, ncpu == 1 ? "" : "s", running);
    else
        add(x, "load", BG_DOC_OK, false, "", "load average %.2f (1 min) on %d CPU%s", l1, ncpu,
            ncpu == 1 ? "" : "s");
}

static int cmp_share_desc(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return (x < y) - (x > y);
}

static void check_busy(ctx *x, int ncpu, const snapshot *a, const snapshot *b)
{
    if (!a->all.have || !b->all.have || b->all.total <= a->all.total) {
        add(x, "busy", BG_DOC_UNKNOWN, false, "", "cannot sample /proc/stat twice");
        return;
    }
    /* Jiffies that passed per CPU: the time base for the per-process shares. */
    double per_cpu = (b->all.total - a->all.total) / ncpu;
    pid_t self = x->o->self ? x->o->self : getpid();
    double top[MAX_BUSY][2]; /* share, index into b->procs */
    size_t ntop = 0;
    for (size_t i = 0; i < b->nprocs; i++) {
        const proc_sample *q = &b->procs[i];
        if (q->pid == self)
            continue;
        const proc_sample *p = find_pid(a, q->pid);
        double share = (q->ticks - (p ? p->ticks : q->ticks)) / per_cpu;
        if (share < BUSY_SHARE)
            continue;
        if (ntop < MAX_BUSY) {
            top[ntop][0] = share;
            top[ntop][1] = (double)i;
            ntop++;
        } else if (share > top[MAX_BUSY - 1][0]) {
            top[MAX_BUSY - 1][0] = share;
            top[MAX_BUSY - 1][1] = (double)i;
        } else {
            continue;
        }
        qsort(top, ntop, sizeof top[0], cmp_share_desc);
    }
    if (ntop == 0) {
        add(x, "busy", BG_DOC_OK, false, "", "no other process used more than %.0f %% of a CPU",
            100 * BUSY_SHARE);
        return;
    }
    char found[320] = "busy processes:", fix[512] = "stop them while benchmarking: kill -STOP";
    bool other_user = false;
    size_t fl = strlen(found), xl = strlen(fix);
    for (size_t k = 0; k < ntop; k++) {
        const proc_sample *q = &b->procs[(size_t)top[k][1]];
        int w = snprintf(found + fl, sizeof found - fl, "%s %s (pid %d, %.0f %% of a CPU)",
                         k ? "," : "", q->comm, q->pid, 100 * top[k][0]);
        if (w > 0 && (size_t)w < sizeof found - fl)
            fl += (size_t)w;
        w = snprintf(fix + xl, sizeof fix - xl, " %d", q->pid);
        if (w > 0 && (size_t)w < sizeof fix - xl)
            xl += (size_t)w;
        if (q->uid != (unsigned)getuid())
            other_user = true;
    }
    snprintf(fix + xl, sizeof fix - xl, ", and kill -CONT the same pids afterwards");
    add(x, "busy", BG_DOC_WARN, other_user, fix, "%s", found);
}

static void check_virt(ctx *x, const snapshot *a, const snapshot *b)
{
    char full[4096], line[4096];
    path_of(x, "/proc/cpuinfo", full, sizeof full);
    FILE *f = fopen(full, "r");
    bool hyper = false, have = false;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        have = true;
        /* The flag as a whole word: " hypervisor" then space or end. */
        for (char *p = strstr(line, "hypervisor"); p; p = strstr(p + 1, "hypervisor"))
            if ((p == line || p[-1] == ' ') && (p[10] == ' ' || p[10] == '\n' || p[10] == '\0'))
                hyper = true;
        break;
    }
    if (f)
        fclose(f);
    if (!have)
        add(x, "virtualization", BG_DOC_UNKNOWN, false, "", "no CPU flags in /proc/cpuinfo");
    else if (hyper)
        add(x, "virtualization", BG_DOC_NOTE, false,
            "benchmark on bare metal or on dedicated (pinned, not overcommitted) vCPUs; compare "
            "two builds with 'benchgate ab', which interleaves them so drift cancels",
            "running in a virtual machine (hypervisor flag in /proc/cpuinfo): other guests share "
            "the host's cores, caches and memory bandwidth");
    else
        add(x, "virtualization", BG_DOC_OK, false, "", "bare metal (no hypervisor flag)");

    if (!a->all.have || !b->all.have || b->all.total <= a->all.total) {
        add(x, "steal", BG_DOC_UNKNOWN, false, "", "cannot sample /proc/stat twice");
        return;
    }
    double steal = (b->all.steal - a->all.steal) / (b->all.total - a->all.total);
    if (steal > STEAL_WARN)
        add(x, "steal", BG_DOC_WARN, false,
            "ask for dedicated vCPUs (no overcommit) or benchmark on bare metal",
            "steal time %.1f %%: the hypervisor ran other guests on this machine's CPUs during "
            "the check", 100 * steal);
    else
        add(x, "steal", BG_DOC_OK, false, "", "steal time %.1f %% during the check", 100 * steal);
}

/* Value of `key=` in the kernel command line, or "" (copied into out). */
static void cmdline_value(const char *cmdline, const char *key, char *out, size_t n)
{
    out[0] = '\0';
    size_t kl = strlen(key);
    for (const char *p = cmdline; (p = strstr(p, key)); p += kl) {
        if ((p != cmdline && p[-1] != ' ') || p[kl] != '=')
            continue;
        size_t len = strcspn(p + kl + 1, " \n");
        snprintf(out, n, "%.*s", (int)len, p + kl + 1);
        return;
    }
}

static void check_isolation(ctx *x, const bool online[MAX_CPUS])
{
    char iso[256] = "", cmdline[4096] = "", arg[256], nohz[256];
    int have_iso = read_text(x, "/sys/devices/system/cpu/isolated", iso, sizeof iso) == 0;
    read_text(x, "/proc/cmdline", cmdline, sizeof cmdline);
    cmdline_value(cmdline, "isolcpus", arg, sizeof arg);
    cmdline_value(cmdline, "nohz_full", nohz, sizeof nohz);
    bool set[MAX_CPUS];
    if (have_iso && parse_cpulist(iso, set) > 0) {
        char fix[128];
        int first = 0;
        while (first < MAX_CPUS && !set[first])
            first++;
        snprintf(fix, sizeof fix, "taskset -c %d <bench>", first);
        add(x, "isolation", BG_DOC_OK, false, fix,
            "CPU %s isolated from the scheduler (isolcpus%s%s); run benchmarks there", iso,
            nohz[0] ? ", nohz_full=" : "", nohz);
        return;
    }
    int last = 0;
    for (int i = 0; i < MAX_CPUS; i++)
        if (online[i])
            last = i;
    char fix[512];
    snprintf(fix, sizeof fix,
             "add 'isolcpus=%d nohz_full=%d rcu_nocbs=%d' to the kernel command line "
             "(GRUB_CMDLINE_LINUX in /etc/default/grub, then sudo update-grub and reboot), then "
             "run benchmarks with taskset -c %d <bench>",
             last, last, last, last);
    if (arg[0])
        add(x, "isolation", BG_DOC_WARN, true, fix,
            "the kernel command line asks for isolcpus=%s but no CPU is isolated (%s)", arg,
            have_iso ? "/sys/devices/system/cpu/isolated is empty" : "no isolated file");
    else
        add(x, "isolation", BG_DOC_NOTE, true, fix,
            "no CPU is isolated: the scheduler may run other tasks and interrupts on the "
            "benchmark's CPU");
}

static void check_clocksource(ctx *x)
{
    char cur[64], avail[256] = "";
    if (read_text(x, "/sys/devices/system/clocksource/clocksource0/current_clocksource", cur,
                  sizeof cur) != 0) {
        add(x, "clocksource", BG_DOC_UNKNOWN, false, "",
            "cannot read /sys/devices/system/clocksource/clocksource0/current_clocksource");
        return;
    }
    read_text(x, "/sys/devices/system/clocksource/clocksource0/available_clocksource", avail,
              sizeof avail);
    bool tsc_available = false;
    for (char *p = strstr(avail, "tsc"); p; p = strstr(p + 1, "tsc"))
        if ((p == avail || p[-1] == ' ') && (p[3] == ' ' || p[3] == '\0'))
            tsc_available = true;
    if (!strcmp(cur, "tsc")) {
        add(x, "clocksource", BG_DOC_OK, false, "", "clock source is tsc (read in user space, ~20 ns)");
        return;
    }
    /* kvm-clock and arch_sys_counter are read in user space too (vDSO). */
    if (!strcmp(cur, "kvm-clock") || !strcmp(cur, "arch_sys_counter")) {
        add(x, "clocksource", BG_DOC_OK, false, "", "clock source is %s (read in user space)", cur);
        return;
    }
    const char *fix = tsc_available
                          ? "echo tsc | sudo tee /sys/devices/system/clocksource/clocksource0/"
                            "current_clocksource"
                          : "";
    add(x, "clocksource", BG_DOC_WARN, tsc_available, fix,
        "clock source is %s: every clock read may be a system call or a slow device access "
        "(available: %s)%s", cur, avail[0] ? avail : "?",
        tsc_available ? "" : "; no tsc to switch to");
}

static void check_timer(ctx *x)
{
    struct timespec res;
    double getres = clock_getres(CLOCK_MONOTONIC, &res) == 0
                        ? (double)res.tv_sec * 1e9 + (double)res.tv_nsec
                        : NAN;
    if (!x->o->measure_timer) {
        add(x, "timer", isfinite(getres) && getres <= 1000 ? BG_DOC_OK : BG_DOC_WARN, false, "",
            "CLOCK_MONOTONIC resolution %.0f ns (clock_getres)", getres);
        return;
    }
    bg_overhead o;
    memset(&o, 0, sizeof o);
    bg__measure_timer(&o);
    /* A read above 200 ns is a system call per read (hpet, acpi_pm, xen
     * without vDSO); a step above 1 µs hides short samples. */
    bool bad = !(getres <= 1000) || o.resolution_ns > 1000 || o.wall_read_ns > 200;
    add(x, "timer", bad ? BG_DOC_WARN : BG_DOC_OK, false,
        bad ? "switch to a faster clock source (see 'clocksource'); benchgate already sizes "
              "samples to 1000 clock reads"
            : "",
        "CLOCK_MONOTONIC: resolution %.0f ns (clock_getres), smallest step seen %.0f ns, one "
        "read costs %.1f ns", getres, o.resolution_ns, o.wall_read_ns);
}

/* The GPUs NVML sees, read only: clocks, temperature, throttle reasons
 * now, and persistence mode. Without NVML one line says why. */
static void check_gpu(ctx *x)
{
    bg_nvml_state gs[8];
    char why[256] = "";
    size_t n = bg__nvml_read_all(gs, sizeof gs / sizeof gs[0], why, sizeof why);
    if (n == 0) {
        add(x, "gpu", BG_DOC_NOTE, false, "", "unavailable: %s", why[0] ? why : "no GPU");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const bg_nvml_state *g = &gs[i];
        char reasons[200];
        bg__nvml_reasons_text(g->reasons, reasons, sizeof reasons);
        bool throttled = bg__nvml_throttled(g->reasons);
        add(x, "gpu", throttled ? BG_DOC_WARN : BG_DOC_OK, false,
            throttled ? "let the GPU cool or find what caps its power (nvidia-smi -q -d "
                        "PERFORMANCE,TEMPERATURE,POWER); GPU timings taken now are slow"
                      : "",
            "GPU %zu (%s): SM clock %.0f MHz (max %.0f), memory clock %.0f MHz (max %.0f), "
            "%.0f C, clock event reasons: %s%s",
            i, g->name[0] ? g->name : "unknown", g->sm_mhz, g->sm_max_mhz, g->mem_mhz,
            g->mem_max_mhz, g->temp_c, reasons, throttled ? " (throttled)" : "");
        if (g->persistence == 1) {
            add(x, "gpu_persistence", BG_DOC_OK, false, "",
                "GPU %zu: persistence mode is on: the driver stays loaded between processes", i);
            continue;
        }
        char fix[64];
        snprintf(fix, sizeof fix, "sudo nvidia-smi -i %zu -pm 1", i);
        if (g->persistence == 0)
            add(x, "gpu_persistence", BG_DOC_NOTE, true, fix,
                "GPU %zu: persistence mode is off: without a process holding the GPU the driver "
                "unloads, and each benchmark process pays its start (up to seconds) outside the "
                "timed samples",
                i);
        else
            add(x, "gpu_persistence", BG_DOC_UNKNOWN, false, "",
                "GPU %zu: persistence mode cannot be read", i);
    }
}

int bg__doctor_collect(const bg_doctor_opts *o, bg_doctor_report *out)
{
    if (!o || !out)
        return BG_EINVAL;
    memset(out, 0, sizeof *out);
    ctx x = {o, out};
    bool online[MAX_CPUS];
    int ncpu = online_cpus(&x, online);

    snapshot *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return BG_ENOMEM;
    }
    take_snapshot(&x, a);
    if (o->sample_ms > 0) {
        struct timespec ts = {o->sample_ms / 1000, (long)(o->sample_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
    }
    if (o->between)
        o->between(o->ud);
    take_snapshot(&x, b);

    check_governor(&x, online);
    check_boost(&x);
    check_smt(&x, online, a, b);
    check_aslr(&x);
    check_perf(&x);
    check_load(&x, ncpu);
    check_busy(&x, ncpu, a, b);
    check_virt(&x, a, b);
    check_isolation(&x, online);
    check_clocksource(&x);
    check_timer(&x);
    check_gpu(&x);

    free(a->procs);
    free(b->procs);
    free(a);
    free(b);
    return 0;
}

/* ---- output ---- */

static int print_json(FILE *f, const bg_doctor_report *r)
{
    cJSON *root = cJSON_CreateObject();
    if (root)
        cJSON_AddStringToObject(root, "schema", "benchgate.doctor");
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "findings") : NULL;
    if (!arr) {
        cJSON_Delete(root);
        return BG_ENOMEM;
    }
    size_t warn = 0;
    for (size_t i = 0; i < r->n; i++) {
        const bg_finding *g = &r->f[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "check", g->check);
        cJSON_AddStringToObject(o, "status", bg__doc_level_name(g->level));
        cJSON_AddStringToObject(o, "found", g->found);
        if (g->fix[0])
            cJSON_AddStringToObject(o, "fix", g->fix);
        else
            cJSON_AddNullToObject(o, "fix");
        cJSON_AddBoolToObject(o, "needs_root", g->needs_root);
        cJSON_AddItemToArray(arr, o);
        warn += g->level == BG_DOC_WARN;
    }
    cJSON_AddNumberToObject(root, "warnings", (double)warn);
    return bg__json_fprint(f, root);
}

int bg__doctor_print(FILE *f, const bg_doctor_report *r, bool json)
{
    if (json)
        return print_json(f, r);
    size_t warn = 0, note = 0;
    for (size_t i = 0; i < r->n; i++) {
        warn += r->f[i].level == BG_DOC_WARN;
        note += r->f[i].level == BG_DOC_NOTE;
    }
    fprintf(f, "benchgate doctor: %zu checks, %zu to fix, %zu notes\n\n", r->n, warn, note);
    for (size_t i = 0; i < r->n; i++) {
        const bg_finding *g = &r->f[i];
        fprintf(f, "%-7s %-14s %s\n", bg__doc_level_name(g->level), g->check, g->found);
        if (g->fix[0] && g->level != BG_DOC_OK)
            fprintf(f, "%-22s fix%s: %s\n", "", g->needs_root ? " (needs root)" : "", g->fix);
        else if (g->fix[0])
            fprintf(f, "%-22s use: %s\n", "", g->fix);
    }
    if (warn == 0)
        fprintf(f, "\nnothing to fix.\n");
    return 0;
}

int bg__doctor(FILE *out, const char *root, bool json)
{
    bg_doctor_opts o;
    bg__doctor_opts_default(&o);
    o.root = root;
    bg_doctor_report r;
    int rc = bg__doctor_collect(&o, &r);
    if (rc)
        return rc;
    return bg__doctor_print(out, &r, json);
}

/* ---- noisy results ---- */

/* Mean per-iteration wall time of one process. */
static double proc_mean(const bg_proc *p)
{
    double s = 0;
    size_t n = 0;
    for (size_t j = 0; j < p->n; j++)
        if (p->iters[j] > 0) {
            s += p->wall_ns[j] / p->iters[j];
            n++;
        }
    return n ? s / (double)n : NAN;
}

bool bg__noisy(const bg_config *c, const bg_result *r, char *why, size_t n)
{
    if (!r || r->status != BG_STATUS_OK || r->nprocs < 2)
        return false;
    double m[1024];
    size_t k = 0;
    for (size_t i = 0; i < r->nprocs && k < sizeof m / sizeof m[0]; i++) {
        double v = proc_mean(&r->procs[i]);
        if (isfinite(v) && v > 0)
            m[k++] = v;
    }
    if (k >= 2) {
        double mean = bg_stat_mean(m, k);
        double cv = bg_stat_sd(m, k) / mean;
        if (cv > BG_NOISY_CV) {
            if (why && n)
                snprintf(why, n, "%s varies %.1f %% between processes", r->name, 100 * cv);
            return true;
        }
    }
    if (!c || c->quick || c->min_procs >= c->max_procs || !r->has_summary)
        return false;
    const bg_estimate *e = &r->wall.est[c->primary];
    if (!(e->point > 0))
        return false;
    double hw = (e->hi - e->lo) / 2 / e->point;
    if (hw > c->target) {
        /* As many decimals as it takes for the two to differ when printed
         * (a half-width of 1.04 % is not "only +-1.0 % (target +-1.0 %)"). */
        int prec = 1;
        char a[32], t[32];
        for (;; prec++) {
            snprintf(a, sizeof a, "%.*f", prec, 100 * hw);
            snprintf(t, sizeof t, "%.*f", prec, 100 * c->target);
            if (strcmp(a, t) != 0 || prec >= 4)
                break;
        }
        if (why && n)
            snprintf(why, n, "%s reached only \u00b1%s %% (target \u00b1%s %%) with %zu processes", r->name, a, t,
                     r->nprocs);
        return true;
    }
    return false;
}

bool bg__run_noisy(const bg_run *run, char *why, size_t n)
{
    if (!run)
        return false;
    size_t count = 0;
    char first[256] = "";
    for (size_t i = 0; i < run->nresults; i++) {
        char w[256];
        if (bg__noisy(&run->config, &run->results[i], w, sizeof w)) {
            if (!count)
                snprintf(first, sizeof first, "%s", w);
            count++;
        }
    }
    if (count && why && n) {
        if (count == 1)
            snprintf(why, n, "%s", first);
        else
            snprintf(why, n, "%s, and %zu more", first, count - 1);
    }
    return count > 0;
}
