/* A stand-in for CUPTI's activity API (libcupti.so), so the GPU counter
 * group's record handling can be tested without a GPU. The test queues
 * activity records (laid out as CUPTI lays them out, see bg_gpu.h) and sets
 * the clock; cuptiActivityFlushAll hands them over through the registered
 * buffer callbacks, as CUPTI does. Test code only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_gpu.h"

typedef void (*request_fn)(uint8_t **buffer, size_t *size, size_t *max_records);
typedef void (*complete_fn)(void *ctx, uint32_t stream, uint8_t *buffer, size_t size,
                            size_t valid);

int cuptiActivityRegisterCallbacks(request_fn req, complete_fn done);
int cuptiActivityEnable(int kind);
int cuptiActivityDisable(int kind);
int cuptiActivityFlushAll(uint32_t flag);
int cuptiActivityGetNextRecord(uint8_t *buffer, size_t valid, void **record);
int cuptiActivityGetNumDroppedRecords(void *ctx, uint32_t stream, size_t *dropped);
int cuptiGetTimestamp(uint64_t *ts);
int cuptiGetResultString(int result, const char **text);
void fake_cupti_set_now(uint64_t t);
void fake_cupti_record(uint32_t kind, uint8_t copy_kind, uint64_t bytes, uint64_t start,
                       uint64_t end);
void fake_cupti_drop(size_t n);
void fake_cupti_kernel(const char *name, uint64_t start, uint64_t end);
int fake_cupti_enabled(int kind);
unsigned long fake_cupti_enable_calls(void);
int cuptiActivitySetAttribute(int attr, size_t *size, void *value);
int fake_cupti_zeroed_attr(void);
unsigned long fake_cupti_buffers(void);
unsigned long fake_cupti_dirty_buffers(void);

#define REC 112 /* every record this fake writes: up to the kernel's name */
#define MAXQ 256

static uint8_t g_queue[MAXQ][REC];
static size_t g_nq, g_dropped;
static uint64_t g_now;
static request_fn g_req;
static complete_fn g_done;
static int g_enabled[64];
static unsigned long g_enable_calls;
static int g_zeroed_attr;                  /* CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER */
static unsigned long g_buffers, g_dirty;   /* buffers handed over; those not all zero */

int cuptiActivityRegisterCallbacks(request_fn req, complete_fn done)
{
    g_req = req;
    g_done = done;
    return 0;
}

/* $FAKE_CUPTI_ENABLE: a CUptiResult every enable returns (35 is
 * CUPTI_ERROR_INSUFFICIENT_PRIVILEGES); set after the group opened, it
 * makes the start in a benchmark process fail. */
int cuptiActivityEnable(int kind)
{
    g_enable_calls++;
    const char *s = getenv("FAKE_CUPTI_ENABLE");
    if (s && atoi(s))
        return atoi(s);
    if (kind >= 0 && kind < 64)
        g_enabled[kind] = 1;
    return 0;
}

int cuptiActivityDisable(int kind)
{
    if (kind >= 0 && kind < 64)
        g_enabled[kind] = 0;
    return 0;
}

int cuptiActivityFlushAll(uint32_t flag)
{
    (void)flag;
    if (!g_req || !g_done || (g_nq == 0 && g_dropped == 0))
        return 0;
    uint8_t *buf = NULL;
    size_t size = 0, max = 0, used = 0;
    g_req(&buf, &size, &max);
    if (buf) {
        g_buffers++;
        for (size_t i = 0; i < size; i++)
            if (buf[i]) {
                g_dirty++;
                break;
            }
    }
    for (size_t i = 0; buf && i < g_nq && used + REC <= size; i++, used += REC)
        memcpy(buf + used, g_queue[i], REC);
    g_nq = 0;
    g_done(NULL, 0, buf, size, used);
    return 0;
}

int cuptiActivityGetNextRecord(uint8_t *buffer, size_t valid, void **record)
{
    uint8_t *p = *record ? (uint8_t *)*record + REC : buffer;
    if (p + REC > buffer + valid)
        return BG_CUPTI_ERROR_MAX_LIMIT_REACHED;
    *record = p;
    return 0;
}

int cuptiActivityGetNumDroppedRecords(void *ctx, uint32_t stream, size_t *dropped)
{
    (void)ctx;
    (void)stream;
    *dropped = g_dropped;
    g_dropped = 0;
    return 0;
}

int cuptiGetTimestamp(uint64_t *ts)
{
    *ts = g_now;
    return 0;
}

int cuptiGetResultString(int result, const char **text)
{
    *text = result == 35 ? "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES" : "CUPTI_ERROR_UNKNOWN";
    return 0;
}

void fake_cupti_set_now(uint64_t t)
{
    g_now = t;
}

void fake_cupti_record(uint32_t kind, uint8_t copy_kind, uint64_t bytes, uint64_t start,
                       uint64_t end)
{
    if (g_nq == MAXQ)
        return;
    uint8_t *r = g_queue[g_nq++];
    memset(r, 0, REC);
    memcpy(r + BG_CUPTI_OFF_KIND, &kind, sizeof kind);
    if (kind == BG_CUPTI_KIND_MEMCPY || kind == BG_CUPTI_KIND_MEMCPY2)
        r[BG_CUPTI_OFF_COPY_KIND] = copy_kind;
    memcpy(r + BG_CUPTI_OFF_BYTES, &bytes, sizeof bytes);
    memcpy(r + BG_CUPTI_OFF_START, &start, sizeof start);
    memcpy(r + BG_CUPTI_OFF_END, &end, sizeof end);
}

/* A kernel record with its (mangled) name, which must outlive the flush,
 * as CUPTI's names do. */
void fake_cupti_kernel(const char *name, uint64_t start, uint64_t end)
{
    if (g_nq == MAXQ)
        return;
    fake_cupti_record(BG_CUPTI_KIND_CONCURRENT_KERNEL, 0, 0, start, end);
    memcpy(g_queue[g_nq - 1] + BG_CUPTI_OFF_KERNEL_NAME, &name, sizeof name);
}

void fake_cupti_drop(size_t n)
{
    g_dropped += n;
}

int fake_cupti_enabled(int kind)
{
    return kind >= 0 && kind < 64 && g_enabled[kind];
}

/* How many times cuptiActivityEnable was called in this process. */
unsigned long fake_cupti_enable_calls(void)
{
    return g_enable_calls;
}

/* Only the zeroed-buffer attribute (a uint8_t) is understood, as by a
 * CUPTI that has it. */
int cuptiActivitySetAttribute(int attr, size_t *size, void *value)
{
    if (attr != BG_CUPTI_ATTR_ZEROED_OUT_ACTIVITY_BUFFER || !size || *size != 1 || !value)
        return 1; /* CUPTI_ERROR_INVALID_PARAMETER */
    g_zeroed_attr = *(uint8_t *)value;
    return 0;
}

int fake_cupti_zeroed_attr(void)
{
    return g_zeroed_attr;
}

/* Buffers the group handed over at a flush, and how many of them were not
 * all zero (CUPTI, told they are zeroed, would not clear them). */
unsigned long fake_cupti_buffers(void)
{
    return g_buffers;
}

unsigned long fake_cupti_dirty_buffers(void)
{
    return g_dirty;
}
