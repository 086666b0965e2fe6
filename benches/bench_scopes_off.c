/* The scope-cost benchmark with scopes compiled out (-DBG_NO_SCOPES): the
 * same body as scope_cost in bench_scopes.c, BG_SCOPE a plain block. */
#define BG_NO_SCOPES
#include <benchgate.h>

#include "bench_scopes.h"

BENCH(scope_compiled_out)
{
    int64_t steps = bg_arg(b, 0);
    uint64_t x = 1;
    BENCH_LOOP(b) {
        BG_SCOPE(b, "work") { x = bg_bench_chain(x, steps); }
    }
    bg_do_not_optimize(x);
}

BENCH_SPEC(scope_compiled_out)
{
    bg_spec_args(s, "steps", (const int64_t[]){75, 750}, 2);
    bg_spec_on_request(s);
}
