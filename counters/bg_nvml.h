/* The GPU's state from NVML (nvml.c): clocks, temperature, persistence mode
 * and throttle reasons, read only. The `nvml` counter group is declared in
 * bg_counters.h; this is what the doctor and the reporters use beside it.
 * Nothing NVML is linked: libnvidia-ml.so.1 is loaded at run time. */
#ifndef BG_NVML_H
#define BG_NVML_H

#include <stdbool.h>
#include <stddef.h>

/* NVML's clocks event (throttle) reason bits (nvmlClocksEventReason*). */
#define BG_NVML_REASON_IDLE 0x1ull
#define BG_NVML_REASON_APP_CLOCKS 0x2ull
#define BG_NVML_REASON_SW_POWER_CAP 0x4ull
#define BG_NVML_REASON_HW_SLOWDOWN 0x8ull
#define BG_NVML_REASON_SYNC_BOOST 0x10ull
#define BG_NVML_REASON_SW_THERMAL 0x20ull
#define BG_NVML_REASON_HW_THERMAL 0x40ull
#define BG_NVML_REASON_HW_POWER_BRAKE 0x80ull
#define BG_NVML_REASON_DISPLAY_CLOCKS 0x100ull
/* The reasons that slow a running kernel down: power cap, slowdowns,
 * sync boost. Idle and clock settings are not throttling. */
#define BG_NVML_THROTTLE_MASK                                                                  \
    (BG_NVML_REASON_SW_POWER_CAP | BG_NVML_REASON_HW_SLOWDOWN | BG_NVML_REASON_SYNC_BOOST |    \
     BG_NVML_REASON_SW_THERMAL | BG_NVML_REASON_HW_THERMAL | BG_NVML_REASON_HW_POWER_BRAKE)

typedef struct bg_nvml_state {
    char name[96];           /* the GPU's name, "" when unknown */
    double sm_mhz, mem_mhz;  /* current clocks (NAN: not readable) */
    double sm_max_mhz, mem_max_mhz;
    double temp_c;
    int persistence;         /* 1 on, 0 off, -1 unknown */
    unsigned long long reasons; /* BG_NVML_REASON_* bits active now */
} bg_nvml_state;

/* Reads every GPU NVML sees into out[0..max) and returns how many; 0 with
 * the reason in why ("libnvidia-ml.so.1 not found: no NVIDIA driver", ...)
 * when NVML is unavailable. Changes no setting. */
size_t bg__nvml_read_all(bg_nvml_state *out, size_t max, char *why, size_t len);

/* True when `reasons` has a bit of BG_NVML_THROTTLE_MASK. */
bool bg__nvml_throttled(unsigned long long reasons);
/* "software power cap, hardware thermal slowdown", or "none". */
void bg__nvml_reasons_text(unsigned long long reasons, char *buf, size_t len);

#endif
