/* The allocation interposer (libbenchgate-alloc.so, alloc_interpose.c) and
 * the "alloc" counter group of libbenchgate (alloc_count.c) meet here.
 *
 * The interposer is not linked into bench binaries: a bench binary given
 * --counters alloc re-executes itself once with it in LD_PRELOAD
 * (bg__alloc_preload), and the group finds these hooks with
 * dlsym(RTLD_DEFAULT). A process that did not preload it calls libc's
 * allocator directly and pays nothing for allocation counting. */
#ifndef BG_ALLOC_H
#define BG_ALLOC_H

#include <stdint.h>

/* The interposer's file name, looked for beside libbenchgate. */
#define BG_ALLOC_LIB_NAME "libbenchgate-alloc.so"
/* Overrides where the interposer is (a file). */
#define BG_ALLOC_LIB_ENV "BENCHGATE_ALLOC_LIB"
/* Set across the re-execution, holding the LD_PRELOAD from before it ("" for
 * none), which is put back once the interposer is loaded. */
#define BG_ALLOC_REEXEC_ENV "BENCHGATE_ALLOC_REEXEC"

/* ---- exported by libbenchgate-alloc.so ---- */

/* Zeroes the tallies and starts counting every allocation in the process. */
void bg_alloc_hook_begin(void);
/* Stops counting and writes allocs, frees, bytes requested and the peak of
 * live bytes since bg_alloc_hook_begin into values[0..3]. */
void bg_alloc_hook_end(double *values);

/* ---- in libbenchgate (alloc_count.c) ---- */

/* When `counters` (a --counters mask) includes the alloc group and the
 * interposer is not loaded, re-executes this program (/proc/self/exe, with
 * argv) with it prepended to LD_PRELOAD; returns only when that is not done
 * or failed, and then the group's open() says why. In the re-executed
 * process, puts the LD_PRELOAD from before back, so programs it starts do
 * not inherit the interposer (its forked benchmark processes keep it). */
void bg__alloc_preload(uint32_t counters, char **argv);

#endif
