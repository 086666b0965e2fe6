/* `benchgate merge`: saves the merge of a commit's shard runs (--shard K/N) as one run of the whole suite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_git.h"
#include "bg_merge.h"

enum { O_MACHINE = 1, O_DRY_RUN };

static const bg_opt OPTIONS[] = {
    BG_CLI_STORE_OPT,
    {O_MACHINE, "machine", 0, "ID", NULL, "only the shard runs of this machine id (default: every machine)"},
    {O_DRY_RUN, "dry-run", 0, NULL, NULL, "say what would be merged; save nothing"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: benchgate merge [REF] [--machine ID] [--store DIR] [--dry-run]\n\n"
           "Merges the runs of REF (default HEAD) made with --shard K/N into one run of the\n"
           "whole suite and saves it, per machine: the newest run of each shard of the\n"
           "newest shard run's plan. compare, gate and report merge shard runs by\n"
           "themselves when they load a commit; merge keeps the result, so history,\n"
           "noise and later loads see one run. A shard without a run is named with the\n"
           "benchmarks it leaves out, and merge exits 2 (as the gate does).\n\n"
           "Options:\n");
    bg_opt_help(stdout, OPTIONS);
}

int bg__cmd_merge(int argc, char **argv)
{
    const char *store = NULL, *ref = NULL, *machine = NULL;
    bool dry = false;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate merge", argc, argv, 0);
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
        else if (id == O_MACHINE)
            machine = val;
        else if (id == O_DRY_RUN)
            dry = true;
    }
    char commit[BG_GIT_OID_BUF] = "";
    char gerr[512] = "";
    bg_git *g = NULL;
    if (bg_git_open(&g, NULL, gerr, sizeof gerr) != 0 ||
        bg_git_resolve(g, ref ? ref : "HEAD", commit, gerr, sizeof gerr) != 0) {
        bg__errf("merge %s: %s", ref ? ref : "HEAD", gerr);
        bg_git_close(&g);
        return BG_EXIT_USAGE;
    }
    bg_git_close(&g);
    bg_store *st = NULL;
    if (bg__cli_open_store_to_read(store, &st))
        return BG_EXIT_USAGE;

    char ids[64][BG_MACHINE_ID_MAX + 1];
    size_t nm;
    if (machine) {
        snprintf(ids[0], sizeof ids[0], "%s", machine);
        nm = 1;
    } else {
        nm = bg_store_shard_machines(st, commit, ids, 64);
    }
    if (nm == 0) {
        bg__errf("merge: no shard runs of %s (%.12s) in %s; run the bench binary with --shard K/N --save first",
                 ref ? ref : "HEAD", commit, bg_store_dir(st));
        bg_store_close(&st);
        return BG_EXIT_USAGE;
    }
    int exit_code = BG_EXIT_OK;
    for (size_t i = 0; i < nm; i++) {
        char err[2048] = "";
        char *json = NULL;
        bg_merge_info info;
        int rc = bg_store_merge_shards(st, commit, ids[i], &json, &info, bg__skip_report, NULL, err, sizeof err);
        if (rc) {
            bg__errf("merge: %s", err);
            exit_code = BG_EXIT_USAGE;
            continue;
        }
        if (info.already) {
            printf("%.12s on %s: already merged (%d shards, %zu benchmarks)\n", commit, ids[i], info.n,
                   info.nbench);
        } else if (dry) {
            printf("%.12s on %s: would merge %d shards, %zu benchmarks\n", commit, ids[i], info.n, info.nbench);
        } else {
            char *path = NULL;
            rc = bg_store_save(st, json, commit, ids[i], &path, err, sizeof err);
            if (rc) {
                bg__errf("merge: cannot save the merged run: %s", err);
                exit_code = BG_EXIT_USAGE;
            } else {
                printf("%.12s on %s: merged %d shards, %zu benchmarks: %s\n", commit, ids[i], info.n,
                       info.nbench, path);
            }
            free(path);
        }
        free(json);
    }
    bg_store_close(&st);
    return exit_code;
}
