/* `benchgate baseline ls | save NAME [REF-or-FILE] | rm NAME`: named copies of stored runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_baseline.h"
#include "bg_cmds.h"

static const bg_opt OPTIONS[] = {
    BG_CLI_STORE_OPT,
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: benchgate baseline ls | save NAME [REF-or-FILE] | rm NAME [--store DIR]\n\n"
           "A named baseline is a copy of one stored run kept as <store>/baselines/NAME.json;\n"
           "save takes the newest stored run of REF (default HEAD) or a run record file.\n"
           "Wherever a run is expected (compare A B, gate --base, the bench binary's\n"
           "--baseline) a name is looked up in this order: an existing file, a named\n"
           "baseline, a git revision.\n\n"
           "Options:\n");
    bg_opt_help(stdout, OPTIONS);
}

static int baseline_ls(bg_store *st)
{
    char **names = NULL;
    size_t n = 0;
    char err[512] = "";
    int rc = bg__baseline_names(st, &names, &n, err, sizeof err);
    if (rc) {
        bg__errf("%s", err);
        return bg__exit_of(rc);
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        bg_side s;
        memset(&s, 0, sizeof s);
        if (bg__baseline_path(st, names[i], path, sizeof path) == 0 && bg__side_load_file(path, &s) == 0)
            printf("%-24s  %-12.12s  %-12s  %s  %zu benchmarks\n", names[i],
                   s.run.git_commit[0] ? s.run.git_commit : "no-commit", s.run.machine_id,
                   s.run.created, s.run.nresults);
        else
            printf("%-24s  (unreadable: see above)\n", names[i]);
        bg__side_free(&s);
    }
    if (!n)
        printf("(no named baselines in %s/baselines)\n", bg_store_dir(st));
    bg__baseline_names_free(names, n);
    return BG_EXIT_OK;
}

static int baseline_save(bg_store *st, const char *name, const char *spec)
{
    char err[512] = "";
    if (bg__baseline_check_name(name, err, sizeof err) != 0) {
        bg__errf("%s", err);
        return BG_EXIT_USAGE;
    }
    bg_git *g = NULL;
    bg_side s;
    memset(&s, 0, sizeof s);
    int ret = BG_EXIT_USAGE;
    if (bg__side_resolve(st, &g, &s, spec) != 0)
        goto done;
    if (!s.loaded && bg__side_load_store(st, NULL, &s, "revision", NULL, NULL) != 0)
        goto done;
    char *text = NULL;
    if (bg_store_load(s.path, &text, NULL, NULL, err, sizeof err) != 0) {
        bg__errf("%s", err);
        goto done;
    }
    int rc = bg__baseline_save(st, name, text, err, sizeof err);
    free(text);
    if (rc) {
        bg__errf("cannot save baseline '%s': %s", name, err);
        goto done;
    }
    printf("baseline '%s' = run of %.12s on %s (%s)\n", name,
           s.run.git_commit[0] ? s.run.git_commit : "no-commit", s.run.machine_id, s.path);
    ret = BG_EXIT_OK;
done:
    bg__side_free(&s);
    bg_git_close(&g);
    return ret;
}

int bg__cmd_baseline(int argc, char **argv)
{
    const char *store = NULL, *pos[3];
    size_t npos = 0;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate baseline", argc, argv, 0);
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
            if (npos >= 3) {
                bg_opt_unexpected(&p, val);
                return BG_EXIT_USAGE;
            }
            pos[npos++] = val;
        } else if (id == BG_CLI_STORE) {
            store = val;
        }
    }
    const char *sub = npos ? pos[0] : "ls";
    bg_store *st = NULL;
    if (bg__cli_open_store(store, &st))
        return BG_EXIT_USAGE;
    int ret = BG_EXIT_USAGE;
    char err[512] = "";
    if (!strcmp(sub, "ls") && npos <= 1) {
        ret = baseline_ls(st);
    } else if (!strcmp(sub, "save") && (npos == 2 || npos == 3)) {
        ret = baseline_save(st, pos[1], npos == 3 ? pos[2] : "HEAD");
    } else if (!strcmp(sub, "rm") && npos == 2) {
        int rc = bg__baseline_remove(st, pos[1], err, sizeof err);
        if (rc)
            bg__errf("%s", err);
        else
            printf("removed baseline '%s'\n", pos[1]);
        ret = bg__exit_of(rc);
    } else {
        bg__errf("usage: benchgate baseline ls | save NAME [REF-or-FILE] | rm NAME (see --help)");
    }
    bg_store_close(&st);
    return ret;
}
