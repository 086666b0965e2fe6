/* What a scope costs: the same work with and without a BG_SCOPE around it,
 * at about 100 ns and 1 µs per iteration (tools/measure-scopes.sh; run with
 * --filter '^scope_', they are not part of make bench). bench_scopes_off.c
 * has the same scoped body compiled with -DBG_NO_SCOPES. */
#include <benchgate.h>

#include "bench_scopes.h"

/* A dependent chain of multiply-adds the compiler cannot shorten: about
 * 1.3 ns a step on the 2-core VM. */
uint64_t __attribute__((noinline)) bg_bench_chain(uint64_t x, int64_t steps)
{
    for (int64_t i = 0; i < steps; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ __volatile__("" : "+r"(x));
    }
    return x;
}

BENCH(scope_cost)
{
    int64_t steps = bg_arg(b, 0);
    uint64_t x = 1;
    BENCH_LOOP(b) {
        BG_SCOPE(b, "work") { x = bg_bench_chain(x, steps); }
    }
    bg_do_not_optimize(x);
}

BENCH_SPEC(scope_cost)
{
    bg_spec_args(s, "steps", (const int64_t[]){75, 750}, 2);
    bg_spec_on_request(s);
}

BENCH(scope_plain)
{
    int64_t steps = bg_arg(b, 0);
    uint64_t x = 1;
    BENCH_LOOP(b) {
        x = bg_bench_chain(x, steps);
    }
    bg_do_not_optimize(x);
}

BENCH_SPEC(scope_plain)
{
    bg_spec_args(s, "steps", (const int64_t[]){75, 750}, 2);
    bg_spec_on_request(s);
}
