/* Examples of the benchmark API's sweeps: a sort and a hash-table insert
 * over sizes 1K..10M with their growth order, a parallel sum over thread
 * teams, user counters, pause/resume, batched setup, manual time and an
 * empty body. The 1K..10M sweeps run only when --filter selects them
 * (bg_spec_on_request): `--filter '^(sort|hash_insert)/'`. */
#include <stdlib.h>
#include <string.h>

#include <benchgate.h>

/* xorshift64: a fast reproducible stream of inputs. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* ---- sort: expect O(n log n) ---- */

BENCH(sort)
{
    size_t n = (size_t)bg_arg(b, 0);
    uint32_t *src = malloc(n * sizeof *src), *work = malloc(n * sizeof *work);
    if (!src || !work) {
        free(src);
        free(work);
        bg_skip(b, "out of memory for the input");
        return;
    }
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++)
        src[i] = (uint32_t)next_rand(&s);
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        bg_pause(b); /* the copy is setup: not timed */
        memcpy(work, src, n * sizeof *work);
        bg_resume(b);
        qsort(work, n, sizeof *work, cmp_u32);
        bg_do_not_optimize(work[0]);
    }
    free(src);
    free(work);
}

BENCH_SPEC(sort)
{
    bg_spec_range(s, "n", 1 << 10, 10000000, 8);
    bg_spec_complexity(s, "n", BG_BIGO_AUTO);
    bg_spec_memory(s, "n", 8); /* two arrays of 4-byte keys */
    bg_spec_on_request(s);
}

/* ---- hash-table insert (open addressing, linear probing): expect O(n) ---- */

typedef struct table {
    uint64_t *keys; /* 0: empty */
    size_t mask;
} table;

BENCH(hash_insert)
{
    size_t n = (size_t)bg_arg(b, 0);
    size_t cap = 1;
    while (cap < 2 * n)
        cap <<= 1; /* load factor at most 1/2 */
    table t = {calloc(cap, sizeof *t.keys), cap - 1};
    uint64_t *keys = malloc(n * sizeof *keys);
    if (!t.keys || !keys) {
        free(t.keys);
        free(keys);
        bg_skip(b, "out of memory for the table");
        return;
    }
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++)
        keys[i] = next_rand(&s) | 1;
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        bg_pause(b);
        memset(t.keys, 0, cap * sizeof *t.keys);
        bg_resume(b);
        uint64_t probes = 0;
        for (size_t i = 0; i < n; i++) {
            size_t h = (size_t)((keys[i] * 0x9e3779b97f4a7c15ull) >> 17) & t.mask;
            while (t.keys[h] && t.keys[h] != keys[i]) {
                h = (h + 1) & t.mask;
                probes++;
            }
            t.keys[h] = keys[i];
        }
        bg_counter(b, "probes", (double)probes, BG_COUNT_ITER);
    }
    free(t.keys);
    free(keys);
}

BENCH_SPEC(hash_insert)
{
    bg_spec_range(s, "n", 1 << 10, 10000000, 8);
    bg_spec_complexity(s, "n", BG_BIGO_AUTO);
    bg_spec_memory(s, "n", 40); /* keys (8) + a table of 2-4 slots of 8 */
    bg_spec_on_request(s);
}

/* ---- a parallel sum over 1, 2 and 4 threads (the team splits the array) ---- */

#define PSUM_N (1u << 22) /* 16 MiB of uint32: above the caches */
static uint32_t *psum_data;

BENCH(psum)
{
    int t = bg_thread_index(b), nt = bg_threads(b);
    if (t == 0 && !psum_data) {
        psum_data = malloc(PSUM_N * sizeof *psum_data);
        for (size_t i = 0; psum_data && i < PSUM_N; i++)
            psum_data[i] = (uint32_t)i;
    }
    size_t lo = (size_t)PSUM_N * (size_t)t / (size_t)nt;
    size_t hi = (size_t)PSUM_N * (size_t)(t + 1) / (size_t)nt;
    bg_set_items(b, hi - lo); /* the team's items are the sum: PSUM_N */
    BENCH_LOOP(b) { /* thread 0 filled the data before the first barrier */
        uint64_t sum = 0;
        for (size_t i = lo; i < hi; i++)
            sum += psum_data[i];
        bg_do_not_optimize(sum);
    }
}

BENCH_SPEC(psum)
{
    bg_spec_threads(s, (const int[]){1, 2, 4}, 3);
}

/* ---- the timing-control building blocks, measured ---- */

/* One bg_pause + bg_resume pair with nothing between: its cost. */
BENCH(api_pause_resume)
{
    BENCH_LOOP(b) {
        bg_pause(b);
        bg_resume(b);
    }
}

/* An empty body: measured as about 0, with a note. */
BENCH(api_empty_body)
{
    BENCH_LOOP(b) {
    }
}

/* Sorting 64 ints, each prepared untimed by a batched setup. */
#define BATCH_N 64
#define BATCH_BUF 256
static uint32_t batch_in[BATCH_BUF][BATCH_N];

static void shuffle_into(uint32_t *a, uint64_t seed)
{
    for (size_t i = 0; i < BATCH_N; i++)
        a[i] = (uint32_t)next_rand(&seed);
}

BENCH(api_batched_sort64)
{
    BENCH_LOOP_BATCHED(b, i, shuffle_into(batch_in[i % BATCH_BUF], i + 1)) {
        qsort(batch_in[i % BATCH_BUF], BATCH_N, sizeof(uint32_t), cmp_u32);
    }
}

/* Manual time: the benchmark reports each iteration as 1000 ns (a stand-in
 * for a device timer such as CUDA events). */
BENCH(api_manual_time)
{
    BENCH_LOOP(b) {
        bg_set_iteration_time(b, 1000.0);
    }
}

/* A user counter of each kind on a cheap body. */
BENCH(api_user_counters)
{
    uint64_t s = 1;
    BENCH_LOOP(b) {
        uint64_t x = next_rand(&s);
        bg_counter(b, "odd", (double)(x & 1), BG_COUNT_ITER);
        bg_counter(b, "samples", 1, BG_COUNT_SAMPLE);
        bg_counter(b, "draws", 1, BG_COUNT_RATE);
        bg_counter(b, "top_byte", (double)(x >> 56), BG_COUNT_MAX);
    }
}
