/* Instruction mode (instr_mode.c): instructions retired per iteration of a
 * benchmark's timed loop, from the hardware counter where the machine has
 * one, otherwise from valgrind's callgrind, which gives the same count on
 * every run.
 *
 * With callgrind the bench binary runs each benchmark again under valgrind
 * (the "inner" run, marked by BG_INSTR_INNER_ENV). There the runner's
 * samples follow a fixed schedule instead of the timed plan, and the
 * sample hooks below switch callgrind's counting on around each one and
 * write its counts to a file. The outer run reads those files and reports
 * the counters "instructions" and "est_cycles" per sample.
 */
#ifndef BG_INSTR_H
#define BG_INSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_harness.h"

/* Set (to the directory of callgrind's output) in the environment of the
 * bench binary that valgrind runs. */
#define BG_INSTR_INNER_ENV "BENCHGATE_INSTR_INNER"

/* Called by bg_main once the benchmarks are selected, before anything is
 * measured. Inside valgrind: runs the one selected benchmark on the fixed
 * schedule, writes its result for the outer run and returns the exit code.
 * Otherwise, in instruction mode, chooses the backend (setting c->mode to
 * BG_MODE_INSTR_HW or BG_MODE_INSTR_VALGRIND and the counters it needs) and
 * returns -1 to go on; or prints "unavailable: <why>" and returns 2. In
 * time mode returns -1 and changes nothing. */
int bg__instr_start(bg_config *c, const bg_bench *const *sel, size_t nsel, const char *prog);

/* Measures one benchmark in instruction mode (c->mode as chosen by
 * bg__instr_start), filling *r as bg__run_bench does. */
void bg__instr_run_bench(const bg_config *c, const bg_bench *bench, size_t index,
                         uint64_t run_start_ns, bg_result *r);

/* The cycle estimate from callgrind's events (see instr_mode.c). */
double bg__instr_est_cycles(double ir, double l1_misses, double ll_misses);

#endif
