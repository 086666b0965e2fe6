/* benchgate ab: checks out and builds two revisions, runs their bench
 * binaries interleaved and compares them block by block (see bg_ab.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <regex.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bg_ab.h"
#include "bg_exit.h"
#include "bg_git.h"
#include "bg_settings.h"
#include "bg_store.h"

extern char **environ;

/* Blocks before a benchmark may stop: with 6, Yuen's test has 3 degrees of
 * freedom and keeps its false-positive rate near 5 % (tests/test_paired.c). */
#define MIN_BLOCKS_FLOOR 6
/* Environment padding of a run: 0-4095 bytes shifts the initial stack (and
 * with it every stack address of the bench binary) across a whole page. */
#define PAD_MAX 4096
/* Lines of a failed build's output shown in the message. */
#define LOG_TAIL_LINES 25

void bg__ab_opts_default(bg_ab_opts *o)
{
    memset(o, 0, sizeof *o);
    o->statistic = BG_STAT_MIN;
    o->procs = 2;
    o->min_blocks = MIN_BLOCKS_FLOOR;
    o->max_blocks = 60;
    o->target = 0; /* half the noise threshold */
    o->budget_s = 15;
    o->save = -1;
    o->lockstep = true;
    bg__cmp_opts_default(&o->cmp);
    o->cmp.seed = 0; /* a fresh seed per run (bg__ab_run draws it) */
}

/* A seed no earlier run used: the clock's nanoseconds mixed with the
 * process id (a run order repeated run after run would make every A/A
 * trial the same experiment). */
static uint64_t fresh_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z ? z >> 1 : 1; /* never 0, which means "draw one" */
}

/* ---- signals: a flag, looked at between steps ---- */

static volatile sig_atomic_t g_signal;
/* The signals we catch: SIGINT, SIGTERM and SIGHUP, less those that were
 * ignored when we started (nohup): those stay ignored, for us and for the
 * builds and bench binaries. */
static sigset_t g_caught;

/* Keeps the first signal: the one the caller exits by. */
static void on_signal(int sig)
{
    if (!g_signal)
        g_signal = sig;
}

typedef struct saved_signals {
    struct sigaction intr, term, hup;
} saved_signals;

static void catch_one(int sig, const struct sigaction *sa, struct sigaction *old)
{
    sigaction(sig, NULL, old);
    if (old->sa_handler == SIG_IGN)
        return;
    sigaction(sig, sa, NULL);
    sigaddset(&g_caught, sig);
}

static void catch_signals(saved_signals *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: waits return EINTR so we notice. */
    g_signal = 0;
    sigemptyset(&g_caught);
    catch_one(SIGINT, &sa, &s->intr);
    catch_one(SIGTERM, &sa, &s->term);
    catch_one(SIGHUP, &sa, &s->hup);
}

static void restore_signals(const saved_signals *s)
{
    sigaction(SIGINT, &s->intr, NULL);
    sigaction(SIGTERM, &s->term, NULL);
    sigaction(SIGHUP, &s->hup, NULL);
}

/* ---- small helpers ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64 (Steele, Lea, Flood 2014): run order, seeds and padding. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The last `lines` lines of a file, for messages ("" when unreadable). */
static void file_tail(const char *path, int lines, char *out, size_t n)
{
    out[0] = '\0';
    char *text = bg__read_file(path, NULL, 0);
    if (!text)
        return;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    const char *p = text + len;
    int seen = 0;
    while (p > text && seen < lines) {
        p--;
        if (*p == '\n')
            seen++;
    }
    if (*p == '\n')
        p++;
    size_t take = strlen(p);
    if (take >= n) /* keep the end: the error is usually last */
        p += take - (n - 1);
    snprintf(out, n, "%s", p);
    free(text);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    if (path && path[0])
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- running a child ---- */

typedef struct child_io {
    const char *cwd;
    const char *out_path; /* stdout goes here (NULL: /dev/null) */
    const char *err_path; /* stderr goes here (NULL: same as stdout) */
    char *const *envp;    /* NULL: our environment */
    int keep_fd;          /* a close-on-exec descriptor the child keeps (lockstep), or -1 */
} child_io;

static void redirect(const char *path, int fd)
{
    int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f >= 0) {
        dup2(f, fd);
        close(f);
    }
}

/* Starts argv[0] (found through PATH when it has no '/') in its own process
 * group, pinned to CPU `cpu` when it is >= 0. The caller has the caught
 * signals and SIGCHLD blocked (old_mask: the mask to restore in the child).
 * Returns the child's pid, or -1 (errno set). */
static pid_t spawn_child(char *const argv[], const child_io *io, int cpu, const sigset_t *old_mask)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        if (sigismember(&g_caught, SIGINT))
            signal(SIGINT, SIG_DFL);
        if (sigismember(&g_caught, SIGTERM))
            signal(SIGTERM, SIG_DFL);
        if (sigismember(&g_caught, SIGHUP))
            signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            if (sched_setaffinity(0, sizeof set, &set) != 0) {
                fprintf(stderr, "benchgate: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
                _exit(127);
            }
        }
        if (io->cwd && chdir(io->cwd) != 0) {
            fprintf(stderr, "benchgate: cannot enter %s: %s\n", io->cwd, strerror(errno));
            _exit(127);
        }
        redirect(io->out_path, STDOUT_FILENO);
        if (io->err_path)
            redirect(io->err_path, STDERR_FILENO);
        else
            dup2(STDOUT_FILENO, STDERR_FILENO);
        if (io->keep_fd > 0)
            fcntl(io->keep_fd, F_SETFD, 0);
        if (io->envp)
            environ = (char **)io->envp;
        execvp(argv[0], argv);
        fprintf(stderr, "benchgate: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

/* ---- lockstep: the two sides take turns ----
 *
 * In lockstep (the default) a block's two runs start at once and their benchmark
 * processes take turns (harness/runner.c): each asks for a turn with 'r'
 * before its warm-up and before each measured sample and ends it with 'd';
 * we answer 'g' to one side at a time, alternating. A side that asks while
 * the other is busy on its own (setting up, starting its next process) is
 * held, up to LOCKSTEP_HOLD_S, so that one side's samples do not run beside
 * the other's set-up; a side whose bench binary has ended (or never asks)
 * holds nobody, and a turn longer than LOCKSTEP_TURN_MAX_S lets the waiting
 * side go beside it. */
#define LOCKSTEP_HOLD_S 2.0
/* The longest a side waits for the other's turn to end; a harness takes a
 * process with no sample for 10 s (its default --timeout) for hung. */
#define LOCKSTEP_TURN_MAX_S 5.0

enum { BT_IDLE, BT_WAITING, BT_TURN, BT_GONE };

typedef struct baton {
    int fd[2];        /* our end of each side's socket; -1 once gone */
    int state[2];     /* BT_* */
    double since[2];  /* when a side began waiting */
    double turn_since[2]; /* when a side's turn began */
    int last;         /* the side that had the last turn; -1: none yet */
    int first;        /* the side given the block's first turn */
    size_t turns[2];
    unsigned char *seq; /* the side of each turn given, in order (NULL: out of memory) */
    size_t nseq, cap;
    bool lost;          /* seq could not grow: the order is not known */
} baton;

static void baton_gone(baton *bt, int si)
{
    if (bt->fd[si] >= 0)
        close(bt->fd[si]);
    bt->fd[si] = -1;
    bt->state[si] = BT_GONE;
}

/* Gives the turn to a waiting side when nobody has it. Returns the seconds
 * until a held side is let go (INFINITY: nobody held). */
static double baton_grant(baton *bt)
{
    bool w0 = bt->state[0] == BT_WAITING, w1 = bt->state[1] == BT_WAITING;
    int si, turn = bt->state[0] == BT_TURN ? 0 : bt->state[1] == BT_TURN ? 1 : -1;
    if (turn >= 0) {
        /* A turn longer than LOCKSTEP_TURN_MAX_S (a sample of seconds, a
         * hang): the waiting side is let go beside it rather than be taken
         * for hung by its own harness. */
        if (bt->state[1 - turn] != BT_WAITING)
            return INFINITY;
        double left = LOCKSTEP_TURN_MAX_S - (now_s() - bt->turn_since[turn]);
        if (left > 0)
            return left;
        si = 1 - turn;
    } else if (w0 && w1) {
        si = bt->last < 0 ? bt->first : 1 - bt->last;
    } else if (w0 || w1) {
        si = w0 ? 0 : 1;
        double left = LOCKSTEP_HOLD_S - (now_s() - bt->since[si]);
        if (bt->state[1 - si] != BT_GONE && left > 0)
            return left; /* held until the other side asks */
    } else {
        return INFINITY;
    }
    char g = 'g';
    if (send(bt->fd[si], &g, 1, MSG_NOSIGNAL) != 1) {
        baton_gone(bt, si);
        return baton_grant(bt);
    }
    bt->state[si] = BT_TURN;
    bt->turn_since[si] = now_s();
    bt->last = si;
    bt->turns[si]++;
    if (bt->nseq == bt->cap && !bt->lost) {
        size_t nc = bt->cap ? 2 * bt->cap : 256;
        unsigned char *ns = realloc(bt->seq, nc);
        if (ns) {
            bt->seq = ns;
            bt->cap = nc;
        } else {
            bt->lost = true;
        }
    }
    if (!bt->lost)
        bt->seq[bt->nseq++] = (unsigned char)si;
    return INFINITY;
}

/* Reads what the sides said, for at most timeout_s, and hands the turn on. */
static void baton_step(baton *bt, double timeout_s)
{
    struct pollfd pf[2];
    int side_of[2], n = 0;
    for (int si = 0; si < 2; si++)
        if (bt->fd[si] >= 0) {
            pf[n] = (struct pollfd){.fd = bt->fd[si], .events = POLLIN};
            side_of[n++] = si;
        }
    double hold = baton_grant(bt);
    if (hold < timeout_s)
        timeout_s = hold;
    if (poll(pf, (nfds_t)n, (int)(timeout_s * 1000) + 1) <= 0)
        return;
    for (int k = 0; k < n; k++) {
        int si = side_of[k];
        if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[64];
        ssize_t got = recv(bt->fd[si], buf, sizeof buf, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
            baton_gone(bt, si);
            continue;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == 'r') { /* also the end of a turn whose 'd' never came */
                bt->state[si] = BT_WAITING;
                bt->since[si] = now_s();
            } else if (buf[i] == 'd') {
                bt->state[si] = BT_IDLE;
            }
        }
    }
    baton_grant(bt);
}

/* Runs n children (argv[i] with io[i], pinned to cpu[i] when cpu is not
 * NULL and cpu[i] >= 0) at the same time, each in its own process group,
 * and waits for all. When a caught signal arrives meanwhile - also one that
 * arrives before the wait begins - every group gets SIGTERM (then SIGKILL
 * after 5 s) so builds and bench binaries stop with us. Fills st[i] with
 * each wait status, or -1 when it could not start; returns 0, or -1 when a
 * child could not start (errno set; the others are still waited for). */
static int run_children(size_t n, char *const *const argv[], const child_io io[], const int *cpu, int st[],
                        baton *bt)
{
    fflush(NULL);
    /* The caught signals and SIGCHLD stay blocked from before the fork
     * until the children are reaped, so none can slip in between a look at
     * g_signal and the wait: sigtimedwait takes them as they come. */
    sigset_t wait_set = g_caught, old_mask;
    sigaddset(&wait_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &wait_set, &old_mask);
    pid_t pids[2] = {-1, -1};
    size_t left = 0;
    int rc = 0, start_errno = 0;
    for (size_t i = 0; i < n && i < 2; i++) {
        st[i] = -1;
        pids[i] = spawn_child(argv[i], &io[i], cpu ? cpu[i] : -1, &old_mask);
        if (pids[i] < 0) {
            rc = -1;
            start_errno = errno;
        } else {
            left++;
        }
    }
    bool termed = false;
    double killed_at = 0;
    while (left > 0) {
        for (size_t i = 0; i < n && i < 2; i++) {
            if (pids[i] < 0)
                continue;
            int s = 0;
            pid_t w = waitpid(pids[i], &s, WNOHANG);
            if (w == pids[i] || (w < 0 && errno != EINTR)) {
                if (w == pids[i])
                    st[i] = s;
                pids[i] = -1;
                left--;
                if (bt)
                    baton_gone(bt, (int)i);
            }
        }
        if (!left)
            break;
        if (g_signal && !termed) {
            for (size_t i = 0; i < n && i < 2; i++)
                if (pids[i] > 0)
                    kill(-pids[i], SIGTERM);
            termed = true;
            killed_at = now_s();
        }
        if (termed && now_s() - killed_at > 5)
            for (size_t i = 0; i < n && i < 2; i++)
                if (pids[i] > 0)
                    kill(-pids[i], SIGKILL);
        if (bt && !termed) {
            /* Turns are handed on as the sides ask; signals are looked at
             * at least every 50 ms (an end also shows as the socket's). */
            baton_step(bt, 0.05);
            struct timespec zero = {0, 0};
            int sig;
            while ((sig = sigtimedwait(&wait_set, NULL, &zero)) > 0)
                if (sig != SIGCHLD)
                    on_signal(sig);
            continue;
        }
        /* Until a signal (ours or a child's end); after SIGTERM at most
         * 100 ms, for the SIGKILL above. */
        struct timespec ts = {termed ? 0 : 1, termed ? 100000000 : 0};
        int sig = sigtimedwait(&wait_set, NULL, &ts);
        if (sig > 0 && sig != SIGCHLD)
            on_signal(sig);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = start_errno;
    return rc;
}

/* One child, waited for: its wait status, or -1 when it could not start
 * (errno set). */
static int run_child(char *const argv[], const child_io *io)
{
    char *const *const av[1] = {argv};
    int st[1];
    run_children(1, av, io, NULL, st, NULL);
    return st[0];
}

static void describe_status(int st, char *buf, size_t n)
{
    if (st < 0)
        snprintf(buf, n, "could not start: %s", strerror(errno));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, n, "exit %d", WEXITSTATUS(st));
}

/* ---- the two sides ---- */

typedef struct side {
    char letter;             /* 'A' or 'B' */
    const bg_ab_side *spec;
    bool worktree_copy;      /* B as the working tree is */
    size_t changed;          /* ... with this many uncommitted changes copied in */
    char commit[BG_GIT_OID_BUF];
    char wt_name[64];        /* registered worktree, "" when none */
    char dir[4096];          /* the checkout (cwd of the build and the runs) */
    char bin[4096];          /* the bench binary */
    char label[512];
    char **names;            /* benchmarks it has (after --filter) */
    size_t nnames;
    char **envp;             /* environment of its runs, [0] is the padding slot */
    size_t nenv;
    bg_run tmpl;             /* header of its first run record (results empty) */
    bool have_tmpl;
} side;

typedef struct ab {
    const bg_ab_opts *o;
    FILE *log;
    bg_git *git;
    char tmp[4096];          /* our temporary directory */
    side s[2];
    uint64_t rng;
    uint64_t seed;      /* the run's seed: --seed, or drawn (recorded in the comparison) */
    char *err;
    size_t errlen;
    int duet_cpu[2];    /* --duet: the CPU each side's runs are pinned to; -1: not in duet */
    bool lockstep_off;  /* a side did not take turns: sequential blocks from then on */
    regex_t watch;      /* o->watch compiled, when have_watch */
    bool have_watch;
} ab;

/* "benchgate ab pid N on HOST": a worktree's lock reason, so that a later
 * run can tell a worktree of a dead run from one of a running one. */
static void lock_reason(char *buf, size_t n, pid_t pid)
{
    char host[128] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(buf, n, "benchgate ab pid %ld on %s", (long)pid, host);
}

typedef struct stale_ctx {
    char names[32][64];
    char paths[32][4096];
    size_t n;
} stale_ctx;

/* A worktree of ours (named bgab-<pid>-<side>) whose run is gone: its pid,
 * from the lock reason or else the name, is dead on this host. */
static int collect_stale(const char *name, const char *path, const char *reason, void *ud)
{
    stale_ctx *c = ud;
    long pid = 0;
    char letter = 0;
    if (sscanf(name, "bgab-%ld-%c", &pid, &letter) != 2 || c->n >= 32)
        return 0;
    char host[128] = "", mine[128] = "";
    gethostname(mine, sizeof mine);
    mine[sizeof mine - 1] = '\0';
    long locked_by = 0;
    if (sscanf(reason, "benchgate ab pid %ld on %127s", &locked_by, host) == 2) {
        if (strcmp(host, mine) != 0)
            return 0; /* another machine's (a shared repository) */
        pid = locked_by;
    }
    if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        return 0; /* its run is alive */
    snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
    snprintf(c->paths[c->n], sizeof c->paths[0], "%s", path ? path : "");
    c->n++;
    return 0;
}

/* Removes worktrees that a killed earlier run left behind. */
static void remove_stale(ab *x)
{
    stale_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return;
    char err[512];
    bg_git_worktree_foreach(x->git, collect_stale, c, err, sizeof err);
    for (size_t i = 0; i < c->n; i++) {
        if (bg_git_worktree_remove(x->git, c->names[i], err, sizeof err) == 0)
            fprintf(x->log, "benchgate: removed the worktree %s left by an interrupted run\n",
                    c->paths[i]);
        /* Its temporary parent directory, when it is one of ours. */
        char *slash = strrchr(c->paths[i], '/');
        if (slash) {
            *slash = '\0';
            const char *base = strrchr(c->paths[i], '/');
            if (base && !strncmp(base + 1, "benchgate-ab-", 13))
                remove_tree(c->paths[i]);
        }
    }
    free(c);
}

static void short_id(const char *commit, char out[13])
{
    snprintf(out, 13, "%.12s", commit);
}

static int make_label(side *sd, const char *head_commit)
{
    const bg_ab_side *sp = sd->spec;
    char id[13];
    short_id(sd->commit, id);
    size_t len = 0;
    if (sp->bin)
        len = (size_t)snprintf(sd->label, sizeof sd->label, "%s", sp->bin);
    else if (sd->worktree_copy)
        len = (size_t)snprintf(sd->label, sizeof sd->label, "the working tree (%.12s + changes)",
                               head_commit);
    else if (!strncmp(sp->rev, sd->commit, strlen(sp->rev)))
        len = (size_t)snprintf(sd->label, sizeof sd->label, "%s", id); /* an id already */
    else
        len = (size_t)snprintf(sd->label, sizeof sd->label, "%s (%s)", sp->rev, id);
    for (size_t i = 0; i < sp->nenv && len < sizeof sd->label; i++)
        len += (size_t)snprintf(sd->label + len, sizeof sd->label - len, " %s", sp->env[i]);
    return 0;
}

/* Copies one file (or symlink) from src to dst, creating dst's directories. */
static int copy_path(const char *src, const char *dst)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s", dst);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    struct stat st;
    if (lstat(src, &st) != 0)
        return -1;
    unlink(dst);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0)
            return -1;
        target[n] = '\0';
        return symlink(target, dst);
    }
    int in = open(src, O_RDONLY);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    return rc;
}

/* Brings the uncommitted changes of the working tree into B's checkout of
 * HEAD, so that B is the working tree as it is (ignored files, such as
 * build directories, excepted). */
static int overlay_changes(ab *x, side *sd)
{
    char **paths = NULL;
    int *deleted = NULL;
    size_t n = 0;
    int rc = bg_git_changed_paths(x->git, NULL, &paths, &deleted, &n, x->err, x->errlen);
    if (rc)
        return rc;
    const char *root = bg_git_workdir(x->git);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char src[4096], dst[8192];
        snprintf(src, sizeof src, "%s%s", root, paths[i]);
        snprintf(dst, sizeof dst, "%s/%s", sd->dir, paths[i]);
        if (deleted[i]) {
            unlink(dst);
        } else if (copy_path(src, dst) != 0) {
            set_err(x->err, x->errlen, "cannot copy the changed file %s into %s: %s", src, sd->dir,
                    strerror(errno));
            rc = BG_EIO;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(deleted);
    sd->changed = n;
    if (rc == 0)
        fprintf(x->log, "benchgate: B is the working tree: HEAD plus %zu changed file%s\n", n,
                n == 1 ? "" : "s");
    return rc;
}

static int checkout(ab *x, side *sd)
{
    char reason[256];
    lock_reason(reason, sizeof reason, getpid());
    snprintf(sd->wt_name, sizeof sd->wt_name, "bgab-%ld-%c", (long)getpid(), sd->letter == 'A' ? 'a' : 'b');
    snprintf(sd->dir, sizeof sd->dir, "%.4000s/%c", x->tmp, sd->letter == 'A' ? 'a' : 'b');
    int rc = bg_git_worktree_add(x->git, sd->wt_name, sd->dir, sd->commit, reason, x->err, x->errlen);
    if (rc) {
        sd->wt_name[0] = '\0';
        return rc;
    }
    if (sd->worktree_copy)
        return overlay_changes(x, sd);
    return 0;
}

static const char *bench_bin_rel(const bg_ab_opts *o)
{
    if (o->bench_bin && o->bench_bin[0])
        return o->bench_bin;
    const char *e = getenv("BENCHGATE_BENCH_BIN");
    return e && e[0] ? e : BG_AB_DEFAULT_BENCH_BIN;
}

static int build(ab *x, side *sd)
{
    const bg_ab_opts *o = x->o;
    const char *cmd = o->build_cmd && o->build_cmd[0] ? o->build_cmd : BG_AB_DEFAULT_BUILD;
    if (!o->build_cmd) {
        char mb[8192];
        snprintf(mb, sizeof mb, "%s/meson.build", sd->dir);
        if (access(mb, F_OK) != 0) {
            set_err(x->err, x->errlen,
                    "%c = %s has no meson.build, and no build command was given: pass "
                    "--build-cmd 'CMD' (run with /bin/sh -c in the checkout) and --bench-bin PATH",
                    sd->letter, sd->label);
            return BG_EINVAL;
        }
    }
    char logp[4200];
    snprintf(logp, sizeof logp, "%s/build-%c.log", x->tmp, sd->letter);
    fprintf(x->log, "benchgate: building %c = %s: %s\n", sd->letter, sd->label, cmd);
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    child_io io = {.cwd = sd->dir, .out_path = logp};
    double t0 = now_s();
    int st = run_child(argv, &io);
    if (g_signal)
        return BG_EIO;
    if (st != 0) {
        char how[128], tail[4096];
        describe_status(st, how, sizeof how);
        file_tail(logp, LOG_TAIL_LINES, tail, sizeof tail);
        bool missing = st > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127;
        set_err(x->err, x->errlen,
                "building %c = %s failed (%s)%s with: %s\n  in %s; the end of its output:\n%s",
                sd->letter, sd->label, how, missing ? ", a command was not found," : "", cmd,
                sd->dir, tail);
        return BG_EIO;
    }
    int w = snprintf(sd->bin, sizeof sd->bin, "%s/%s", sd->dir, bench_bin_rel(o));
    if (w < 0 || (size_t)w >= sizeof sd->bin || access(sd->bin, X_OK) != 0) {
        set_err(x->err, x->errlen,
                "%c = %s built, but there is no bench binary at %s (checked %s); pass "
                "--bench-bin PATH relative to the checkout", sd->letter, sd->label,
                bench_bin_rel(o), sd->bin);
        return BG_ENOTFOUND;
    }
    fprintf(x->log, "benchgate: built %c in %.1f s\n", sd->letter, now_s() - t0);
    return 0;
}

/* ---- the bench binaries' benchmarks ---- */

static int list_benchmarks(ab *x, side *sd)
{
    char outp[4200], errp[4200];
    snprintf(outp, sizeof outp, "%s/list-%c.txt", x->tmp, sd->letter);
    snprintf(errp, sizeof errp, "%s/list-%c.err", x->tmp, sd->letter);
    char *argv[BG_AB_MAX_ARGS + 8];
    size_t n = 0;
    argv[n++] = sd->bin;
    argv[n++] = "--list";
    if (x->o->filter) {
        argv[n++] = "--filter";
        argv[n++] = (char *)x->o->filter;
    }
    argv[n] = NULL;
    child_io io = {.cwd = sd->dir[0] ? sd->dir : NULL, .out_path = outp, .err_path = errp};
    int st = run_child(argv, &io);
    if (g_signal)
        return BG_EIO;
    if (st != 0) {
        char how[128], tail[2048];
        describe_status(st, how, sizeof how);
        file_tail(errp, 10, tail, sizeof tail);
        set_err(x->err, x->errlen, "%c's bench binary %s --list failed (%s): %s", sd->letter, sd->bin,
                how, tail);
        return BG_EIO;
    }
    char *text = bg__read_file(outp, NULL, 0);
    if (!text) {
        set_err(x->err, x->errlen, "cannot read %s", outp);
        return BG_EIO;
    }
    size_t cap = 16;
    sd->names = malloc(cap * sizeof *sd->names);
    int rc = sd->names ? 0 : BG_ENOMEM;
    for (char *line = strtok(text, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
        if (!line[0])
            continue;
        if (sd->nnames == cap) {
            char **nn = realloc(sd->names, 2 * cap * sizeof *nn);
            if (!nn) {
                rc = BG_ENOMEM;
                break;
            }
            sd->names = nn;
            cap *= 2;
        }
        if (!(sd->names[sd->nnames] = strdup(line)))
            rc = BG_ENOMEM;
        else
            sd->nnames++;
    }
    free(text);
    return rc;
}

static bool has_name(const side *sd, const char *name)
{
    for (size_t i = 0; i < sd->nnames; i++)
        if (!strcmp(sd->names[i], name))
            return true;
    return false;
}

/* Our environment with the side's KEY=VALUE pairs set; slot 0 is left for
 * the per-run padding variable. */
static int build_env(side *sd)
{
    size_t n = 0;
    while (environ[n])
        n++;
    const bg_ab_side *sp = sd->spec;
    sd->envp = calloc(n + sp->nenv + 3, sizeof *sd->envp); /* padding, lockstep, NULL */
    if (!sd->envp)
        return BG_ENOMEM;
    size_t k = 1;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t kl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool overridden = !strncmp(environ[i], "BENCHGATE_AB_PAD=", 17) ||
                          !strncmp(environ[i], "BENCHGATE_LOCKSTEP=", 19);
        for (size_t j = 0; j < sp->nenv && !overridden; j++)
            overridden = !strncmp(sp->env[j], environ[i], kl) && sp->env[j][kl] == '=';
        if (!overridden)
            sd->envp[k++] = environ[i];
    }
    for (size_t j = 0; j < sp->nenv; j++)
        sd->envp[k++] = (char *)sp->env[j];
    sd->envp[k] = NULL;
    sd->nenv = k;
    return 0;
}

/* ---- one run of one benchmark on one side ---- */

typedef struct bench_state {
    const char *name;
    bool active;
    size_t n, cap;
    double *est_a, *est_b;  /* the statistic of each block's runs */
    char *order;            /* per block, the side that ran first ('A' or 'B') */
    double elapsed;
    char stop[32];
    bg_result merged[2];    /* every process of every run, per side */
    bool failed[2];
    char note[320];
    /* The benchmark's scopes (BG_SCOPE), results of their own in each run
     * record: compared block by block beside it, as rows of their own. */
    struct bench_state *sub;
    size_t nsub;
    double pend[2];         /* a scope's statistic in this block's run of each side */
    char *own_name;         /* a scope's name (owned) */
    const char *metric;     /* what its runs are compared on: its settings rule's metric, else
                             * the comparison's (metric_of) */
    bool watched;           /* a scope --watch names: the benchmark stops only once it is decided */
} bench_state;

static void bench_state_free(bench_state *b)
{
    bg__result_free(&b->merged[0]);
    bg__result_free(&b->merged[1]);
    free(b->est_a);
    free(b->est_b);
    free(b->order);
    for (size_t j = 0; j < b->nsub; j++)
        bench_state_free(&b->sub[j]);
    free(b->sub);
    free(b->own_name);
}

/* Appends regex-escaped s to buf (ERE metacharacters). */
static void regex_exact(char *buf, size_t n, const char *s)
{
    size_t len = (size_t)snprintf(buf, n, "^");
    for (; *s && len + 3 < n; s++) {
        if (strchr(".[]()*+?{}|^$\\", *s))
            buf[len++] = '\\';
        buf[len++] = *s;
    }
    snprintf(buf + len, n - len, "$");
}

/* The metric a run's statistic is taken of ("time" unless --metric). */
static const char *metric_of(const bg_ab_opts *o)
{
    return o->metric && *o->metric ? o->metric : "time";
}

/* The statistic of one run: over the per-iteration values of `metric` in
 * all its samples (NAN when no sample has it). */
static double run_statistic(const bg_result *r, bg_statistic s, const char *metric)
{
    size_t total = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        total += r->procs[i].n;
    if (total == 0)
        return NAN;
    double *t = malloc(total * sizeof *t);
    if (!t)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, metric);
        if (!v)
            continue;
        for (size_t j = 0; j < r->procs[i].n; j++)
            if (r->procs[i].iters[j] > 0 && isfinite(v[j]))
                t[k++] = v[j] / r->procs[i].iters[j];
    }
    double v = NAN;
    if (k > 0) {
        if (s == BG_STAT_MIN)
            v = bg_stat_min(t, k);
        else if (s == BG_STAT_MEDIAN)
            v = bg_stat_median(t, k);
        else
            v = bg_stat_mean(t, k);
    }
    free(t);
    return v;
}

/* Moves the processes of `from` to the end of `to` (from keeps none).
 * Their sample start times are dropped: each run counts them from its own
 * start, so they would not form one timeline. */
static int merge_procs(bg_result *to, bg_result *from)
{
    bg_proc *np = realloc(to->procs, (to->nprocs + from->nprocs + 1) * sizeof *np);
    if (!np)
        return BG_ENOMEM;
    to->procs = np;
    for (size_t i = 0; i < from->nprocs; i++) {
        free(from->procs[i].start_ns);
        from->procs[i].start_ns = NULL;
    }
    memcpy(to->procs + to->nprocs, from->procs, from->nprocs * sizeof *np);
    to->nprocs += from->nprocs;
    if (from->items_per_iter)
        to->items_per_iter = from->items_per_iter;
    if (from->bytes_per_iter)
        to->bytes_per_iter = from->bytes_per_iter;
    to->elapsed_s += from->elapsed_s;
    from->nprocs = 0;
    return 0;
}

/* The scopes of b in side si's run: each one's statistic kept for this
 * block (pend) and its processes merged. A scope is added when first seen
 * (a block before it simply has no pair for it). */
static int take_scopes(ab *x, int si, bench_state *b, bg_run *run)
{
    for (size_t k = 1; k < run->nresults; k++) {
        bg_result *r = &run->results[k];
        if (!r->name || strcmp(r->scope_of, b->name) != 0 || r->status != BG_STATUS_OK)
            continue;
        bench_state *sc = NULL;
        for (size_t j = 0; j < b->nsub && !sc; j++)
            if (!strcmp(b->sub[j].name, r->name))
                sc = &b->sub[j];
        if (!sc) {
            bench_state *ns = realloc(b->sub, (b->nsub + 1) * sizeof *ns);
            if (!ns)
                return BG_ENOMEM;
            b->sub = ns;
            sc = &ns[b->nsub];
            *sc = (bench_state){.pend = {NAN, NAN}};
            if (!(sc->own_name = strdup(r->name)))
                return BG_ENOMEM;
            sc->name = sc->own_name;
            sc->watched = x->have_watch && regexec(&x->watch, r->name, 0, NULL, 0) == 0;
            b->nsub++;
        }
        sc->pend[si] = run_statistic(r, x->o->statistic, metric_of(x->o));
        bg_result *m = &sc->merged[si];
        snprintf(m->scope_of, sizeof m->scope_of, "%s", r->scope_of);
        m->scope_depth = r->scope_depth;
        m->scope_share = r->scope_share;
        if (merge_procs(m, r) != 0)
            return BG_ENOMEM;
    }
    return 0;
}

/* Keeps the header of a side's first run record (config, overhead, machine,
 * git) as the header of its merged run. */
static void keep_header(side *sd, bg_run *run)
{
    if (sd->have_tmpl)
        return;
    sd->tmpl = *run;
    sd->tmpl.results = NULL;
    sd->tmpl.nresults = 0;
    sd->have_tmpl = true;
}

/* Runs `b` once on side `si`. Returns 0 with *stat set (NAN when the
 * benchmark failed: b->failed and b->note say how), or BG_EIO when the
 * bench binary itself failed (message in err). */
/* One run of a bench binary, prepared: its arguments, environment
 * padding and files. */
typedef struct launch {
    char json[4200], errp[4200], filt[1024], seed[32], procs[16];
    char *padvar;
    char *argv[BG_AB_MAX_ARGS + 20];
    child_io io;
} launch;

/* Prepares side si's run of benchmark b (its padding goes into the side's
 * environment until finish_once). BG_ENOMEM. */
static int prepare_once(ab *x, int si, bench_state *b, launch *L)
{
    side *sd = &x->s[si];
    const bg_ab_opts *o = x->o;
    snprintf(L->json, sizeof L->json, "%s/run-%c.json", x->tmp, sd->letter);
    snprintf(L->errp, sizeof L->errp, "%s/run-%c.err", x->tmp, sd->letter);
    regex_exact(L->filt, sizeof L->filt, b->name);
    snprintf(L->seed, sizeof L->seed, "%llu", (unsigned long long)(next_u64(&x->rng) >> 1));
    snprintf(L->procs, sizeof L->procs, "%d", o->procs);
    unlink(L->json);

    /* Padding of a random length shifts where the stack starts. */
    size_t pad = (size_t)(next_u64(&x->rng) % PAD_MAX);
    L->padvar = malloc(pad + 32);
    if (!L->padvar)
        return BG_ENOMEM;
    memcpy(L->padvar, "BENCHGATE_AB_PAD=", 17);
    memset(L->padvar + 17, 'x', pad);
    L->padvar[17 + pad] = '\0';
    sd->envp[0] = L->padvar;

    char **argv = L->argv;
    size_t n = 0;
    argv[n++] = sd->bin;
    argv[n++] = "--procs";
    argv[n++] = L->procs;
    argv[n++] = "--max-procs";
    argv[n++] = L->procs;
    argv[n++] = "--color";
    argv[n++] = "never";
    for (size_t i = 0; i < o->nbench_args; i++)
        argv[n++] = (char *)o->bench_args[i];
    argv[n++] = "--filter";
    argv[n++] = L->filt;
    argv[n++] = "--seed";
    argv[n++] = L->seed;
    argv[n++] = "--json";
    argv[n++] = L->json;
    argv[n++] = "--no-save";
    argv[n] = NULL;
    L->io = (child_io){.cwd = sd->dir[0] ? sd->dir : NULL, .out_path = NULL, .err_path = L->errp,
                       .envp = sd->envp};
    return 0;
}

/* Why benchmark b's metric cannot be compared run by run, naming the
 * settings rule that chose it, if one did. */
static void not_summed(const ab *x, const bench_state *b, char *buf, size_t n)
{
    const bg_settings *s = x->o->cmp.settings;
    const bg_rule *rule = bg__settings_rule(s, b->name);
    char where[160] = "";
    if (rule && rule->metric[0] && s->path[0])
        snprintf(where, sizeof where, "rule at %.120s:%d: ", s->path, rule->line);
    snprintf(buf, n, "%smetric %.40s is not a total per sample; ab compares time, cpu or a counter summed "
             "over each sample", where, b->metric);
}

/* Reads side si's finished run of b (wait status st) into *stat and the
 * merged result; a run that crashed marks the side failed. Releases what
 * prepare_once took. */
static int finish_once(ab *x, int si, bench_state *b, launch *L, int st, double *stat)
{
    side *sd = &x->s[si];
    const bg_ab_opts *o = x->o;
    *stat = NAN;
    const char *json = L->json, *errp = L->errp;
    sd->envp[0] = NULL;
    free(L->padvar);
    L->padvar = NULL;
    if (g_signal)
        return BG_EIO;
    if (st < 0 || (WIFEXITED(st) && (WEXITSTATUS(st) == 2 || WEXITSTATUS(st) == 127))) {
        char how[128], tail[2048];
        describe_status(st, how, sizeof how);
        file_tail(errp, 10, tail, sizeof tail);
        set_err(x->err, x->errlen, "%c's bench binary %s failed (%s) running %s: %s", sd->letter,
                sd->bin, how, b->name, tail);
        return BG_EIO;
    }
    char *text = bg__read_file(json, NULL, 0);
    bg_run run;
    memset(&run, 0, sizeof run);
    char perr[512] = "";
    if (!text || bg__record_parse(text, &run, perr, sizeof perr) != 0) {
        char how[128], tail[1024];
        describe_status(st, how, sizeof how);
        file_tail(errp, 6, tail, sizeof tail);
        /* Its process died (or stopped) before it could report: the
         * benchmark crashed on this side. */
        b->failed[si] = true;
        b->merged[si].status = BG_STATUS_CRASHED;
        snprintf(b->note, sizeof b->note, "crashed in %c: the bench binary wrote no run record "
                 "(%.60s)%s%.200s", sd->letter, how, tail[0] ? ": " : "", tail);
        free(text);
        bg__run_free(&run);
        return 0;
    }
    free(text);
    bg_result *r = run.nresults >= 1 ? &run.results[0] : NULL;
    if (!r || !r->name || strcmp(r->name, b->name) != 0) {
        b->failed[si] = true;
        b->merged[si].status = BG_STATUS_CRASHED;
        snprintf(b->note, sizeof b->note, "crashed in %c: its run record does not hold %s",
                 sd->letter, b->name);
    } else if (r->status != BG_STATUS_OK) {
        b->failed[si] = true;
        b->merged[si].status = r->status;
        snprintf(b->note, sizeof b->note, "%s in %c: %s", bg__status_name(r->status), sd->letter,
                 r->message);
    } else if (bg__result_metric_kind(r, b->metric) != BG_METRIC_SUM) {
        /* a user counter kept as a maximum or a last value: known from the run */
        b->failed[si] = true;
        not_summed(x, b, b->note, sizeof b->note);
    } else {
        *stat = run_statistic(r, o->statistic, b->metric);
        if (!(*stat > 0)) {
            b->failed[si] = true;
            if (strcmp(b->metric, "time") != 0)
                snprintf(b->note, sizeof b->note, "%c: no usable samples of %.60s (is it recorded?)",
                         sd->letter, b->metric);
            else
                snprintf(b->note, sizeof b->note, "%c: no usable samples", sd->letter);
        } else if (merge_procs(&b->merged[si], r) != 0 || take_scopes(x, si, b, &run) != 0) {
            bg__run_free(&run);
            return BG_ENOMEM;
        }
    }
    keep_header(sd, &run);
    bg__run_free(&run);
    return 0;
}

/* Runs side si's bench binary once on benchmark b: its statistic in *stat
 * (NAN when the side failed: b->failed[si] and b->note say how). Returns 0,
 * BG_EIO when the binary could not run or a signal stopped us, BG_ENOMEM. */
static int run_once(ab *x, int si, bench_state *b, double *stat)
{
    launch L;
    memset(&L, 0, sizeof L);
    int rc = prepare_once(x, si, b, &L);
    if (rc)
        return rc;
    int st = run_child(L.argv, &L.io);
    return finish_once(x, si, b, &L, st, stat);
}

/* ---- the interleaved measurement ---- */

static int push_block(bench_state *b, double a, double bb, char first)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 16;
        double *na = realloc(b->est_a, nc * sizeof *na);
        if (!na)
            return BG_ENOMEM;
        b->est_a = na;
        double *nb = realloc(b->est_b, nc * sizeof *nb);
        if (!nb)
            return BG_ENOMEM;
        b->est_b = nb;
        char *no = realloc(b->order, nc + 1);
        if (!no)
            return BG_ENOMEM;
        b->order = no;
        b->cap = nc;
    }
    b->est_a[b->n] = a;
    b->est_b[b->n] = bb;
    b->order[b->n] = first;
    b->order[b->n + 1] = '\0';
    b->n++;
    return 0;
}

/* Relative half-width of the paired interval so far (log scale), or
 * INFINITY when it cannot be computed yet. */
static double paired_halfwidth(const ab *x, const bench_state *b)
{
    if (b->n < 5)
        return INFINITY;
    bg_change ch;
    if (bg_paired_change(b->est_a, b->est_b, b->n, 1 - x->o->cmp.alpha, &ch) != 0)
        return INFINITY;
    return (log1p(ch.hi) - log1p(ch.lo)) / 2;
}

/* Duet: both sides of a block at once, each pinned to its own CPU, so
 * that both see the same interference (Bulej et al., "Duet benchmarking",
 * 2020). Which CPU each side gets is drawn per block. */
static int run_duet(ab *x, bench_state *b, double est[2], int *first)
{
    launch L[2];
    memset(L, 0, sizeof L);
    int rc = prepare_once(x, 0, b, &L[0]);
    if (rc == 0)
        rc = prepare_once(x, 1, b, &L[1]);
    if (rc) {
        for (int si = 0; si < 2; si++)
            if (L[si].padvar) {
                x->s[si].envp[0] = NULL;
                free(L[si].padvar);
            }
        return rc;
    }
    *first = (int)(next_u64(&x->rng) & 1); /* here: which side gets the first CPU */
    int cpu[2] = {x->duet_cpu[*first], x->duet_cpu[1 - *first]};
    char *const *const av[2] = {L[0].argv, L[1].argv};
    child_io io[2] = {L[0].io, L[1].io};
    int st[2];
    run_children(2, av, io, cpu, st, NULL);
    for (int si = 0; si < 2; si++) {
        int r = finish_once(x, si, b, &L[si], st[si], &est[si]);
        if (r && !rc)
            rc = r;
    }
    return rc;
}

/* The block's change under lockstep: the median, over every two turns in
 * a row that were measured samples of different sides, of B's
 * per-iteration value over A's. The turns given (bt->seq) are mapped to
 * samples: each process of a side (processes [n0[si], nprocs) of its
 * merged result) took one turn for its warm-up, then one per sample. A
 * sample is compared with the other side's samples just before and just
 * after it, so drift that is steady over a few samples cancels whichever
 * side went first. 0 when the turns do not match the samples or fewer than
 * 3 pairs are found. */
static double lockstep_ratio(const ab *x, const bench_state *b, const baton *bt, const size_t n0[2])
{
    if (bt->lost || bt->nseq < 2)
        return 0;
    const char *metric = b->metric;
    /* per turn: the value of its sample, or NAN (a warm-up, an unusable sample) */
    double *val = malloc(bt->nseq * sizeof *val);
    double *lr = malloc(bt->nseq * sizeof *lr);
    if (!val || !lr) {
        free(val);
        free(lr);
        return 0;
    }
    size_t proc[2] = {n0[0], n0[1]}, next[2] = {0, 0}; /* next: 0 warm-up, i+1 sample i */
    bool ok = true;
    for (size_t g = 0; g < bt->nseq && ok; g++) {
        int si = bt->seq[g];
        const bg_result *r = &b->merged[si];
        if (proc[si] < r->nprocs && next[si] > r->procs[proc[si]].n) { /* its next process */
            proc[si]++;
            next[si] = 0;
        }
        if (proc[si] >= r->nprocs) {
            ok = false; /* more turns than samples */
            break;
        }
        val[g] = NAN;
        if (next[si] > 0) {
            const bg_proc *p = &r->procs[proc[si]];
            size_t i = next[si] - 1;
            const double *v = bg__proc_metric(r, proc[si], metric);
            if (v && p->iters[i] > 0 && v[i] / p->iters[i] > 0 && isfinite(v[i]))
                val[g] = v[i] / p->iters[i];
        }
        next[si]++;
    }
    for (int si = 0; si < 2 && ok; si++) /* and every sample had its turn */
        ok = proc[si] + 1 == b->merged[si].nprocs && next[si] == b->merged[si].procs[proc[si]].n + 1;
    size_t k = 0;
    for (size_t g = 1; g < bt->nseq && ok; g++) {
        int sa = bt->seq[g - 1], sb = bt->seq[g];
        if (sa == sb || !(val[g - 1] > 0) || !(val[g] > 0))
            continue;
        double a = sa == 0 ? val[g - 1] : val[g], bb = sa == 0 ? val[g] : val[g - 1];
        lr[k++] = log(bb / a);
    }
    double r = ok && k >= 3 ? exp(bg_stat_median(lr, k)) : 0;
    free(val);
    free(lr);
    return r;
}

/* Lockstep: both sides of a block at once, taking turns sample by sample
 * (see baton). Which side has the first turn is drawn per block. Each
 * side's run statistic is kept for A; B's is A's times the block's paired
 * ratio (lockstep_ratio), so the block's change is that ratio. A side
 * whose bench binary never took turns (older than lockstep) leaves the
 * block unpaired, each run's own statistic, and turns lockstep off for the
 * blocks after it (x->lockstep_off), with a note. */
static int run_lockstep(ab *x, bench_state *b, double est[2], int *first)
{
    launch L[2];
    memset(L, 0, sizeof L);
    int sv[2][2] = {{-1, -1}, {-1, -1}};
    char var[2][48];
    int rc = 0;
    for (int si = 0; si < 2 && !rc; si++) {
        rc = prepare_once(x, si, b, &L[si]);
        if (!rc && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[si]) != 0) {
            set_err(x->err, x->errlen, "lockstep: socketpair: %s", strerror(errno));
            rc = BG_EIO;
        }
    }
    if (rc) {
        for (int si = 0; si < 2; si++) {
            if (L[si].padvar) {
                x->s[si].envp[0] = NULL;
                free(L[si].padvar);
            }
            for (int k = 0; k < 2; k++)
                if (sv[si][k] >= 0)
                    close(sv[si][k]);
        }
        return rc;
    }
    baton bt = {.fd = {sv[0][0], sv[1][0]}, .state = {BT_IDLE, BT_IDLE}, .last = -1};
    bt.first = *first = (int)(next_u64(&x->rng) & 1);
    char *const *const av[2] = {L[0].argv, L[1].argv};
    child_io io[2] = {L[0].io, L[1].io};
    size_t n0[2];
    for (int si = 0; si < 2; si++) {
        side *sd = &x->s[si];
        snprintf(var[si], sizeof var[si], "BENCHGATE_LOCKSTEP=%d", sv[si][1]);
        sd->envp[sd->nenv] = var[si];
        sd->envp[sd->nenv + 1] = NULL;
        io[si].keep_fd = sv[si][1];
        n0[si] = b->merged[si].nprocs;
    }
    int st[2];
    run_children(2, av, io, NULL, st, &bt);
    for (int si = 0; si < 2; si++) {
        x->s[si].envp[x->s[si].nenv] = NULL;
        close(sv[si][1]);
        baton_gone(&bt, si);
    }
    for (int si = 0; si < 2; si++) {
        int r = finish_once(x, si, b, &L[si], st[si], &est[si]);
        if (r && !rc)
            rc = r;
    }
    if (rc || b->failed[0] || b->failed[1]) {
        free(bt.seq);
        return rc;
    }
    for (int si = 0; si < 2; si++)
        if (bt.turns[si] == 0 && !x->lockstep_off) {
            /* Its runs overlapped the other side's: not what was asked for,
             * and noisier than one after the other, which the rest get. */
            fprintf(x->log, "benchgate: note: lockstep: %c's bench binary did not take turns (built "
                    "before lockstep, or measuring instructions under valgrind); this block compares "
                    "each run's own figure, and the blocks after it run one after the other\n",
                    x->s[si].letter);
            x->lockstep_off = true;
        }
    if (bt.turns[0] == 0 || bt.turns[1] == 0) {
        free(bt.seq);
        return 0;
    }
    double ratio = lockstep_ratio(x, b, &bt, n0);
    free(bt.seq);
    if (ratio > 0)
        est[1] = est[0] * ratio;
    return 0;
}

/* Runs one block of benchmark b: A and B once each, in random order, or
 * both at once with --duet or --lockstep. */
static int run_block(ab *x, bench_state *b)
{
    for (size_t j = 0; j < b->nsub; j++)
        b->sub[j].pend[0] = b->sub[j].pend[1] = NAN;
    int first = (int)(next_u64(&x->rng) & 1);
    double est[2] = {NAN, NAN};
    double t0 = now_s();
    bool lockstep = x->o->lockstep && !x->lockstep_off;
    bool together = x->duet_cpu[0] >= 0 || lockstep;
    if (together) {
        int rc = lockstep ? run_lockstep(x, b, est, &first) : run_duet(x, b, est, &first);
        if (rc)
            return rc;
    }
    for (int k = 0; k < 2 && !g_signal && !together; k++) {
        int si = k == 0 ? first : 1 - first;
        int rc = run_once(x, si, b, &est[si]);
        if (rc)
            return rc;
        if (b->failed[si])
            break;
    }
    b->elapsed += now_s() - t0;
    if (g_signal)
        return 0;
    if (b->failed[0] || b->failed[1]) {
        b->active = false;
        snprintf(b->stop, sizeof b->stop, "failed");
        return 0;
    }
    /* duet: 'a' or 'b', the side that had the first CPU */
    char order = x->duet_cpu[0] >= 0 ? (first ? 'b' : 'a') : first ? 'B' : 'A';
    for (size_t j = 0; j < b->nsub; j++) {
        bench_state *sc = &b->sub[j];
        sc->elapsed = b->elapsed;
        if (sc->pend[0] > 0 && sc->pend[1] > 0 && push_block(sc, sc->pend[0], sc->pend[1], order) != 0)
            return BG_ENOMEM;
    }
    return push_block(b, est[0], est[1], order);
}

/* Picks the two CPUs of --duet from those this process may run on (the
 * first two); false with a note when there are fewer than two. */
static bool pick_duet_cpus(ab *x)
{
    x->duet_cpu[0] = x->duet_cpu[1] = -1;
    if (!x->o->duet)
        return true;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) {
        fprintf(x->log, "benchgate: note: --duet needs two CPUs to run both sides at once, and this process "
                        "may use %d; running them one after the other\n", CPU_COUNT(&set));
        return false;
    }
    int k = 0;
    for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &set))
            x->duet_cpu[k++] = c;
    fprintf(x->log, "benchgate: duet: each block runs A and B at once, pinned to CPUs %d and %d\n",
            x->duet_cpu[0], x->duet_cpu[1]);
    return true;
}

/* The precision at which a benchmark stops: by default half the noise
 * threshold, so that an unchanged benchmark's interval can fit inside
 * +-threshold and be called "unchanged" rather than "inconclusive". */
static double target_of(const bg_ab_opts *o)
{
    return o->target > 0 ? o->target : o->cmp.threshold_pct / 200.0;
}

/* Whether b's interval is within the target (or, cleared, entirely below
 * +threshold). */
static bool settled(const ab *x, const bench_state *b, bool cleared)
{
    const bg_ab_opts *o = x->o;
    if (!cleared)
        return paired_halfwidth(x, b) <= target_of(o);
    bg_change ch;
    return b->n >= 5 && bg_paired_change(b->est_a, b->est_b, b->n, 1 - o->cmp.alpha, &ch) == 0 &&
           ch.hi < o->cmp.threshold_pct / 100.0;
}

static void decide_stop(const ab *x, bench_state *b)
{
    const bg_ab_opts *o = x->o;
    int min_blocks = o->min_blocks > MIN_BLOCKS_FLOOR ? o->min_blocks : MIN_BLOCKS_FLOOR;
    if (b->n < (size_t)min_blocks)
        return;
    const char *why = NULL;
    bool subs_reached = true, subs_cleared = true;
    for (size_t j = 0; j < b->nsub; j++)
        if (b->sub[j].watched) {
            subs_reached = subs_reached && settled(x, &b->sub[j], false);
            subs_cleared = subs_cleared && settled(x, &b->sub[j], true);
        }
    if (settled(x, b, false) && subs_reached)
        why = "target reached";
    else if (o->stop_when_cleared && settled(x, b, true) && subs_cleared)
        why = "cleared";
    else if (b->elapsed >= o->budget_s)
        why = "budget";
    else if (b->n >= (size_t)o->max_blocks)
        why = "max blocks";
    if (why) {
        b->active = false;
        snprintf(b->stop, sizeof b->stop, "%s", why);
        for (size_t j = 0; j < b->nsub; j++)
            snprintf(b->sub[j].stop, sizeof b->sub[j].stop, "%s", why);
    }
}

static void report_done(const ab *x, const bench_state *b)
{
    if (b->failed[0] || b->failed[1]) {
        fprintf(x->log, "benchgate: %s: %s\n", b->name, b->note);
        return;
    }
    double hw = paired_halfwidth(x, b);
    fprintf(x->log, "benchgate: %s: %zu blocks, %.1f s, \u00b1%.2f %% (%s); first in each block: %s\n",
            b->name, b->n, b->elapsed, 100 * hw, b->stop, b->order ? b->order : "");
}

static int measure(ab *x, bench_state *bs, size_t nb)
{
    const bg_ab_opts *o = x->o;
    int max_blocks = o->max_blocks > MIN_BLOCKS_FLOOR ? o->max_blocks : MIN_BLOCKS_FLOOR;
    for (int block = 0; block < max_blocks && !g_signal; block++) {
        size_t active = 0;
        for (size_t i = 0; i < nb && !g_signal; i++) {
            bench_state *b = &bs[i];
            if (!b->active)
                continue;
            int rc = run_block(x, b);
            if (rc)
                return rc;
            if (b->active)
                decide_stop(x, b);
            if (!b->active && !g_signal)
                report_done(x, b);
            active += b->active;
        }
        if (active == 0)
            break;
    }
    for (size_t i = 0; i < nb; i++)
        if (bs[i].active && !g_signal) {
            bs[i].active = false;
            snprintf(bs[i].stop, sizeof bs[i].stop, "max blocks");
            report_done(x, &bs[i]);
        }
    return 0;
}

/* ---- the comparison ---- */

/* A side's figure in the table: the median over blocks of its runs'
 * statistic, as robust to a disturbed block as the change beside it. */
static double median_of(const double *v, size_t n)
{
    return n ? bg_stat_median(v, n) : NAN;
}

static int add_name(bg_ab_result *out, const char *name, const char **stored)
{
    char **nn = realloc(out->names, (out->nnames + 1) * sizeof *nn);
    if (!nn)
        return BG_ENOMEM;
    out->names = nn;
    if (!(nn[out->nnames] = strdup(name)))
        return BG_ENOMEM;
    *stored = nn[out->nnames++];
    return 0;
}

/* A benchmark the repository's settings leave out ("ignore": true): neither
 * measured nor shown, as compare leaves it out. */
static bool ignored(const ab *x, const char *name)
{
    const bg_rule *rule = bg__settings_rule(x->o->cmp.settings, name);
    return rule && rule->ignore;
}

static void fill_compared(const ab *x, bench_state *b, bg_cmp_row *w)
{
    const bg_ab_opts *o = x->o;
    if (b->metric && strcmp(b->metric, metric_of(o)) != 0) /* its settings rule's */
        snprintf(w->metric, sizeof w->metric, "%s", b->metric);
    w->mean_a = median_of(b->est_a, b->n);
    w->mean_b = median_of(b->est_b, b->n);
    if (b->failed[0] || b->failed[1]) {
        w->kind = BG_ROW_NOT_OK;
        w->head_failed = b->failed[1] && (b->merged[1].status == BG_STATUS_CRASHED ||
                                          b->merged[1].status == BG_STATUS_TIMEOUT);
        /* A crash of the base counts as well: nothing was compared. */
        if (b->failed[0] && (b->merged[0].status == BG_STATUS_CRASHED ||
                             b->merged[0].status == BG_STATUS_TIMEOUT))
            w->head_failed = true;
        snprintf(w->note, sizeof w->note, "%s", b->note);
        return;
    }
    if (b->n < 5) {
        w->kind = BG_ROW_NOT_OK;
        snprintf(w->note, sizeof w->note, "only %zu block%s measured", b->n, b->n == 1 ? "" : "s");
        return;
    }
    if (bg_paired_change(b->est_a, b->est_b, b->n, 1 - o->cmp.alpha, &w->ch) != 0) {
        w->kind = BG_ROW_NOT_OK;
        snprintf(w->note, sizeof w->note, "the paired comparison failed on these values");
        return;
    }
    w->kind = BG_ROW_COMPARED;
    snprintf(w->note, sizeof w->note, "%zu blocks", b->n);
}

/* What is compared, for the log and the report: "min time",
 * "median gpu_timer_ns", "time" (the mean), ... */
static void metric_name(const bg_ab_opts *o, char *buf, size_t n)
{
    bg_statistic s = o->statistic;
    const char *parts[2] = {s == BG_STAT_MIN ? "min " : s == BG_STAT_MEDIAN ? "median " : "",
                            metric_of(o)};
    size_t k = 0;
    for (int i = 0; i < 2; i++)
        for (const char *c = parts[i]; *c && k + 1 < n; c++)
            buf[k++] = *c;
    buf[k] = '\0'; /* cut short where the name is too long for buf */
}

static int build_comparison(ab *x, bench_state *bs, size_t nb, bg_ab_result *out)
{
    const bg_ab_opts *o = x->o;
    bg_comparison *c = &out->cmp;
    size_t rows = x->s[0].nnames + x->s[1].nnames + 1;
    for (size_t i = 0; i < nb; i++)
        rows += bs[i].nsub;
    c->rows = calloc(rows, sizeof *c->rows);
    out->info = calloc(rows, sizeof *out->info);
    if (!c->rows || !out->info)
        return BG_ENOMEM;
    c->threshold = o->cmp.threshold_pct / 100.0;
    c->settings = o->cmp.settings;
    c->alpha = o->cmp.alpha;
    c->padjust = o->cmp.padjust;
    c->seed = x->seed;
    c->resamples = 0; /* Yuen's test: no bootstrap */
    metric_name(o, c->metric, sizeof c->metric);
    snprintf(c->unit, sizeof c->unit, "%s", bg__metric_unit(metric_of(o)));
    size_t bi = 0;
    for (int si = 0; si < 2; si++)
        for (size_t i = 0; i < x->s[si].nnames; i++) {
            const char *name = x->s[si].names[i];
            if ((si == 1 && has_name(&x->s[0], name)) || ignored(x, name))
                continue;
            bg_cmp_row *w = &c->rows[c->n];
            bg_ab_row_info *info = &out->info[c->n];
            if (add_name(out, name, &w->name))
                return BG_ENOMEM;
            w->mean_a = w->mean_b = w->p_adj = NAN;
            c->n++;
            if (si == 0 && !has_name(&x->s[1], name)) {
                w->kind = BG_ROW_ONLY_A;
                snprintf(w->note, sizeof w->note, "not in B = %.280s", x->s[1].label);
                continue;
            }
            if (si == 1) {
                w->kind = BG_ROW_ONLY_B;
                snprintf(w->note, sizeof w->note, "not in A = %.280s", x->s[0].label);
                continue;
            }
            bench_state *b = &bs[bi++];
            fill_compared(x, b, w);
            info->blocks = b->n;
            info->elapsed_s = b->elapsed;
            snprintf(info->stop, sizeof info->stop, "%s", b->stop[0] ? b->stop : "interrupted");
            info->order = b->order;
            b->order = NULL;
            for (size_t j = 0; j < b->nsub; j++) { /* its scopes, each a row after it */
                bench_state *sc = &b->sub[j];
                w = &c->rows[c->n];
                info = &out->info[c->n];
                if (add_name(out, sc->name, &w->name))
                    return BG_ENOMEM;
                w->mean_a = w->mean_b = w->p_adj = NAN;
                c->n++;
                fill_compared(x, sc, w);
                info->blocks = sc->n;
                info->elapsed_s = sc->elapsed;
                snprintf(info->stop, sizeof info->stop, "%s", sc->stop[0] ? sc->stop : b->stop);
                info->order = sc->order;
                sc->order = NULL;
            }
        }
    (void)nb;
    /* Suite-wide adjustment, then the one verdict rule. */
    return bg__decide_all(c);
}

/* ---- the merged runs, saved under their commits ---- */

static int merged_run(ab *x, int si, bench_state *bs, size_t nb, bg_run *run)
{
    side *sd = &x->s[si];
    memset(run, 0, sizeof *run);
    if (!sd->have_tmpl)
        return BG_ENOTFOUND;
    *run = sd->tmpl;
    size_t total = nb + 1;
    for (size_t i = 0; i < nb; i++)
        total += bs[i].nsub;
    run->results = calloc(total, sizeof *run->results);
    if (!run->results)
        return BG_ENOMEM;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j <= bs[i].nsub; j++) { /* the benchmark, then its scopes */
            bench_state *b = j == 0 ? &bs[i] : &bs[i].sub[j - 1];
            bg_result *r = &b->merged[si];
            if (r->nprocs == 0)
                continue;
            bg_result *d = &run->results[run->nresults++];
            bool owned = r->owns_name;
            const char *old = r->name;
            *d = *r;
            memset(r, 0, sizeof *r);
            if (owned)
                free((void *)old);
            d->name = strdup(b->name);
            d->owns_name = true;
            d->status = BG_STATUS_OK;
            if (!d->name || bg__summarize_result(&run->config, d) != 0) {
                d->status = BG_STATUS_ERROR;
                snprintf(d->message, sizeof d->message, "statistics failed on the merged samples");
            }
        }
    /* The runs were made in the checkout, so their git fields name its commit;
     * a prebuilt binary's runs keep whatever its directory said. */
    if (sd->commit[0] && !sd->spec->bin) {
        snprintf(run->git_commit, sizeof run->git_commit, "%s", sd->commit);
        /* A clean working tree is its commit. */
        run->git_dirty = sd->worktree_copy && sd->changed > 0;
    }
    return 0;
}

static void save_run(ab *x, const bg_run *run, const side *sd, char *saved, size_t n)
{
    saved[0] = '\0';
    char err[1024] = "";
    bg_store *st = NULL;
    if (bg_store_open(&st, x->o->store, x->o->repo_dir, err, sizeof err) != 0) {
        fprintf(x->log, "benchgate: warning: the runs are not saved: %s\n", err);
        return;
    }
    char *json = bg__record_to_json(run);
    char *path = NULL;
    int rc = json ? bg_store_save(st, json, run->git_commit[0] ? run->git_commit : NULL,
                                  run->machine_id, &path, err, sizeof err)
                  : BG_ENOMEM;
    if (rc == 0) {
        snprintf(saved, n, "%s", path);
        fprintf(x->log, "benchgate: run of %c saved: %s\n", sd->letter, path);
    } else {
        fprintf(x->log, "benchgate: warning: the run of %c was not saved: %s\n", sd->letter,
                json ? err : "out of memory");
    }
    free(path);
    free(json);
    bg_store_close(&st);
}

/* ---- setting up and tearing down ---- */

static void cleanup(ab *x)
{
    for (int si = 0; si < 2; si++) {
        side *sd = &x->s[si];
        if (sd->wt_name[0] && x->git) {
            char err[512];
            if (bg_git_worktree_remove(x->git, sd->wt_name, err, sizeof err) != 0)
                fprintf(x->log, "benchgate: warning: %s\n", err);
            sd->wt_name[0] = '\0';
        }
        for (size_t i = 0; i < sd->nnames; i++)
            free(sd->names[i]);
        free(sd->names);
        sd->names = NULL;
        sd->nnames = 0;
        free(sd->envp);
        sd->envp = NULL;
    }
    remove_tree(x->tmp);
    x->tmp[0] = '\0';
    bg_git_close(&x->git);
}

static int make_tmp(ab *x)
{
    const char *t = getenv("TMPDIR");
    snprintf(x->tmp, sizeof x->tmp, "%s/benchgate-ab-XXXXXX", t && t[0] ? t : "/tmp");
    if (!mkdtemp(x->tmp)) {
        set_err(x->err, x->errlen, "cannot create a temporary directory %s: %s", x->tmp,
                strerror(errno));
        x->tmp[0] = '\0';
        return BG_EIO;
    }
    return 0;
}

/* Resolves the revisions, refuses a dirty tree where it would be silently
 * left out, and removes stale worktrees. */
static int open_repo(ab *x, char head[BG_GIT_OID_BUF])
{
    const bg_ab_opts *o = x->o;
    int rc = bg_git_open(&x->git, o->repo_dir, x->err, x->errlen);
    if (rc)
        return rc;
    remove_stale(x);
    if ((rc = bg_git_resolve(x->git, "HEAD", head, x->err, x->errlen)) != 0)
        return rc;
    int dirty = 0;
    char first[256] = "";
    if ((rc = bg_git_dirty(x->git, NULL, &dirty, first, sizeof first, x->err, x->errlen)) != 0)
        return rc;
    for (int si = 0; si < 2; si++) {
        side *sd = &x->s[si];
        if (sd->spec->bin)
            continue;
        if (sd->worktree_copy) {
            snprintf(sd->commit, sizeof sd->commit, "%s", head);
            continue;
        }
        if ((rc = bg_git_resolve(x->git, sd->spec->rev, sd->commit, x->err, x->errlen)) != 0)
            return rc;
        /* A = HEAD beside B = the working tree compares the uncommitted
         * changes with their commit: nothing is left out silently. */
        bool beside_changes = si == 0 && x->s[1].worktree_copy;
        if (dirty && !o->allow_dirty && !beside_changes && !strcmp(sd->commit, head)) {
            bool gate = o->gate_wording;
            set_err(x->err, x->errlen,
                    "the working tree has uncommitted changes (%s, ...), but %c = %s is the "
                    "commit HEAD without them. %s to measure the working tree as it is, commit "
                    "the changes, or pass --allow-dirty to measure the commit anyway",
                    first, sd->letter, sd->spec->rev,
                    gate ? "Leave out --head (head is then the working tree)"
                         : si == 0 ? "Only B can be the working tree: name the other revision "
                                     "first and leave out the second one"
                                   : "Leave out the second revision");
            return BG_EINVAL;
        }
    }
    return 0;
}

static int prepare_side(ab *x, side *sd, const side *other)
{
    if (sd->spec->bin) {
        snprintf(sd->bin, sizeof sd->bin, "%s", sd->spec->bin);
        if (access(sd->bin, X_OK) != 0) {
            set_err(x->err, x->errlen, "%c: the bench binary %s cannot be run: %s", sd->letter,
                    sd->bin, strerror(errno));
            return BG_ENOTFOUND;
        }
        return 0;
    }
    /* The same commit twice (an A/A check): one checkout and build serve both. */
    if (other && !other->spec->bin && !other->worktree_copy && !sd->worktree_copy &&
        !strcmp(other->commit, sd->commit) && other->bin[0]) {
        snprintf(sd->bin, sizeof sd->bin, "%s", other->bin);
        snprintf(sd->dir, sizeof sd->dir, "%s", other->dir);
        fprintf(x->log, "benchgate: A and B are the same commit: one build serves both\n");
        return 0;
    }
    int rc = checkout(x, sd);
    if (rc == 0 && !g_signal)
        rc = build(x, sd);
    return rc;
}

static int setup_sides(ab *x)
{
    const bg_ab_opts *o = x->o;
    x->s[0] = (side){.letter = 'A', .spec = &o->a};
    x->s[1] = (side){.letter = 'B', .spec = &o->b};
    if (!o->a.bin && !o->a.rev) {
        set_err(x->err, x->errlen, "A needs a revision or a bench binary (--bin-a)");
        return BG_EINVAL;
    }
    x->s[1].worktree_copy = !o->b.bin && !o->b.rev;
    char head[BG_GIT_OID_BUF] = "";
    int rc = 0;
    if (!o->a.bin || !o->b.bin)
        rc = open_repo(x, head);
    for (int si = 0; si < 2 && rc == 0; si++)
        make_label(&x->s[si], head);
    return rc;
}

static int run_all(ab *x, bg_ab_result *out)
{
    const bg_ab_opts *o = x->o;
    int rc = setup_sides(x);
    if (rc == 0)
        rc = make_tmp(x);
    for (int si = 0; si < 2 && rc == 0 && !g_signal; si++)
        rc = prepare_side(x, &x->s[si], si ? &x->s[0] : NULL);
    for (int si = 0; si < 2 && rc == 0 && !g_signal; si++)
        if ((rc = list_benchmarks(x, &x->s[si])) == 0)
            rc = build_env(&x->s[si]);
    if (g_signal || rc)
        return g_signal ? BG_EIO : rc;
    snprintf(out->label_a, sizeof out->label_a, "%s", x->s[0].label);
    snprintf(out->label_b, sizeof out->label_b, "%s", x->s[1].label);
    snprintf(out->commit_a, sizeof out->commit_a, "%s", o->a.bin ? "" : x->s[0].commit);
    snprintf(out->commit_b, sizeof out->commit_b, "%s", o->b.bin ? "" : x->s[1].commit);

    pick_duet_cpus(x);
    size_t nb = 0;
    bench_state *bs = calloc(x->s[0].nnames + 1, sizeof *bs);
    if (!bs)
        return BG_ENOMEM;
    for (size_t i = 0; i < x->s[0].nnames; i++) {
        const char *name = x->s[0].names[i];
        if (!has_name(&x->s[1], name) || ignored(x, name))
            continue;
        bench_state *b = &bs[nb++];
        *b = (bench_state){.name = name, .active = true};
        /* its settings rule's metric, when the rule names one ab can
         * compare run by run; otherwise not measured, saying why */
        b->metric = bg__settings_metric(o->cmp.settings, name, metric_of(o));
        if (bg__metric_kind(b->metric) != BG_METRIC_SUM) {
            b->active = false;
            b->failed[0] = b->failed[1] = true;
            snprintf(b->stop, sizeof b->stop, "not measured");
            not_summed(x, b, b->note, sizeof b->note);
        }
    }
    if (nb == 0) {
        set_err(x->err, x->errlen,
                "A = %s and B = %s have no benchmark in common%s%s%s (A has %zu, B has %zu); "
                "nothing to compare", x->s[0].label, x->s[1].label, o->filter ? " matching --filter '" : "",
                o->filter ? o->filter : "", o->filter ? "'" : "", x->s[0].nnames, x->s[1].nnames);
        free(bs);
        return BG_ENOTFOUND;
    }
    fprintf(x->log, "benchgate: A = %s\nbenchgate: B = %s\n", x->s[0].label, x->s[1].label);
    char what[80];
    metric_name(o, what, sizeof what);
    fprintf(x->log, "benchgate: %zu benchmark%s, interleaved runs of %d processes, %s per run, "
                    "target \u00b1%.2g %%, budget %.3g s each\n",
            nb, nb == 1 ? "" : "s", o->procs, what, 100 * target_of(o), o->budget_s);
    if (o->lockstep)
        fprintf(x->log, "benchgate: lockstep: each block runs A and B at once, taking turns sample by "
                        "sample; a block's change is the median of its adjacent samples' ratios\n");
    x->seed = o->cmp.seed ? o->cmp.seed : fresh_seed();
    fprintf(x->log, "benchgate: seed %llu%s\n", (unsigned long long)x->seed,
            o->cmp.seed ? "" : " (drawn for this run; --seed repeats its run order)");
    x->rng = x->seed ^ 0x5eedab5eedab5eedull;
    rc = measure(x, bs, nb);
    if (rc == 0 && !g_signal)
        rc = build_comparison(x, bs, nb, out);
    if (rc == 0 && !g_signal) {
        int r1 = merged_run(x, 0, bs, nb, &out->run_a);
        int r2 = merged_run(x, 1, bs, nb, &out->run_b);
        out->have_runs = r1 == 0 && r2 == 0;
        bool save = o->save > 0 || (o->save < 0 && !o->a.bin && !o->b.bin);
        if (save && out->have_runs) {
            save_run(x, &out->run_a, &x->s[0], out->saved_a, sizeof out->saved_a);
            save_run(x, &out->run_b, &x->s[1], out->saved_b, sizeof out->saved_b);
        }
    }
    for (size_t i = 0; i < nb; i++)
        bench_state_free(&bs[i]);
    free(bs);
    return g_signal ? BG_EIO : rc;
}

int bg__ab_run(const bg_ab_opts *o, bg_ab_result *out, char *err, size_t errlen)
{
    if (!out)
        return BG_EINVAL;
    memset(out, 0, sizeof *out);
    if (!o || o->procs < 2 || !(o->target >= 0) || !(o->budget_s > 0)) {
        set_err(err, errlen, "invalid ab options");
        return BG_EINVAL;
    }
    if (o->statistic != BG_STAT_MIN && o->statistic != BG_STAT_MEDIAN && o->statistic != BG_STAT_MEAN) {
        set_err(err, errlen, "the statistic of a run must be min, median or mean");
        return BG_EINVAL;
    }
    if (o->duet && o->lockstep) {
        set_err(err, errlen, "--duet and --lockstep are two ways of running a block's sides at once; "
                "choose one");
        return BG_EINVAL;
    }
    if (bg__metric_kind(metric_of(o)) != BG_METRIC_SUM) {
        set_err(err, errlen,
                "--metric %.60s: not a total per sample; expected time, cpu or a counter summed "
                "over each sample (gpu_timer_ns, instructions, ...)", metric_of(o));
        return BG_EINVAL;
    }
    ab x;
    memset(&x, 0, sizeof x);
    x.duet_cpu[0] = x.duet_cpu[1] = -1;
    x.o = o;
    x.log = o->log ? o->log : stderr;
    x.err = err;
    x.errlen = errlen;
    if (o->watch) {
        if (regcomp(&x.watch, o->watch, REG_EXTENDED | REG_NOSUB) != 0) {
            set_err(err, errlen, "the scopes to watch are not an extended regex: %.200s", o->watch);
            return BG_EINVAL;
        }
        x.have_watch = true;
    }
    saved_signals ss;
    catch_signals(&ss);
    double t0 = now_s();
    int rc = run_all(&x, out);
    cleanup(&x);
    out->wall_s = now_s() - t0;
    out->blocks_run = x.duet_cpu[0] >= 0 ? "duet"
                      : o->lockstep && x.lockstep_off ? "sequential after a side did not take turns"
                      : o->lockstep ? "lockstep" : "sequential";
    if (g_signal) {
        out->interrupted = true;
        out->signal = (int)g_signal;
        set_err(err, errlen, "interrupted by signal %d (%s); the temporary worktrees were removed",
                out->signal, strsignal(out->signal));
        rc = BG_EIO;
    }
    restore_signals(&ss);
    if (x.have_watch)
        regfree(&x.watch);
    return rc;
}

int bg__ab_exit_code(const bg_ab_result *r)
{
    bool regression = false;
    for (size_t i = 0; i < r->cmp.n; i++) {
        if (r->cmp.rows[i].head_failed)
            return BG_EXIT_CRASH;
        regression |= bg__cmp_row_is_regression(&r->cmp.rows[i]);
    }
    return regression ? BG_EXIT_REGRESSION : BG_EXIT_OK;
}

int bg__ab_run_cli(const bg_ab_opts *o, bg_ab_result *r, const char *what, char *why, size_t nwhy)
{
    char err[8192] = "";
    int rc = bg__ab_run(o, r, err, sizeof err);
    if (r->interrupted) {
        bg__errf("%s", err);
        int sig = r->signal;
        bg__ab_result_free(r);
        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    if (rc) {
        bg__errf("%s: %s", what, err[0] ? err : "failed");
        if (why && nwhy)
            snprintf(why, nwhy, "%s: %s", what, err[0] ? err : "failed");
        bg__ab_result_free(r);
        return BG_EXIT_USAGE;
    }
    return 0;
}

void bg__ab_result_free(bg_ab_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->info && i < r->cmp.n; i++)
        free(r->info[i].order);
    free(r->cmp.rows);
    r->cmp.rows = NULL;
    r->cmp.n = 0;
    free(r->info);
    r->info = NULL;
    bg__run_free(&r->run_a);
    bg__run_free(&r->run_b);
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    r->names = NULL;
    r->nnames = 0;
}
