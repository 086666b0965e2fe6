/* A stand-in for the CUDA driver (libcuda.so.1), so that the GPU counter
 * group's paths can be tested on machines without a GPU or a driver.
 * cuInit returns $FAKE_CUDA_INIT (a CUresult, default 0) and
 * cuDeviceGetCount reports $FAKE_CUDA_DEVICES (default 1). Test code only:
 * it never runs anything on a GPU. */
#include <stdlib.h>

int cuInit(unsigned flags);
int cuDeviceGetCount(int *count);
int cuGetErrorName(int result, const char **text);
int cuGetErrorString(int result, const char **text);
int cuCtxSynchronize(void);
unsigned long fake_cuda_syncs(void);

static unsigned long g_syncs;

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
int cuGetErrorName(int result, const char **text)
{
    *text = result == 100 ? "CUDA_ERROR_NO_DEVICE"
            : result == 35 ? "CUDA_ERROR_INSUFFICIENT_DRIVER"
                           : "CUDA_ERROR_UNKNOWN";
    return 0;
}

int cuGetErrorString(int result, const char **text)
{
    *text = result == 100 ? "no CUDA-capable device is detected"
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
