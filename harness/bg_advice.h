/* Recommendations backed by numbers (advice.c): rules over what each
 * benchmark of a run measured, filled into bg_result.advice (each with its
 * evidence and one action) for the record and the reporters. Rules:
 *   noisy               processes disagree, or the precision target was
 *                       missed (bg__noisy) -> benchgate doctor, with its
 *                       most serious finding
 *   optimised-away      time per iteration within 25 % (+1 ns) of an empty
 *                       BENCH_LOOP -> bg_do_not_optimize()
 *   near-clock          under 10 clock reads per iteration -> more work per
 *                       iteration, or --mode instructions
 *   allocs-in-loop      >= 1 allocation per iteration (--counters alloc)
 *   page-faults         >= 0.1 page faults per iteration in the timed loop
 *   memory-bound        IPC < 0.7 with > 10 % cache misses (hardware counters)
 *   branch-misses       > 10 branch misses per 1000 instructions
 *   gpu-transfers       memory copies take longer than the kernels
 *   gpu-launch-overhead kernels under 10 us each, GPU timer > 2x kernel time
 *   past-knee           a team at or past its thread sweep's knee (efficiency
 *                       below 80 %) -> at most the best thread count
 *   growth-above-declared  a declared growth order whose sizes fit a
 *                       faster-growing class with under half its RMS (and it
 *                       misses by > 10 %) -> profile the largest size
 */
#ifndef BG_ADVICE_H
#define BG_ADVICE_H

#include "bg_model.h"

/* Applies every rule to one result (replacing its advice). `doctor` is the
 * machine doctor's most serious finding for the noisy rule's action, or
 * NULL/"" when none. Pure: reads r's figures (bg__result_derive) and o. */
void bg__advise_result(const bg_config *c, const bg_overhead *o, bg_result *r, const char *doctor);

/* Applies the rules to every result of a finished run (its sweeps computed:
 * bg__run_sweeps), and the sweep rules to the instances of each sweep; asks
 * the doctor (about 0.1 s) only when some result is noisy. */
void bg__advise_run(bg_run *run);

#endif
