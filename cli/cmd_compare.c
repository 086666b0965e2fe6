/* `benchgate compare A B`: compares two runs (commit-ishes, named baselines or run files) and prints the table; exits 1 when a benchmark regressed. */
#include <stdio.h>
#include <string.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_gate.h"
#include "bg_noise.h"

static const bg_opt OPTIONS[] = {
    BG_CLI_CMP_OPTS,
    {0, NULL, 0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: benchgate compare A B [options]\n\n"
           "A and B are commit-ishes (the newest stored run of that commit, on the same\n"
           "machine as the other side when possible) or paths to run record files.\n"
           "Compares the mean per-iteration time of every benchmark present in both\n"
           "with a hierarchical bootstrap; p-values are adjusted across the suite.\n"
           "Runs made at different times also differ by the machine's drift: each\n"
           "interval includes the between-run noise the store has learned for the\n"
           "benchmark on B's machine (benchgate noise), and a change inside that\n"
           "drift band is inconclusive.\n\n"
           "Options:\n");
    bg_opt_help(stdout, OPTIONS);
    printf("\n%s", bg__cli_exit_help);
}

int bg__cmd_compare(int argc, char **argv)
{
    bg_cli_cmp o;
    bg__cli_cmp_default(&o);
    const char *pos[2];
    size_t npos = 0;
    bg_opt_parser p;
    bg_opt_init(&p, OPTIONS, "benchgate compare", argc, argv, 0);
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
            if (npos >= 2) {
                bg_opt_unexpected(&p, val);
                return BG_EXIT_USAGE;
            }
            pos[npos++] = val;
        } else if (bg__cli_cmp_option(&o, id, val) != 0) {
            return BG_EXIT_USAGE;
        }
    }
    if (npos != 2) {
        bg__errf("compare needs two runs: benchgate compare A B (see --help)");
        return BG_EXIT_USAGE;
    }
    if (bg__cli_cmp_settings(&o) != 0) {
        bg__settings_free(&o.settings);
        return BG_EXIT_USAGE;
    }
    bg_store *st = NULL;
    if (bg__cli_open_store_to_read(o.store, &st)) {
        bg__settings_free(&o.settings);
        return BG_EXIT_USAGE;
    }
    bg_git *g = NULL;
    bg_side a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ret = BG_EXIT_USAGE;
    if (bg__load_pair(st, &g, &a, pos[0], "A", "A", &b, pos[1], "B", "B") != 0)
        goto done;
    if (bg__check_machines(&a, &b, o.force, NULL, 0))
        goto done;
    bg_comparison c;
    char err[512] = "";
    /* Two stored runs were made at different times: the comparison adds
     * the between-run noise the store has learned on B's machine. */
    bg_noise nz;
    if (bg__noise_for_compare(st, g, &a.run, &b.run, &o.cmp, b.path[0] ? b.path : NULL, &nz, err, sizeof err) != 0) {
        bg__errf("note: no between-run noise learned (%s); every benchmark uses the default",
                err);
        bg__noise_init(&nz, b.run.machine_id);
        err[0] = '\0';
    }
    o.cmp.noise = &nz;
    int rc = bg__compare_runs(&a.run, &b.run, &o.cmp, &c, err, sizeof err);
    bg__noise_free(&nz);
    if (rc) {
        bg__errf("cannot compare: %s", err[0] ? err : bg_strerror(rc));
        goto done;
    }
    ret = BG_EXIT_OK;
    for (size_t i = 0; i < c.n; i++)
        if (bg__cmp_row_is_regression(&c.rows[i]))
            ret = BG_EXIT_REGRESSION;
    if (bg__cmp_class_regressed(&c)) /* a growth order that grew */
        ret = BG_EXIT_REGRESSION;
    /* A table that cannot be written is an environment error, but it does
     * not hide a regression. */
    if (bg__cli_emit(&c, o.format, o.out) != 0 && ret == BG_EXIT_OK)
        ret = BG_EXIT_USAGE;
    bg__comparison_free(&c);
done:
    bg__settings_free(&o.settings);
    bg__side_free(&a);
    bg__side_free(&b);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}
