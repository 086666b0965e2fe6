/* Escaping for the formats the report writes: HTML, gnuplot string
 * literals, and file names made from benchmark names. Benchmark names come
 * from user code and may hold anything, so every one goes through here. */
#include <stdint.h>
#include <string.h>

#include "bg_fingerprint.h"
#include "bg_report.h"

/* Calls put for each character of s with control characters and invalid
 * UTF-8 replaced by '?'; multi-byte characters are written whole. */
static void each_char(FILE *f, const char *s, void (*put)(FILE *, char))
{
    while (s && *s) {
        size_t len = bg__utf8_len(s);
        if (len == 0 || (len == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f))) {
            put(f, '?');
            s++;
        } else if (len == 1) {
            put(f, *s++);
        } else {
            fwrite(s, 1, len, f);
            s += len;
        }
    }
}

static void html_char(FILE *f, char c)
{
    switch (c) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(c, f);
    }
}

void bg__html_escape(FILE *f, const char *s)
{
    each_char(f, s, html_char);
}

void bg__xml_escape(FILE *f, const char *s)
{
    bg__html_escape(f, s);
}

static void md_char(FILE *f, char c)
{
    if (strchr("|\\`*_<>[]", c))
        fputc('\\', f);
    fputc(c, f);
}

void bg__md_escape(FILE *f, const char *s)
{
    each_char(f, s, md_char);
}

static void plain_char(FILE *f, char c)
{
    fputc(c, f);
}

void bg__term_escape(FILE *f, const char *s)
{
    each_char(f, s, plain_char);
}

void bg__csv_escape(FILE *f, const char *s)
{
    fputc('"', f);
    /* A cell a spreadsheet would run as a formula starts with a quote
     * instead (OWASP's advice for CSV injection): '=', '+', '-', '@', tab
     * and carriage return. */
    if (s && *s && strchr("=+-@\t\r", *s))
        fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A gnuplot literal: ' doubled, control characters and invalid UTF-8 as
 * '?', and "]]>" broken by a zero-width space (U+200B) before the '>':
 * gnuplot's SVG terminal escapes '<' and '&' but not '>', and "]]>" may not
 * appear in XML text. */
void bg__gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    int brackets = 0; /* ']' just written, in a row */
    while (s && *s) {
        size_t len = bg__utf8_len(s);
        if (len == 0 || (len == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f))) {
            fputc('?', f);
            brackets = 0;
            s++;
            continue;
        }
        if (len > 1) {
            fwrite(s, 1, len, f);
            brackets = 0;
            s += len;
            continue;
        }
        if (*s == '\'')
            fputc('\'', f);
        if (*s == '>' && brackets >= 2)
            fputs("\xe2\x80\x8b", f);
        brackets = *s == ']' ? brackets + 1 : 0;
        fputc(*s++, f);
    }
    fputc('\'', f);
}

void bg__name_slug(const char *name, char *out, size_t n)
{
    if (n == 0)
        return;
    if (!name)
        name = "";
    /* 40 characters keep file names short; the hash keeps them apart. */
    size_t limit = n > 50 ? 40 : n > 10 ? n - 10 : 0;
    size_t len = 0;
    for (const char *p = name; *p && len < limit; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[len++] = c;
        else if (len > 0 && out[len - 1] != '-')
            out[len++] = '-';
    }
    uint64_t h = bg_fnv1a64(name, strlen(name), BG_FNV1A64_INIT);
    snprintf(out + len, n - len, "%s%08x", len ? (out[len - 1] == '-' ? "" : "-") : "b-",
             (unsigned)(h ^ (h >> 32)));
}
