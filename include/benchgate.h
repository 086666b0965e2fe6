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

/* ---- running ---- */

/* Runs the harness: parses argv, runs the selected benchmarks, prints and
 * writes results. Returns the process exit code (0 ok, 2 usage error,
 * 3 a benchmark crashed or timed out). benchgate_main's main() calls it. */
BG_API int bg_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
