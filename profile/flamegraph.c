/* An SVG flamegraph drawn from folded stacks, in the manner of
 * flamegraph.pl: the root at the bottom, each frame as wide as its samples,
 * frames merged along sorted stacks (see bg_profile.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchgate.h"
#include "bg_profile.h"

#define WIDTH 1200.0
#define FRAME_H 16
#define PAD_TOP 40
#define PAD_BOTTOM 24
#define PAD_SIDE 10
#define CHAR_W 6.6  /* average width of a 11px character */
#define MIN_SHARE 0.0005

/* Text escaped for XML; control characters (which XML 1.0 forbids) become
 * '?'. */
static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
        }
    }
}

/* A warm colour chosen by the name, so a function keeps its colour. */
static void colour(const char *name, int *r, int *g, int *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    *r = 205 + (int)(h % 50);
    *g = (int)((h >> 8) % 180);
    *b = (int)((h >> 16) % 55);
    if (strstr(name, "_[k]")) { /* kernel frames: orange-brown, as flamegraph.pl */
        *r = 200 + (int)(h % 30);
        *g = 110 + (int)((h >> 8) % 40);
        *b = 40;
    }
}

/* The frame names of a stack, split at ';' in place; returns how many. */
static size_t split(char *s, char **parts, size_t max)
{
    size_t n = 0;
    while (s && n < max) {
        parts[n++] = s;
        s = strchr(s, ';');
        if (s)
            *s++ = '\0';
    }
    return n;
}

#define MAX_DEPTH 256

typedef struct open_frame {
    const char *name; /* points into the current stack's copy */
    char *own;        /* the name, kept while the frame is open */
    size_t start;     /* samples before it */
} open_frame;

typedef struct drawing {
    FILE *out;
    size_t total;
    int depth_max;
    double scale; /* pixels per sample */
} drawing;

static void draw(const drawing *d, const char *name, size_t start, size_t end, int depth)
{
    size_t n = end - start;
    if ((double)n < MIN_SHARE * (double)d->total)
        return;
    double x = PAD_SIDE + (double)start * d->scale;
    double w = (double)n * d->scale;
    double y = PAD_TOP + (double)(d->depth_max - depth) * FRAME_H;
    int r, g, b;
    colour(name, &r, &g, &b);
    fputs("<g><title>", d->out);
    xml_text(d->out, name);
    fprintf(d->out, " (%zu samples, %.2f%%)</title>", n, 100.0 * (double)n / (double)d->total);
    fprintf(d->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>",
            x, y, w, FRAME_H - 1, r, g, b);
    size_t fit = w > 3 * CHAR_W ? (size_t)((w - 6) / CHAR_W) : 0;
    if (fit >= 3) {
        fprintf(d->out, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
        size_t len = strlen(name);
        if (len <= fit) {
            xml_text(d->out, name);
        } else {
            char buf[512];
            size_t keep = fit - 2 < sizeof buf - 1 ? fit - 2 : sizeof buf - 1;
            /* cut on a UTF-8 character boundary */
            while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
                keep--;
            snprintf(buf, sizeof buf, "%.*s..", (int)keep, name);
            xml_text(d->out, buf);
        }
        fputs("</text>", d->out);
    }
    fputs("</g>\n", d->out);
}

int bg__flamegraph_svg(const bg_folded *f, const char *title, FILE *out)
{
    size_t *ix = bg__folded_sorted(f);
    if (!ix)
        return BG_ENOMEM;
    int depth_max = 0;
    for (size_t i = 0; i < f->n; i++) {
        int d = 1;
        for (const char *p = f->stack[i]; *p; p++)
            d += *p == ';';
        if (d > depth_max)
            depth_max = d;
    }
    if (depth_max > MAX_DEPTH)
        depth_max = MAX_DEPTH;
    drawing dr = {out, f->total, depth_max - 1, f->total ? (WIDTH - 2 * PAD_SIDE) / (double)f->total : 0};
    int height = PAD_TOP + depth_max * FRAME_H + PAD_BOTTOM;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                 "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "xmlns=\"http://www.w3.org/2000/svg\">\n"
                 "<style>text{font-family:Verdana,sans-serif;font-size:11px;fill:#000}"
                 "g:hover rect{stroke:#000;stroke-width:0.5}</style>\n"
                 "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#fdf6e9\"/>\n"
                 "<text x=\"%d\" y=\"24\" style=\"font-size:16px\">",
            (int)WIDTH, height, (int)WIDTH, height, PAD_SIDE);
    xml_text(out, title ? title : "flamegraph");
    fprintf(out, "</text>\n<text x=\"%d\" y=\"%d\">%zu samples; width is the share of samples, "
                 "hover a frame for its figures</text>\n",
            PAD_SIDE, height - 8, f->total);

    open_frame open[MAX_DEPTH];
    size_t nopen = 0, pos = 0;
    char *parts[MAX_DEPTH];
    int rc = 0;
    for (size_t k = 0; k <= f->n && !rc; k++) {
        char *copy = NULL;
        size_t np = 0;
        if (k < f->n) {
            copy = strdup(f->stack[ix[k]]);
            if (!copy) {
                rc = BG_ENOMEM;
                break;
            }
            np = split(copy, parts, MAX_DEPTH);
        }
        /* frames shared with the open ones stay open */
        size_t same = 0;
        while (same < nopen && same < np && !strcmp(open[same].own, parts[same]))
            same++;
        while (nopen > same) {
            nopen--;
            draw(&dr, open[nopen].own, open[nopen].start, pos, (int)nopen);
            free(open[nopen].own);
        }
        for (size_t d = same; d < np; d++) {
            open[d].own = strdup(parts[d]);
            if (!open[d].own) {
                rc = BG_ENOMEM;
                break;
            }
            open[d].name = open[d].own;
            open[d].start = pos;
            nopen = d + 1;
        }
        if (k < f->n)
            pos += f->count[ix[k]];
        free(copy);
    }
    while (nopen > 0) { /* only after a failure */
        nopen--;
        free(open[nopen].own);
    }
    free(ix);
    fputs("</svg>\n", out);
    if (!rc && ferror(out))
        rc = BG_EIO;
    return rc;
}
