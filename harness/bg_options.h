/* The one command-line option parser of benchgate: a table of options, read
 * one argument at a time, that also writes the options part of --help, so
 * that what is parsed and what is documented cannot disagree. Used by the
 * bench binary (driver.c) and by every `benchgate` command (cli/).
 *
 * A table is an array of bg_opt ending with an entry whose name and help
 * are both NULL. An entry with name NULL and help set is a heading line of
 * the --help text. Options are long (--name), optionally with a one-letter
 * short form (-x); a value follows as --name VALUE or --name=VALUE. --help
 * and -h are understood without an entry. "--" ends the options: what
 * follows is positional. Depends on libc only. */
#ifndef BG_OPTIONS_H
#define BG_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct bg_opt {
    int id;              /* returned by bg_opt_next; > 0 */
    const char *name;    /* long name without "--"; NULL for a heading */
    char short_name;     /* 'x' for -x, or 0 */
    const char *arg;     /* the value's placeholder in --help ("DIR"), or NULL: no value */
    const char *aliases; /* other accepted long names, space-separated, without "--"
                          * (an older spelling, a second name; --help names them), or NULL */
    const char *help;    /* one line or several separated by '\n'; for a heading, its text */
} bg_opt;

/* What bg_opt_next returns besides an option's id. */
enum {
    BG_OPT_END = 0,    /* no argument left */
    BG_OPT_POS = -1,   /* a positional argument, in *val */
    BG_OPT_HELP = -2,  /* --help or -h */
    BG_OPT_ERROR = -3, /* unknown option, missing or unexpected value: said on err */
};

/* The state of one parse. Everything is borrowed: opts, prog and argv must
 * outlive the parser; values point into argv. */
typedef struct bg_opt_parser {
    const bg_opt *opts;
    const char *prog; /* names the program in messages: "benchgate compare", "mybench" */
    FILE *err;        /* where messages go (stderr when NULL) */
    int argc;
    char **argv;
    int i;            /* the next argument to read */
    bool only_pos;    /* after "--" */
    const bg_opt *cur;/* the option just returned (NULL otherwise) */
    char name[64];    /* its name as written ("--padjust"), for messages */
} bg_opt_parser;

/* Starts a parse of argv[first..argc-1]. */
void bg_opt_init(bg_opt_parser *p, const bg_opt *opts, const char *prog, int argc, char **argv, int first);

/* Reads the next argument: an option's id (with its value in *val, NULL for
 * an option without one), or one of BG_OPT_*. After BG_OPT_ERROR the message
 * has been printed ("PROG: unknown option '--x'; see PROG --help") and the
 * parse should stop. */
int bg_opt_next(bg_opt_parser *p, const char **val);

/* Prints "PROG: <message>\n" on the parser's err stream: for a value or a
 * positional argument the caller refuses. */
void bg_opt_errf(const bg_opt_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "PROG: unexpected argument 'ARG'; see PROG --help". */
void bg_opt_unexpected(const bg_opt_parser *p, const char *arg);

/* Writes the options part of --help: one line per option ("  --name ARG"
 * then its help, aligned), continuation lines indented, headings as they
 * are, aliases named after the help ("(alias: --padjust)"), and last
 * "-h, --help". */
void bg_opt_help(FILE *f, const bg_opt *opts);

#endif
