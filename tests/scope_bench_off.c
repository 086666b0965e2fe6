/* The same scopes compiled out: -DBG_NO_SCOPES turns BG_SCOPE into a plain
 * block, so this benchmark times no scope at all. */
#define BG_NO_SCOPES
#include <benchgate.h>

BENCH(compiled_out)
{
    volatile unsigned x = 1;
    BENCH_LOOP(b) {
        BG_SCOPE(b, "never") { x = x * 3u + 1u; }
        bg_scope_begin(b, "never_either");
        bg_scope_end(b);
    }
}
