/* The exit statuses of benchgate's programs (the bench binary and every
 * `benchgate` command), and the one mapping of a bg_error code to one. */
#ifndef BG_EXIT_H
#define BG_EXIT_H

typedef enum bg_exit {
    BG_EXIT_OK = 0,         /* done; the gate, ab or compare found no regression */
    BG_EXIT_REGRESSION = 1, /* a benchmark regressed (compare, gate, ab) */
    BG_EXIT_USAGE = 2,      /* usage or environment error; the message says what to do */
    BG_EXIT_CRASH = 3,      /* a benchmark crashed or timed out */
} bg_exit;

/* The exit status for a bg_error code: BG_EXIT_OK for 0; every BG_E* code
 * (bad input, missing data, I/O, git) is a usage or environment error. */
bg_exit bg__exit_of(int bg_error_code);

#endif
