/* counters/bg_gpu.h declares the few CUDA driver and CUPTI values it needs
 * instead of including the toolkit's headers (so the harness builds without
 * a toolkit). Where the headers are installed, this checks every one of
 * those values against them, and the record offsets against every version
 * of each activity record the headers still describe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cuda.h>
#include <cupti_activity.h>
#include <cupti_result.h>
#if __has_include(<cupti_activity_deprecated.h>)
#include <cupti_activity_deprecated.h>
#define HAVE_OLD_RECORDS 1
#endif

#include "bg_gpu.h"

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(BG_CUDA_SUCCESS, CUDA_SUCCESS);
    assert_int_equal(BG_CUDA_ERROR_NO_DEVICE, CUDA_ERROR_NO_DEVICE);
    assert_int_equal(BG_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
    assert_int_equal(BG_CUPTI_SUCCESS, CUPTI_SUCCESS);
    assert_int_equal(BG_CUPTI_ERROR_MAX_LIMIT_REACHED, CUPTI_ERROR_MAX_LIMIT_REACHED);
    assert_int_equal(BG_CUPTI_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMCPY);
    assert_int_equal(BG_CUPTI_KIND_MEMSET, CUPTI_ACTIVITY_KIND_MEMSET);
    assert_int_equal(BG_CUPTI_KIND_KERNEL, CUPTI_ACTIVITY_KIND_KERNEL);
    assert_int_equal(BG_CUPTI_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    assert_int_equal(BG_CUPTI_KIND_MEMCPY2, CUPTI_ACTIVITY_KIND_MEMCPY2);
    assert_int_equal(BG_CUPTI_MEMCPY_HTOD, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD);
    assert_int_equal(BG_CUPTI_MEMCPY_DTOH, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH);
    assert_int_equal(BG_CUPTI_MEMCPY_HTOA, CUPTI_ACTIVITY_MEMCPY_KIND_HTOA);
    assert_int_equal(BG_CUPTI_MEMCPY_ATOH, CUPTI_ACTIVITY_MEMCPY_KIND_ATOH);
    assert_int_equal(BG_CUPTI_MEMCPY_ATOA, CUPTI_ACTIVITY_MEMCPY_KIND_ATOA);
    assert_int_equal(BG_CUPTI_MEMCPY_ATOD, CUPTI_ACTIVITY_MEMCPY_KIND_ATOD);
    assert_int_equal(BG_CUPTI_MEMCPY_DTOA, CUPTI_ACTIVITY_MEMCPY_KIND_DTOA);
    assert_int_equal(BG_CUPTI_MEMCPY_DTOD, CUPTI_ACTIVITY_MEMCPY_KIND_DTOD);
    assert_int_equal(BG_CUPTI_MEMCPY_HTOH, CUPTI_ACTIVITY_MEMCPY_KIND_HTOH);
    assert_int_equal(BG_CUPTI_MEMCPY_PTOP, CUPTI_ACTIVITY_MEMCPY_KIND_PTOP);
    assert_int_equal(BG_CUPTI_FLAG_FLUSH_FORCED, CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    assert_int_equal(BG_CUPTI_ATTR_ZEROED_OUT_ACTIVITY_BUFFER,
                     CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER);
    assert_int_equal(BG_CUPTI_BUFFER_ALIGN, ACTIVITY_RECORD_ALIGNMENT);
    assert_int_equal(sizeof(CUpti_ActivityKind), 4); /* read as a uint32 */
}

#define TIMED(T)                                                                      \
    do {                                                                              \
        assert_int_equal(offsetof(T, kind), BG_CUPTI_OFF_KIND);                       \
        assert_int_equal(offsetof(T, start), BG_CUPTI_OFF_START);                     \
        assert_int_equal(offsetof(T, end), BG_CUPTI_OFF_END);                         \
        assert_true(sizeof(T) >= BG_CUPTI_RECORD_MIN);                                \
    } while (0)
#define WITH_BYTES(T)                                                                 \
    do {                                                                              \
        TIMED(T);                                                                     \
        assert_int_equal(offsetof(T, bytes), BG_CUPTI_OFF_BYTES);                     \
    } while (0)
#define COPY(T)                                                                       \
    do {                                                                              \
        WITH_BYTES(T);                                                                \
        assert_int_equal(offsetof(T, copyKind), BG_CUPTI_OFF_COPY_KIND);              \
        assert_int_equal(sizeof(((T *)0)->copyKind), 1);                              \
    } while (0)

#define KERNEL(T)                                                                     \
    do {                                                                              \
        TIMED(T);                                                                     \
        assert_int_equal(offsetof(T, name), BG_CUPTI_OFF_KERNEL_NAME);                \
        assert_int_equal(sizeof(((T *)0)->name), sizeof(const char *));               \
    } while (0)

static void test_current_records(void **state)
{
    (void)state;
    KERNEL(CUpti_ActivityKernel10);
    COPY(CUpti_ActivityMemcpy6);
    COPY(CUpti_ActivityMemcpyPtoP4);
    WITH_BYTES(CUpti_ActivityMemset4);
}

static void test_older_records(void **state)
{
    (void)state;
#ifdef HAVE_OLD_RECORDS
    KERNEL(CUpti_ActivityKernel3);
    KERNEL(CUpti_ActivityKernel4);
    KERNEL(CUpti_ActivityKernel5);
    KERNEL(CUpti_ActivityKernel6);
    KERNEL(CUpti_ActivityKernel7);
    KERNEL(CUpti_ActivityKernel8);
    KERNEL(CUpti_ActivityKernel9);
    COPY(CUpti_ActivityMemcpy);
    COPY(CUpti_ActivityMemcpy3);
    COPY(CUpti_ActivityMemcpy4);
    COPY(CUpti_ActivityMemcpy5);
    COPY(CUpti_ActivityMemcpyPtoP);
    COPY(CUpti_ActivityMemcpyPtoP2);
    COPY(CUpti_ActivityMemcpyPtoP3);
    WITH_BYTES(CUpti_ActivityMemset);
    WITH_BYTES(CUpti_ActivityMemset2);
    WITH_BYTES(CUpti_ActivityMemset3);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_current_records),
        cmocka_unit_test(test_older_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
