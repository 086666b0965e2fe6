/* A bench binary whose benchmarks attack the harness, for test_hostile:
 * one writes forged sample messages into the harness's pipe, two forge
 * scope messages (a path with a control character, a figure that is NaN),
 * one writes
 * text into it, one forks inside BENCH_LOOP, one leaves a grandchild
 * holding the pipe open, and one is fine (its results must survive).
 * HOSTILE_PID_FILE=PATH: the grandchild writes its process id there. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchgate.h"

/* The harness's sample message as harness/runner.c lays it out. */
typedef struct forged_msg {
    uint8_t type;
    uint8_t n;
    uint8_t pad[2];
    int32_t pid;
    uint64_t u;
    uint64_t t;
    double a, b;
    double v[32];
} forged_msg;

/* Writes len bytes into every write-only FIFO above stderr: the harness's
 * pipe is one of them (others inherited from whoever ran this get the same
 * bytes, harmlessly). */
static void write_pipes(const void *data, size_t len)
{
    for (int fd = 3; fd < 1024; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
            continue;
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY && write(fd, data, len) != (ssize_t)len)
            abort();
    }
}

static uint64_t spin(uint64_t rounds, uint64_t x)
{
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

BENCH(a_fine)
{
    uint64_t x = 1;
    BENCH_LOOP(b) {
        x = spin(2000, x);
        bg_do_not_optimize(x);
    }
}

/* A message of `type` from this process, zeroed but for what each forged
 * benchmark sets. */
static forged_msg forge(uint8_t type)
{
    forged_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.pid = (int32_t)getpid();
    return m;
}

/* Writes m into the pipe, then runs a plain loop (whose samples must not
 * be kept: the benchmark fails at the forged message). */
static void send_then_loop(bg_state *b, const forged_msg *m)
{
    write_pipes(m, sizeof *m);
    uint64_t x = 1;
    BENCH_LOOP(b) {
        x = spin(100, x);
        bg_do_not_optimize(x);
    }
}

BENCH(forged_sample)
{
    forged_msg m = forge('S');
    m.u = 0;
    m.a = NAN;
    m.b = -5;
    send_then_loop(b, &m);
}

/* A scope announced with a control character in its path. */
BENCH(forged_scope_path)
{
    forged_msg m = forge('P');
    static const char path[] = "bad\033[2Jpath";
    memcpy(m.v, path, sizeof path);
    send_then_loop(b, &m);
}

/* Scope figures that are not numbers. */
BENCH(forged_scope_figure)
{
    forged_msg m = forge('Q');
    m.n = 1;
    m.v[0] = NAN;
    send_then_loop(b, &m);
}

BENCH(garbage_text)
{
    static const char text[] = "hello from the benchmark\n";
    write_pipes(text, sizeof text - 1);
    uint64_t x = 1;
    BENCH_LOOP(b) {
        x = spin(100, x);
        bg_do_not_optimize(x);
    }
}

/* Forks once inside the loop; the child of the benchmark runs the rest of
 * the loop (and reports) before the benchmark process goes on. */
BENCH(fork_in_loop)
{
    static int forked;
    uint64_t x = 1;
    BENCH_LOOP(b) {
        if (!forked) {
            forked = 1;
            pid_t c = fork();
            if (c > 0)
                waitpid(c, NULL, 0);
        }
        x = spin(100, x);
        bg_do_not_optimize(x);
    }
}

/* Leaves a grandchild that holds the pipe open and sleeps. */
BENCH(grandchild_holds_pipe)
{
    static int forked;
    if (!forked) {
        forked = 1;
        pid_t c = fork();
        if (c == 0) {
            const char *path = getenv("HOSTILE_PID_FILE");
            FILE *f = path ? fopen(path, "w") : NULL;
            if (f) {
                fprintf(f, "%ld\n", (long)getpid());
                fclose(f);
            }
            for (;;)
                pause();
        }
        /* On, once the grandchild has said who it is (at most ~2 s). */
        const char *path = getenv("HOSTILE_PID_FILE");
        for (int i = 0; path && c > 0 && i < 200 && access(path, R_OK) != 0; i++)
            usleep(10000);
    }
    uint64_t x = 1;
    BENCH_LOOP(b) {
        x = spin(100, x);
        bg_do_not_optimize(x);
    }
}

int main(int argc, char **argv)
{
    return bg_main(argc, argv);
}
