/* Plots drawn by gnuplot: the one place gnuplot is run.
 *
 * One gnuplot process draws every plot of a report. It is started with
 * posix_spawn (no shell), its working directory the report's directory; the
 * script is written to a temporary file, which gnuplot is told down a pipe
 * to its stdin to load when the report is done; each plot is an SVG file.
 * Data goes inline as datablocks of numbers only; every piece of text that
 * can come from a user (benchmark names) goes through bg__gp_quote with the
 * terminal in "noenhanced" mode, so no character in a name is markup, and
 * gnuplot's SVG terminal escapes '<' and '&' in what it writes. gnuplot's
 * stderr goes to a temporary file rather than a pipe: a pipe that nobody
 * reads while we write the script could fill and stall both processes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_report.h"
#include "bg_reporter.h"

extern char **environ;

struct bg_plotter {
    pid_t pid;
    FILE *in;                  /* the script: a temporary file gnuplot loads at close */
    FILE *cmd;                 /* gnuplot's stdin: "load" that file, then "exit" */
    char script[4096];         /* the temporary file's path */
    FILE *errs;                /* gnuplot's stderr (a temporary file) */
    struct sigaction old_pipe; /* SIGPIPE is ignored while gnuplot runs */
};

/* Colours from the ColorBrewer "Set1"/"Blues" palettes, readable in print. */
#define COL_BASE "#7f7f7f"
#define COL_CAND "#1f77b4"
#define COL_BAND "#9ecae1"
#define COL_LINE "#08519c"
#define COL_CP "#d62728"

const char *bg__plot_program(void)
{
    const char *p = getenv("BENCHGATE_GNUPLOT");
    return p && p[0] ? p : "gnuplot";
}

int bg__plot_open(bg_plotter **out, const char *dir, char *err, size_t errlen)
{
    *out = NULL;
    const char *prog = bg__plot_program();
    bg_plotter *p = calloc(1, sizeof *p);
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int fa_ok = 0, rc = 0;
    if (!p || pipe2(fds, O_CLOEXEC) != 0 || !(p->errs = tmpfile())) {
        snprintf(err, errlen, "cannot start %s: %s", prog, strerror(errno));
        rc = BG_EIO;
        goto fail;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = BG_ENOMEM;
        goto fail;
    }
    fa_ok = 1;
    posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(p->errs), STDERR_FILENO);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    char *argv[] = {(char *)prog, NULL};
    int e = posix_spawnp(&p->pid, prog, &fa, NULL, argv, environ);
    if (e != 0) {
        if (e == ENOENT)
            snprintf(err, errlen,
                     "gnuplot not found ('%s'): install it to get plots (apt-get install "
                     "gnuplot-nox), or point $BENCHGATE_GNUPLOT at it",
                     prog);
        else
            snprintf(err, errlen, "cannot run %s: %s (install gnuplot with apt-get install gnuplot-nox)",
                     prog, strerror(e));
        rc = BG_EUNAVAIL;
        goto fail;
    }
    posix_spawn_file_actions_destroy(&fa);
    fa_ok = 0;
    close(fds[0]);
    fds[0] = -1;
    /* The script goes to a file that gnuplot loads at the end: gnuplot reads
     * its stdin one byte per read(2), which for a report of 500 commits was
     * a million system calls and most of gnuplot's time (1.7 s against 0.5 s
     * for the same script loaded from a file; tools/measure-store.sh). */
    const char *tmpdir = getenv("TMPDIR");
    snprintf(p->script, sizeof p->script, "%s/benchgate-plots-XXXXXX.gp", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int sfd = mkstemps(p->script, 3);
    p->cmd = fdopen(fds[1], "w");
    p->in = sfd >= 0 ? fdopen(sfd, "w") : NULL;
    if (!p->cmd || !p->in) {
        snprintf(err, errlen, "cannot write the plot script for %s: %s", prog, strerror(errno));
        if (p->cmd)
            fclose(p->cmd);
        else
            close(fds[1]);
        if (p->in)
            fclose(p->in);
        else if (sfd >= 0)
            close(sfd);
        if (sfd >= 0)
            unlink(p->script);
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
        fclose(p->errs);
        free(p);
        return BG_EIO;
    }
    /* If gnuplot dies, a write must fail with EPIPE rather than kill us. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &p->old_pipe);
    fputs("set encoding utf8\n", p->in);
    *out = p;
    return 0;
fail:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (p && p->errs)
        fclose(p->errs);
    free(p);
    return rc;
}

/* The last non-empty line gnuplot wrote to stderr, for the message. */
static void last_error_line(FILE *errs, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!errs || fseek(errs, 0, SEEK_SET) != 0)
        return;
    char line[512];
    while (fgets(line, sizeof line, errs)) {
        line[strcspn(line, "\r\n")] = '\0';
        size_t k = strspn(line, " \t^");
        if (line[k])
            snprintf(buf, n, "%s", line + k);
    }
}

int bg__plot_close(bg_plotter **pp, char *err, size_t errlen)
{
    bg_plotter *p = pp ? *pp : NULL;
    if (!p)
        return 0;
    *pp = NULL;
    int wrote = fflush(p->in) == 0 && !ferror(p->in);
    fclose(p->in);
    fputs("load ", p->cmd);
    bg__gp_quote(p->cmd, p->script);
    fputs("\nexit\n", p->cmd);
    wrote = fflush(p->cmd) == 0 && !ferror(p->cmd) && wrote;
    fclose(p->cmd);
    int st = 0;
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGPIPE, &p->old_pipe, NULL);
    unlink(p->script);
    int rc = 0;
    if (!wrote || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char last[400];
        last_error_line(p->errs, last, sizeof last);
        if (WIFSIGNALED(st))
            snprintf(err, errlen, "%s was killed by signal %d; plots may be missing", bg__plot_program(),
                     WTERMSIG(st));
        else
            snprintf(err, errlen, "%s failed (exit %d)%s%s; plots after the failure are missing",
                     bg__plot_program(), WIFEXITED(st) ? WEXITSTATUS(st) : -1, last[0] ? ": " : "",
                     last);
        rc = BG_EIO;
    }
    fclose(p->errs);
    free(p);
    return rc;
}

/* ---- script pieces ---- */

/* A time unit for an axis whose largest value is max_ns. */
static double time_scale(double max_ns, const char **unit)
{
    if (max_ns >= 1e9) {
        *unit = "s";
        return 1e9;
    }
    if (max_ns >= 1e6) {
        *unit = "ms";
        return 1e6;
    }
    if (max_ns >= 1e3) {
        *unit = "µs";
        return 1e3;
    }
    *unit = "ns";
    return 1;
}

/* A scale for an axis of values in `unit` (bg__metric_unit) whose largest
 * value is max: times as time_scale, bytes in binary multiples, counts in
 * thousands, millions or billions. *label is the unit as the axis says it. */
static double value_scale(double max, const char *unit, const char **label)
{
    if (!unit || !strcmp(unit, "ns"))
        return time_scale(max, label);
    if (!strcmp(unit, "bytes")) {
        static const char *const bin[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        double div = 1;
        int u = 0;
        while (u < 4 && max >= 1024 * div) {
            div *= 1024;
            u++;
        }
        *label = bin[u];
        return div;
    }
    if (unit[0]) {
        *label = unit;
        return 1;
    }
    static const char *const dec[] = {"count", "thousands", "millions", "billions"};
    double div = 1;
    int u = 0;
    while (u < 3 && max >= 1000 * div) {
        div *= 1000;
        u++;
    }
    *label = dec[u];
    return div;
}

static void begin_plot(FILE *f, const char *file, int w, int h)
{
    fputs("reset\n", f);
    fprintf(f, "set terminal svg size %d,%d font 'sans,11' background rgb 'white' noenhanced\n", w, h);
    fputs("set output ", f);
    bg__gp_quote(f, file);
    fputc('\n', f);
    fputs("set border 3 lc rgb '#555555'\nset tics nomirror\nset grid lc rgb '#dddddd'\n", f);
}

static void end_plot(FILE *f)
{
    fputs("set output\n", f);
}

static void set_title(FILE *f, const char *title)
{
    if (!title)
        return;
    fputs("set title ", f);
    bg__gp_quote(f, title);
    fputc('\n', f);
}

static int finish(bg_plotter *p)
{
    return ferror(p->in) ? BG_EIO : 0;
}

/* Two series are base (grey) and candidate (blue); a lone one is blue. */
static const char *dist_colour(size_t k, size_t nd)
{
    return nd > 1 && k == 0 ? COL_BASE : COL_CAND;
}

int bg__plot_density(bg_plotter *p, const char *file, const char *title, const char *xlabel_what,
                     const bg_plot_dist *d, size_t nd, const bg_density_frame *fr)
{
    if (!p || nd == 0 || nd > 2 || !fr || fr->total == 0)
        return BG_EINVAL;
    FILE *f = p->in;
    /* A few far outliers (a sample interrupted by the scheduler) would
     * squeeze the body of the distribution into one pixel column: the range
     * shown ends at the pooled quartiles -/+ 3 IQR (Tukey's far-out fences,
     * in the frame) and the plot says how many samples lie beyond. The
     * densities are still of all samples. */
    double lo = fr->lo, hi = fr->hi, widest = fr->widest, far = fr->far;
    size_t beyond = fr->beyond;
    const char *unit;
    double div = time_scale(fmax(fabs(lo), fabs(hi)), &unit);
    begin_plot(f, file, BG_PLOT_W, BG_PLOT_H);
    set_title(f, title);
    /* gnuplot evaluates the density over the x range; autoscaled, that is
     * the data's range and the curve ends in a cliff at the extremes. Three
     * bandwidths on each side let it fall to zero. */
    fprintf(f, "set xrange [%.10g:%.10g]\nset samples 400\n", (lo - 3 * widest) / div, (hi + 3 * widest) / div);
    if (beyond) {
        char note[160];
        snprintf(note, sizeof note, "%zu sample%s beyond the range shown (farthest %.4g %s)", beyond,
                 beyond == 1 ? "" : "s", far / div, unit);
        fputs("set label ", f);
        bg__gp_quote(f, note);
        fputs(" at graph 0.99, graph 0.95 right font ',9' tc rgb '#555555'\n", f);
    }
    char xlabel[160];
    snprintf(xlabel, sizeof xlabel, "%s (%s)", xlabel_what ? xlabel_what : "value", unit);
    fputs("set xlabel ", f);
    bg__gp_quote(f, xlabel);
    fputs("\nset ylabel 'density'\nset ytics format ''\n", f);
    /* Keys go below the plot: inside, they hid data (seen on real pages);
     * "height 1" leaves a line between the x label and the key, which
     * otherwise touch. */
    fputs("set key below horizontal height 1\nset style fill transparent solid 0.30 noborder\n", f);
    for (size_t k = 0; k < nd; k++) {
        fprintf(f, "$d%zu << EOD\n", k);
        for (size_t i = 0; i < d[k].n; i++)
            if (isfinite(d[k].x[i]))
                fprintf(f, "%.10g\n", d[k].x[i] / div);
        fputs("EOD\n", f);
        if (isfinite(d[k].mean))
            fprintf(f, "set arrow from %.10g, graph 0 to %.10g, graph 1 nohead dt 2 lw 1.5 lc rgb '%s'\n",
                    d[k].mean / div, d[k].mean / div, dist_colour(k, nd));
    }
    fputs("plot ", f);
    for (size_t k = 0; k < nd; k++) {
        const char *col = dist_colour(k, nd);
        fprintf(f, "%s$d%zu using 1:(1) smooth kdensity bandwidth %.10g with filledcurves y=0 "
                   "lc rgb '%s' title ",
                k ? ", " : "", k, fr->bandwidth[k] / div, col);
        bg__gp_quote(f, d[k].label ? d[k].label : "");
        fprintf(f, ", $d%zu using 1:(0) with points pt '|' ps 0.6 lc rgb '%s' notitle", k, col);
    }
    fputc('\n', f);
    end_plot(f);
    return finish(p);
}

int bg__plot_fit(bg_plotter *p, const char *file, const char *title, const bg_result *r)
{
    if (!p || !r)
        return BG_EINVAL;
    FILE *f = p->in;
    double max = 0;
    size_t total = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        for (size_t j = 0; j < r->procs[i].n; j++) {
            if (r->procs[i].wall_ns[j] > max)
                max = r->procs[i].wall_ns[j];
            total++;
        }
    if (total == 0)
        return BG_EINVAL;
    const char *unit;
    double div = time_scale(max, &unit);
    begin_plot(f, file, BG_PLOT_W, BG_PLOT_H);
    set_title(f, title);
    fprintf(f, "set xlabel 'iterations in the sample'\nset ylabel 'sample time (%s)'\n", unit);
    fputs("set key below horizontal height 1\nset xrange [0:*]\nset yrange [0:*]\n", f);
    /* Ten readable colours (Tableau 10) for processes 1..10, and again. */
    static const char *const tab10[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    for (size_t i = 0; i < 10; i++)
        fprintf(f, "set linetype %zu lc rgb '%s' pt 7 ps 0.8\n", i + 1, tab10[i]);
    fputs("set linetype cycle 10\n", f);
    /* A data block per process with samples (separated by two blank lines:
     * gnuplot's "index"), each plotted as its own series so that the key
     * shows each process's colour (one "lc variable" series showed one
     * swatch). A process without samples gets no block: its separator
     * would run into the next one, and blank lines in a row count as one
     * break, so every later index would name the wrong process. */
    fputs("$s << EOD\n", f);
    size_t blocks = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        if (r->procs[i].n == 0)
            continue;
        fputs(blocks++ ? "\n\n" : "", f);
        for (size_t j = 0; j < r->procs[i].n; j++)
            fprintf(f, "%.10g %.10g\n", r->procs[i].iters[j], r->procs[i].wall_ns[j] / div);
    }
    fputs("EOD\n", f);
    bool fitted = r->has_summary && isfinite(r->wall.est[BG_STAT_SLOPE].point);
    const bg_estimate *e = &r->wall.est[BG_STAT_SLOPE];
    if (fitted) {
        /* The figures as a label at the top left (above a line through the
         * origin there is nothing): as the key's title they made the key
         * one wide column that squeezed the plot. */
        char pt[32], lo[32], hi[32], label[128];
        bg__format_ns(e->point, pt, sizeof pt);
        bg__format_ns(e->lo, lo, sizeof lo);
        bg__format_ns(e->hi, hi, sizeof hi);
        snprintf(label, sizeof label, "slope %s/iteration [%s, %s]", pt, lo, hi);
        fputs("set label ", f);
        bg__gp_quote(f, label);
        fprintf(f, " at graph 0.02, graph 0.95 left tc rgb '%s'\n", COL_LINE);
    }
    fputs("plot ", f);
    /* The fitted line first, so that the samples are drawn over it. */
    if (fitted) {
        if (isfinite(e->lo) && isfinite(e->hi))
            fprintf(f, "%.10g * x with lines dt 2 lc rgb '%s' notitle, %.10g * x with lines dt 2 lc rgb '%s' "
                       "notitle, ",
                    e->lo / div, COL_BAND, e->hi / div, COL_BAND);
        fprintf(f, "%.10g * x with lines lw 1.5 lc rgb '%s' title 'fitted slope', ", e->point / div, COL_LINE);
    }
    const char *sep = "";
    for (size_t i = 0, block = 0; i < r->nprocs; i++) {
        if (r->procs[i].n == 0)
            continue;
        fprintf(f, "%s$s index %zu using 1:2 with points lt %zu title 'process %zu'", sep, block++, i % 10 + 1,
                i + 1);
        sep = ", ";
    }
    fputc('\n', f);
    end_plot(f);
    return finish(p);
}

int bg__plot_growth(bg_plotter *p, const char *file, const char *title, const bg_sweep *w)
{
    if (!p || !w || w->kind != BG_SWEEP_GROWTH || w->n < 2)
        return BG_EINVAL;
    static const char *const curve[] = {"", "", "1", "log(x)/log(2)", "x", "x*log(x)/log(2)",
                                        "x**2", "x**3"};
    FILE *f = p->in;
    double max = 0;
    for (size_t i = 0; i < w->n; i++)
        max = fmax(max, w->t_ns[i]);
    const char *unit;
    double div = time_scale(max, &unit);
    begin_plot(f, file, BG_PLOT_W, BG_PLOT_H);
    set_title(f, title);
    fputs("set logscale xy\nset format x '%.0s%c'\nset format y '%g'\nset key below horizontal height 1\n", f);
    fputs("set xlabel ", f);
    bg__gp_quote(f, w->arg);
    fprintf(f, "\nset ylabel 'time per iteration (%s)'\n", unit);
    fputs("$g << EOD\n", f);
    for (size_t i = 0; i < w->n; i++)
        if (w->x[i] > 0 && w->t_ns[i] > 0)
            fprintf(f, "%.10g %.10g\n", w->x[i], w->t_ns[i] / div);
    fputs("EOD\n", f);
    fprintf(f, "set xrange [%.10g:%.10g]\nset samples 200\n", w->x[0] / 1.5, w->x[w->n - 1] * 1.5);
    fputs("plot ", f);
    if (w->big_o >= BG_BIGO_1 && w->big_o <= BG_BIGO_N3 && isfinite(w->coef) && w->coef > 0) {
        char label[96];
        snprintf(label, sizeof label, "fitted %s, RMS %.1f%%", bg__big_o_name(w->big_o), w->rms * 100);
        fprintf(f, "%.10g * (%s) with lines lw 1.5 lc rgb '%s' title ", w->coef / div, curve[w->big_o],
                COL_LINE);
        bg__gp_quote(f, label);
        fputs(", ", f);
    }
    fprintf(f, "$g using 1:2 with linespoints pt 7 ps 0.8 lc rgb '%s' title 'measured mean'\n", COL_CAND);
    end_plot(f);
    return finish(p);
}

/* The largest finite value of the history, its count, and the data block. */
static size_t history_block(FILE *f, const bg_plot_history *h, double div)
{
    size_t n = 0;
    fputs("$h << EOD\n", f);
    for (size_t i = 0; i < h->n; i++) {
        if (!isfinite(h->pt[i]))
            continue;
        double lo = isfinite(h->lo[i]) ? h->lo[i] : h->pt[i];
        double hi = isfinite(h->hi[i]) ? h->hi[i] : h->pt[i];
        fprintf(f, "%zu %.10g %.10g %.10g\n", i, h->pt[i] / div, lo / div, hi / div);
        n++;
    }
    fputs("EOD\n", f);
    return n;
}

static double history_max(const bg_plot_history *h)
{
    double max = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (isfinite(h->hi[i]) && h->hi[i] > max)
            max = h->hi[i];
        if (isfinite(h->pt[i]) && h->pt[i] > max)
            max = h->pt[i];
    }
    return max;
}

/* The mean of the finite points in [from, to). */
static double segment_mean(const bg_plot_history *h, size_t from, size_t to)
{
    double s = 0;
    size_t n = 0;
    for (size_t i = from; i < to && i < h->n; i++)
        if (isfinite(h->pt[i])) {
            s += h->pt[i];
            n++;
        }
    return n ? s / (double)n : NAN;
}

int bg__plot_history(bg_plotter *p, const char *file, const char *title, const bg_plot_history *h)
{
    if (!p || !h || h->n == 0)
        return BG_EINVAL;
    FILE *f = p->in;
    const char *unit;
    double div = value_scale(history_max(h), h->unit, &unit);
    char ylabel[200];
    snprintf(ylabel, sizeof ylabel, "%s (%s)", h->what ? h->what : "time per iteration", unit);
    begin_plot(f, file, BG_PLOT_WIDE_W, BG_PLOT_WIDE_H);
    set_title(f, title);
    fputs("set ylabel ", f);
    bg__gp_quote(f, ylabel);
    /* Tic labels of two lines (id, subject): the axis label one line
     * lower, or gnuplot sets it over the second line. */
    fprintf(f, "\nset xlabel 'first-parent commits, oldest to newest'%s\n", h->tics ? " offset 0,-1" : "");
    fputs("set key below horizontal maxrows 2 height 1\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\n", h->n - 1);
    fprintf(f, "set lmargin at screen %g\nset rmargin at screen %g\n", BG_PLOT_HIST_LEFT, BG_PLOT_HIST_RIGHT);
    if (h->tics) {
        size_t step = h->n > 8 ? (h->n + 7) / 8 : 1;
        fputs("set xtics (", f);
        for (size_t i = 0, k = 0; i < h->n; i += step, k++) {
            if (k)
                fputs(", ", f);
            /* A label of two lines (the id, then the subject): each line
             * quoted, joined by a double-quoted "\n". */
            const char *t = h->tics[i], *nl = strchr(t, '\n');
            char first[64];
            snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - t) : (int)strlen(t), t);
            bg__gp_quote(f, first);
            if (nl) {
                fputs(".\"\\n\".", f);
                bg__gp_quote(f, nl + 1);
            }
            fprintf(f, " %zu", i);
        }
        fputs(")\n", f);
    }
    size_t npts = history_block(f, h, div);
    if (npts == 0) {
        fputs("set label 'no measurements in this history' at graph 0.5, graph 0.5 center\n"
              "set yrange [0:1]\nplot NaN notitle\n",
              f);
        end_plot(f);
        return finish(p);
    }
    /* Change points: a line where the new segment starts with the change
     * written beside it, and each segment's mean as a dashed level (a
     * datablock, not arrows: the SVG terminal would draw consecutive arrows
     * of one colour as one path with one dash pattern). */
    for (size_t k = 0; k < h->ncp; k++) {
        double x = (double)h->cp[k].index - 0.5;
        fprintf(f, "set arrow from %g, graph 0 to %g, graph 1 nohead lw 1.5 lc rgb '%s'\n", x, x, COL_CP);
        fprintf(f, "set label '%+.1f%%' at %g, graph 0.95 left offset 0.5,0 tc rgb '%s'\n",
                100 * h->cp[k].magnitude, x, COL_CP);
    }
    fputs("$m << EOD\n", f);
    for (size_t k = 0, from = 0; h->ncp && k <= h->ncp; k++) {
        size_t to = k < h->ncp ? h->cp[k].index : h->n;
        double m = segment_mean(h, from, to);
        if (isfinite(m))
            fprintf(f, "%g %.10g\n%g %.10g\n\n", (double)from - 0.5, m / div, (double)to - 0.5, m / div);
        from = to;
    }
    fputs("EOD\n", f);
    /* A marker per commit while they stay apart; a long history is a line
     * (500 markers in 700 pixels hid the segment levels). */
    /* Counters have no interval: no band, and no key entry for one. */
    bool band = false;
    for (size_t i = 0; i < h->n && !band; i++)
        band = isfinite(h->pt[i]) && (isfinite(h->lo[i]) || isfinite(h->hi[i]));
    fputs("plot ", f);
    if (band)
        fprintf(f, "$h using 1:3:4 with filledcurves fc rgb '%s' fs transparent solid 0.6 noborder "
                   "title 'confidence interval', ",
                COL_BAND);
    fprintf(f, "$h using 1:2 with %s lw 1.2 lc rgb '%s' title '%s'", h->n <= 150 ? "linespoints pt 7 ps 0.35" : "lines",
            COL_LINE, h->what ? "per commit" : "mean");
    if (h->ncp)
        fprintf(f, ", NaN with lines lw 1.5 lc rgb '%s' title 'change point', $m using 1:2 with lines dt 2 "
                   "lw 1.5 lc rgb '%s' title 'mean between change points'",
                COL_CP, COL_CP);
    fputc('\n', f);
    end_plot(f);
    return finish(p);
}

int bg__plot_sparkline(bg_plotter *p, const char *file, const bg_plot_history *h)
{
    if (!p || !h || h->n == 0)
        return BG_EINVAL;
    FILE *f = p->in;
    begin_plot(f, file, BG_PLOT_SPARK_W, BG_PLOT_SPARK_H);
    fputs("unset border\nunset tics\nunset key\nunset grid\nset margins 0.5,0.5,0.5,0.5\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\n", h->n - 1);
    size_t npts = history_block(f, h, 1.0);
    for (size_t k = 0; k < h->ncp; k++)
        fprintf(f, "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '%s'\n",
                (double)h->cp[k].index - 0.5, (double)h->cp[k].index - 0.5, COL_CP);
    if (npts == 0)
        fputs("set yrange [0:1]\nplot NaN\n", f);
    else
        fprintf(f, "plot $h using 1:3:4 with filledcurves fc rgb '%s' fs solid 0.5 noborder, "
                   "$h using 1:2 with lines lw 1.2 lc rgb '%s'\n",
                COL_BAND, COL_LINE);
    end_plot(f);
    return finish(p);
}
