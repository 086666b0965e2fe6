/* `benchgate push` and `benchgate fetch`: share stored runs with a remote as git notes. */
#include <stdio.h>
#include <string.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_git.h"

static const bg_opt OPTIONS[] = {
    BG_CLI_STORE_OPT,
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(bool push)
{
    if (push)
        printf("usage: benchgate push [remote] [--store DIR]\n\n"
               "Exports stored runs into git notes (%s) and pushes them to remote\n"
               "(default origin).\n\n",
               BG_STORE_NOTES_REF);
    else
        printf("usage: benchgate fetch [remote] [--store DIR]\n\n"
               "Fetches git notes (%s) from remote (default origin) and imports the runs\n"
               "into the store.\n\n",
               BG_STORE_NOTES_REF);
    printf("Options:\n");
    bg_opt_help(stdout, OPTIONS);
}

static int sync_notes(int argc, char **argv, bool push)
{
    const char *store = NULL, *remote = NULL;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, push ? "benchgate push" : "benchgate fetch", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EXIT_USAGE;
        if (id == BG_OPT_HELP) {
            help(push);
            return BG_EXIT_OK;
        }
        if (id == BG_OPT_POS && remote) {
            bg_opt_unexpected(&p, val);
            return BG_EXIT_USAGE;
        }
        if (id == BG_OPT_POS)
            remote = val;
        else if (id == BG_CLI_STORE)
            store = val;
    }
    bg_store *st = NULL;
    if (bg__cli_open_store(store, &st))
        return BG_EXIT_USAGE;
    bg_git *g = NULL;
    char err[512] = "";
    int ret = BG_EXIT_USAGE;
    int rc = bg_git_open(&g, NULL, err, sizeof err);
    if (rc) {
        bg__errf("%s needs a git repository: %s", push ? "push" : "fetch", err);
        goto done;
    }
    bg_sync_stats s;
    memset(&s, 0, sizeof s);
    rc = push ? bg_store_push(st, g, remote, &s, bg__skip_report, NULL, err, sizeof err)
              : bg_store_fetch(st, g, remote, &s, bg__skip_report, NULL, err, sizeof err);
    if (rc) {
        bg__errf("%s %s failed: %s", push ? "push to" : "fetch from", remote ? remote : "origin", err);
        ret = bg__exit_of(rc);
        goto done;
    }
    if (push && !s.pushed)
        printf("nothing pushed to %s: no stored run has a commit (runs made outside any commit are "
               "not shared)\n",
               remote ? remote : "origin");
    else if (push)
        printf("pushed %s to %s: %zu run(s) newly added to the notes of %zu commit(s)%s, %zu "
               "skipped\n",
               BG_STORE_NOTES_REF, remote ? remote : "origin", s.runs_exported, s.notes_written,
               s.runs_exported ? "" : " (the notes already held every stored run)", s.skipped);
    else
        printf("fetched from %s: %zu run(s) imported, %zu already present, %zu skipped%s\n",
               remote ? remote : "origin", s.runs_imported, s.runs_present, s.skipped,
               s.remote_had_notes ? "" : " (the remote has no benchgate notes)");
    ret = BG_EXIT_OK;
done:
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

int bg__cmd_push(int argc, char **argv)
{
    return sync_notes(argc, argv, true);
}

int bg__cmd_fetch(int argc, char **argv)
{
    return sync_notes(argc, argv, false);
}
