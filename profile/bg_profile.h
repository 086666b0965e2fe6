/* Where the cycles of a benchmark go: one extra process of it run under
 * `perf record -g` (perf.c), its samples folded into stacks (folded.c, the
 * "a;b;c N" format that flamegraph.pl, inferno and speedscope read), the top
 * functions by self time, and an SVG flamegraph (flamegraph.c).
 *
 * perf is an external program found on PATH and confined to perf.c; when it
 * is missing or not permitted the profile is "unavailable: why" and nothing
 * else changes. The profiled process is never part of the estimates.
 *
 * Ownership: a bg_folded owns its stack strings; free with
 * bg__folded_free. bg_profile is plain data. */
#ifndef BG_PROFILE_H
#define BG_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Set, in the profiled bench binary's environment, to a file that it writes
 * its process id into: samples of that process (the harness around the
 * benchmark) are left out, those of the benchmark's own process kept. */
#define BG_PROFILE_INNER_ENV "BENCHGATE_PROFILE_INNER"

#define BG_PROFILE_TOP 10

/* Folded stacks: each distinct stack (root first, frames joined by ';')
 * and how many samples ended in it. */
typedef struct bg_folded {
    char **stack;
    size_t *count;
    size_t n, cap;
    size_t total;   /* samples kept */
    size_t skipped; /* samples of an excluded process */
    /* lookup: open addressing over indices + 1 (0 = empty) */
    size_t *slots;
    size_t nslots;
} bg_folded;

void bg__folded_free(bg_folded *f);
/* Adds `count` samples of one stack (root first, ';'-joined). BG_ENOMEM. */
int bg__folded_add(bg_folded *f, const char *stack, size_t count);
/* Reads `perf script -F pid,tid,period,ip,sym,dso` text: a header line
 * "PID/TID PERIOD" per sample, then its frames leaf first ("ADDR SYMBOL
 * (DSO)"), then a blank line. Samples of process exclude_pid (0: none) are
 * counted in f->skipped and dropped. A frame without a symbol is named
 * after its DSO ("[libc.so.6]"); kernel frames get the suffix "_[k]".
 * Returns 0, BG_ENOMEM, or BG_EPARSE (message in err) for text that is not
 * perf script output. */
int bg__fold_perf_script(FILE *in, pid_t exclude_pid, bg_folded *f, char *err, size_t errlen);
/* Parses folded text ("a;b;c 12" lines) into f: 0, BG_ENOMEM, or BG_EPARSE
 * naming the line. */
int bg__folded_read(FILE *in, bg_folded *f, char *err, size_t errlen);
/* Indices of f's stacks in sorted (strcmp) order, malloc'd (the caller
 * frees), or NULL when out of memory. */
size_t *bg__folded_sorted(const bg_folded *f);
/* Writes f as folded text, stacks sorted. 0 or BG_EIO. */
int bg__folded_write(const bg_folded *f, FILE *out);

/* A function and the share of samples whose leaf frame it is. */
typedef struct bg_profile_fn {
    char name[160];
    size_t samples;
    double self; /* samples / total */
} bg_profile_fn;

/* The functions with the most self samples, most first; returns how many
 * (at most max). */
size_t bg__folded_top(const bg_folded *f, bg_profile_fn *top, size_t max);

/* Writes f as an SVG flamegraph (root at the bottom, width by samples,
 * a <title> per frame with its samples and share). Frames narrower than
 * 0.05 % are left out. Names are escaped for XML. 0, BG_ENOMEM or BG_EIO. */
int bg__flamegraph_svg(const bg_folded *f, const char *title, FILE *out);

/* What one benchmark's profile gave. */
typedef struct bg_profile {
    size_t samples;
    char folded[4096]; /* paths of the files written */
    char svg[4096];
    size_t ntop;
    bg_profile_fn top[BG_PROFILE_TOP];
} bg_profile;

/* How to profile. */
typedef struct bg_profile_opts {
    const char *exe;      /* the bench binary to run (normally /proc/self/exe's target) */
    const char *dir;      /* where the files go (created) */
    double seconds;       /* measurement time of the profiled process */
    int frequency;        /* samples per second (perf -F) */
} bg_profile_opts;

/* Runs benchmark `name` of o->exe once more under perf record (cpu-clock,
 * call graphs), folds its stacks into <dir>/<name>.folded, draws
 * <dir>/<name>.svg and fills *out. Returns 0, or BG_EUNAVAIL with why
 * ("perf not found on PATH: install linux-perf", "perf is not permitted:
 * ... (kernel.perf_event_paranoid=3; allow with ...)") and nothing written
 * but perf's log. */
int bg__profile_bench(const bg_profile_opts *o, const char *name, bg_profile *out, char *why, size_t nwhy);

/* In the profiled process (BG_PROFILE_INNER_ENV set): writes this process's
 * id to the file it names. Returns true when it is set (the caller then
 * runs the one benchmark quietly, saving nothing). */
bool bg__profile_inner(void);

/* A file name made from a benchmark name: letters, digits, '.', '-', '_'
 * kept, anything else '_'. */
void bg__profile_file_stem(const char *name, char *out, size_t n);

#endif
