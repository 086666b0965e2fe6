/* What several benchgate commands share: the comparison options of compare and gate, opening the store, and printing a comparison. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_cmds.h"

const char bg__cli_exit_help[] =
    "Exit codes:\n"
    "  0  no regression (accepted regressions do not fail)\n"
    "  1  at least one benchmark regressed\n"
    "  2  usage or environment error (bad flag, unknown ref, no stored data, different machines)\n"
    "  3  a benchmark in the head run crashed or timed out\n";

void bg__cli_cmp_default(bg_cli_cmp *o)
{
    memset(o, 0, sizeof *o);
    bg__cmp_opts_default(&o->cmp);
    o->format = BG_CMP_CONSOLE;
    bg__settings_init(&o->settings);
}

int bg__cli_load_settings(bg_settings *s, bg_cmp_opts *cmp, bool threshold_set, bool metric_set)
{
    char err[1024] = "";
    int rc = bg__settings_load(NULL, s, err, sizeof err);
    if (rc) {
        bg__errf("%s", err);
        return rc;
    }
    if (!threshold_set && !isnan(s->threshold_pct))
        cmp->threshold_pct = s->threshold_pct;
    if (!metric_set && s->metric[0])
        cmp->metric = s->metric;
    cmp->settings = s;
    return 0;
}

int bg__cli_cmp_settings(bg_cli_cmp *o)
{
    char err[1024] = "";
    int rc = bg__cli_load_settings(&o->settings, &o->cmp, o->threshold_set, o->metric_set);
    if (rc)
        return rc;
    /* The file's budgets, after those of --limit (on an error the caller
     * still frees o->settings). */
    for (size_t i = 0; i < o->settings.nlimits; i++) {
        if (o->nbudgets >= BG_BUDGET_MAX) {
            bg__errf("%s: too many limits with --limit (at most %d in all)", o->settings.path, BG_BUDGET_MAX);
            return BG_EINVAL;
        }
        if (bg__budget_parse(o->settings.limits[i], &o->budgets[o->nbudgets], err, sizeof err) != 0) {
            bg__errf("%s:%d: limits[%zu]: %s", o->settings.path, o->settings.limit_lines[i], i, err);
            return BG_EINVAL;
        }
        o->nbudgets++;
    }
    o->cmp.budgets = o->nbudgets ? o->budgets : NULL;
    o->cmp.nbudgets = o->nbudgets;
    return 0;
}

int bg__cli_cmp_option(bg_cli_cmp *o, int id, const char *val)
{
    double d;
    switch (id) {
    case BG_CLI_STORE:
        o->store = val;
        return 0;
    case BG_CLI_FORMAT:
        if (!strcmp(val, "console"))
            o->format = BG_CMP_CONSOLE;
        else if (!strcmp(val, "markdown"))
            o->format = BG_CMP_MARKDOWN;
        else if (!strcmp(val, "csv"))
            o->format = BG_CMP_CSV;
        else if (!strcmp(val, "json"))
            o->format = BG_CMP_JSON;
        else {
            bg__errf("unknown --format '%s' (console, markdown, csv or json)", val);
            return BG_EINVAL;
        }
        return 0;
    case BG_CLI_OUT:
        o->out = val;
        return 0;
    case BG_CLI_THRESHOLD:
        o->threshold_set = true;
        return bg__parse_number("--threshold", val, 0, 1000, &o->cmp.threshold_pct);
    case BG_CLI_ALPHA:
        return bg__parse_number("--alpha", val, 1e-12, 1, &o->cmp.alpha);
    case BG_CLI_P_ADJUST:
        if (!strcmp(val, "bh"))
            o->cmp.padjust = BG_PADJ_BH;
        else if (!strcmp(val, "holm"))
            o->cmp.padjust = BG_PADJ_HOLM;
        else if (!strcmp(val, "none"))
            o->cmp.padjust = BG_PADJ_NONE;
        else {
            bg__errf("unknown --p-adjust '%s' (bh, holm or none)", val);
            return BG_EINVAL;
        }
        return 0;
    case BG_CLI_METRIC:
        o->metric_set = true;
        o->cmp.metric = val;
        return 0;
    case BG_CLI_SEED:
        if (bg__parse_number("--seed", val, 0, 9007199254740992.0, &d))
            return BG_EINVAL;
        if (d != (double)(uint64_t)d) {
            bg__errf("invalid value '%s' for --seed (expected a whole number)", val);
            return BG_EINVAL;
        }
        o->cmp.seed = (uint64_t)d;
        return 0;
    case BG_CLI_RESAMPLES:
        if (bg__parse_number("--resamples", val, 100, 10000000, &d))
            return BG_EINVAL;
        o->cmp.resamples = (size_t)d;
        return 0;
    case BG_CLI_FORCE:
        o->force = true;
        o->cmp.force = true;
        return 0;
    case BG_CLI_LIMIT: {
        if (o->nbudgets >= BG_BUDGET_MAX) {
            bg__errf("too many --limit (at most %d)", BG_BUDGET_MAX);
            return BG_EINVAL;
        }
        char err[512] = "";
        if (bg__budget_parse(val, &o->budgets[o->nbudgets], err, sizeof err) != 0) {
            bg__errf("invalid --limit: %s", err);
            return BG_EINVAL;
        }
        o->nbudgets++;
        o->cmp.budgets = o->budgets;
        o->cmp.nbudgets = o->nbudgets;
        return 0;
    }
    default:
        return BG_EINVAL;
    }
}

int bg__cli_open_store(const char *dir, bg_store **st)
{
    char err[512] = "";
    if (bg_store_open(st, dir, NULL, err, sizeof err) != 0) {
        bg__errf("cannot open the run store: %s", err);
        return BG_EIO;
    }
    return 0;
}

int bg__cli_open_store_to_read(const char *dir, bg_store **st)
{
    if (bg__cli_open_store(dir, st))
        return BG_EIO;
    char err[1024] = "";
    if (bg_store_require_dir(*st, err, sizeof err) != 0) {
        bg__errf("%s", err);
        bg_store_close(st);
        return BG_EIO;
    }
    return 0;
}

int bg__cli_emit(const bg_comparison *c, bg_cmp_format format, const char *out)
{
    FILE *f = stdout;
    char *text = NULL;
    size_t len = 0;
    if (out) { /* in memory, then atomically: never a half file */
        f = open_memstream(&text, &len);
        if (!f) {
            bg__errf("cannot write %s: %s", out, strerror(errno));
            return BG_EIO;
        }
    }
    int rc = bg__cmp_print(f, c, format);
    if (f != stdout) {
        char err[1024];
        snprintf(err, sizeof err, "cannot write %s: out of memory", out);
        if (fclose(f) != 0 || (rc == 0 && bg__write_file_atomic(out, text, len, err, sizeof err) != 0)) {
            bg__errf("%s", err);
            free(text);
            return BG_EIO;
        }
        free(text);
    }
    if (rc) {
        bg__errf("cannot write the comparison: %s", bg_strerror(rc));
        return BG_EIO;
    }
    return 0;
}
