/* Word wrapping of console messages (notes, recommendations, verdict explanations, errors) at the terminal's width. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bg_model.h"

/* Below this many columns for the text after the indent, wrapping would
 * leave a word or two per line; the room never goes under it. */
#define WRAP_MIN_ROOM 20

int bg__wrap_width(FILE *f)
{
    const char *cols = getenv("COLUMNS");
    int w = cols ? atoi(cols) : 0;
    if (w > 0)
        return w;
    int fd = f ? fileno(f) : -1;
    struct winsize ws;
    if (fd < 0 || !isatty(fd))
        return 0; /* a file or a pipe: one message, one line (grep finds it whole) */
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return BG_WRAP_DEFAULT;
}

/* Length in bytes of the ANSI escape sequence (CSI: ESC '[' parameters and
 * one final byte) at s, 0 when s does not start one. */
static size_t csi_len(const char *s)
{
    if (s[0] != '\033' || s[1] != '[')
        return 0;
    size_t i = 2;
    while (s[i] && !(s[i] >= 0x40 && s[i] <= 0x7e))
        i++;
    return s[i] ? i + 1 : i;
}

/* Display columns and bytes of the word at s (up to a space, a newline or
 * the end): a code point is one column, an escape sequence none, a byte
 * that is not UTF-8 one. */
static size_t word_at(const char *s, size_t *cols)
{
    size_t i = 0;
    *cols = 0;
    while (s[i] && s[i] != ' ' && s[i] != '\n') {
        size_t k = csi_len(s + i);
        if (k) {
            i += k;
            continue;
        }
        k = bg__utf8_len(s + i);
        i += k ? k : 1;
        (*cols)++;
    }
    return i;
}

/* One line (no '\n' in s[0..len)), wrapped. */
static void wrap_line(FILE *f, const char *s, size_t len, int width)
{
    size_t indent = 0;
    while (indent < len && s[indent] == ' ')
        indent++;
    fwrite(s, 1, indent, f);
    if (width <= 0) {
        fwrite(s + indent, 1, len - indent, f);
        fputc('\n', f);
        return;
    }
    size_t hang = indent + 2;
    size_t limit = (size_t)width;
    if (limit < hang + WRAP_MIN_ROOM)
        limit = hang + WRAP_MIN_ROOM;
    size_t col = indent, i = indent;
    bool line_empty = true;
    while (i < len) {
        size_t spaces = 0;
        while (i + spaces < len && s[i + spaces] == ' ')
            spaces++;
        if (i + spaces >= len)
            break; /* trailing spaces are dropped */
        size_t wcols, wbytes = word_at(s + i + spaces, &wcols);
        if (i + spaces + wbytes > len) /* s is a line of a larger text */
            wbytes = len - i - spaces;
        if (!line_empty && col + spaces + wcols > limit) {
            /* The spaces before the word become the break; a word wider
             * than the room stays whole on a line of its own (a path, a
             * URL: cutting it would break copying it). */
            fputc('\n', f);
            for (size_t k = 0; k < hang; k++)
                fputc(' ', f);
            col = hang;
        } else {
            for (size_t k = 0; k < spaces; k++)
                fputc(' ', f);
            col += spaces;
        }
        i += spaces;
        fwrite(s + i, 1, wbytes, f);
        col += wcols;
        i += wbytes;
        line_empty = false;
    }
    fputc('\n', f);
}

void bg__wrap(FILE *f, const char *text, int width)
{
    if (!f || !text)
        return;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        wrap_line(f, p, len, width);
        p += len;
        if (*p == '\n')
            p++;
    }
}

void bg__wrapf(FILE *f, int width, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    if ((size_t)n < sizeof small) {
        va_end(again);
        bg__wrap(f, small, width);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) { /* no memory to wrap in: the text unwrapped */
        vfprintf(f, fmt, again);
        va_end(again);
        return;
    }
    vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    bg__wrap(f, big, width);
    free(big);
}

FILE *bg__msg_begin(bg_msgbuf *b, FILE *f)
{
    b->buf = NULL;
    b->len = 0;
    b->m = open_memstream(&b->buf, &b->len);
    return b->m ? b->m : f;
}

void bg__msg_end(bg_msgbuf *b, FILE *f, int width)
{
    if (!b->m)
        return; /* written to f directly, unwrapped */
    if (fclose(b->m) == 0 && b->buf)
        bg__wrap(f, b->buf, width);
    free(b->buf);
    b->m = NULL;
    b->buf = NULL;
}
