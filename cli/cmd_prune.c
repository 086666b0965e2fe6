/* `benchgate prune`: removes old runs from the store (the newest N of each commit and machine, or the recent ones, are kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_prune.h"

enum { O_KEEP = 1, O_NEWER, O_DRY_RUN };

static const bg_opt OPTIONS[] = {
    BG_CLI_STORE_OPT,
    {O_KEEP, "keep", 0, "N", NULL, "keep the newest N runs of each commit and machine"},
    {O_NEWER, "newer-than", 0, "DATE", NULL, "keep runs made on or after DATE (YYYY-MM-DD, UTC, or Nd: N days ago)"},
    {O_DRY_RUN, "dry-run", 0, NULL, NULL, "list what would be removed; remove nothing"},
    {0, NULL, 0, NULL, NULL, NULL},
};

/* Stale temp files: a run being written takes well under a second; an hour
 * leaves any writer still alive alone. */
#define STALE_TMP_S 3600

static void help(void)
{
    printf("usage: benchgate prune (--keep N | --newer-than DATE)... [--dry-run] [--store DIR]\n\n"
           "Removes stored runs that no rule keeps: with --keep N the newest N runs of each\n"
           "commit and machine stay, with --newer-than DATE the runs made since DATE stay;\n"
           "with both, a run stays when either keeps it. Named baselines are copies of their\n"
           "own under baselines/ and are never touched; run files that fail to load are left\n"
           "for you to look at (named on stderr). Also removes hidden temp files (*.tmp) a\n"
           "killed writer left, once an hour old. Each file is listed as it goes.\n\n"
           "Options:\n");
    bg_opt_help(stdout, OPTIONS);
}

/* "YYYY-MM-DD" (midnight UTC) or "Nd" (N days before now). */
static int parse_date(const char *s, int64_t *out)
{
    char *end;
    size_t n = strlen(s);
    if (n >= 2 && s[n - 1] == 'd') {
        long days = strtol(s, &end, 10);
        if (end == s + n - 1 && days >= 0 && days < 100000) {
            *out = (int64_t)time(NULL) - (int64_t)days * 86400;
            return 0;
        }
        return -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static void list_one(const char *path, const char *why, void *ud)
{
    const bool *dry = ud;
    printf("%s %s: %s\n", *dry ? "would remove" : "removed", why, path);
}

int bg__cmd_prune(int argc, char **argv)
{
    const char *store = NULL;
    bg_prune_opts o;
    memset(&o, 0, sizeof o);
    o.tmp_age_s = STALE_TMP_S;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate prune", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EXIT_USAGE;
        if (id == BG_OPT_HELP) {
            help();
            return BG_EXIT_OK;
        }
        if (id == BG_OPT_POS) {
            bg_opt_unexpected(&p, val);
            return BG_EXIT_USAGE;
        }
        if (id == BG_CLI_STORE) {
            store = val;
        } else if (id == O_KEEP) {
            char *end;
            long k = strtol(val, &end, 10);
            if (end == val || *end || k < 1 || k > 1000000) {
                bg_opt_errf(&p, "--keep takes a whole number of runs from 1, not '%s'", val);
                return BG_EXIT_USAGE;
            }
            o.keep_last = (size_t)k;
        } else if (id == O_NEWER) {
            if (parse_date(val, &o.newer_than) != 0) {
                bg_opt_errf(&p, "--newer-than takes YYYY-MM-DD or Nd (N days ago), not '%s'", val);
                return BG_EXIT_USAGE;
            }
            o.have_newer = true;
        } else if (id == O_DRY_RUN) {
            o.dry_run = true;
        }
    }
    bg_store *st = NULL;
    if (bg__cli_open_store_to_read(store, &st))
        return BG_EXIT_USAGE;
    char err[1024] = "";
    size_t removed = 0, stale = 0;
    int rc = bg_store_prune(st, &o, list_one, &o.dry_run, bg__skip_report, NULL, &removed, &stale, err, sizeof err);
    if (rc == BG_EINVAL) {
        bg__errf("prune: %s", err);
        bg_store_close(&st);
        return BG_EXIT_USAGE;
    }
    printf("%s %zu run%s and %zu stale temp file%s from %s\n", o.dry_run ? "would remove" : "removed", removed,
           removed == 1 ? "" : "s", stale, stale == 1 ? "" : "s", bg_store_dir(st));
    if (rc)
        bg__errf("prune: %s", err);
    bg_store_close(&st);
    return rc ? bg__exit_of(rc) : BG_EXIT_OK;
}
