/* The table of reporters, the one way to choose and drive one, and the
 * entry points of the commands that pick a format by name. */
#include <stdlib.h>
#include <string.h>

#include "bg_report.h"
#include "bg_reporter.h"

const bg_reporter *const bg__reporters[] = {
    &bg__console_reporter,
    &bg__cmp_console_reporter,
    &bg__markdown_reporter,
    &bg__csv_reporter,
    &bg__cmp_csv_reporter,
    &bg__cmp_json_reporter,
    &bg__junit_reporter,
    &bg__html_reporter,
    &bg__gbench_reporter,
    &bg__gbench_processes_reporter,
    &bg__trace_reporter,
    NULL,
};

const bg_reporter *bg__reporter_find(const char *name, bg_report_kind kind)
{
    for (size_t i = 0; name && bg__reporters[i]; i++)
        if (bg__reporters[i]->kind == kind && !strcmp(bg__reporters[i]->name, name))
            return bg__reporters[i];
    return NULL;
}

int bg__report(FILE *f, const bg_reporter *r, const bg_report_src *s)
{
    if (!r || !s || r->kind != s->kind)
        return BG_EINVAL;
    size_t n = s->kind == BG_REPORT_RUN ? (s->run ? s->run->nresults : 0) : (s->cmp ? s->cmp->n : 0);
    int rc = r->begin(f, s);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = r->bench(f, s, i);
    if (rc == 0)
        rc = r->end(f, s);
    return rc;
}

/* ---- comparisons ---- */

/* The benchgate command's --color (NULL: auto). */
static const char *g_color_when;

void bg__console_color_when(const char *when)
{
    g_color_when = when;
}

static int report_cmp(FILE *f, const char *format, const bg_comparison *c, const char *label_a,
                      const char *label_b, const char *title)
{
    bg_report_src src = {.kind = BG_REPORT_COMPARISON, .cmp = c, .label_a = label_a,
                         .label_b = label_b, .title = title};
    if (!strcmp(format, "console") && (f == stdout || f == stderr))
        bg__console_style(&src, fileno(f), g_color_when);
    return bg__report(f, bg__reporter_find(format, BG_REPORT_COMPARISON), &src);
}

void bg__cmp_print_console(FILE *f, const bg_comparison *c, const char *label_a, const char *label_b)
{
    report_cmp(f, "console", c, label_a, label_b, NULL);
}

void bg__cmp_print_markdown(FILE *f, const bg_comparison *c, const char *title)
{
    report_cmp(f, "markdown", c, NULL, NULL, title);
}

int bg__cmp_print(FILE *f, const bg_comparison *c, bg_cmp_format fmt)
{
    static const char *const names[] = {
        [BG_CMP_CONSOLE] = "console", [BG_CMP_MARKDOWN] = "markdown", [BG_CMP_CSV] = "csv",
        [BG_CMP_JSON] = "json"};
    if ((size_t)fmt >= sizeof names / sizeof names[0])
        return BG_EINVAL;
    return report_cmp(f, names[fmt], c, NULL, NULL, NULL);
}

int bg__cmp_write_junit(const char *path, const bg_comparison *c, const char *suite, char *err,
                        size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return BG_ENOMEM;
    int rc = report_cmp(f, "junit", c, NULL, NULL, suite);
    if (fclose(f) != 0) {
        free(buf);
        return BG_ENOMEM;
    }
    if (rc == 0)
        rc = bg__write_file_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

/* ---- exports of a run ---- */

static int export_run(FILE *f, const char *format, const bg_run *run)
{
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = run};
    return bg__report(f, bg__reporter_find(format, BG_REPORT_RUN), &src);
}

int bg__export_csv(FILE *f, const bg_run *run)
{
    return export_run(f, "csv", run);
}

int bg__export_gbench(FILE *f, const bg_run *run)
{
    return export_run(f, "gbench-processes", run);
}

int bg__export_gbench_mean(FILE *f, const bg_run *run)
{
    return export_run(f, "gbench", run);
}

int bg__export_trace(FILE *f, const bg_run *run)
{
    return export_run(f, "trace", run);
}
