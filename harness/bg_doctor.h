/* The machine doctor: what on this machine makes benchmarks noisy, and the
 * exact fix for each finding; and the bench binary's "this looks noisy" test.
 *
 * The doctor only reads files under /proc and /sys (through a root prefix,
 * so tests can build a fake tree) and the clocks; it never needs root and
 * never changes anything. Each finding says whether its fix needs root. */
#ifndef BG_DOCTOR_H
#define BG_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "bg_model.h"

typedef enum bg_doc_level {
    BG_DOC_OK = 0,  /* nothing to do */
    BG_DOC_NOTE,    /* worth knowing; may widen intervals, does not bias them */
    BG_DOC_WARN,    /* makes measurements noisy or biased: fix it */
    BG_DOC_UNKNOWN  /* could not be inspected here (file missing, no permission) */
} bg_doc_level;

const char *bg__doc_level_name(bg_doc_level l); /* "ok", "note", "warn", "unknown" */

typedef struct bg_finding {
    char check[24];   /* "governor", "boost", "smt", "aslr", "perf", "load", "busy",
                       * "virtualization", "steal", "isolation", "clocksource", "timer" */
    bg_doc_level level;
    char found[320];  /* what was found, for a person */
    char fix[512];    /* the exact command or step; "" when nothing to do */
    bool needs_root;  /* the fix needs root */
} bg_finding;

#define BG_DOCTOR_MAX 24

typedef struct bg_doctor_report {
    bg_finding f[BG_DOCTOR_MAX];
    size_t n;
} bg_doctor_report;

typedef struct bg_doctor_opts {
    const char *root;  /* prefix of every /proc and /sys path; NULL means "/" */
    int sample_ms;     /* time between the two /proc samples (steal, busy
                        * processes, per-CPU load); default 300 */
    void (*between)(void *ud); /* called between the two samples, or NULL
                                * (tests change the fake files there) */
    void *ud;
    pid_t self;        /* left out of the busy processes (0: getpid()) */
    bool measure_timer; /* measure the real clocks (false in tests of a fake tree) */
} bg_doctor_opts;

void bg__doctor_opts_default(bg_doctor_opts *o);

/* Inspects the machine (or the fake tree under o->root) and fills *out.
 * Missing files become BG_DOC_UNKNOWN findings, never errors. Returns 0, or
 * BG_EINVAL for a NULL argument. */
int bg__doctor_collect(const bg_doctor_opts *o, bg_doctor_report *out);

/* Prints a report as text (one finding a line, its fix indented below) or
 * as JSON ({"schema": "benchgate.doctor", "findings": [...]}). */
int bg__doctor_print(FILE *f, const bg_doctor_report *r, bool json);

/* Collects with the defaults under `root` (NULL = "/") and prints. */
int bg__doctor(FILE *out, const char *root, bool json);

/* ---- "these measurements look noisy" (the bench binary) ---- */

/* Between-process coefficient of variation of the per-process means above
 * which a result is called noisy. 3 %: on a quiet machine the processes of
 * the project's own benchmarks differ by well under 1 %; above 3 % some
 * outside activity or frequency change is at work. */
#define BG_NOISY_CV 0.03

/* True when r looks noisy: the per-process means of its wall time differ by
 * more than BG_NOISY_CV, or (when c is not NULL, not --quick and the number
 * of processes was free to grow) the precision target was not reached with
 * the processes or budget allowed. `why` gets a short reason naming the
 * benchmark and the figure. */
bool bg__noisy(const bg_config *c, const bg_result *r, char *why, size_t n);

/* Scans a run: true when any result is noisy; `why` gives the first noisy
 * one's reason and how many more were noisy. */
bool bg__run_noisy(const bg_run *run, char *why, size_t n);

#endif
