/* The GPU's clocks, temperature and throttling from NVML
 * (libnvidia-ml.so.1, loaded at run time like CUPTI; the only file that
 * touches NVML): the `nvml` counter group, which records the GPU's state at
 * the start and end of each benchmark process and flags each sample taken
 * while the GPU was throttled, and the read-only state `benchgate doctor`
 * prints.
 *
 * NVML needs no CUDA context and does not break fork(): each open()
 * initialises it and close() shuts it down, so the parent's probe leaves
 * nothing behind for the benchmark processes. Nothing here changes a
 * setting of the GPU.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchgate.h"
#include "bg_counters.h"
#include "bg_nvml.h"

/* ---- the NVML ABI used (nvml.h, declared here so no header is needed) ---- */

enum {
    NVML_SUCCESS = 0,
    NVML_CLOCK_SM = 1,
    NVML_CLOCK_MEM = 2,
    NVML_TEMPERATURE_GPU = 0,
    NVML_DEVICE_NAME_BUFFER = 96
};

typedef void *nvml_device;

static struct {
    void *lib;
    char path[256];
    int (*init)(void);
    int (*shutdown)(void);
    const char *(*error_string)(int rc);
    int (*count)(unsigned *n);
    int (*handle)(unsigned index, nvml_device *dev);
    int (*name)(nvml_device dev, char *name, unsigned len);
    int (*clock)(nvml_device dev, int type, unsigned *mhz);
    int (*max_clock)(nvml_device dev, int type, unsigned *mhz);
    int (*temperature)(nvml_device dev, int sensor, unsigned *c);
    int (*reasons)(nvml_device dev, unsigned long long *bits);
    int (*persistence)(nvml_device dev, int *mode);
} g_nv;


static void nv_error(char *why, size_t len, const char *call, int rc)
{
    const char *t = g_nv.error_string ? g_nv.error_string(rc) : NULL;
    if (t)
        snprintf(why, len, "%s: %s", call, t);
    else
        snprintf(why, len, "%s: NVML error %d", call, rc);
}

/* Loads libnvidia-ml.so.1 ($BENCHGATE_NVML names another file: tests). */
static int load(char *why, size_t len)
{
    if (g_nv.lib)
        return 0;
    const char *env = getenv("BENCHGATE_NVML");
    const char *path = env && *env ? env : "libnvidia-ml.so.1";
    struct stat st;
    if (env && *env && stat(env, &st) != 0) {
        snprintf(why, len, "BENCHGATE_NVML: %.200s: no such file", env);
        return BG_EUNAVAIL;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (env && *env) {
            const char *e = dlerror();
            snprintf(why, len, "BENCHGATE_NVML: %.250s", e ? e : env);
        } else {
            snprintf(why, len, "libnvidia-ml.so.1 not found: no NVIDIA driver");
        }
        return BG_EUNAVAIL;
    }
    (void)SYM(h, "nvmlErrorString", g_nv.error_string);
    (void)SYM(h, "nvmlDeviceGetMaxClockInfo", g_nv.max_clock);
    (void)SYM(h, "nvmlDeviceGetPersistenceMode", g_nv.persistence);
    (void)SYM(h, "nvmlDeviceGetName", g_nv.name);
    /* Renamed "clocks event reasons" in NVML 12.2; the old name remains. */
    if (!SYM(h, "nvmlDeviceGetCurrentClocksEventReasons", g_nv.reasons))
        (void)SYM(h, "nvmlDeviceGetCurrentClocksThrottleReasons", g_nv.reasons);
    const char *missing = !SYM(h, "nvmlInit_v2", g_nv.init)                     ? "nvmlInit_v2"
                          : !SYM(h, "nvmlShutdown", g_nv.shutdown)              ? "nvmlShutdown"
                          : !SYM(h, "nvmlDeviceGetCount_v2", g_nv.count)        ? "nvmlDeviceGetCount_v2"
                          : !SYM(h, "nvmlDeviceGetHandleByIndex_v2", g_nv.handle)
                              ? "nvmlDeviceGetHandleByIndex_v2"
                          : !SYM(h, "nvmlDeviceGetClockInfo", g_nv.clock) ? "nvmlDeviceGetClockInfo"
                          : !SYM(h, "nvmlDeviceGetTemperature", g_nv.temperature)
                              ? "nvmlDeviceGetTemperature"
                          : !g_nv.reasons ? "nvmlDeviceGetCurrentClocksThrottleReasons"
                                          : NULL;
    if (missing) {
        snprintf(why, len, "%.150s has no %s (NVML older than driver 410?)", path, missing);
        dlclose(h);
        memset(&g_nv, 0, sizeof g_nv);
        return BG_EUNAVAIL;
    }
    snprintf(g_nv.path, sizeof g_nv.path, "%.250s", path);
    g_nv.lib = h;
    return 0;
}

/* Initialises NVML and returns how many GPUs it sees (0 on failure, with
 * why set). Pair with nvml_end. */
static unsigned nvml_begin(char *why, size_t len)
{
    if (load(why, len) != 0)
        return 0;
    int rc = g_nv.init();
    if (rc != NVML_SUCCESS) {
        nv_error(why, len, "nvmlInit", rc);
        return 0;
    }
    unsigned n = 0;
    rc = g_nv.count(&n);
    if (rc != NVML_SUCCESS || n == 0) {
        if (rc != NVML_SUCCESS)
            nv_error(why, len, "nvmlDeviceGetCount", rc);
        else
            snprintf(why, len, "NVML sees no GPU");
        g_nv.shutdown();
        return 0;
    }
    return n;
}

static void nvml_end(void)
{
    g_nv.shutdown();
}

/* Fills *s from GPU `dev`: 0, or BG_EUNAVAIL with why set (a reading the
 * GPU does not support is left NAN; the throttle reasons must be read). */
static int read_state(nvml_device dev, bg_nvml_state *s, char *why, size_t len)
{
    memset(s, 0, sizeof *s);
    s->sm_mhz = s->mem_mhz = s->sm_max_mhz = s->mem_max_mhz = s->temp_c = NAN;
    s->persistence = -1;
    unsigned v = 0;
    if (g_nv.name && g_nv.name(dev, s->name, sizeof s->name) != NVML_SUCCESS)
        s->name[0] = '\0';
    if (g_nv.clock(dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS)
        s->sm_mhz = v;
    if (g_nv.clock(dev, NVML_CLOCK_MEM, &v) == NVML_SUCCESS)
        s->mem_mhz = v;
    if (g_nv.max_clock && g_nv.max_clock(dev, NVML_CLOCK_SM, &v) == NVML_SUCCESS)
        s->sm_max_mhz = v;
    if (g_nv.max_clock && g_nv.max_clock(dev, NVML_CLOCK_MEM, &v) == NVML_SUCCESS)
        s->mem_max_mhz = v;
    if (g_nv.temperature(dev, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS)
        s->temp_c = v;
    int mode = 0;
    if (g_nv.persistence && g_nv.persistence(dev, &mode) == NVML_SUCCESS)
        s->persistence = mode != 0;
    unsigned long long bits = 0;
    int rc = g_nv.reasons(dev, &bits);
    if (rc != NVML_SUCCESS) {
        nv_error(why, len, "nvmlDeviceGetCurrentClocksThrottleReasons", rc);
        return BG_EUNAVAIL;
    }
    s->reasons = bits;
    return 0;
}

/* ---- throttle reasons ---- */

static const struct {
    unsigned long long bit;
    const char *name;
} g_reasons[] = {
    {BG_NVML_REASON_IDLE, "idle"},
    {BG_NVML_REASON_APP_CLOCKS, "applications clocks setting"},
    {BG_NVML_REASON_SW_POWER_CAP, "software power cap"},
    {BG_NVML_REASON_HW_SLOWDOWN, "hardware slowdown"},
    {BG_NVML_REASON_SYNC_BOOST, "sync boost"},
    {BG_NVML_REASON_SW_THERMAL, "software thermal slowdown"},
    {BG_NVML_REASON_HW_THERMAL, "hardware thermal slowdown"},
    {BG_NVML_REASON_HW_POWER_BRAKE, "hardware power brake"},
    {BG_NVML_REASON_DISPLAY_CLOCKS, "display clock setting"},
};

bool bg__nvml_throttled(unsigned long long reasons)
{
    return (reasons & BG_NVML_THROTTLE_MASK) != 0;
}

void bg__nvml_reasons_text(unsigned long long reasons, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof g_reasons / sizeof g_reasons[0]; i++) {
        if (!(reasons & g_reasons[i].bit))
            continue;
        int n = snprintf(buf + used, len > used ? len - used : 0, "%s%s", used ? ", " : "",
                         g_reasons[i].name);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, len, "none");
}

/* ---- for the doctor ---- */

size_t bg__nvml_read_all(bg_nvml_state *out, size_t max, char *why, size_t len)
{
    unsigned n = nvml_begin(why, len);
    size_t k = 0;
    for (unsigned i = 0; i < n && k < max; i++) {
        nvml_device dev = NULL;
        int rc = g_nv.handle(i, &dev);
        if (rc != NVML_SUCCESS) {
            nv_error(why, len, "nvmlDeviceGetHandleByIndex", rc);
            continue;
        }
        if (read_state(dev, &out[k], why, len) == 0)
            k++;
    }
    if (n)
        nvml_end();
    return k;
}

/* ---- the counter group ---- */

static struct {
    bool open;
    nvml_device dev;
    bg_nvml_state start;
    unsigned long long at_begin; /* reasons at the sample's begin */
    bool begin_ok;
} g_grp;

/* The GPU this process's CUDA device 0 most likely is: the first index in
 * CUDA_VISIBLE_DEVICES when that starts with a number, else NVML's 0. */
static unsigned device_index(void)
{
    const char *v = getenv("CUDA_VISIBLE_DEVICES");
    if (v && *v >= '0' && *v <= '9')
        return (unsigned)strtoul(v, NULL, 10);
    return 0;
}

static int nvml_open(char *why, size_t len)
{
    unsigned n = nvml_begin(why, len);
    if (n == 0)
        return BG_EUNAVAIL;
    unsigned idx = device_index();
    int rc = idx < n ? g_nv.handle(idx, &g_grp.dev) : -1;
    if (rc != NVML_SUCCESS) {
        if (rc == -1)
            snprintf(why, len, "CUDA_VISIBLE_DEVICES names GPU %u; NVML sees %u", idx, n);
        else
            nv_error(why, len, "nvmlDeviceGetHandleByIndex", rc);
        nvml_end();
        return BG_EUNAVAIL;
    }
    if (read_state(g_grp.dev, &g_grp.start, why, len) != 0) {
        nvml_end();
        return BG_EUNAVAIL;
    }
    g_grp.open = true;
    return 0;
}

static void nvml_sample_begin(void)
{
    if (g_grp.open)
        g_grp.begin_ok = g_nv.reasons(g_grp.dev, &g_grp.at_begin) == NVML_SUCCESS;
}

/* gpu_throttled: 1 when a slowdown reason was active as the sample began
 * or ended, 0 when none was, NAN when either could not be read. */
static void nvml_sample_end(double *v)
{
    unsigned long long at_end = 0;
    if (!g_grp.open || !g_grp.begin_ok || g_nv.reasons(g_grp.dev, &at_end) != NVML_SUCCESS) {
        v[0] = NAN;
        return;
    }
    v[0] = bg__nvml_throttled(g_grp.at_begin | at_end) ? 1 : 0;
}

static void nvml_close(void)
{
    if (!g_grp.open)
        return;
    nvml_end();
    memset(&g_grp, 0, sizeof g_grp);
}

static void state_row(bg_activity *a, int kind, const bg_nvml_state *s)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    snprintf(a->name, sizeof a->name, "%s", s->name);
    a->v[BG_ACT_SM_MHZ] = s->sm_mhz;
    a->v[BG_ACT_MEM_MHZ] = s->mem_mhz;
    a->v[BG_ACT_TEMP_C] = s->temp_c;
    a->v[BG_ACT_REASONS] = (double)s->reasons;
}

/* The state read at open (the start of the process) and now (its end). */
static size_t nvml_activity(bg_activity *out, size_t max)
{
    if (!g_grp.open || max < 2)
        return 0;
    bg_nvml_state end;
    char why[200];
    state_row(&out[0], BG_ACT_GPU_START, &g_grp.start);
    if (read_state(g_grp.dev, &end, why, sizeof why) != 0)
        return 1;
    state_row(&out[1], BG_ACT_GPU_END, &end);
    return 2;
}

static const char *const nvml_names[] = {"gpu_throttled"};
static const char *const nvml_units[] = {""};

const bg_counter_group bg__nvml_group = {
    .name = "nvml",
    .ncounters = 1,
    .names = nvml_names,
    .units = nvml_units,
    .open = nvml_open,
    .begin = nvml_sample_begin,
    .end = nvml_sample_end,
    .close = nvml_close,
    .failure = NULL,
    .activity = nvml_activity,
};
