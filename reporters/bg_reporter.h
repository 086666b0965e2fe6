/* The reporter interface: each output format is a {name, begin, bench, end}
 * in one NULL-terminated table, chosen by name. A reporter sees only
 * finished results (the model's figures are computed before it is called)
 * and formats them; it computes no statistics. */
#ifndef BG_REPORTER_H
#define BG_REPORTER_H

#include <stddef.h>
#include <stdio.h>

#include "bg_model.h"

/* A reporter sees only finished results: begin once, bench per result, end once. */
typedef struct bg_reporter {
    const char *name;
    void (*begin)(FILE *f, const bg_run *run);
    void (*bench)(FILE *f, const bg_run *run, const bg_result *r);
    void (*end)(FILE *f, const bg_run *run);
} bg_reporter;

extern const bg_reporter bg__console_reporter;

/* Formats a duration in ns with an auto-scaled unit ("12.3 µs"). */
void bg__format_ns(double ns, char *buf, size_t len);

#endif
