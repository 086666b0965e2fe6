/* Heap allocation counting, the "alloc" counter group: allocations, frees,
 * bytes requested and the peak of live heap bytes during each sample.
 *
 * The counting itself is done by the allocation interposer,
 * libbenchgate-alloc.so (alloc_interpose.c), which defines malloc, free and
 * the rest. It is not linked into bench binaries: with --counters alloc a
 * bench binary re-executes itself once at start-up with the interposer in
 * LD_PRELOAD (bg__alloc_preload), its forked benchmark processes inherit
 * it, and this group reaches its tallies through the hooks of bg_alloc.h,
 * found with dlsym(RTLD_DEFAULT). Without --counters alloc nothing is
 * preloaded and every allocation goes straight to libc: zero cost.
 *
 * Limits: memory obtained with mmap/sbrk directly, or by an allocator that
 * comes first (another LD_PRELOAD ahead of it, a static link), is not seen;
 * open() detects the latter with a test allocation and says the group is
 * unavailable. Builds with AddressSanitizer (or another sanitizer that
 * replaces malloc) do not preload it, and the group says so.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_alloc.h"
#include "bg_counters.h"
#include "benchgate.h"

#if defined(__SANITIZE_ADDRESS__)
#define BG_ALLOC_OFF "built with AddressSanitizer, which replaces malloc itself"
#elif defined(__SANITIZE_THREAD__)
#define BG_ALLOC_OFF "built with ThreadSanitizer, which replaces malloc itself"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BG_ALLOC_OFF "built with AddressSanitizer, which replaces malloc itself"
#elif __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(hwaddress_sanitizer)
#define BG_ALLOC_OFF "built with a sanitizer that replaces malloc itself"
#endif
#endif
#if !defined(BG_ALLOC_OFF) && !(defined(__linux__) && defined(__GLIBC__))
#define BG_ALLOC_OFF "allocator interposition is implemented for Linux with glibc only"
#endif

static const char *const alloc_names[] = {"allocs", "frees", "alloc_bytes", "peak_live_bytes"};
static const char *const alloc_units[] = {"", "", "bytes", "bytes"};
#define ALLOC_N (sizeof alloc_names / sizeof alloc_names[0])

#ifndef BG_ALLOC_OFF

#include <dlfcn.h>
#include <unistd.h>

typedef void (*hook_begin_fn)(void);
typedef void (*hook_end_fn)(double *);
static hook_begin_fn h_begin;
static hook_end_fn h_end;

/* Why the interposer is not loaded, when bg__alloc_preload knows. */
static char g_why[320];

/* Looks up the interposer's hooks in the process; true when it is loaded. */
static bool find_hooks(void)
{
    if (h_begin && h_end)
        return true;
    void *b = dlsym(RTLD_DEFAULT, "bg_alloc_hook_begin"), *e = dlsym(RTLD_DEFAULT, "bg_alloc_hook_end");
    if (!b || !e)
        return false;
    memcpy(&h_begin, &b, sizeof b);
    memcpy(&h_end, &e, sizeof e);
    return true;
}

/* Puts back the LD_PRELOAD from before the re-execution. */
static void restore_preload(void)
{
    const char *was = getenv(BG_ALLOC_REEXEC_ENV);
    if (!was)
        return;
    if (*was)
        setenv("LD_PRELOAD", was, 1);
    else
        unsetenv("LD_PRELOAD");
    unsetenv(BG_ALLOC_REEXEC_ENV);
}

/* The interposer's path: $BENCHGATE_ALLOC_LIB, else beside the object this
 * code is in (libbenchgate.so, or the program when linked statically). */
static bool interposer_path(char *path, size_t len)
{
    const char *env = getenv(BG_ALLOC_LIB_ENV);
    if (env && *env) {
        snprintf(path, len, "%s", env);
        if (access(path, R_OK) != 0) {
            snprintf(g_why, sizeof g_why, "%s=%.200s: %s", BG_ALLOC_LIB_ENV, env, strerror(errno));
            return false;
        }
        return true;
    }
    Dl_info info;
    if (!dladdr((void *)find_hooks, &info) || !info.dli_fname || !strchr(info.dli_fname, '/')) {
        snprintf(g_why, sizeof g_why,
                 "cannot tell where libbenchgate is (dladdr); set %s to %s", BG_ALLOC_LIB_ENV,
                 BG_ALLOC_LIB_NAME);
        return false;
    }
    const char *slash = strrchr(info.dli_fname, '/');
    snprintf(path, len, "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname,
             BG_ALLOC_LIB_NAME);
    if (access(path, R_OK) != 0) {
        snprintf(g_why, sizeof g_why, "%.200s: %s; set %s to the file", path, strerror(errno),
                 BG_ALLOC_LIB_ENV);
        return false;
    }
    return true;
}

static bool wants_alloc(uint32_t counters)
{
    for (size_t i = 0; i < bg__counter_group_count(); i++)
        if (bg__counter_group_at(i) == &bg__alloc_group)
            return (counters >> i) & 1u;
    return false;
}

void bg__alloc_preload(uint32_t counters, char **argv)
{
    bool reexecuted = getenv(BG_ALLOC_REEXEC_ENV) != NULL;
    if (find_hooks()) {
        restore_preload();
        return;
    }
    if (reexecuted) {
        snprintf(g_why, sizeof g_why,
                 "this program was re-executed with %s in LD_PRELOAD, but it did not load "
                 "(see the dynamic loader's message above)",
                 BG_ALLOC_LIB_NAME);
        restore_preload();
        return;
    }
    if (!wants_alloc(counters) || !argv || !argv[0])
        return;
    char path[1024];
    if (!interposer_path(path, sizeof path))
        return;
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(path) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(n);
    if (!preload) {
        snprintf(g_why, sizeof g_why, "out of memory");
        return;
    }
    snprintf(preload, n, "%s%s%s", path, old && *old ? ":" : "", old && *old ? old : "");
    if (setenv(BG_ALLOC_REEXEC_ENV, old ? old : "", 1) != 0 ||
        setenv("LD_PRELOAD", preload, 1) != 0) {
        snprintf(g_why, sizeof g_why, "setenv: %s", strerror(errno));
    } else {
        fflush(NULL);
        execv("/proc/self/exe", argv);
        snprintf(g_why, sizeof g_why,
                 "cannot re-execute this program with %s preloaded: execv /proc/self/exe: %s",
                 BG_ALLOC_LIB_NAME, strerror(errno));
    }
    restore_preload();
    free(preload);
}

static void alloc_begin(void)
{
    h_begin();
}

static void alloc_end(double *values)
{
    h_end(values);
}

static int alloc_open(char *why, size_t whylen)
{
    if (!find_hooks()) {
        snprintf(why, whylen, "allocation interposer not loaded (%s)",
                 g_why[0] ? g_why
                          : BG_ALLOC_LIB_NAME " is preloaded by a bench binary given --counters "
                                              "alloc; elsewhere put it in LD_PRELOAD");
        return BG_EUNAVAIL;
    }
    /* A test allocation through the process's malloc: if the tally does not
     * move, another definition of malloc comes first. Called through
     * volatile pointers so the compiler cannot drop the pair. */
    void *(*volatile m)(size_t) = malloc;
    void (*volatile f)(void *) = free;
    double v[ALLOC_N];
    h_begin();
    f(m(24));
    h_end(v);
    if (!(v[0] >= 1)) {
        snprintf(why, whylen,
                 "malloc is not interposed in this process (a static link, or another "
                 "allocator loaded first, e.g. with LD_PRELOAD)");
        return BG_EUNAVAIL;
    }
    return 0;
}

static void alloc_close(void)
{
    double v[ALLOC_N];
    h_end(v); /* stops counting */
}

#else /* BG_ALLOC_OFF: the allocator is left alone */

void bg__alloc_preload(uint32_t counters, char **argv)
{
    (void)counters;
    (void)argv;
}

static int alloc_open(char *why, size_t whylen)
{
    snprintf(why, whylen, "%s", BG_ALLOC_OFF);
    return BG_EUNAVAIL;
}

static void alloc_begin(void) {}

static void alloc_end(double *values)
{
    for (size_t i = 0; i < ALLOC_N; i++)
        values[i] = NAN;
}

static void alloc_close(void) {}

#endif

const bg_counter_group bg__alloc_group = {
    .name = "alloc", .ncounters = ALLOC_N, .names = alloc_names, .units = alloc_units,
    .open = alloc_open, .begin = alloc_begin, .end = alloc_end, .close = alloc_close};
