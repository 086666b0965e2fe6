/* Error codes to text and to exit statuses, and the messages of the benchgate command. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_exit.h"
#include "bg_model.h"

const char *bg_strerror(int code)
{
    switch (code) {
    case BG_OK: return "success";
    case BG_EINVAL: return "invalid argument";
    case BG_ENOMEM: return "out of memory";
    case BG_EIO: return "input/output error";
    case BG_EPARSE: return "malformed input";
    case BG_ESCHEMA: return "unsupported record schema";
    case BG_ENOTFOUND: return "not found";
    case BG_EGIT: return "git operation failed";
    case BG_EUNAVAIL: return "unavailable on this machine";
    case BG_ENUMERIC: return "numerical failure (degenerate data)";
    default: return "unknown error";
    }
}

bg_exit bg__exit_of(int bg_error_code)
{
    return bg_error_code == BG_OK ? BG_EXIT_OK : BG_EXIT_USAGE;
}

#if !defined(__GNUC__) && !defined(__clang__)
void bg__sink(const volatile void *p)
{
    (void)p;
}
#endif

void bg__errf(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* A longer message is cut at 2 KiB: no message of ours comes near. */
    bg__wrapf(stderr, bg__wrap_width(stderr), "benchgate: %s", msg);
}

int bg__parse_number(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) {
        bg__errf("invalid value '%s' for %s (expected a number in [%g, %g])", v, flag, lo, hi);
        return BG_EINVAL;
    }
    *out = d;
    return 0;
}
