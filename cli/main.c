/* The benchgate command's entry point: one table of commands, used to dispatch, to write the help and to list the commands after an unknown one. */
#include <stdio.h>
#include <string.h>

#include "bg_cmds.h"
#include "bg_reporter.h"

/* libgit2 1.5 leaks a PCRE2 match block when a config regex does not match
 * (libgit2/libgit2#6382); let LeakSanitizer ignore allocations in libpcre2. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}

typedef struct command {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv);
} command;

static const command COMMANDS[] = {
    {"ls", "list stored runs", bg__cmd_ls},
    {"compare", "compare two runs (commit-ishes or run record files)", bg__cmd_compare},
    {"gate", "CI gate: compare head against base and fail on a regression", bg__cmd_gate},
    {"baseline", "name a stored run (ls, save NAME [REF], rm NAME)", bg__cmd_baseline},
    {"push", "share stored runs as git notes with a remote", bg__cmd_push},
    {"fetch", "import runs shared as git notes from a remote", bg__cmd_fetch},
    {"report", "write the HTML report (plots, history, change points)", bg__cmd_report},
    {"export", "write a run as CSV, Google Benchmark JSON or a Chrome trace", bg__cmd_export},
    {"import", "store Google Benchmark JSON or Criterion.rs results as a run", bg__cmd_import},
    {"ab", "build two revisions and compare them, runs interleaved", bg__cmd_ab},
    {"doctor", "what on this machine makes benchmarks noisy, and the fixes", bg__cmd_doctor},
    {"merge", "merge the shard runs of a commit (--shard K/N) into one run", bg__cmd_merge},
    {"prune", "remove old runs: keep the newest N per commit and machine, or recent ones", bg__cmd_prune},
    {"noise", "the between-run noise learned from the store, per benchmark", bg__cmd_noise},
    {"calibrate", "run a bench binary several times to learn its noise", bg__cmd_calibrate},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void help_main(FILE *f)
{
    fprintf(f, "usage: benchgate <command> [options]\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s  %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nRun 'benchgate <command> --help' for its options.\n\n%s", bg__cli_exit_help);
}

/* --color WHEN (or --color=WHEN), accepted by every command before a
 * "--": how comparison tables on a terminal are coloured (auto: on a
 * terminal unless NO_COLOR is set). Taken out of argv; returns the new
 * argc, or -1 after an error message. */
static int take_color(int argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < argc; i++) {
        const char *when = NULL;
        if (!strcmp(argv[i], "--")) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--color")) {
            if (i + 1 >= argc) {
                bg__errf("--color needs a value: auto, always or never");
                return -1;
            }
            when = argv[++i];
        } else if (!strncmp(argv[i], "--color=", 8)) {
            when = argv[i] + 8;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(when, "auto") && strcmp(when, "always") && strcmp(when, "never")) {
            bg__errf("--color '%s': use auto, always or never", when);
            return -1;
        }
        bg__console_color_when(when);
    }
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help_main(stderr);
        return BG_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        help_main(stdout);
        return BG_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("benchgate %s\n", BG_VERSION_STRING);
        return BG_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, COMMANDS[i].name)) {
            int n = take_color(argc - 2, argv + 2);
            if (n < 0)
                return BG_EXIT_USAGE;
            int rc = COMMANDS[i].fn(n, argv + 2);
            /* What a command printed must have reached its reader. */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                bg__errf("%s: cannot write the standard output (a closed pipe or a full disk)", cmd);
                if (rc == BG_EXIT_OK)
                    rc = BG_EXIT_USAGE;
            }
            return rc;
        }
    char list[256] = "";
    for (size_t i = 0; i < NCOMMANDS; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", COMMANDS[i].name);
    }
    bg__errf("unknown command '%s' (%s; see benchgate --help)", cmd, list);
    return BG_EXIT_USAGE;
}
