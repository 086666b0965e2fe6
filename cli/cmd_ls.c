/* `benchgate ls`: lists the stored runs, oldest first, or those of one commit. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_git.h"

static const bg_opt OPTIONS[] = {
    BG_CLI_STORE_OPT,
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: benchgate ls [REF] [--store DIR]\n\n"
           "Lists stored runs, oldest first: commit, machine, time (UTC), benchmarks, path;\n"
           "with REF (a commit-ish), only the runs of that commit.\n"
           "Files that cannot be read are skipped and named on stderr.\n\n"
           "Options:\n");
    bg_opt_help(stdout, OPTIONS);
}

int bg__cmd_ls(int argc, char **argv)
{
    const char *store = NULL, *ref = NULL;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate ls", argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EXIT_USAGE;
        if (id == BG_OPT_HELP) {
            help();
            return BG_EXIT_OK;
        }
        if (id == BG_OPT_POS && ref) {
            bg_opt_unexpected(&p, val);
            return BG_EXIT_USAGE;
        }
        if (id == BG_OPT_POS)
            ref = val;
        else if (id == BG_CLI_STORE)
            store = val;
    }
    /* ls REF: only the runs of that commit */
    char commit[BG_GIT_OID_BUF] = "";
    const char *only = NULL;
    if (ref) {
        char gerr[512] = "";
        bg_git *g = NULL;
        if (bg_git_open(&g, NULL, gerr, sizeof gerr) != 0 ||
            bg_git_resolve(g, ref, commit, gerr, sizeof gerr) != 0) {
            bg__errf("ls %s: %s", ref, gerr);
            bg_git_close(&g);
            return BG_EXIT_USAGE;
        }
        bg_git_close(&g);
        only = commit;
    }
    bg_store *st = NULL;
    if (bg__cli_open_store_to_read(store, &st))
        return BG_EXIT_USAGE;
    bg_run_list l;
    char err[512] = "";
    memset(&l, 0, sizeof l);
    /* Each run loaded in full, as compare and gate would, in the one read
     * that lists it: a run whose envelope is fine but whose benchmarks are
     * not is listed as damaged. */
    int rc = bg_store_list_ex(st, only, NULL, BG_STORE_LIST_FULL, &l, bg__skip_report, NULL, err, sizeof err);
    if (rc) {
        bg__errf("cannot list the store %s: %s", bg_store_dir(st), err);
        bg_store_close(&st);
        return bg__exit_of(rc);
    }
    printf("%-12s  %-12s  %-20s  %7s  %s\n", "commit", "machine", "time (UTC)", "benches", "path");
    size_t damaged = 0;
    for (size_t i = 0; i < l.n; i++) {
        const bg_run_entry *e = &l.runs[i];
        char when[32] = "?";
        time_t t = (time_t)e->meta.created_unix;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char nb[32] = "damaged";
        if (!e->damage)
            snprintf(nb, sizeof nb, "%zu", e->nbench);
        else {
            bg__errf("damaged: %s", e->damage);
            damaged++;
        }
        printf("%-12.12s  %-12s  %-20s  %7s  %s\n", e->meta.commit[0] ? e->meta.commit : "no-commit",
               e->meta.machine, when, nb, e->path);
    }
    if (l.skipped)
        bg__errf("%zu file(s) skipped", l.skipped);
    if (damaged)
        bg__errf("%zu run(s) damaged; compare and gate skip them for the next-newest run",
                damaged);
    if (!l.n && only)
        printf("(no runs of %s (%.12s) stored in %s)\n", ref, only, bg_store_dir(st));
    else if (!l.n)
        printf("(no runs stored in %s)\n", bg_store_dir(st));
    bg_run_list_free(&l);
    bg_store_close(&st);
    return BG_EXIT_OK;
}
