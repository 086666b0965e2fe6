/* A bench binary for test_scopes: nested scopes with known entries per
 * iteration, a team with scopes, and each misuse (SCOPE_BENCH_BAD=<case>
 * picks one: end, open, deep, many, name) that must fail its benchmark
 * alone. SCOPE_BENCH_SLOW=1 makes the tokenize scope 4x longer (a
 * regression inside one scope, for the gate). */
#include <stdlib.h>
#include <string.h>

#include <benchgate.h>

/* About n ns of dependent arithmetic the compiler cannot remove. */
static void spin(unsigned n)
{
    volatile unsigned x = 1;
    for (unsigned i = 0; i < n; i++)
        x = x * 1664525u + 1013904223u;
}

static const char *bad(void)
{
    const char *v = getenv("SCOPE_BENCH_BAD");
    return v ? v : "";
}

/* parse (1 entry/iter) holding tokenize (1), then eval (2). */
BENCH(scoped)
{
    unsigned tok = getenv("SCOPE_BENCH_SLOW") ? 1200 : 300;
    BENCH_LOOP(b) {
        BG_SCOPE(b, "parse") {
            BG_SCOPE(b, "tokenize") { spin(tok); }
            spin(300);
        }
        for (int k = 0; k < 2; k++)
            BG_SCOPE(b, "eval") { spin(200); }
        spin(50);
    }
}

/* A team of 2: thread t enters "work" t + 1 times per iteration, so the
 * team's mean is 1.5 entries; thread 1 alone has "extra". */
BENCH(scoped_team)
{
    int t = bg_thread_index(b);
    BENCH_LOOP(b) {
        for (int k = 0; k <= t; k++)
            BG_SCOPE(b, "work") { spin(200); }
        if (t == 1)
            BG_SCOPE(b, "extra") { spin(50); }
    }
}

BENCH_SPEC(scoped_team)
{
    bg_spec_threads(s, (const int[]){2}, 1);
}

/* One of the misuses, else a plain scope. */
BENCH(misuse)
{
    const char *m = bad();
    static char names[BG_SCOPES_MAX + 1][8];
    BENCH_LOOP(b) {
        if (!strcmp(m, "end")) {
            bg_scope_end(b);
        } else if (!strcmp(m, "open")) {
            bg_scope_begin(b, "left_open");
            spin(10);
        } else if (!strcmp(m, "deep")) {
            static const char *const lv[] = {"l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"};
            for (int i = 0; i < 9; i++)
                bg_scope_begin(b, lv[i]);
            for (int i = 0; i < 9; i++)
                bg_scope_end(b);
        } else if (!strcmp(m, "many")) {
            for (int i = 0; i <= BG_SCOPES_MAX; i++) {
                names[i][0] = 's';
                names[i][1] = (char)('a' + i);
                BG_SCOPE(b, names[i]) { spin(1); }
            }
        } else if (!strcmp(m, "name")) {
            BG_SCOPE(b, "has space") { spin(10); }
        } else {
            BG_SCOPE(b, "fine") { spin(10); }
        }
    }
}
