/* benchgate: a benchmark harness and regression detector for C.
 *
 * The one public header. A benchmark file looks like this:
 *
 *     #include <benchgate.h>
 *
 *     BENCH(sort_1k) {
 *         int *data = make_data(1000);          // setup, not timed
 *         int *work = malloc(1000 * sizeof *work);
 *         bg_set_items(b, 1000);                 // throughput: items per iteration
 *         BENCH_LOOP(b) {                        // timed body
 *             memcpy(work, data, 1000 * sizeof *work);
 *             qsort(work, 1000, sizeof *work, cmp_int);
 *             bg_do_not_optimize(work[0]);
 *         }
 *         free(work); free(data);                // teardown, not timed
 *     }
 *
 * and is linked with `benchgate_main` (which provides main()). Every BENCH
 * registers itself before main() runs, whichever .c file of the binary it is
 * in; benchmarks run in order of name.
 *
 * How a benchmark runs: the harness forks several child processes per
 * benchmark. In each, the BENCH function is called once; BENCH_LOOP then
 * repeats its body in timed batches ("samples") of growing iteration counts
 * (warm-up first, then k, 2k, 3k ... iterations) until the harness has
 * enough data, so setup and teardown run once per process. Do not `break`
 * or `return` out of a BENCH_LOOP.
 *
 * Functions return 0 on success and a negative BG_E* code on failure;
 * bg_strerror() turns a code into text.
 */
#ifndef BENCHGATE_H
#define BENCHGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BG_VERSION_MAJOR 0
#define BG_VERSION_MINOR 1
#define BG_VERSION_PATCH 0
#define BG_VERSION_STRING "0.1.0"

#if defined(__GNUC__) || defined(__clang__)
#define BG_API __attribute__((visibility("default")))
#else
#define BG_API
#endif

/* ---- error codes ---- */
enum {
    BG_OK = 0,
    BG_EINVAL = -1,    /* invalid argument */
    BG_ENOMEM = -2,    /* out of memory */
    BG_EIO = -3,       /* file or pipe I/O failed (see errno) */
    BG_EPARSE = -4,    /* malformed input (JSON, flag value, ...) */
    BG_ESCHEMA = -5,   /* a record of an unknown or newer schema */
    BG_ENOTFOUND = -6, /* no such benchmark / file / ref */
    BG_EGIT = -7,      /* a git operation failed */
    BG_EUNAVAIL = -8,  /* a feature is unavailable on this machine */
    BG_ENUMERIC = -9   /* a numerical routine failed (degenerate data) */
};

/* Text for an error code; never NULL, static storage. */
BG_API const char *bg_strerror(int code);

/* ---- writing benchmarks ---- */

/* The state of one running benchmark, passed to every BENCH function as `b`.
 * Opaque except for the fields BENCH_LOOP reads. */
typedef struct bg_state bg_state;

typedef void (*bg_bench_fn)(bg_state *b);

/* Registers a benchmark. BENCH() calls this from a constructor; call it
 * directly to register benchmarks built at run time. `name` must stay valid
 * for the life of the process (a string literal). Returns BG_EINVAL for a
 * NULL or empty name, or one that is not valid UTF-8 or holds a control
 * character, and BG_ENOMEM when out of memory; a duplicate name is reported
 * when the harness starts. */
BG_API int bg_register(const char *name, bg_bench_fn fn, const char *file, int line);

#define BG__CAT2(a, b) a##b
#define BG__CAT(a, b) BG__CAT2(a, b)

/* Defines and registers a benchmark called `name` (a C identifier). The body
 * that follows is the benchmark function; it receives `bg_state *b`. */
#define BENCH(name)                                                                  \
    static void BG__CAT(bg__bench_, name)(bg_state * b);                              \
    __attribute__((constructor)) static void BG__CAT(bg__register_, name)(void)       \
    {                                                                                \
        (void)bg_register(#name, BG__CAT(bg__bench_, name), __FILE__, __LINE__);     \
    }                                                                                \
    static void BG__CAT(bg__bench_, name)(bg_state * b)

/* Starts the next sample and returns its iteration count, or 0 when the
 * harness has enough samples. Reads the clock last. Internal: use BENCH_LOOP. */
BG_API uint64_t bg__sample_begin(bg_state *b);
/* Ends the current sample. Reads the clock first. Internal: use BENCH_LOOP. */
BG_API void bg__sample_end(bg_state *b);

/* The timed loop. Its body runs `iters` times per sample, between two clock
 * reads; the loop counter is the only per-iteration overhead. */
#define BENCH_LOOP(b)                                                                \
    for (uint64_t bg__n_; (bg__n_ = bg__sample_begin(b)) != 0; bg__sample_end(b))    \
        for (; bg__n_ > 0; --bg__n_)

/* Keeps the compiler from deleting a computation whose result is unused:
 * `x` is treated as read by an opaque instruction. Scalars and pointers. */
#if defined(__GNUC__) || defined(__clang__)
#define bg_do_not_optimize(x) __asm__ __volatile__("" : : "g"(x) : "memory")
/* Forces all pending memory writes to be treated as visible. */
#define bg_clobber_memory() __asm__ __volatile__("" : : : "memory")
#else
BG_API void bg__sink(const volatile void *p);
#define bg_do_not_optimize(x) bg__sink(&(x))
#define bg_clobber_memory() bg__sink(NULL)
#endif

/* Declares throughput: items (or bytes) processed by one iteration. The
 * report then shows items/s (or bytes/s) beside the time. */
BG_API void bg_set_items(bg_state *b, uint64_t items_per_iter);
BG_API void bg_set_bytes(bg_state *b, uint64_t bytes_per_iter);

/* Marks the benchmark as skipped with a reason (e.g. "no GPU"); call before
 * BENCH_LOOP, which then runs no samples. Skipped is not failed. */
BG_API void bg_skip(bg_state *b, const char *reason);

/* The benchmark's name (useful in messages). */
BG_API const char *bg_name(const bg_state *b);

/* ---- arguments, thread teams and growth order: a benchmark's spec ----
 *
 * A spec turns one BENCH into a family of instances, each a benchmark of its
 * own (selected by --filter, stored, compared, gated and reported alone):
 *
 *     BENCH(sort) {
 *         size_t n = (size_t)bg_arg(b, 0);   // this instance's n
 *         ...
 *     }
 *     BENCH_SPEC(sort) {
 *         bg_spec_range(s, "n", 1 << 10, 10000000, 8); // 1024, 8192, ... 10M
 *         bg_spec_complexity(s, "n", BG_BIGO_AUTO);       // fit the growth order
 *     }
 *
 * Instances are named `sort/1024` for one argument and no threads, else
 * `sort/n:1024/threads:4`; arguments vary first-to-last (the last fastest),
 * threads outermost last. A spec with a mistake (an empty range, a zero
 * multiplier, too many threads) makes the harness exit 2 naming the
 * benchmark; nothing runs. Specs are read when the harness starts. */
typedef struct bg_spec bg_spec;
typedef void (*bg_spec_fn)(bg_spec *s);

/* Registers the spec of the BENCH called `bench` (BENCH_SPEC calls this). A
 * spec for a name no BENCH has is reported when the harness starts. */
BG_API int bg_register_spec(const char *bench, bg_spec_fn fn, const char *file, int line);

/* Defines the spec of BENCH(name); the body receives `bg_spec *s`. */
#define BENCH_SPEC(name)                                                             \
    static void BG__CAT(bg__spec_, name)(bg_spec * s);                                \
    __attribute__((constructor)) static void BG__CAT(bg__register_spec_, name)(void)  \
    {                                                                                \
        (void)bg_register_spec(#name, BG__CAT(bg__spec_, name), __FILE__, __LINE__); \
    }                                                                                \
    static void BG__CAT(bg__spec_, name)(bg_spec * s)

/* Most arguments per benchmark, and most values of one argument. */
#define BG_ARGS_MAX 4
#define BG_ARG_VALUES_MAX 64
/* Most threads in a team: a sane limit above any core count this runs on. */
#define BG_THREADS_MAX 256

/* An argument called `arg` (letters, digits, '_') taking the n values given. */
BG_API void bg_spec_args(bg_spec *s, const char *arg, const int64_t *values, size_t n);
/* lo, lo*mult, lo*mult^2, ... below hi, then hi itself (Google Benchmark's
 * Range): bg_spec_range(s, "n", 1 << 10, 10000000, 8). Needs 0 < lo <= hi
 * and mult >= 2. */
BG_API void bg_spec_range(bg_spec *s, const char *arg, int64_t lo, int64_t hi, int64_t mult);
/* lo, lo+step, ... up to hi (DenseRange). Needs lo <= hi and step >= 1. */
BG_API void bg_spec_dense(bg_spec *s, const char *arg, int64_t lo, int64_t hi, int64_t step);
/* Runs the body on a team of each of these thread counts (1..BG_THREADS_MAX). */
BG_API void bg_spec_threads(bg_spec *s, const int *counts, size_t n);
/* Thread counts lo, 2lo, 4lo, ... and hi; hi 0 means the number of cores. */
BG_API void bg_spec_threads_range(bg_spec *s, int lo, int hi);
/* Memory an instance needs per unit of `arg` (bytes): an instance whose
 * arg * bytes_per_unit does not fit in the memory available is skipped with
 * the figures, instead of being killed by the kernel half way. */
BG_API void bg_spec_memory(bg_spec *s, const char *arg, double bytes_per_unit);

/* Runs the instances only when --filter selects them: for sweeps too long
 * for the default suite (`make bench`), e.g. a 1K..10M size sweep. */
BG_API void bg_spec_on_request(bg_spec *s);

/* Growth orders: fitted (BG_BIGO_AUTO) or declared. */
typedef enum bg_big_o {
    BG_BIGO_NONE = 0,
    BG_BIGO_AUTO, /* the best of the classes below, by least squares */
    BG_BIGO_1,    /* O(1) */
    BG_BIGO_LOGN, /* O(log n) */
    BG_BIGO_N,    /* O(n) */
    BG_BIGO_NLOGN,/* O(n log n) */
    BG_BIGO_N2,   /* O(n^2) */
    BG_BIGO_N3    /* O(n^3) */
} bg_big_o;
/* Asks for the growth order of time per iteration in argument `arg`, over
 * the instances that differ only in it: fitted (BG_BIGO_AUTO) or the declared
 * class's coefficient. The class, coefficient and RMS are reported and
 * stored; a run whose class grew (O(n) -> O(n^2)) is a regression. */
BG_API void bg_spec_complexity(bg_spec *s, const char *arg, bg_big_o o);

/* Argument i of this instance (in the order the spec named them); 0 when
 * the benchmark has no argument i. */
BG_API int64_t bg_arg(const bg_state *b, size_t i);
/* In a thread team: this thread's index (0..T-1) and T. 0 and 1 outside
 * one. Every thread of a team calls the BENCH function with its own `b` and
 * runs BENCH_LOOP; a barrier releases the team into each sample together and
 * the sample's time is the team's wall time, from the release to the last
 * thread's end. Time per iteration is that time / iterations; declare
 * throughput with bg_set_items from every thread (the team's items are the
 * sum), and each instance reports its scaling efficiency against the
 * 1-thread instance. Every thread must run BENCH_LOOP (thread 0 decides the
 * iteration counts and bg_skip). */
BG_API int bg_thread_index(const bg_state *b);
BG_API int bg_threads(const bg_state *b);

/* ---- user counters ---- */

/* How a user counter's values become its figure. */
typedef enum bg_count_kind {
    BG_COUNT_ITER = 1, /* summed over a sample, divided by its iterations (per iteration) */
    BG_COUNT_SAMPLE,   /* summed over a sample, shown per sample (not divided) */
    BG_COUNT_RATE,     /* summed over a sample, divided by its time (per second) */
    BG_COUNT_MAX       /* the largest value of a sample; the largest of all shown */
} bg_count_kind;

/* Adds `value` to the user counter `name` (letters, digits, '_', '.', at
 * most 31 bytes) in the sample in progress: call it inside BENCH_LOOP (a
 * call outside a sample counts nowhere). Recorded per sample like the
 * built-in counters, shown by every reporter, compared with --metric name.
 * At most 8 per benchmark, one kind per name. A name of a built-in metric
 * (time, cpu, instructions, max_rss_bytes, ...) is an error naming the
 * benchmark. */
BG_API void bg_counter(bg_state *b, const char *name, double value, bg_count_kind kind);

/* ---- scopes: named regions inside the timed body ----
 *
 * A scope times a part of the body, as a benchmark of its own named
 * `bench/scope` (`bench/parse/tokenize` when nested), stored, compared and
 * gated like any benchmark:
 *
 *     BENCH_LOOP(b) {
 *         BG_SCOPE(b, "parse") {
 *             BG_SCOPE(b, "tokenize") { tokenize(in); }
 *             build_tree(in);
 *         }
 *         BG_SCOPE(b, "eval") { eval(tree); }
 *     }
 *
 * Per scope: time per iteration (the sum of its entries within one
 * iteration) with its interval, its share of what encloses it (the scope
 * around it, or the whole body), and its calls per iteration (the user
 * counter `calls`). The scope's time is the wall clock between its begin
 * and end, paused time included; its CPU figure is prorated from its
 * sample's. Scopes count in measured samples only, and not in
 * instruction mode; in a thread team a scope's time and entries are the
 * mean over the team's threads.
 *
 * Cost per entry (bg_scope_begin + bg_scope_end; tools/measure-scopes.sh,
 * 5 runs on the loaded 2-core VM, where a TSC read costs 11 ns): 23 ns on
 * (the TSC where it is invariant, else clock_gettime), 4.4 ns switched off
 * at run time (--no-scopes: two calls and a test), nothing compiled out
 * (-DBG_NO_SCOPES). On a body of 0.88 us a scope adds 1.0 % (median of 5
 * runs, 0.5-1.1 %), on one of 88 ns 4.9 %; switched off or compiled out
 * 0.0 %. A scope's own figure has what an empty scope reads (12 ns) taken
 * out; below ~10 entry costs it is rough, and says so.
 *
 * Rules: `name` is 1-31 letters, digits, '_', '.' or '-', and stays
 * unchanged for the life of the process (a string literal); at most
 * BG_SCOPES_MAX distinct scopes per benchmark, nested at most
 * BG_SCOPE_DEPTH_MAX deep; every begin has its end within the same
 * iteration (no `break`, `continue`, `goto` or `return` out of a BG_SCOPE).
 * A benchmark that breaks a rule fails with a message naming the scope;
 * the other benchmarks run on. Calls outside a sample count nowhere. */
#define BG_SCOPES_MAX 16
#define BG_SCOPE_DEPTH_MAX 8

BG_API void bg_scope_begin(bg_state *b, const char *name);
BG_API void bg_scope_end(bg_state *b);

#ifdef BG_NO_SCOPES
#define bg_scope_begin(b, name) ((void)(b), (void)(name))
#define bg_scope_end(b) ((void)(b))
#define BG_SCOPE(b, name)                                                            \
    for (int BG__CAT(bg__scope_, __LINE__) = (bg_scope_begin(b, name), 1);           \
         BG__CAT(bg__scope_, __LINE__); BG__CAT(bg__scope_, __LINE__) = 0)
#else
/* The statement that follows runs once, between bg_scope_begin(b, name)
 * and bg_scope_end(b). */
#define BG_SCOPE(b, name)                                                            \
    for (int BG__CAT(bg__scope_, __LINE__) = (bg_scope_begin(b, name), 1);           \
         BG__CAT(bg__scope_, __LINE__); BG__CAT(bg__scope_, __LINE__) = 0, bg_scope_end(b))
#endif

/* ---- timing control ---- */

/* Stops and restarts the clock inside BENCH_LOOP: what runs between them is
 * not timed (wall and CPU). One pause+resume pair costs 33 ns at best and
 * a median of 40-60 ns (two measurements of 5 runs on the shared, loaded
 * 2-core VM, tools/measure-api.sh): two clock reads each. Use them around work far
 * longer than that, or use BENCH_LOOP_BATCHED. */
BG_API void bg_pause(bg_state *b);
BG_API void bg_resume(bg_state *b);

/* Manual time: the benchmark measured this iteration itself (CUDA events,
 * a device timer) and reports it in ns. A sample in which it was called
 * takes the sum of the reported times as its time instead of the clock's. */
BG_API void bg_set_iteration_time(bg_state *b, double ns);

/* Untimed per-iteration setup, as Criterion's iter_batched: each sample
 * first evaluates the expression `setup` for every iteration i (0..iters-1)
 * with the clock paused, then times the body over the batch, which sees the
 * same i:
 *
 *     BENCH_LOOP_BATCHED(b, i, fill(&in[i % NBUF], n)) {
 *         sort_ints(&in[i % NBUF], n);
 *     }
 *
 * Costs one pause+resume per sample and a compare per iteration. */
#define BENCH_LOOP_BATCHED(b, i, setup)                                              \
    for (uint64_t bg__n_; (bg__n_ = bg__sample_begin(b)) != 0; bg__sample_end(b))    \
        for (uint64_t bg__s_ = (bg_pause(b), 0), i = 0; bg__s_ < 2 * bg__n_; ++bg__s_) \
            if (bg__s_ < bg__n_ ? (i = bg__s_, (void)(setup),                        \
                                   (bg__s_ + 1 == bg__n_ ? bg_resume(b) : (void)0), 1) \
                                : (i = bg__s_ - bg__n_, 0)) {                         \
            } else

/* ---- running ---- */

/* Runs the harness: parses argv, runs the selected benchmarks, prints and
 * writes results. Returns the process exit code (0 ok, 2 usage error,
 * 3 a benchmark crashed or timed out). benchgate_main's main() calls it. */
BG_API int bg_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
