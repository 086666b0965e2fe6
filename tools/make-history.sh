#!/bin/sh
# Makes a synthetic benchmark history for trying and timing `benchgate report`:
# a git repository with COMMITS first-parent commits and, for each commit, a
# run record of BENCHES benchmarks (5 processes x 20 samples each, noise of
# about 1 % within and 0.5 % between processes) in its .benchgate store.
# Some benchmarks change level so that change points show:
#   benchmark 0, 4, 8, ...  +8 % from commit STEP (default 70 % of the way)
#   benchmark 1, 5, 9, ...  -5 % from commit COMMITS/4
#   the others stay flat.
#
#   tools/make-history.sh DIR [COMMITS [BENCHES [STEP]]]
#   build/benchgate report --out DIR/report   (run inside DIR)
#
# Records are written straight into the store layout of store/bg_store.h
# (runs/<commit>/<machine>/<created>-<pid>-<n>.json) so that making 500 runs
# takes seconds; their estimates are computed here from the samples written.
set -eu

dir=${1:?usage: tools/make-history.sh DIR [COMMITS [BENCHES [STEP]]]}
commits=${2:-500}
benches=${3:-20}
step=${4:-$((commits * 7 / 10))}

if [ -e "$dir/.git" ]; then
    echo "make-history: $dir already holds a repository; give a new directory" >&2
    exit 2
fi
mkdir -p "$dir"
cd "$dir"
git init -q -b main .
git config user.name "benchgate history"
git config user.email "history@example.invalid"

# The commits, through git fast-import: one file changed per commit.
t0=1700000000
awk -v n="$commits" -v t0="$t0" 'BEGIN {
    for (i = 1; i <= n; i++) {
        msg = "change " i
        body = "line " i
        printf "commit refs/heads/main\nmark :%d\n", i
        printf "committer History <history@example.invalid> %d +0000\n", t0 + 600 * i
        printf "data %d\n%s\n", length(msg), msg
        if (i > 1) printf "from :%d\n", i - 1
        printf "M 644 inline work.txt\ndata %d\n%s\n\n", length(body), body
    }
}' | git fast-import --quiet
git reset -q --hard main

machine=5ca1ab1e0001
git rev-list --reverse --first-parent main | awk \
    -v nb="$benches" -v step="$step" -v quarter="$((commits / 4))" -v machine="$machine" \
    -v t0="$t0" -v store=".benchgate/runs" '
function sortv(a, n,    i, j, t) { # insertion sort of a[1..n]
    for (i = 2; i <= n; i++) {
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
}
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function gauss(    u, v) { # Box-Muller
    u = rand(); if (u < 1e-12) u = 1e-12
    v = rand()
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v)
}
function est(name, p, lo, hi) {
    return sprintf("\"%s\": {\"point\": %.6f, \"lo\": %.6f, \"hi\": %.6f, \"se\": %.6f}", \
                   name, p, lo, hi, (hi - lo) / 3.92)
}
BEGIN { srand(20240601) }
{
    commit = $0; k = NR
    d = store "/" commit "/" machine
    system("mkdir -p " d)
    created = t0 + 600 * k + 60
    f = d "/" created "-1-" k ".json"
    printf "{\"schema\": \"benchgate.run\", \"schema_version\": 1,\n" > f
    printf "\"tool\": {\"name\": \"benchgate\", \"version\": \"synthetic\", \"compiler\": \"gcc 12.2.0\", \"buildtype\": \"release\"},\n" > f
    printf "\"created\": \"synthetic run %d\", \"created_unix\": %d, \"host\": \"history-host\",\n", k, created > f
    printf "\"git\": {\"commit\": \"%s\", \"branch\": \"main\", \"dirty\": false, \"status\": \"ok\"},\n", commit > f
    printf "\"machine\": {\"id\": \"%s\", \"cpu_model\": \"Synthetic CPU @ 3.00GHz\", \"cores\": \"8\", \"kernel\": \"6.1.0\", \"compiler\": \"gcc 12.2.0\", \"flags\": \"-O2\"},\n", machine > f
    printf "\"config\": {\"warmup_s\": 0.04, \"measure_s\": 0.12, \"budget_s\": 3, \"target\": 0.01, \"timeout_s\": 10, \"samples\": 20, \"min_procs\": 5, \"max_procs\": 10, \"seed\": \"1\", \"resamples\": 10000, \"confidence\": 0.95, \"statistic\": \"mean\", \"filter\": null, \"quick\": false},\n" > f
    printf "\"overhead\": {\"wall_read_ns\": 18.5, \"cpu_read_ns\": 160.2, \"resolution_ns\": 20, \"empty_loop_ns\": 0.31, \"sample_overhead_ns\": 40.1},\n" > f
    printf "\"benchmarks\": [\n" > f
    for (b = 0; b < nb; b++) {
        base = 100 * (1.6 ^ (b % 12)) * (1 + b / 12)
        level = 1
        if (b % 4 == 0 && k >= step) level = 1.08
        if (b % 4 == 1 && k >= quarter) level = 0.95
        name = sprintf("bench_%02d_%s", b, (b % 3 == 0) ? "sort" : (b % 3 == 1) ? "hash" : "parse")
        printf "%s{\"name\": \"%s\", \"status\": \"ok\", \"message\": \"\", \"signal\": 0, \"exit_code\": 0, \"seed\": \"%d\", \"elapsed_s\": 0.8, \"items_per_iter\": 0, \"bytes_per_iter\": 0,\n\"processes\": [", (b ? ",\n" : ""), name, b + 1 > f
        n = 0; sxy = 0; sxx = 0; sum = 0; sq = 0; mn = 1e300
        for (p = 0; p < 5; p++) {
            pf = level * (1 + 0.005 * gauss())
            it = ""; w = ""; c = ""; pm = 0
            kk = int(2000000 / base) + 1
            for (s = 1; s <= 20; s++) {
                iters = kk * s
                per = base * pf * (1 + 0.01 * gauss())
                ns = per * iters
                it = it (s > 1 ? ", " : "") iters
                w = w (s > 1 ? ", " : "") sprintf("%.1f", ns)
                c = c (s > 1 ? ", " : "") sprintf("%.1f", ns * 0.998)
                v[++n] = per; sum += per; sq += per * per; pm += per
                sxy += iters * ns; sxx += iters * iters
                if (per < mn) mn = per
            }
            pmean[p] = pm / 20
            printf "%s{\"stack_offset\": %d, \"heap_offset\": %d, \"warmup_iters\": %d, \"warmup_ns\": %.1f, \"iters\": [%s], \"wall_ns\": [%s], \"cpu_ns\": [%s]}", \
                (p ? ", " : ""), 16 * p, 4096 * p, kk * 8, base * kk * 8, it, w, c > f
        }
        mean = sum / n
        sd = sqrt((sq - n * mean * mean) / (n - 1))
        between = 0
        for (p = 0; p < 5; p++) between += (pmean[p] - mean) ^ 2
        se = sqrt(between / 4 / 5)
        if (se < sd / sqrt(n)) se = sd / sqrt(n)
        sortv(v, n); med = median(v, n)
        for (i = 1; i <= n; i++) dv[i] = (v[i] > med) ? v[i] - med : med - v[i]
        sortv(dv, n); mad = 1.4826 * median(dv, n)
        slope = sxy / sxx
        printf "],\n\"estimates\": {%s, %s, %s, %s, %s, %s},\n", \
            est("mean", mean, mean - 1.96 * se, mean + 1.96 * se), \
            est("median", med, med - 2.2 * se, med + 2.2 * se), \
            est("sd", sd, sd * 0.85, sd * 1.2), est("mad", mad, mad * 0.8, mad * 1.25), \
            est("min", mn, mn * 0.995, mn), est("slope", slope, slope - 2 * se, slope + 2 * se) > f
        printf "\"outliers\": {\"low_severe\": 0, \"low_mild\": 1, \"high_mild\": 2, \"high_severe\": 0}, \"nsamples\": %d, \"cpu_per_iter_ns\": %.4f}", n, mean * 0.998 > f
    }
    printf "\n]}\n" > f
    close(f)
}'
echo "make-history: $commits commits x $benches benchmarks in $dir (store $dir/.benchgate)"
