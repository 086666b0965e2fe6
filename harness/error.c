/* Error codes to text. */
#include "benchgate.h"

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

#if !defined(__GNUC__) && !defined(__clang__)
void bg__sink(const volatile void *p)
{
    (void)p;
}
#endif
