/* GPU counters from CUPTI's activity records, with the CUDA driver and
 * CUPTI loaded at run time (dlopen), so nothing CUDA is needed to build or
 * to run the CPU benchmarks.
 *
 * Opening the group checks, in a short-lived child process, that
 * libcuda.so.1 loads, cuInit succeeds, a device exists and libcupti.so can
 * record; otherwise the group is unavailable and says why. The check runs
 * in a child because CUDA initialised in a process breaks in the processes
 * it forks, and the harness forks every benchmark process. Recording starts
 * in a benchmark process once the benchmark itself has loaded the driver:
 * CUPTI then delivers a record for every kernel, memcpy and memset into
 * buffers we hand it. A sample opens a window at begin(); records of GPU
 * work that started inside it are summed. end() waits for the GPU (after
 * the sample's clock has stopped, so the timing is untouched), flushes
 * CUPTI's buffers and closes the window. Beside the totals, records inside
 * a window are tallied by kernel name (demangled) and by copy direction and
 * size, for the per-kernel breakdown (the group's activity()). With
 * --gpu-flush-l2, begin() also overwrites the GPU's L2 cache before the
 * window opens.
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchgate_cuda.h"
#include "bg_gpu.h"

/* ---- loading symbols ---- */

/* Symbols are looked up with SYM (bg_counters.h). */

/* ---- the CUDA driver ---- */

typedef int (*cu_init_fn)(unsigned flags);
typedef int (*cu_device_count_fn)(int *count);
typedef int (*cu_error_text_fn)(int result, const char **text);
typedef int (*cu_ctx_sync_fn)(void);

static struct {
    void *lib;
    cu_init_fn init;
    cu_device_count_fn device_count;
    cu_error_text_fn error_name, error_string;
    cu_ctx_sync_fn ctx_sync;
    /* For --gpu-flush-l2 only (NULL in a driver without them). */
    int (*ctx_get_current)(void **ctx);
    int (*ctx_get_device)(int *dev);
    int (*device_attribute)(int *value, int attr, int dev);
    int (*mem_alloc)(uint64_t *ptr, size_t bytes);
    int (*mem_free)(uint64_t ptr);
    int (*memset_d8)(uint64_t ptr, unsigned char value, size_t n);
} g_cu;

static int load_driver(char *why, size_t len)
{
    if (g_cu.lib)
        return 0;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, len, "libcuda.so.1 not found: no NVIDIA driver");
        return BG_EUNAVAIL;
    }
    if (!SYM(lib, "cuInit", g_cu.init) || !SYM(lib, "cuDeviceGetCount", g_cu.device_count)) {
        snprintf(why, len, "libcuda.so.1 has no cuInit/cuDeviceGetCount: not a CUDA driver");
        dlclose(lib);
        return BG_EUNAVAIL;
    }
    /* Optional: error names came with CUDA 6, cuCtxSynchronize is only used
     * to make the counters complete. */
    (void)SYM(lib, "cuGetErrorName", g_cu.error_name);
    (void)SYM(lib, "cuGetErrorString", g_cu.error_string);
    (void)SYM(lib, "cuCtxSynchronize", g_cu.ctx_sync);
    (void)SYM(lib, "cuCtxGetCurrent", g_cu.ctx_get_current);
    (void)SYM(lib, "cuCtxGetDevice", g_cu.ctx_get_device);
    (void)SYM(lib, "cuDeviceGetAttribute", g_cu.device_attribute);
    (void)SYM(lib, "cuMemAlloc_v2", g_cu.mem_alloc);
    (void)SYM(lib, "cuMemFree_v2", g_cu.mem_free);
    (void)SYM(lib, "cuMemsetD8_v2", g_cu.memset_d8);
    g_cu.lib = lib;
    return 0;
}

/* "cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)". */
static void cu_error(char *why, size_t len, const char *call, int rc)
{
    const char *name = NULL, *text = NULL;
    if (g_cu.error_name)
        g_cu.error_name(rc, &name);
    if (g_cu.error_string)
        g_cu.error_string(rc, &text);
    if (name && text)
        snprintf(why, len, "%s: %s (%s)", call, name, text);
    else if (name)
        snprintf(why, len, "%s: %s", call, name);
    else
        snprintf(why, len, "%s: CUDA error %d", call, rc);
}

static void activate_for_benchmark(void);
static void gpu_sync(void);

int bg_gpu_check(char *why, size_t len)
{
    char scratch[8];
    if (!why || len == 0) {
        why = scratch;
        len = sizeof scratch;
    }
    int rc = load_driver(why, len);
    if (rc != 0)
        return rc;
    int cr = g_cu.init(0);
    if (cr != BG_CUDA_SUCCESS) {
        cu_error(why, len, "cuInit", cr);
        return BG_EUNAVAIL;
    }
    int n = 0;
    cr = g_cu.device_count(&n);
    if (cr != BG_CUDA_SUCCESS) {
        cu_error(why, len, "cuDeviceGetCount", cr);
        return BG_EUNAVAIL;
    }
    if (n <= 0) {
        snprintf(why, len, "cuDeviceGetCount: no CUDA device");
        return BG_EUNAVAIL;
    }
    activate_for_benchmark();
    return 0;
}

/* ---- GPU time measured by bg_cuda_timer ---- */

static _Atomic uint64_t g_timer_ns;

void bg_gpu_timer_add(uint64_t ns)
{
    atomic_fetch_add_explicit(&g_timer_ns, ns, memory_order_relaxed);
}

/* ---- CUPTI ---- */

typedef void (*cupti_request_fn)(uint8_t **buffer, size_t *size, size_t *max_records);
typedef void (*cupti_complete_fn)(void *ctx, uint32_t stream, uint8_t *buffer, size_t size,
                                  size_t valid);

static struct {
    void *lib;
    char path[512];
    int (*register_callbacks)(cupti_request_fn, cupti_complete_fn);
    int (*enable)(int kind);
    int (*disable)(int kind);
    int (*flush_all)(uint32_t flag);
    int (*next_record)(uint8_t *buffer, size_t valid, void **record);
    int (*dropped)(void *ctx, uint32_t stream, size_t *dropped);
    int (*timestamp)(uint64_t *ts);
    int (*result_string)(int result, const char **text);
    int (*set_attribute)(int attr, size_t *size, void *value); /* NULL before CUDA 5.5 */
} g_cupti;

static void cupti_error(char *why, size_t len, const char *call, int rc)
{
    const char *text = NULL;
    if (g_cupti.result_string)
        g_cupti.result_string(rc, &text);
    if (text)
        snprintf(why, len, "%s: %s", call, text);
    else
        snprintf(why, len, "%s: CUPTI error %d", call, rc);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Tries one candidate file. A file that exists but does not load (wrong
 * architecture, missing dependency) is worth reporting: *seen keeps the
 * first such failure. */
static void *try_cupti(const char *path, char *seen, size_t seenlen)
{
    if (strchr(path, '/') && !exists(path))
        return NULL;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib && strchr(path, '/') && !seen[0]) {
        const char *e = dlerror();
        snprintf(seen, seenlen, "%.500s", e ? e : path);
    }
    if (lib)
        snprintf(g_cupti.path, sizeof g_cupti.path, "%.500s", path);
    return lib;
}

/* The library's names, newest first: the unversioned link comes only with
 * the toolkit's development files; a runtime-only install has the
 * versioned one. */
static const char *const g_cupti_names[] = {"libcupti.so", "libcupti.so.13", "libcupti.so.12",
                                            "libcupti.so.11"};
#define NCUPTI_NAMES (sizeof g_cupti_names / sizeof g_cupti_names[0])

/* Tries each name of the library in directory `dir` (the system library
 * path when NULL). */
static void *try_cupti_in(const char *dir, char *seen, size_t seenlen)
{
    void *lib = NULL;
    for (size_t i = 0; !lib && i < NCUPTI_NAMES; i++) {
        char path[1024];
        if (dir)
            snprintf(path, sizeof path, "%s/%s", dir, g_cupti_names[i]);
        else
            snprintf(path, sizeof path, "%s", g_cupti_names[i]);
        lib = try_cupti(path, seen, seenlen);
    }
    return lib;
}

static void *search_path_list(const char *list, char *seen, size_t seenlen)
{
    if (!list)
        return NULL;
    char *copy = strdup(list);
    if (!copy)
        return NULL;
    void *lib = NULL;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !lib; dir = strtok_r(NULL, ":", &save))
        lib = try_cupti_in(dir, seen, seenlen);
    free(copy);
    return lib;
}

/* Finds libcupti.so (or libcupti.so.13, .12, .11): $BENCHGATE_CUPTI (the
 * file or its directory; when set it must work), LD_LIBRARY_PATH, the
 * toolkit's two usual places, then the system's library path. */
static int find_cupti(char *why, size_t len)
{
    char seen[512] = "";
    const char *env = getenv("BENCHGATE_CUPTI");
    if (env && *env) {
        if (is_dir(env)) {
            g_cupti.lib = try_cupti_in(env, seen, sizeof seen);
            if (!g_cupti.lib && !seen[0]) {
                snprintf(why, len,
                         "BENCHGATE_CUPTI: %.240s has no libcupti.so (nor libcupti.so.13, .12, .11)",
                         env);
                return BG_EUNAVAIL;
            }
        } else {
            if (!exists(env)) {
                snprintf(why, len, "BENCHGATE_CUPTI: %.240s: no such file", env);
                return BG_EUNAVAIL;
            }
            g_cupti.lib = try_cupti(env, seen, sizeof seen);
        }
        if (!g_cupti.lib) {
            snprintf(why, len, "BENCHGATE_CUPTI: %.280s", seen);
            return BG_EUNAVAIL;
        }
        return 0;
    }
    static const char *const dirs[] = {"/usr/local/cuda/extras/CUPTI/lib64", "/usr/local/cuda/lib64",
                                       NULL};
    g_cupti.lib = search_path_list(getenv("LD_LIBRARY_PATH"), seen, sizeof seen);
    for (size_t i = 0; !g_cupti.lib && i < sizeof dirs / sizeof dirs[0]; i++)
        g_cupti.lib = try_cupti_in(dirs[i], seen, sizeof seen);
    if (g_cupti.lib)
        return 0;
    if (seen[0])
        snprintf(why, len, "libcupti.so does not load: %.280s", seen);
    else
        snprintf(why, len,
                 "libcupti.so (or .so.13, .12, .11) not found (searched LD_LIBRARY_PATH, "
                 "/usr/local/cuda/extras/CUPTI/lib64, /usr/local/cuda/lib64 and the system "
                 "library path); set BENCHGATE_CUPTI to the file or its directory");
    return BG_EUNAVAIL;
}

static int load_cupti(char *why, size_t len)
{
    if (g_cupti.lib)
        return 0;
    int rc = find_cupti(why, len);
    if (rc != 0)
        return rc;
    void *h = g_cupti.lib;
    (void)SYM(h, "cuptiGetResultString", g_cupti.result_string);
    (void)SYM(h, "cuptiActivityGetNumDroppedRecords", g_cupti.dropped);
    (void)SYM(h, "cuptiActivitySetAttribute", g_cupti.set_attribute);
    const char *missing = !SYM(h, "cuptiActivityRegisterCallbacks", g_cupti.register_callbacks)
                              ? "cuptiActivityRegisterCallbacks"
                          : !SYM(h, "cuptiActivityEnable", g_cupti.enable) ? "cuptiActivityEnable"
                          : !SYM(h, "cuptiActivityDisable", g_cupti.disable)
                              ? "cuptiActivityDisable"
                          : !SYM(h, "cuptiActivityFlushAll", g_cupti.flush_all)
                              ? "cuptiActivityFlushAll"
                          : !SYM(h, "cuptiActivityGetNextRecord", g_cupti.next_record)
                              ? "cuptiActivityGetNextRecord"
                          : !SYM(h, "cuptiGetTimestamp", g_cupti.timestamp) ? "cuptiGetTimestamp"
                                                                             : NULL;
    if (missing) {
        snprintf(why, len, "%.200s has no %s (CUPTI older than CUDA 8?)", g_cupti.path, missing);
        dlclose(h);
        memset(&g_cupti, 0, sizeof g_cupti);
        return BG_EUNAVAIL;
    }
    return 0;
}

/* ---- summing activity records ---- */

/* Activity buffers: 1 MiB holds ~5000 kernel records; CUPTI asks for more
 * when one fills, so the size only trades memory for callback frequency.
 * Every sample ends with a forced flush, after which CUPTI asks for a fresh
 * buffer; unless told that buffers come zeroed
 * (BG_CUPTI_ATTR_ZEROED_OUT_ACTIVITY_BUFFER, set in activate()) it clears
 * each one itself in the thread that launches the next GPU work, i.e. in
 * the benchmark's timed loop. So buffers are handed out zeroed: fresh ones
 * from calloc (new pages, zero already), returned ones cleared over the
 * bytes CUPTI wrote (after the sample's clock stopped) and kept in a small
 * pool for the next request. */
#define BUFFER_BYTES (1u << 20)
#define POOL_MAX 4
_Static_assert(BG_CUPTI_BUFFER_ALIGN <= _Alignof(max_align_t), "calloc aligns buffers enough");

static struct {
    pthread_mutex_t lock;
    void *free[POOL_MAX]; /* zeroed buffers of BUFFER_BYTES, owned by the pool */
    size_t n;
} g_pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The sample window. Records arrive in CUPTI's callback, possibly on its
 * own thread, hence the lock. */
static struct {
    pthread_mutex_t lock;
    bool open;        /* a sample is in progress */
    uint64_t t0;      /* CUPTI timestamp at begin() */
    double sum[BG_GPU_NCOUNTERS];
    bool dropped;     /* CUPTI lost records during the sample */
    uint64_t timer0;  /* g_timer_ns at begin() */
} g_win = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The window's records by kernel name and by copy direction and size,
 * summed over every window of this process (lock: g_win.lock). raw[i] is
 * the kernel's name as CUPTI gave it (owned), the key of row i; rows past
 * ACT_MAX distinct ones are summed into a row "(others)" of their kind. */
#define ACT_MAX 64
static struct {
    bg_activity rows[ACT_MAX + 5]; /* + one "(others)" per activity kind */
    char *raw[ACT_MAX + 5];
    size_t n;
} g_act;

static void activity_clear(void)
{
    for (size_t i = 0; i < g_act.n; i++)
        free(g_act.raw[i]);
    memset(&g_act, 0, sizeof g_act);
}

typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

/* The C++ ABI's demangler, from the process (a CUDA benchmark links the C++
 * runtime) or libstdc++.so.6; NULL when neither has it: names stay mangled. */
static demangle_fn demangler(void)
{
    static bool looked;
    static demangle_fn fn;
    if (looked)
        return fn;
    looked = true;
    void *p = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (!p) {
        void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
        p = h ? dlsym(h, "__cxa_demangle") : NULL;
    }
    if (p)
        memcpy(&fn, &p, sizeof fn);
    return fn;
}

/* Writes the readable name of a kernel: demangled when it is a mangled C++
 * name and a demangler is there, else as given (an extern "C" kernel's
 * name is already plain). */
static void kernel_name(const char *raw, char *out, size_t len)
{
    demangle_fn dm = raw[0] == '_' && raw[1] == 'Z' ? demangler() : NULL;
    int st = -1;
    char *d = dm ? dm(raw, NULL, NULL, &st) : NULL;
    snprintf(out, len, "%s", d && st == 0 ? d : raw);
    free(d);
}

/* The row of a kernel (raw name) or of a copy kind and size; a new one, or
 * the kind's "(others)" row when the table is full. */
static bg_activity *activity_row(int kind, const char *raw, double bytes)
{
    for (size_t i = 0; i < g_act.n; i++) {
        bg_activity *a = &g_act.rows[i];
        if (a->kind != kind)
            continue;
        if (kind == BG_ACT_KERNEL ? g_act.raw[i] && !strcmp(g_act.raw[i], raw)
                                  : a->v[BG_ACT_BYTES] == bytes && g_act.raw[i])
            return a;
    }
    bool full = g_act.n >= ACT_MAX;
    if (full) /* the kind's "(others)" row: raw NULL */
        for (size_t i = 0; i < g_act.n; i++)
            if (g_act.rows[i].kind == kind && !g_act.raw[i])
                return &g_act.rows[i];
    if (g_act.n >= ACT_MAX + 5)
        return NULL;
    size_t i = g_act.n;
    bg_activity *a = &g_act.rows[i];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    if (full) {
        snprintf(a->name, sizeof a->name, "(others)");
    } else {
        g_act.raw[i] = strdup(kind == BG_ACT_KERNEL ? raw : "");
        if (!g_act.raw[i])
            return NULL;
        if (kind == BG_ACT_KERNEL)
            kernel_name(raw, a->name, sizeof a->name);
        a->v[BG_ACT_BYTES] = bytes;
    }
    g_act.n++;
    return a;
}

static void tally(int kind, const char *raw, double bytes, double ns)
{
    bg_activity *a = activity_row(kind, raw, bytes);
    if (!a)
        return;
    a->v[BG_ACT_COUNT] += 1;
    a->v[BG_ACT_NS] += ns;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

/* The counter pair (bytes, ns) of a memcpy direction, or -1 to ignore
 * (host-to-host copies and unknown kinds). Arrays count as device memory. */
static int memcpy_counter(unsigned copy_kind)
{
    switch (copy_kind) {
    case BG_CUPTI_MEMCPY_HTOD:
    case BG_CUPTI_MEMCPY_HTOA: return BG_GPU_HTOD_BYTES;
    case BG_CUPTI_MEMCPY_DTOH:
    case BG_CUPTI_MEMCPY_ATOH: return BG_GPU_DTOH_BYTES;
    case BG_CUPTI_MEMCPY_DTOD:
    case BG_CUPTI_MEMCPY_ATOA:
    case BG_CUPTI_MEMCPY_ATOD:
    case BG_CUPTI_MEMCPY_DTOA:
    case BG_CUPTI_MEMCPY_PTOP: return BG_GPU_DTOD_BYTES;
    default: return -1;
    }
}

/* Adds one record to the window's sums (lock held). Work that started
 * before begin() belongs to an earlier sample or to setup. A record with
 * both timestamps 0 (CUPTI could not time it) is counted without time. */
static void add_record(const uint8_t *rec)
{
    uint32_t kind = rd32(rec, BG_CUPTI_OFF_KIND);
    if (!g_win.open || (kind != BG_CUPTI_KIND_KERNEL && kind != BG_CUPTI_KIND_CONCURRENT_KERNEL &&
                        kind != BG_CUPTI_KIND_MEMCPY && kind != BG_CUPTI_KIND_MEMCPY2 &&
                        kind != BG_CUPTI_KIND_MEMSET))
        return; /* other kinds' records may be shorter than the fields read below */
    uint64_t start = rd64(rec, BG_CUPTI_OFF_START), end = rd64(rec, BG_CUPTI_OFF_END);
    bool untimed = start == 0 && end == 0;
    if (!untimed && start < g_win.t0)
        return;
    double ns = end > start ? (double)(end - start) : 0.0;
    switch (kind) {
    case BG_CUPTI_KIND_KERNEL:
    case BG_CUPTI_KIND_CONCURRENT_KERNEL: {
        g_win.sum[BG_GPU_KERNELS] += 1;
        g_win.sum[BG_GPU_KERNEL_NS] += ns;
        const char *name = NULL;
        memcpy(&name, rec + BG_CUPTI_OFF_KERNEL_NAME, sizeof name);
        tally(BG_ACT_KERNEL, name ? name : "(unnamed)", 0, ns);
        break;
    }
    case BG_CUPTI_KIND_MEMCPY:
    case BG_CUPTI_KIND_MEMCPY2: {
        int c = memcpy_counter(rec[BG_CUPTI_OFF_COPY_KIND]);
        if (c >= 0) {
            double bytes = (double)rd64(rec, BG_CUPTI_OFF_BYTES);
            g_win.sum[c] += bytes;
            g_win.sum[c + 1] += ns;
            tally(c == BG_GPU_HTOD_BYTES   ? BG_ACT_MEMCPY_HTOD
                  : c == BG_GPU_DTOH_BYTES ? BG_ACT_MEMCPY_DTOH
                                           : BG_ACT_MEMCPY_DTOD,
                  NULL, bytes, ns);
        }
        break;
    }
    case BG_CUPTI_KIND_MEMSET: {
        double bytes = (double)rd64(rec, BG_CUPTI_OFF_BYTES);
        g_win.sum[BG_GPU_MEMSET_BYTES] += bytes;
        g_win.sum[BG_GPU_MEMSET_NS] += ns;
        tally(BG_ACT_MEMSET, NULL, bytes, ns);
        break;
    }
    default: break;
    }
}

/* Hands CUPTI a zeroed buffer (it owns it until on_buffer_complete). */
static void on_buffer_request(uint8_t **buffer, size_t *size, size_t *max_records)
{
    void *p = NULL;
    pthread_mutex_lock(&g_pool.lock);
    if (g_pool.n > 0)
        p = g_pool.free[--g_pool.n];
    pthread_mutex_unlock(&g_pool.lock);
    if (!p)
        p = calloc(1, BUFFER_BYTES); /* NULL: CUPTI then drops records, and says so */
    *buffer = p;
    *size = p ? BUFFER_BYTES : 0;
    *max_records = 0;
}

/* Sums the records of a buffer CUPTI is done with, then clears it and
 * keeps it for the next request (or frees it when the pool is full). */
static void on_buffer_complete(void *ctx, uint32_t stream, uint8_t *buffer, size_t size,
                               size_t valid)
{
    pthread_mutex_lock(&g_win.lock);
    void *rec = NULL;
    while (buffer && g_cupti.next_record(buffer, valid, &rec) == BG_CUPTI_SUCCESS)
        add_record(rec);
    size_t dropped = 0;
    if (g_cupti.dropped && g_cupti.dropped(ctx, stream, &dropped) == BG_CUPTI_SUCCESS &&
        dropped > 0 && g_win.open)
        g_win.dropped = true;
    pthread_mutex_unlock(&g_win.lock);
    if (!buffer)
        return;
    /* CUPTI wrote records up to `valid`; the rest is still zero. */
    memset(buffer, 0, valid < size ? valid : size);
    pthread_mutex_lock(&g_pool.lock);
    if (g_pool.n < POOL_MAX && size == BUFFER_BYTES) {
        g_pool.free[g_pool.n++] = buffer;
        buffer = NULL;
    }
    pthread_mutex_unlock(&g_pool.lock);
    free(buffer);
}

/* ---- activating CUPTI in a process that uses CUDA ---- */

static const int g_kinds[] = {BG_CUPTI_KIND_CONCURRENT_KERNEL, BG_CUPTI_KIND_MEMCPY,
                              BG_CUPTI_KIND_MEMSET, BG_CUPTI_KIND_MEMCPY2};
static const char *const g_kind_names[] = {"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "MEMCPY2"};
#define NKINDS (sizeof g_kinds / sizeof g_kinds[0])
static bool g_enabled[NKINDS];

static void disable_kinds(void)
{
    for (size_t i = 0; i < NKINDS; i++) {
        if (g_enabled[i])
            g_cupti.disable(g_kinds[i]);
        g_enabled[i] = false;
    }
}

/* Kernels, memcpy and memset must be recorded; peer-to-peer copies
 * (MEMCPY2) only where the device supports them. */
static int enable_kinds(char *why, size_t len)
{
    for (size_t i = 0; i < NKINDS; i++) {
        int rc = g_cupti.enable(g_kinds[i]);
        if (rc == BG_CUPTI_SUCCESS) {
            g_enabled[i] = true;
        } else if (g_kinds[i] != BG_CUPTI_KIND_MEMCPY2) {
            char call[64];
            snprintf(call, sizeof call, "cuptiActivityEnable(%s)", g_kind_names[i]);
            cupti_error(why, len, call, rc);
            disable_kinds();
            return BG_EUNAVAIL;
        }
    }
    return 0;
}

/* Starts recording activity in this process: driver, CUPTI, callbacks,
 * kinds. Initialises CUDA here, so it runs only in a process that uses
 * CUDA itself (see gpu_open). */
static int activate(char *why, size_t len)
{
    int rc = load_driver(why, len);
    if (rc == 0)
        rc = load_cupti(why, len);
    if (rc != 0)
        return rc;
    if (g_cupti.set_attribute) {
        /* Failure (a CUPTI older than the attribute) only costs CUPTI's own
         * clearing of each buffer. */
        uint8_t zeroed = 1;
        size_t sz = sizeof zeroed;
        (void)g_cupti.set_attribute(BG_CUPTI_ATTR_ZEROED_OUT_ACTIVITY_BUFFER, &sz, &zeroed);
    }
    int cr = g_cupti.register_callbacks(on_buffer_request, on_buffer_complete);
    if (cr != BG_CUPTI_SUCCESS) {
        cupti_error(why, len, "cuptiActivityRegisterCallbacks", cr);
        return BG_EUNAVAIL;
    }
    return enable_kinds(why, len);
}

/* Every check activation needs, ending with recording switched on and off
 * again: what a child process runs for gpu_open. */
static int check_here(char *why, size_t len)
{
    int rc = bg_gpu_check(why, len);
    if (rc == 0)
        rc = activate(why, len);
    if (rc == 0) {
        disable_kinds();
        (void)g_cupti.flush_all(BG_CUPTI_FLAG_FLUSH_FORCED);
    }
    return rc;
}

/* Runs check_here in a child process and returns its verdict. CUDA cannot
 * be used in a process forked after it was initialised, and the harness
 * opens every group in its parent (to learn, once, which are available)
 * before forking the benchmark processes: so the parent must learn whether
 * the GPU works without initialising CUDA itself. */
static int check_in_child(char *why, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(why, len, "pipe: %s", strerror(errno));
        return BG_EUNAVAIL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return BG_EUNAVAIL;
    }
    if (pid == 0) {
        close(fds[0]);
        char msg[320] = "";
        int rc = check_here(msg, sizeof msg);
        ssize_t w = write(fds[1], msg, strlen(msg));
        (void)w;
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    char msg[320];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fds[0], msg + have, sizeof msg - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    msg[have] = '\0';
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        snprintf(why, len, "the GPU check was killed by signal %d (%s) in the CUDA driver",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(why, len, "%s", have ? msg : "the GPU check failed");
    return BG_EUNAVAIL;
}

/* ---- the counter group ---- */

static int g_verdict = 1;  /* 1: not checked yet; then 0 or BG_EUNAVAIL */
static char g_verdict_why[320];
static bool g_open;        /* the group is open in this process */
static bool g_active;      /* CUPTI records in this process */
/* CUPTI could not start recording in this (benchmark) process: its values
 * are unknown from then on, and it is not tried again until close. */
static bool g_start_failed;
static bool g_start_noted; /* gpu_failure has said why */
static char g_start_why[400];

/* --gpu-flush-l2 (bg__gpu_set_flush_l2): the buffer written before each
 * sample, made at the first sample of a process with a CUDA context. */
static struct {
    bool want;
    bool ready, failed, noted;
    uint64_t ptr;
    size_t bytes;
    unsigned char value; /* changes every flush */
    char why[320];
} g_flush;

void bg__gpu_set_flush_l2(bool on)
{
    g_flush.want = on;
}

/* Makes the flush buffer in the current context: 2 x L2 (the cache keeps
 * at most L2 bytes of it, and the previous sample's data is evicted well
 * before the write ends). false with g_flush.why set when it cannot. */
static bool flush_prepare(void)
{
    void *ctx = NULL;
    int dev = 0, l2 = 0, rc;
    if (!g_cu.ctx_get_current || !g_cu.ctx_get_device || !g_cu.device_attribute ||
        !g_cu.mem_alloc || !g_cu.memset_d8) {
        snprintf(g_flush.why, sizeof g_flush.why,
                 "the CUDA driver lacks cuDeviceGetAttribute/cuMemAlloc_v2/cuMemsetD8_v2");
        return false;
    }
    if (g_cu.ctx_get_current(&ctx) != BG_CUDA_SUCCESS || !ctx)
        return false; /* no context yet: nothing of this process is on the GPU */
    if ((rc = g_cu.ctx_get_device(&dev)) != BG_CUDA_SUCCESS) {
        cu_error(g_flush.why, sizeof g_flush.why, "cuCtxGetDevice", rc);
        return false;
    }
    rc = g_cu.device_attribute(&l2, BG_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, dev);
    if (rc != BG_CUDA_SUCCESS || l2 <= 0) {
        if (rc != BG_CUDA_SUCCESS)
            cu_error(g_flush.why, sizeof g_flush.why, "cuDeviceGetAttribute(L2_CACHE_SIZE)", rc);
        else
            snprintf(g_flush.why, sizeof g_flush.why, "the GPU reports no L2 cache size");
        return false;
    }
    g_flush.bytes = 2 * (size_t)l2;
    if ((rc = g_cu.mem_alloc(&g_flush.ptr, g_flush.bytes)) != BG_CUDA_SUCCESS) {
        char call[64];
        snprintf(call, sizeof call, "cuMemAlloc(%zu bytes)", g_flush.bytes);
        cu_error(g_flush.why, sizeof g_flush.why, call, rc);
        return false;
    }
    g_flush.ready = true;
    return true;
}

/* Overwrites L2 and waits for it (before the sample's clock starts). */
static void flush_l2(void)
{
    if (g_flush.failed || (!g_flush.ready && !flush_prepare())) {
        if (g_flush.why[0])
            g_flush.failed = true;
        return;
    }
    int rc = g_cu.memset_d8(g_flush.ptr, ++g_flush.value, g_flush.bytes);
    if (rc != BG_CUDA_SUCCESS) {
        cu_error(g_flush.why, sizeof g_flush.why, "cuMemsetD8", rc);
        g_flush.failed = true;
        return;
    }
    gpu_sync();
}

static void flush_release(void)
{
    if (g_flush.ready && g_cu.mem_free)
        (void)g_cu.mem_free(g_flush.ptr);
    bool want = g_flush.want;
    memset(&g_flush, 0, sizeof g_flush);
    g_flush.want = want;
}

/* Opens the group without touching CUDA in this process: the verdict of
 * a child's check, kept for the processes forked from this one. Recording
 * starts when the benchmark itself uses CUDA (gpu_begin, bg_cuda_require). */
static int gpu_open(char *why, size_t len)
{
    if (g_verdict == 1)
        g_verdict = check_in_child(g_verdict_why, sizeof g_verdict_why);
    if (g_verdict != 0) {
        snprintf(why, len, "%s", g_verdict_why);
        return g_verdict;
    }
    g_open = true;
    return 0;
}

/* Called from bg_gpu_check: the benchmark initialised CUDA itself, so
 * recording can start now, before it creates its context. */
static void activate_for_benchmark(void)
{
    if (!g_open || g_active || g_start_failed)
        return;
    char why[320] = "";
    g_active = activate(why, sizeof why) == 0;
    if (!g_active) {
        g_start_failed = true;
        snprintf(g_start_why, sizeof g_start_why,
                 "CUPTI did not start recording in this process (%s); its GPU counters are "
                 "left out",
                 why[0] ? why : "no reason given");
    }
}

/* The reason recording failed to start, or the L2 flush failed; each once. */
static const char *gpu_failure(void)
{
    if (g_flush.failed && !g_flush.noted) {
        g_flush.noted = true;
        snprintf(g_start_why, sizeof g_start_why,
                 "--gpu-flush-l2: %s; the samples of this process are not flushed",
                 g_flush.why);
        return g_start_why;
    }
    if (!g_start_failed || g_start_noted)
        return NULL;
    g_start_noted = true;
    return g_start_why;
}

static int is_driver(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    const char *base = slash ? slash + 1 : info->dlpi_name;
    return base && !strncmp(base, "libcuda.so", 10);
}

/* True once this process has loaded the CUDA driver (through the CUDA
 * runtime or bg_cuda_require): only then can it have GPU work to count.
 * Walks the loaded objects (~1 µs); dlopen(RTLD_NOLOAD) would search the
 * library path each time (~45 µs measured here). */
static bool driver_loaded(void)
{
    return dl_iterate_phdr(is_driver, NULL) != 0;
}

/* Waits for GPU work of the calling thread's context; no context (a CPU
 * benchmark) is not an error. */
static void gpu_sync(void)
{
    if (g_cu.ctx_sync)
        (void)g_cu.ctx_sync();
}

static void gpu_begin(void)
{
    if (!g_open)
        return;
    if (!g_active && driver_loaded())
        activate_for_benchmark();
    uint64_t t0 = 0;
    if (g_active) {
        /* Work still queued from setup finishes before the window opens,
         * so it is not counted as the sample's; so does the L2 flush. */
        gpu_sync();
        if (g_flush.want)
            flush_l2();
        g_cupti.timestamp(&t0);
    }
    pthread_mutex_lock(&g_win.lock);
    memset(g_win.sum, 0, sizeof g_win.sum);
    g_win.dropped = false;
    g_win.t0 = t0;
    g_win.timer0 = atomic_load_explicit(&g_timer_ns, memory_order_relaxed);
    g_win.open = g_active;
    pthread_mutex_unlock(&g_win.lock);
}

/* A process that never loaded the driver ran no GPU work: its counters are
 * 0, not unknown. One where CUPTI failed to start has unknown (NAN) CUPTI
 * counters; the CUDA-event timer is the benchmark's own and still counts. */
static void gpu_end(double *values)
{
    if (!g_open) {
        for (size_t i = 0; i < BG_GPU_NCOUNTERS; i++)
            values[i] = NAN;
        return;
    }
    if (g_start_failed) {
        for (size_t i = 0; i < BG_GPU_TIMER_NS; i++)
            values[i] = NAN;
        values[BG_GPU_TIMER_NS] =
            (double)(atomic_load_explicit(&g_timer_ns, memory_order_relaxed) - g_win.timer0);
        return;
    }
    int fr = BG_CUPTI_SUCCESS;
    if (g_active) {
        /* Everything launched in the sample completes and is delivered
         * before the window closes; the sample's clock has already stopped. */
        gpu_sync();
        fr = g_cupti.flush_all(BG_CUPTI_FLAG_FLUSH_FORCED);
    }
    uint64_t timer1 = atomic_load_explicit(&g_timer_ns, memory_order_relaxed);
    pthread_mutex_lock(&g_win.lock);
    g_win.open = false;
    bool bad = g_win.dropped || fr != BG_CUPTI_SUCCESS;
    for (size_t i = 0; i < BG_GPU_TIMER_NS; i++)
        values[i] = bad ? NAN : g_win.sum[i];
    values[BG_GPU_TIMER_NS] = (double)(timer1 - g_win.timer0);
    pthread_mutex_unlock(&g_win.lock);
}

static void gpu_close(void)
{
    if (!g_open)
        return;
    if (g_active) {
        disable_kinds();
        (void)g_cupti.flush_all(BG_CUPTI_FLAG_FLUSH_FORCED);
    }
    flush_release();
    pthread_mutex_lock(&g_win.lock);
    g_win.open = false;
    activity_clear();
    pthread_mutex_unlock(&g_win.lock);
    g_open = false;
    g_active = false;
    g_start_failed = false;
    g_start_noted = false;
    /* The libraries stay loaded: unloading an initialised driver or CUPTI
     * is not supported. */
}

/* The kernels and copies of this process's measured samples. */
static size_t gpu_activity(bg_activity *out, size_t max)
{
    pthread_mutex_lock(&g_win.lock);
    size_t n = g_act.n < max ? g_act.n : max;
    memcpy(out, g_act.rows, n * sizeof *out);
    pthread_mutex_unlock(&g_win.lock);
    return n;
}

void bg__gpu_reset(void)
{
    gpu_close();
    g_verdict = 1;
    g_verdict_why[0] = '\0';
    memset(&g_cupti, 0, sizeof g_cupti);
}

static const char *const gpu_names[BG_GPU_NCOUNTERS] = {
    [BG_GPU_KERNELS] = "gpu_kernels",
    [BG_GPU_KERNEL_NS] = "gpu_kernel_ns",
    [BG_GPU_HTOD_BYTES] = "gpu_memcpy_htod_bytes",
    [BG_GPU_HTOD_NS] = "gpu_memcpy_htod_ns",
    [BG_GPU_DTOH_BYTES] = "gpu_memcpy_dtoh_bytes",
    [BG_GPU_DTOH_NS] = "gpu_memcpy_dtoh_ns",
    [BG_GPU_DTOD_BYTES] = "gpu_memcpy_dtod_bytes",
    [BG_GPU_DTOD_NS] = "gpu_memcpy_dtod_ns",
    [BG_GPU_MEMSET_BYTES] = "gpu_memset_bytes",
    [BG_GPU_MEMSET_NS] = "gpu_memset_ns",
    [BG_GPU_TIMER_NS] = "gpu_timer_ns",
};

static const char *const gpu_units[BG_GPU_NCOUNTERS] = {
    [BG_GPU_KERNELS] = "",           [BG_GPU_KERNEL_NS] = "ns",
    [BG_GPU_HTOD_BYTES] = "bytes",   [BG_GPU_HTOD_NS] = "ns",
    [BG_GPU_DTOH_BYTES] = "bytes",   [BG_GPU_DTOH_NS] = "ns",
    [BG_GPU_DTOD_BYTES] = "bytes",   [BG_GPU_DTOD_NS] = "ns",
    [BG_GPU_MEMSET_BYTES] = "bytes", [BG_GPU_MEMSET_NS] = "ns",
    [BG_GPU_TIMER_NS] = "ns",
};

const bg_counter_group bg__gpu_group = {
    .name = "gpu",
    .ncounters = BG_GPU_NCOUNTERS,
    .names = gpu_names,
    .units = gpu_units,
    .open = gpu_open,
    .begin = gpu_begin,
    .end = gpu_end,
    .close = gpu_close,
    .failure = gpu_failure,
    .activity = gpu_activity,
};
