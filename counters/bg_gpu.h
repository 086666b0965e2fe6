/* The GPU counter group (CUPTI activity records, libraries loaded at run
 * time) and the few parts of the CUDA driver and CUPTI ABI it relies on.
 *
 * Nothing CUDA is linked at build time: gpu_cupti.c dlopen()s libcuda.so.1
 * and libcupti.so in the benchmark process, so a machine without a GPU,
 * driver or toolkit runs everything else and the group says why it is
 * unavailable. The values below are declared here instead of included so
 * the harness builds without a CUDA toolkit; tests/test_gpu_abi.c checks each
 * one against the toolkit's own headers where those are installed.
 */
#ifndef BG_GPU_H
#define BG_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_counters.h"

/* Counters per sample, totals over the sample's iterations: kernels run and
 * their GPU time, memcpy bytes and GPU time by direction, memset bytes and
 * time, and the GPU time measured by bg_cuda_timer (benchgate_cuda.h). */
extern const bg_counter_group bg__gpu_group;

/* Forgets what this process learnt (the verdict of the check, the CUPTI
 * library found) so the next open checks again; the libraries stay loaded.
 * Tests only. */
void bg__gpu_reset(void);

/* --gpu-flush-l2: before each measured sample of a benchmark process that
 * uses the GPU, outside the timed interval, write a device buffer twice the
 * size of the GPU's L2 cache (cuDeviceGetAttribute(L2_CACHE_SIZE)) and wait
 * for it, so no sample starts with the previous one's data in L2. Needs the
 * gpu group open; set before the benchmark processes are forked. */
void bg__gpu_set_flush_l2(bool on);

enum {
    BG_GPU_KERNELS,
    BG_GPU_KERNEL_NS,
    BG_GPU_HTOD_BYTES,
    BG_GPU_HTOD_NS,
    BG_GPU_DTOH_BYTES,
    BG_GPU_DTOH_NS,
    BG_GPU_DTOD_BYTES,
    BG_GPU_DTOD_NS,
    BG_GPU_MEMSET_BYTES,
    BG_GPU_MEMSET_NS,
    BG_GPU_TIMER_NS,
    BG_GPU_NCOUNTERS
};

/* ---- CUDA driver API (cuda.h) ---- */

enum { BG_CUDA_SUCCESS = 0, BG_CUDA_ERROR_NO_DEVICE = 100 };
enum { BG_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38 }; /* CUdevice_attribute, bytes */

/* ---- CUPTI (cupti_result.h, cupti_activity.h) ---- */

enum {
    BG_CUPTI_SUCCESS = 0,
    BG_CUPTI_ERROR_MAX_LIMIT_REACHED = 12 /* cuptiActivityGetNextRecord: buffer done */
};

/* CUpti_ActivityKind values of the records summed. */
enum {
    BG_CUPTI_KIND_MEMCPY = 1,
    BG_CUPTI_KIND_MEMSET = 2,
    BG_CUPTI_KIND_KERNEL = 3,
    BG_CUPTI_KIND_CONCURRENT_KERNEL = 10,
    BG_CUPTI_KIND_MEMCPY2 = 22 /* peer-to-peer copies */
};

/* CUpti_ActivityMemcpyKind values. */
enum {
    BG_CUPTI_MEMCPY_HTOD = 1,
    BG_CUPTI_MEMCPY_DTOH = 2,
    BG_CUPTI_MEMCPY_HTOA = 3,
    BG_CUPTI_MEMCPY_ATOH = 4,
    BG_CUPTI_MEMCPY_ATOA = 5,
    BG_CUPTI_MEMCPY_ATOD = 6,
    BG_CUPTI_MEMCPY_DTOA = 7,
    BG_CUPTI_MEMCPY_DTOD = 8,
    BG_CUPTI_MEMCPY_HTOH = 9,
    BG_CUPTI_MEMCPY_PTOP = 10
};

enum { BG_CUPTI_FLAG_FLUSH_FORCED = 1 }; /* CUPTI_ACTIVITY_FLAG_FLUSH_FORCED */

/* cuptiActivitySetAttribute: the buffers we hand CUPTI are already zero,
 * so it need not clear each one in the thread that asked for it (uint8_t). */
enum { BG_CUPTI_ATTR_ZEROED_OUT_ACTIVITY_BUFFER = 5 };

/* Byte offsets inside activity records. CUPTI delivers the newest record
 * version its library knows (CUpti_ActivityKernel10, Memcpy6, Memset4,
 * MemcpyPtoP4 in CUDA 13), and every version since Kernel3 (CUDA 6.5; the
 * CUPTI this module needs, with cuptiActivityFlushAll, is newer) keeps this
 * prefix, so reading by offset works across toolkit versions where a
 * compiled-in struct would not (tests/test_gpu_abi.c checks each version):
 *   all:     uint32 kind at 0, uint64 start at 16, uint64 end at 24
 *   memcpy:  uint8 copyKind at 4, uint64 bytes at 8
 *   memset:  uint64 bytes at 8
 *   kernel:  const char *name at 104 (mangled; CUPTI's, valid while it runs) */
enum {
    BG_CUPTI_OFF_KIND = 0,
    BG_CUPTI_OFF_COPY_KIND = 4,
    BG_CUPTI_OFF_BYTES = 8,
    BG_CUPTI_OFF_START = 16,
    BG_CUPTI_OFF_END = 24,
    BG_CUPTI_OFF_KERNEL_NAME = 104, /* kernel records: const char *name */
    BG_CUPTI_RECORD_MIN = 32 /* bytes every summed record has at least */
};

/* Activity buffers must be aligned to 8 bytes (ACTIVITY_RECORD_ALIGNMENT). */
#define BG_CUPTI_BUFFER_ALIGN 8

#endif
