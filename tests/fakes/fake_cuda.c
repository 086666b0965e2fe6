/* A stand-in for the CUDA driver (libcuda.so.1), so that the GPU counter
 * group's paths can be tested on machines without a GPU or a driver.
 * cuInit returns $FAKE_CUDA_INIT (a CUresult, default 0) and
 * cuDeviceGetCount reports $FAKE_CUDA_DEVICES (default 1). For the L2
 * flush: a context is current unless $FAKE_CUDA_NO_CONTEXT is set, the L2
 * is $FAKE_CUDA_L2 bytes (default 1 MiB), allocations succeed unless
 * $FAKE_CUDA_ALLOC_FAIL names a CUresult, and memsets are counted. Test
 * code only: it never runs anything on a GPU. */
#include <stdint.h>
#include <stdlib.h>

int cuInit(unsigned flags);
int cuDeviceGetCount(int *count);
int cuGetErrorName(int result, const char **text);
int cuGetErrorString(int result, const char **text);
int cuCtxSynchronize(void);
unsigned long fake_cuda_syncs(void);
int cuCtxGetCurrent(void **ctx);
int cuCtxGetDevice(int *dev);
int cuDeviceGetAttribute(int *value, int attr, int dev);
int cuMemAlloc_v2(uint64_t *ptr, size_t bytes);
int cuMemFree_v2(uint64_t ptr);
int cuMemsetD8_v2(uint64_t ptr, unsigned char value, size_t n);
unsigned long fake_cuda_memsets(void);
size_t fake_cuda_memset_bytes(void);
unsigned long fake_cuda_live_allocs(void);

static unsigned long g_syncs, g_memsets, g_live;
static size_t g_memset_bytes;
static int g_ctx;

static int env_int(const char *name, int dflt)
{
    const char *s = getenv(name);
    return s && *s ? atoi(s) : dflt;
}

int cuInit(unsigned flags)
{
    (void)flags;
    return env_int("FAKE_CUDA_INIT", 0);
}

int cuDeviceGetCount(int *count)
{
    *count = env_int("FAKE_CUDA_DEVICES", 1);
    return 0;
}

/* The names and texts of the results the tests use, as cuda.h has them. */
int cuCtxGetCurrent(void **ctx)
{
    *ctx = getenv("FAKE_CUDA_NO_CONTEXT") ? NULL : &g_ctx;
    return 0;
}

int cuCtxGetDevice(int *dev)
{
    *dev = 0;
    return 0;
}

int cuDeviceGetAttribute(int *value, int attr, int dev)
{
    (void)dev;
    if (attr != 38) /* CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE */
        return 1;   /* CUDA_ERROR_INVALID_VALUE */
    *value = env_int("FAKE_CUDA_L2", 1 << 20);
    return 0;
}

int cuMemAlloc_v2(uint64_t *ptr, size_t bytes)
{
    int fail = env_int("FAKE_CUDA_ALLOC_FAIL", 0);
    if (fail)
        return fail;
    *ptr = 0x1000 + bytes;
    g_live++;
    return 0;
}

int cuMemFree_v2(uint64_t ptr)
{
    (void)ptr;
    g_live--;
    return 0;
}

int cuMemsetD8_v2(uint64_t ptr, unsigned char value, size_t n)
{
    (void)ptr;
    (void)value;
    g_memsets++;
    g_memset_bytes = n;
    return 0;
}

/* Memsets so far, the size of the last one, and allocations not freed. */
unsigned long fake_cuda_memsets(void)
{
    return g_memsets;
}

size_t fake_cuda_memset_bytes(void)
{
    return g_memset_bytes;
}

unsigned long fake_cuda_live_allocs(void)
{
    return g_live;
}

int cuGetErrorName(int result, const char **text)
{
    *text = result == 100 ? "CUDA_ERROR_NO_DEVICE"
            : result == 2 ? "CUDA_ERROR_OUT_OF_MEMORY"
            : result == 35 ? "CUDA_ERROR_INSUFFICIENT_DRIVER"
                           : "CUDA_ERROR_UNKNOWN";
    return 0;
}

int cuGetErrorString(int result, const char **text)
{
    *text = result == 100 ? "no CUDA-capable device is detected"
            : result == 2 ? "out of memory"
            : result == 35 ? "CUDA driver version is insufficient for CUDA runtime version"
                           : "unknown error";
    return 0;
}

int cuCtxSynchronize(void)
{
    g_syncs++;
    return 0;
}

/* How often the group waited for the GPU. */
unsigned long fake_cuda_syncs(void)
{
    return g_syncs;
}
