/* The work the scope-cost benchmarks time (bench_scopes.c). */
#ifndef BENCH_SCOPES_H
#define BENCH_SCOPES_H
#include <stdint.h>

/* steps dependent multiply-adds starting from x; returns the last. */
uint64_t bg_bench_chain(uint64_t x, int64_t steps);

#endif
