/* The one command-line option parser (bg_options.h): a table of options read one argument at a time, and the --help lines written from the same table. */
#include <stdarg.h>
#include <string.h>

#include "bg_options.h"

void bg_opt_init(bg_opt_parser *p, const bg_opt *opts, const char *prog, int argc, char **argv, int first)
{
    memset(p, 0, sizeof *p);
    p->opts = opts;
    p->prog = prog;
    p->argc = argc;
    p->argv = argv;
    p->i = first;
}

static FILE *err_of(const bg_opt_parser *p)
{
    return p->err ? p->err : stderr;
}

void bg_opt_errf(const bg_opt_parser *p, const char *fmt, ...)
{
    FILE *f = err_of(p);
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%s: ", p->prog);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

void bg_opt_unexpected(const bg_opt_parser *p, const char *arg)
{
    bg_opt_errf(p, "unexpected argument '%s'; see %s --help", arg, p->prog);
}

static bool is_entry_end(const bg_opt *o)
{
    return !o->name && !o->help;
}

/* True when `word` (len bytes) is one of the space-separated names. */
static bool in_list(const char *list, const char *word, size_t len)
{
    while (list && *list) {
        while (*list == ' ')
            list++;
        size_t n = strcspn(list, " ");
        if (n && n == len && !strncmp(list, word, len))
            return true;
        list += n;
    }
    return false;
}

/* The entry whose long name or alias is word[0..len). */
static const bg_opt *find_long(const bg_opt *opts, const char *word, size_t len)
{
    for (const bg_opt *o = opts; !is_entry_end(o); o++)
        if (o->name && ((strlen(o->name) == len && !strncmp(o->name, word, len)) ||
                        in_list(o->aliases, word, len)))
            return o;
    return NULL;
}

static const bg_opt *find_short(const bg_opt *opts, char c)
{
    for (const bg_opt *o = opts; !is_entry_end(o); o++)
        if (o->name && o->short_name && o->short_name == c)
            return o;
    return NULL;
}

int bg_opt_next(bg_opt_parser *p, const char **val)
{
    *val = NULL;
    p->cur = NULL;
    if (p->i >= p->argc)
        return BG_OPT_END;
    const char *a = p->argv[p->i++];
    if (p->only_pos || a[0] != '-' || !strcmp(a, "-")) {
        *val = a;
        return BG_OPT_POS;
    }
    if (!strcmp(a, "--")) {
        p->only_pos = true;
        return bg_opt_next(p, val);
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h"))
        return BG_OPT_HELP;
    const bg_opt *o = NULL;
    const char *inline_val = NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        snprintf(p->name, sizeof p->name, "%.*s", (int)len, a);
        o = find_long(p->opts, a + 2, len - 2);
        inline_val = eq ? eq + 1 : NULL;
    } else {
        snprintf(p->name, sizeof p->name, "%s", a);
        if (a[2] == '\0')
            o = find_short(p->opts, a[1]);
    }
    if (!o) {
        bg_opt_errf(p, "unknown option '%s'; see %s --help", p->name, p->prog);
        return BG_OPT_ERROR;
    }
    if (!o->arg) {
        if (inline_val) {
            bg_opt_errf(p, "%s takes no value", p->name);
            return BG_OPT_ERROR;
        }
        p->cur = o;
        return o->id;
    }
    if (!inline_val) {
        if (p->i >= p->argc) {
            bg_opt_errf(p, "%s needs a value; see %s --help", p->name, p->prog);
            return BG_OPT_ERROR;
        }
        inline_val = p->argv[p->i++];
    }
    *val = inline_val;
    p->cur = o;
    return o->id;
}

/* "  -x, --name ARG" (or "  --name ARG") into buf; returns its length. */
static size_t left_part(const bg_opt *o, char *buf, size_t n)
{
    char sh[8] = "";
    if (o->short_name)
        snprintf(sh, sizeof sh, "-%c, ", o->short_name);
    int k = snprintf(buf, n, "  %s--%s%s%s", sh, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    return k < 0 ? 0 : (size_t)k;
}

void bg_opt_help(FILE *f, const bg_opt *opts)
{
    /* Help starts in one column per table: after the longest option, at
     * most at column 23 (a longer option puts its help on the next line). */
    enum { MAX_COL = 23 };
    size_t col = 0;
    char left[160];
    for (const bg_opt *o = opts; !is_entry_end(o); o++) {
        if (!o->name)
            continue;
        size_t w = left_part(o, left, sizeof left) + 2;
        if (w > col && w <= MAX_COL)
            col = w;
    }
    if (!col)
        col = MAX_COL;
    for (const bg_opt *o = opts; !is_entry_end(o); o++) {
        if (!o->name) {
            fprintf(f, "%s\n", o->help);
            continue;
        }
        size_t w = left_part(o, left, sizeof left);
        fputs(left, f);
        const char *h = o->help ? o->help : "";
        if (w + 1 > col) {
            fputc('\n', f);
            w = 0;
        }
        bool first = true;
        do {
            size_t n = strcspn(h, "\n");
            fprintf(f, "%*s%.*s\n", (int)(first ? col - w : col), "", (int)n, h);
            first = false;
            h += n;
            if (*h == '\n')
                h++;
        } while (*h);
        if (o->aliases) {
            fprintf(f, "%*s(alias:", (int)col, "");
            for (const char *a = o->aliases; *a;) {
                while (*a == ' ')
                    a++;
                size_t n = strcspn(a, " ");
                if (n)
                    fprintf(f, " --%.*s", (int)n, a);
                a += n;
            }
            fputs(")\n", f);
        }
    }
    fprintf(f, "  -h, --help%*sprint this help\n", (int)(col > 12 ? col - 12 : 1), "");
}
