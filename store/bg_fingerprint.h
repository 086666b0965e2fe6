/* The machine fingerprint: what a run was measured on, and whether two runs are comparable. */
#ifndef BG_FINGERPRINT_H
#define BG_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "benchgate.h"

#define BG_FP_ID_LEN 12 /* hex digits in a machine id */

/* Where a run was measured. Plain data with fixed arrays: copy it freely.
 * Fields marked (id) take part in the machine id and in comparability;
 * the others are informational. Too-long values are truncated. */
typedef struct bg_fingerprint {
    char cpu_model[128]; /* (id) /proc/cpuinfo "model name", else uname machine */
    int cores;           /* (id) logical cores online */
    char kernel[64];     /* (id) uname release, e.g. "6.1.0-18-amd64" */
    char os[128];        /* /etc/os-release PRETTY_NAME, else uname sysname */
    char arch[32];       /* uname machine, e.g. "x86_64" */
    char compiler[128];  /* (id) e.g. "gcc 12.2.0" */
    char flags[512];     /* (id) build flags string given by the caller */
    char version[32];    /* (id) benchgate library version (BG_VERSION) */
    char id[BG_FP_ID_LEN + 1]; /* short machine id: 12 lowercase hex digits */
} bg_fingerprint;

#define BG__FP_STR2(x) #x
#define BG__FP_STR(x) BG__FP_STR2(x)
/* The compiler of the translation unit that uses this macro, in the same
 * form as the build's BG_COMPILER ("gcc 12.2.0", "clang 14.0.6"). Pass it to
 * bg_fingerprint_collect() from code built apart from the library. */
#if defined(__clang__)
#define BG_FINGERPRINT_THIS_COMPILER                                                  \
    "clang " BG__FP_STR(__clang_major__) "." BG__FP_STR(__clang_minor__) "."            \
        BG__FP_STR(__clang_patchlevel__)
#elif defined(__GNUC__)
#define BG_FINGERPRINT_THIS_COMPILER                                                  \
    "gcc " BG__FP_STR(__GNUC__) "." BG__FP_STR(__GNUC_MINOR__) "." BG__FP_STR(__GNUC_PATCHLEVEL__)
#else
#define BG_FINGERPRINT_THIS_COMPILER "unknown"
#endif

/* Fills *fp for this machine. `compiler` names the compiler that built the
 * benchmarks (NULL: the one that built the library, BG_COMPILER); `flags` is
 * the build flags string (NULL: ""). Computes fp->id. Never fails: fields that
 * cannot be read say "unknown" (cores: 0). Returns 0, or BG_EINVAL for NULL fp. */
int bg_fingerprint_collect(bg_fingerprint *fp, const char *compiler, const char *flags);

/* Recomputes fp->id from the (id) fields: the first 12 hex digits of a 64-bit
 * FNV-1a hash. Call after filling a fingerprint by hand (e.g. from a record). */
void bg_fingerprint_update_id(bg_fingerprint *fp);

/* 64-bit FNV-1a over `len` bytes, continuing from `h` (start with
 * BG_FNV1A64_INIT). FNV constants from Fowler/Noll/Vo, isthe.com/chongo/tech/comp/fnv. */
#define BG_FNV1A64_INIT UINT64_C(0xcbf29ce484222325)
uint64_t bg_fnv1a64(const void *data, size_t len, uint64_t h);

/* Compares the (id) fields of two fingerprints. Returns the number of fields
 * that differ (0: comparable). When they differ and msg is not NULL, writes
 * "machine differs: cpu_model 'X' vs 'Y'; kernel '6.1' vs '6.5'" naming every
 * differing field (truncated to msglen); when they are equal, msg is "".
 * When the benchgate version is the only difference, msg says "machine
 * differs only in the benchgate version: made by benchgate X, this is Y: a
 * new version starts a new history; --force compares anyway". If all fields
 * agree but the stored ids differ, 1 is returned and msg names the id that
 * does not hash from its fields (computed by an earlier benchgate), else
 * both ids. */
int bg_fingerprint_compare(const bg_fingerprint *a, const bg_fingerprint *b, char *msg, size_t msglen);

#endif
