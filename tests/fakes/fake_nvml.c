/* A stand-in for NVML (libnvidia-ml.so.1), so the nvml counter group and
 * the doctor's GPU lines can be tested without a GPU. One GPU, "Fake GPU",
 * whose state the environment sets: $FAKE_NVML_INIT (an nvmlReturn_t from
 * nvmlInit, default 0), $FAKE_NVML_REASONS (the clock event reason bits,
 * default 0; $FAKE_NVML_REASONS_AFTER=N makes them 0 for the first N reads,
 * then $FAKE_NVML_REASONS), $FAKE_NVML_PERSISTENCE (default 1). Clocks are
 * 1980 / 3201 MHz (max 1980 / 3201), the temperature 41 C. Nothing is ever
 * set. Test code only. */
#include <stdlib.h>
#include <string.h>

int nvmlInit_v2(void);
int nvmlShutdown(void);
const char *nvmlErrorString(int rc);
int nvmlDeviceGetCount_v2(unsigned *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **dev);
int nvmlDeviceGetName(void *dev, char *name, unsigned len);
int nvmlDeviceGetClockInfo(void *dev, int type, unsigned *mhz);
int nvmlDeviceGetMaxClockInfo(void *dev, int type, unsigned *mhz);
int nvmlDeviceGetTemperature(void *dev, int sensor, unsigned *c);
int nvmlDeviceGetCurrentClocksThrottleReasons(void *dev, unsigned long long *bits);
int nvmlDeviceGetPersistenceMode(void *dev, int *mode);
unsigned long fake_nvml_inits(void);
unsigned long fake_nvml_live(void);

static int g_device;
static unsigned long g_inits, g_live, g_reads;

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 0) : dflt;
}

int nvmlInit_v2(void)
{
    int rc = (int)env_long("FAKE_NVML_INIT", 0);
    if (rc == 0) {
        g_inits++;
        g_live++;
    }
    return rc;
}

int nvmlShutdown(void)
{
    g_live--;
    return 0;
}

const char *nvmlErrorString(int rc)
{
    return rc == 9 ? "Driver Not Loaded" : rc == 4 ? "Insufficient Permissions" : "Unknown Error";
}

int nvmlDeviceGetCount_v2(unsigned *n)
{
    *n = 1;
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **dev)
{
    if (index != 0)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *dev = &g_device;
    return 0;
}

int nvmlDeviceGetName(void *dev, char *name, unsigned len)
{
    (void)dev;
    strncpy(name, "Fake GPU", len);
    name[len - 1] = '\0';
    return 0;
}

int nvmlDeviceGetClockInfo(void *dev, int type, unsigned *mhz)
{
    (void)dev;
    *mhz = type == 1 ? 1980 : 3201; /* SM, memory */
    return 0;
}

int nvmlDeviceGetMaxClockInfo(void *dev, int type, unsigned *mhz)
{
    return nvmlDeviceGetClockInfo(dev, type, mhz);
}

int nvmlDeviceGetTemperature(void *dev, int sensor, unsigned *c)
{
    (void)dev;
    (void)sensor;
    *c = 41;
    return 0;
}

int nvmlDeviceGetCurrentClocksThrottleReasons(void *dev, unsigned long long *bits)
{
    (void)dev;
    g_reads++;
    long after = env_long("FAKE_NVML_REASONS_AFTER", 0);
    *bits = (long)g_reads > after ? (unsigned long long)env_long("FAKE_NVML_REASONS", 0) : 0;
    return 0;
}

int nvmlDeviceGetPersistenceMode(void *dev, int *mode)
{
    (void)dev;
    *mode = (int)env_long("FAKE_NVML_PERSISTENCE", 1);
    return 0;
}

/* Successful nvmlInit calls, and those not yet shut down. */
unsigned long fake_nvml_inits(void)
{
    return g_inits;
}

unsigned long fake_nvml_live(void)
{
    return g_live;
}
