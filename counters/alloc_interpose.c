/* The allocation interposer, libbenchgate-alloc.so: malloc, calloc,
 * realloc, reallocarray, free, posix_memalign, aligned_alloc, memalign,
 * valloc and pvalloc, and the tallies libbenchgate's "alloc" counter group
 * reads through the hooks of bg_alloc.h.
 *
 * How: the library is preloaded (LD_PRELOAD), so the dynamic linker binds
 * every call to these names in the process (libc's own internal ones, e.g.
 * in strdup or fopen, included) to the definitions here. Each forwards to
 * the next definition (libc's, found with dlsym(RTLD_NEXT)) and, only while
 * a sample is being counted, tallies the call. A bench binary given
 * --counters alloc re-executes itself once with this library preloaded
 * (bg__alloc_preload in alloc_count.c); nothing else loads it, so a run
 * without alloc counting calls libc's allocator directly.
 *
 * Cost while loaded but not counting: one load and one predictable branch
 * per call on top of an indirect call to libc. While counting, relaxed
 * atomic additions keep the tallies right when benchmark threads allocate;
 * live bytes use malloc_usable_size() at allocation and at free, so the same
 * block adds and removes the same size.
 *
 * Limits: memory obtained with mmap/sbrk directly, or by an allocator
 * preloaded before this one or linked statically, is not seen; the group's
 * open() detects that with a test allocation and says it is unavailable.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_alloc.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <unistd.h>

/* g_state is 0 on the fast path; any bit sends a call to the slow path. */
enum {
    ST_COUNTING = 1u,   /* a sample is being counted */
    ST_BOOT = 2u,       /* blocks from the bootstrap buffer exist (free must spot them) */
    ST_UNRESOLVED = 4u  /* libc's functions are not looked up yet */
};
static atomic_uint g_state = ST_UNRESOLVED;

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void *(*reallocarray_fn)(void *, size_t, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*memalign_fn)(size_t, size_t);

static struct {
    malloc_fn malloc, valloc, pvalloc;
    calloc_fn calloc;
    realloc_fn realloc;
    reallocarray_fn reallocarray;
    free_fn free;
    posix_memalign_fn posix_memalign;
    memalign_fn aligned_alloc, memalign;
} real;

/* ---- bootstrap: dlsym may allocate (calloc) before `real` is filled ---- */

#define BOOT_SIZE 16384
#define BOOT_HEAD 16 /* keeps blocks 16-byte aligned; holds the block's size */
static _Alignas(16) unsigned char g_boot[BOOT_SIZE];
static atomic_size_t g_boot_used;
static atomic_int g_resolving;

static bool is_boot(const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)g_boot;
    return a >= lo && a < lo + BOOT_SIZE;
}

/* Zeroed memory from a static buffer that is never reused; free() of such
 * a block does nothing. */
static void *boot_alloc(size_t n)
{
    size_t need = ((n + 15) & ~(size_t)15) + BOOT_HEAD;
    if (need < n) {
        errno = ENOMEM;
        return NULL;
    }
    size_t off = atomic_fetch_add(&g_boot_used, need);
    if (off > BOOT_SIZE || need > BOOT_SIZE - off) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_fetch_or(&g_state, ST_BOOT);
    memcpy(g_boot + off, &n, sizeof n);
    return g_boot + off + BOOT_HEAD;
}

static size_t boot_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - BOOT_HEAD, sizeof n);
    return n;
}

static void die(const char *msg)
{
    /* No stdio: it would allocate. */
    ssize_t w = write(2, msg, strlen(msg));
    (void)w;
    abort();
}

/* Looks up libc's functions. Returns false while a lookup is in progress
 * (a call from inside dlsym), when the caller must use the bootstrap buffer. */
static bool resolve(void)
{
    if (!(atomic_load_explicit(&g_state, memory_order_acquire) & ST_UNRESOLVED))
        return true;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&g_resolving, &expected, 1))
        return false;
    real.malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real.calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real.realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real.free = (free_fn)dlsym(RTLD_NEXT, "free");
    real.reallocarray = (reallocarray_fn)dlsym(RTLD_NEXT, "reallocarray");
    real.posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real.aligned_alloc = (memalign_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real.memalign = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
    real.valloc = (malloc_fn)dlsym(RTLD_NEXT, "valloc");
    real.pvalloc = (malloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    if (!real.malloc || !real.calloc || !real.realloc || !real.free)
        die("benchgate: cannot find the C library's malloc/calloc/realloc/free (dlsym "
            "RTLD_NEXT); libbenchgate-alloc.so must be preloaded ahead of libc\n");
    atomic_fetch_and_explicit(&g_state, ~ST_UNRESOLVED, memory_order_release);
    atomic_store(&g_resolving, 0);
    return true;
}

/* Resolve before main(), while the process has one thread. */
__attribute__((constructor(101))) static void resolve_early(void)
{
    (void)resolve();
}

/* ---- the tallies ---- */

static atomic_uint_fast64_t t_allocs, t_frees, t_bytes;
static atomic_int_fast64_t t_live, t_peak;

static bool counting(void)
{
    return atomic_load_explicit(&g_state, memory_order_relaxed) & ST_COUNTING;
}

static void raise_peak(int_fast64_t live)
{
    int_fast64_t peak = atomic_load_explicit(&t_peak, memory_order_relaxed);
    while (live > peak &&
           !atomic_compare_exchange_weak_explicit(&t_peak, &peak, live, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

static void note_alloc(void *p, size_t requested)
{
    if (!p || !counting())
        return;
    atomic_fetch_add_explicit(&t_allocs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t_bytes, requested, memory_order_relaxed);
    int_fast64_t sz = (int_fast64_t)malloc_usable_size(p);
    raise_peak(atomic_fetch_add_explicit(&t_live, sz, memory_order_relaxed) + sz);
}

/* `usable` is the block's malloc_usable_size, taken before it was freed. */
static void note_free(size_t usable)
{
    atomic_fetch_add_explicit(&t_frees, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&t_live, (int_fast64_t)usable, memory_order_relaxed);
}

#define FAST (atomic_load_explicit(&g_state, memory_order_relaxed) == 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)

/* ---- the slow paths: resolution, bootstrap blocks, counting ---- */

static __attribute__((noinline)) void *slow_malloc(size_t n)
{
    if (!resolve())
        return boot_alloc(n);
    void *p = real.malloc(n);
    note_alloc(p, n);
    return p;
}

static __attribute__((noinline)) void *slow_calloc(size_t k, size_t n)
{
    if (!resolve()) {
        if (n && k > SIZE_MAX / n) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_alloc(k * n);
    }
    void *p = real.calloc(k, n);
    note_alloc(p, k * n);
    return p;
}

static __attribute__((noinline)) void slow_free(void *p)
{
    if (!p || is_boot(p))
        return;
    if (!resolve())
        return; /* cannot happen: only bootstrap blocks exist before resolution */
    bool c = counting();
    size_t usable = c ? malloc_usable_size(p) : 0;
    real.free(p);
    if (c)
        note_free(usable);
}

static __attribute__((noinline)) void *slow_realloc(void *p, size_t n)
{
    bool ready = resolve();
    if (!ready || is_boot(p)) {
        /* A bootstrap block moves to the real heap (or stays in the buffer
         * while libc is still being looked up). */
        void *q = ready ? slow_malloc(n ? n : 1) : boot_alloc(n);
        if (q && p) {
            size_t old = boot_size(p);
            memcpy(q, p, old < n ? old : n);
        }
        return q;
    }
    bool c = counting();
    size_t old = c && p ? malloc_usable_size(p) : 0;
    void *q = real.realloc(p, n);
    if (!c)
        return q;
    if (q) {
        if (p)
            note_free(old);
        note_alloc(q, n);
    } else if (p && n == 0) {
        note_free(old); /* glibc: realloc(p, 0) frees p */
    }
    return q;
}

static void *aligned_common(memalign_fn fn, size_t align, size_t n)
{
    if (!resolve()) {
        if (align > 16) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_alloc(n);
    }
    if (!fn) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = fn(align, n);
    note_alloc(p, n);
    return p;
}

/* ---- the interposed functions ---- */

void *malloc(size_t n)
{
    if (LIKELY(FAST))
        return real.malloc(n);
    return slow_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    if (LIKELY(FAST))
        return real.calloc(k, n);
    return slow_calloc(k, n);
}

void free(void *p)
{
    if (LIKELY(FAST)) {
        real.free(p);
        return;
    }
    slow_free(p);
}

void *realloc(void *p, size_t n)
{
    if (LIKELY(FAST))
        return real.realloc(p, n);
    return slow_realloc(p, n);
}

void *reallocarray(void *p, size_t k, size_t n)
{
    if (n && k > SIZE_MAX / n) {
        errno = ENOMEM;
        return NULL;
    }
    if (LIKELY(FAST) && real.reallocarray)
        return real.reallocarray(p, k, n);
    return slow_realloc(p, k * n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (LIKELY(FAST))
        return real.posix_memalign ? real.posix_memalign(out, align, n) : ENOMEM;
    if (!resolve()) {
        if (align > 16)
            return ENOMEM;
        void *p = boot_alloc(n);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    if (!real.posix_memalign)
        return ENOMEM;
    int rc = real.posix_memalign(out, align, n);
    if (rc == 0)
        note_alloc(*out, n);
    return rc;
}

void *aligned_alloc(size_t align, size_t n)
{
    if (LIKELY(FAST) && real.aligned_alloc)
        return real.aligned_alloc(align, n);
    return aligned_common(real.aligned_alloc, align, n);
}

void *memalign(size_t align, size_t n)
{
    if (LIKELY(FAST) && real.memalign)
        return real.memalign(align, n);
    return aligned_common(real.memalign, align, n);
}

void *valloc(size_t n)
{
    if (LIKELY(FAST) && real.valloc)
        return real.valloc(n);
    if (!resolve() || !real.valloc) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = real.valloc(n);
    note_alloc(p, n);
    return p;
}

void *pvalloc(size_t n)
{
    if (LIKELY(FAST) && real.pvalloc)
        return real.pvalloc(n);
    if (!resolve() || !real.pvalloc) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = real.pvalloc(n);
    note_alloc(p, n);
    return p;
}

/* ---- the hooks (bg_alloc.h) ---- */

void bg_alloc_hook_begin(void)
{
    atomic_store_explicit(&t_allocs, 0, memory_order_relaxed);
    atomic_store_explicit(&t_frees, 0, memory_order_relaxed);
    atomic_store_explicit(&t_bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&t_live, 0, memory_order_relaxed);
    atomic_store_explicit(&t_peak, 0, memory_order_relaxed);
    atomic_fetch_or_explicit(&g_state, ST_COUNTING, memory_order_release);
}

void bg_alloc_hook_end(double *values)
{
    atomic_fetch_and_explicit(&g_state, ~ST_COUNTING, memory_order_acquire);
    values[0] = (double)atomic_load_explicit(&t_allocs, memory_order_relaxed);
    values[1] = (double)atomic_load_explicit(&t_frees, memory_order_relaxed);
    values[2] = (double)atomic_load_explicit(&t_bytes, memory_order_relaxed);
    values[3] = (double)atomic_load_explicit(&t_peak, memory_order_relaxed);
}
