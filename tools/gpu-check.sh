#!/bin/sh
# Checks the GPU path (CUPTI counters, CUDA-event timer, ab on a kernel) and instruction mode on a machine with an NVIDIA GPU, printing one verdict line per check.
#
# Two steps, because the GPU machine may lack the libraries benchgate links
# (GSL, cJSON, libgit2, cmocka) and a network to install them:
#
#   tools/gpu-check.sh pack BUILD_DIR DIR   (here, after ninja -C BUILD_DIR)
#       copies into DIR the bench binaries (benches/benchgate-gpu-benches,
#       benches/benchgate-benches), the benchgate command, tests/test_gpu,
#       every shared library they need that is not part of the C runtime,
#       this script and, when found, libcupti.so from the CUDA toolkit here
#       (used only where the GPU machine has none).
#   DIR/gpu-check.sh run [LOGDIR]           (on the GPU machine)
#       runs the checks below; logs and run records go to LOGDIR (default
#       $OUT, else ./gpu-check-logs): 8 files.
#
# Checks (each prints "CHECK <name>: PASS|FAIL|unavailable: <why>  figures"):
#   env        GPU, driver, glibc, CUPTI found, perf_event_paranoid
#   counters   per sample: gpu_kernels = launches, gpu_memcpy_*_bytes = bytes
#              copied (and none copied by the kernel-only benchmarks)
#   timer      (from the same run) the GPU busy time of the event-timed
#              benchmarks lies inside gpu_timer_ns, short of it by at most
#              5 % + 20 us per iteration
#   test_saxpy tests/test_gpu's test_saxpy against the real driver and CUPTI
#   cupti_cost host cost of the gpu counter group per sample (the gap between
#              samples with --counters sw,gpu against --counters sw) and per
#              iteration (ab on wall time of saxpy_kernel_1M)
#   ab         A/A false alarms and detection of fma_chain_1M made 5 % slower
#              (BG_FMA_EXTRA_PCT=5) with --metric gpu_timer_ns: k/n each
#   instr      instruction mode (--mode instructions:hw) and the hw counter
#              group on this CPU: available, or unavailable with the reason
#   breakdown  (from the counters run) the per-kernel table of every
#              benchmark: demangled kernel names and calls per iteration,
#              copies by direction and size; and the console's top lines
#   nvml       (from the counters run) the nvml group: the GPU's clocks,
#              temperature and throttle reasons at the start and end of
#              each process, samples flagged gpu_throttled (k/n)
#   flush      --gpu-flush-l2: saxpy_kernel_1M (12 MiB moved, inside L2)
#              timed warm and flushed in samples of 1-5 iterations
#              (gpu_kernel_ns per iteration; flushed >= warm passes), and
#              the flush's own writes never counted
#   doctor     `benchgate doctor`'s GPU lines (persistence, clocks, reasons)
# Environment: CHECKS (the checks to run, e.g. "counters test_saxpy";
# default all; env always runs), AB_TRIALS (trials of each kind, default 5), AB_BUDGET
# (seconds per ab, default 30), CHECK_DEADLINE (seconds after which the ab
# trials stop early, default 240).
set -u

die() { echo "gpu-check: $*" >&2; exit 2; }

pack() {
    build=$1 dir=$2
    [ -x "$build/benchgate" ] || die "$build/benchgate not found: build first"
    mkdir -p "$dir/bin" "$dir/lib" || die "cannot create $dir"
    bins="$build/benchgate $build/benches/benchgate-benches $build/tests/test_gpu"
    if [ -x "$build/benches/benchgate-gpu-benches" ]; then
        bins="$bins $build/benches/benchgate-gpu-benches"
    else
        echo "gpu-check: no benches/benchgate-gpu-benches in $build (nvcc missing?): the GPU checks will say unavailable" >&2
    fi
    cp $bins "$dir/bin/" || die "copying the binaries failed"
    cp -L "$build"/libbenchgate.so.0 "$dir/lib/" || die "no libbenchgate.so.0 in $build"
    for f in "$build"/libbenchgate-alloc.so*; do [ -f "$f" ] && cp -L "$f" "$dir/lib/"; done
    # Every library the binaries need, except the C and C++ runtime, which the
    # GPU machine has (in a newer version, where its glibc is newer).
    ldd $bins | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
        case $(basename "$lib") in
        libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|libutil.so*|libresolv.so*|\
        libgcc_s.so*|libstdc++.so*|ld-linux*|libbenchgate*) ;;
        *) cp -L "$lib" "$dir/lib/" ;;
        esac
    done
    for c in /usr/local/cuda/extras/CUPTI/lib64/libcupti.so.* /usr/local/cuda/lib64/libcupti.so.*; do
        if [ -f "$c" ]; then
            mkdir -p "$dir/cupti" && cp -L "$c" "$dir/cupti/" && break
        fi
    done
    cp "$0" "$dir/gpu-check.sh" && chmod +x "$dir/gpu-check.sh"
    echo "gpu-check: packed into $dir ($(du -sh "$dir" | cut -f1))"
}

# ---- run ----

# Whether check $1 is to run ($CHECKS: names separated by spaces; all when unset).
want() { case " ${CHECKS:-counters breakdown nvml flush doctor test_saxpy cupti_cost ab instr} " in *" $1 "*) return 0 ;; esac; return 1; }

verdict() { printf 'CHECK %-10s %s\n' "$1:" "$2" | tee -a "$LOG/verdicts.txt"; }

now() { date +%s; }

find_cupti() {
    for d in /usr/local/cuda/extras/CUPTI/lib64 /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
        for f in "$d"/libcupti.so "$d"/libcupti.so.*; do
            [ -f "$f" ] && { echo "$f"; return; }
        done
    done
    f=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcupti.so*' -type f -print 2>/dev/null | head -1)
    [ -n "$f" ] && { echo "$f"; return; }
    for f in "$HERE"/cupti/libcupti.so*; do [ -f "$f" ] && { echo "$f"; return; }; done
}

# python3 reads a run record and prints the figures of check `counters`.
analyse_counters() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in r.get("counter_groups", [])}.get("gpu")
if not g or not g.get("available"):
    print("unavailable: gpu group: %s" % (g or {}).get("note", "not in the record"))
    sys.exit(3)
MiB = 1 << 20
# per benchmark: expected per iteration (counter: value) and whether timed by events
expect = {
    "saxpy_kernel_1M": ({"gpu_kernels": 1, "gpu_memcpy_htod_bytes": 0, "gpu_memcpy_dtoh_bytes": 0}, True),
    "saxpy_kernel_16M": ({"gpu_kernels": 1, "gpu_memcpy_htod_bytes": 0, "gpu_memcpy_dtoh_bytes": 0}, True),
    "saxpy_roundtrip_1M": ({"gpu_kernels": 1, "gpu_memcpy_htod_bytes": 8 * MiB, "gpu_memcpy_dtoh_bytes": 4 * MiB}, False),
    "copy_dtod_64M": ({"gpu_memcpy_dtod_bytes": 64 * MiB, "gpu_memcpy_htod_bytes": 0}, True),
    "fma_chain_1M": ({"gpu_kernels": 1, "gpu_memcpy_htod_bytes": 0}, True),
}
bad = 0     # counts wrong or a benchmark failed
tbad = 0    # gpu_timer_ns outside its tolerance
for b in r["benchmarks"]:
    name = b["name"]
    if b["status"] != "ok":
        print("  %-20s %s: %s" % (name, b["status"], b.get("message", "")))
        bad += 1
        continue
    exp, timed = expect.get(name, ({}, False))
    nsamp = mism = 0
    worst = []
    rel = []
    per_iter = {}
    for p in b["processes"]:
        c = p["counters"]
        for j, it in enumerate(p["iters"]):
            nsamp += 1
            for k, v in exp.items():
                got = c.get(k, [None] * (j + 1))[j]
                if got != v * it:
                    mism += 1
                    if len(worst) < 3:
                        worst.append("%s=%s for %d iters (expected %d)" % (k, got, it, v * it))
            for k in ("gpu_kernel_ns", "gpu_timer_ns", "gpu_memcpy_dtod_ns", "gpu_memcpy_htod_ns", "gpu_memcpy_dtoh_ns", "gpu_kernels"):
                if k in c and c[k][j] is not None:
                    per_iter.setdefault(k, []).append(c[k][j] / it)
            if timed:
                busy = c.get("gpu_kernel_ns", [0] * (j + 1))[j] + c.get("gpu_memcpy_dtod_ns", [0] * (j + 1))[j]
                t = c.get("gpu_timer_ns", [None] * (j + 1))[j]
                if t:
                    d = t - busy
                    rel.append((abs(d) / t, d / it, 0 <= d <= 0.05 * t + 20000 * it))
    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if xs else float("nan")
    figs = ", ".join("%s %.6g/iter" % (k, med(v)) for k, v in sorted(per_iter.items()))
    line = "  %-20s %d samples; counts: %s" % (name, nsamp, "exact" if not mism else "%d mismatches (%s)" % (mism, "; ".join(worst)))
    if timed and rel:
        within = sum(1 for x in rel if x[2])
        line += "; gpu_timer_ns - GPU busy time: median %.2f %% (%.0f ns/iter), max %.2f %% (%.0f ns/iter); within 0..5 %% + 20 us/iter: %d/%d" % (
            100 * med([x[0] for x in rel]), med([x[1] for x in rel]), 100 * max(x[0] for x in rel),
            max(x[1] for x in rel), within, len(rel))
        if within != len(rel):
            tbad += 1
    if name == "copy_dtod_64M" and per_iter.get("gpu_memcpy_dtod_ns"):
        line += "; copy %.0f GB/s (read + write)" % (2 * 64 * MiB / med(per_iter["gpu_memcpy_dtod_ns"]))
    print(line)
    print("  %-20s %s" % ("", figs))
    bad += mism > 0
print("gpu group per-sample cost reported by the harness: %s ns" % g.get("sample_ns"))
sys.exit((1 if bad else 0) + (4 if tbad else 0))
EOF
}

# python3 prints the per-kernel table of every benchmark of a run record
# (merged over processes, per iteration) and checks it against the known
# launches and copies; exit 1 when one differs, 3 when there is no table.
analyse_breakdown() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
MiB = 1 << 20
SAXPY = "saxpy(unsigned long, float, float const*, float*)"
FMA = "fma_chain(unsigned long, unsigned int, float*)"
# benchmark: {(kind, name or bytes): calls per iteration}
expect = {
    "saxpy_kernel_1M": {("kernel", SAXPY): 1},
    "saxpy_kernel_16M": {("kernel", SAXPY): 1},
    "saxpy_roundtrip_1M": {("kernel", SAXPY): 1, ("memcpy_htod", 4 * MiB): 2, ("memcpy_dtoh", 4 * MiB): 1},
    "copy_dtod_64M": {("memcpy_dtod", 64 * MiB): 1},
    "fma_chain_1M": {("kernel", FMA): 1},
}
bad = 0
seen = 0
for b in r["benchmarks"]:
    if b["status"] != "ok":
        continue
    rows = {}
    iters = 0
    for p in b["processes"]:
        act = [a for a in p.get("gpu_activity", []) if not a["kind"].startswith("gpu_")]
        if not act:
            continue
        iters += sum(p["iters"])
        for a in act:
            key = (a["kind"], a["name"] if a["kind"] == "kernel" else int(a["bytes"]))
            c, ns = rows.get(key, (0, 0))
            rows[key] = (c + a["count"], ns + a["ns"])
    if not rows:
        continue
    seen += 1
    total = sum(ns for _, ns in rows.values())
    print("  %s (%d iterations):" % (b["name"], iters))
    for key, (c, ns) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        what = key[1] if key[0] == "kernel" else "%s %g MiB" % (key[0], key[1] / MiB)
        print("    %-52s %6.3f calls/iter  %10.1f ns/iter  %9.1f ns/call  %5.1f %%" % (
            what, c / iters, ns / iters, ns / c if c else 0, 100 * ns / total if total else 0))
    exp = expect.get(b["name"], {})
    got = {k: v[0] / iters for k, v in rows.items()}
    if set(got) != set(exp) or any(abs(got[k] - exp[k]) > 1e-9 for k in exp):
        bad += 1
        print("    MISMATCH: expected %s" % exp)
if not seen:
    print("unavailable: no gpu_activity rows in the record")
    sys.exit(3)
sys.exit(1 if bad else 0)
EOF
}

# python3 prints the GPU state of every process (start -> end) and the
# samples flagged gpu_throttled; exit 3 when the nvml group is unavailable,
# 1 when a process lacks its start or end state.
analyse_nvml() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in r.get("counter_groups", [])}.get("nvml")
if not g or not g.get("available"):
    print("unavailable: nvml group: %s" % (g or {}).get("note", "not in the record"))
    sys.exit(3)
bad = k = n = procs = 0
sm, mem, temp, reasons = set(), set(), [], set()
for b in r["benchmarks"]:
    for p in b["processes"]:
        procs += 1
        st = {a["kind"]: a for a in p.get("gpu_activity", []) if a["kind"].startswith("gpu_")}
        if set(st) != {"gpu_start", "gpu_end"}:
            bad += 1
            continue
        for a in st.values():
            sm.add(a["sm_clock_mhz"]); mem.add(a["mem_clock_mhz"]); temp.append(a["temp_c"])
            reasons.add(int(a["throttle_reasons"]))
        for v in p["counters"].get("gpu_throttled", []):
            n += 1
            k += v != 0
if procs == 0:
    print("unavailable: no benchmark process ran (no GPU?)")
    sys.exit(3)
print("%d processes with start and end state (%d without); SM clock %s MHz, memory clock %s MHz, "
      "temperature %g-%g C, reason bits seen %s; samples flagged gpu_throttled: %d/%d; nvml group cost %s ns/sample" % (
      procs - bad, bad, sorted(sm), sorted(mem), min(temp) if temp else -1, max(temp) if temp else -1,
      sorted(hex(x) for x in reasons), k, n, g.get("sample_ns")))
sys.exit(1 if bad else 0)
EOF
}

# The median over samples of counter $2 per iteration for benchmark $3 in
# record $1, how many samples, and the largest value of counter $4 in any
# sample.
median_per_iter() {
    python3 - "$1" "$2" "$3" "$4" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
xs, worst = [], 0
for b in r["benchmarks"]:
    if b["name"] != sys.argv[3]:
        continue
    for p in b["processes"]:
        c = p["counters"]
        for j, it in enumerate(p["iters"]):
            if sys.argv[2] in c:
                xs.append(c[sys.argv[2]][j] / it)
            worst = max(worst, c.get(sys.argv[4], [0] * (j + 1))[j])
xs.sort()
print("%.1f %d %g" % (xs[len(xs) // 2] if xs else float("nan"), len(xs), worst))
EOF
}

# The median gap between consecutive samples of benchmark $2 in record $1
# (host time outside the timed interval), in ns.
median_gap() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = []
for b in r["benchmarks"]:
    if b["name"] != sys.argv[2]:
        continue
    for q in b["processes"]:
        s, w = q["start_ns"], q["wall_ns"]
        g += [s[j + 1] - s[j] - w[j] for j in range(len(s) - 1)]
g.sort()
print("%.0f" % (g[len(g) // 2] if g else float("nan")))
EOF
}

# Mean gap between consecutive samples (host time outside the timed
# interval: counter reads, CUPTI flush, planning), over all benchmarks.
sample_gap() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
gaps = []
for b in r["benchmarks"]:
    if b["name"] != sys.argv[2]:
        continue
    for p in b["processes"]:
        s, w = p["start_ns"], p["wall_ns"]
        for j in range(len(s) - 1):
            gaps.append(s[j + 1] - s[j] - w[j])
gaps.sort()
print("%.0f %.0f %d" % (gaps[len(gaps) // 2] if gaps else float("nan"), sum(gaps) / len(gaps) if gaps else float("nan"), len(gaps)))
EOF
}

run() {
    HERE=$(cd "$(dirname "$0")" && pwd)
    LOG=${1:-${OUT:-./gpu-check-logs}}
    mkdir -p "$LOG" || die "cannot create $LOG"
    : >"$LOG/verdicts.txt"
    : >"$LOG/ab.txt"
    TMPD=$(mktemp -d) || die "mktemp failed"
    T0=$(now)
    DEADLINE=${CHECK_DEADLINE:-240}
    export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export NO_COLOR=1
    B=$HERE/bin
    G=$B/benchgate-gpu-benches
    ENV=$LOG/env.txt

    # -- env --
    {
        echo "== uname"; uname -a
        echo "== glibc"; ldd --version 2>&1 | head -1
        echo "== cpu"; grep -m1 'model name' /proc/cpuinfo; nproc
        echo "== nvidia-smi"; nvidia-smi 2>&1 | head -20
        nvidia-smi --query-gpu=name,driver_version,persistence_mode,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,clocks_throttle_reasons.active --format=csv 2>&1
        echo "== nvml"; ldconfig -p 2>/dev/null | grep -i nvidia-ml; find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libnvidia-ml.so*' -print 2>/dev/null | head -5
        echo "== cupti"; find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcupti.so*' -print 2>/dev/null
        echo "== nvcc"; nvcc --version 2>&1 | tail -2
        echo "== perf_event_paranoid"; cat /proc/sys/kernel/perf_event_paranoid 2>&1
        echo "== loader"; "$B/benchgate" --version 2>&1
        ldd "$G" "$B/benchgate" "$B/test_gpu" 2>&1 | grep -i 'not found' || echo "all libraries found"
    } >"$ENV" 2>&1
    gpu=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
    CUPTI=$(find_cupti)
    glibc=$(ldd --version 2>&1 | head -1 | awk '{print $NF}')
    if ! "$B/benchgate" --version >/dev/null 2>&1; then
        verdict env "FAIL: the carried binaries do not start here: $("$B/benchgate" --version 2>&1 | head -1)"
        return 1
    fi
    if [ -z "$gpu" ]; then
        verdict env "unavailable: nvidia-smi finds no GPU ($(nvidia-smi 2>&1 | head -1))"
    else
        verdict env "PASS: $gpu; glibc $glibc; CUPTI ${CUPTI:-none}; perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)"
    fi
    [ -n "$CUPTI" ] && export BENCHGATE_CUPTI="$CUPTI"
    # NVML: where the loader would not find it, name the file.
    if ! ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml.so.1 '; then
        NVML=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libnvidia-ml.so.1' -print 2>/dev/null |
            grep -v /fakes/ | head -1)
        [ -n "$NVML" ] && export BENCHGATE_NVML="$NVML"
    fi

    # -- counters --
    if ! want counters; then
        :
    elif [ ! -x "$G" ]; then
        verdict counters "unavailable: no benchgate-gpu-benches was built (nvcc missing where it was packed)"
    else
        t=$(now)
        "$G" --counters sw,gpu,nvml --procs 3 --max-procs 3 --budget 2 --json "$LOG/saxpy.json" >"$LOG/saxpy.txt" 2>&1
        rc=$?
        if [ $rc -ne 0 ] || [ ! -s "$LOG/saxpy.json" ]; then
            verdict counters "FAIL: the GPU bench binary exited $rc: $(tail -3 "$LOG/saxpy.txt" | tr '\n' ' ')"
        else
            a=$(analyse_counters "$LOG/saxpy.json" 2>&1)
            arc=$?
            case $arc in
            3) verdict counters "$a" ;;
            *)
                if [ $((arc & 1)) -eq 0 ]; then
                    verdict counters "PASS: every sample's kernel, copy and byte counts exact ($(($(now) - t)) s)"
                else
                    verdict counters "FAIL: counts differ from the launches or bytes ($(($(now) - t)) s)"
                fi
                if [ $((arc & 4)) -eq 0 ]; then
                    verdict timer "PASS: gpu_timer_ns within 0..5 % + 20 us per iteration above the GPU busy time in every sample"
                else
                    verdict timer "FAIL: gpu_timer_ns more than 5 % + 20 us per iteration above the GPU busy time in some samples (figures below)"
                fi
                ;;
            esac
            [ $arc -ne 3 ] && echo "$a" | tee -a "$LOG/verdicts.txt"
        fi
    fi

    # -- breakdown, nvml (from the counters run's record) --
    if want breakdown; then
        if [ ! -s "$LOG/saxpy.json" ]; then
            verdict breakdown "unavailable: no record of the counters run (CHECKS must include counters; needs a GPU)"
        else
            a=$(analyse_breakdown "$LOG/saxpy.json" 2>&1)
            arc=$?
            top=$(grep -c '^    gpu ' "$LOG/saxpy.txt")
            case $arc in
            0) verdict breakdown "PASS: every benchmark's kernels (demangled) and copies by direction and size match its launches per iteration; $top top-kernel lines in the console" ;;
            3) verdict breakdown "$a" ;;
            *) verdict breakdown "FAIL: a benchmark's table differs from its launches (below)" ;;
            esac
            [ $arc -ne 3 ] && { echo "$a"; grep '^    gpu ' "$LOG/saxpy.txt" | head -8; } | tee -a "$LOG/verdicts.txt"
        fi
    fi
    if want nvml; then
        if [ ! -s "$LOG/saxpy.json" ]; then
            verdict nvml "unavailable: no record of the counters run (CHECKS must include counters; needs a GPU)"
        else
            a=$(analyse_nvml "$LOG/saxpy.json" 2>&1)
            case $? in
            0) verdict nvml "PASS: $a" ;;
            3) verdict nvml "$a" ;;
            *) verdict nvml "FAIL: $a" ;;
            esac
        fi
    fi

    # -- flush --
    if ! want flush; then
        :
    elif [ -z "$gpu" ] || [ ! -x "$G" ]; then
        verdict flush "unavailable: needs a GPU"
    else
        t=$(now)
        for mode in warm flushed; do
            extra=
            [ $mode = flushed ] && extra=--gpu-flush-l2
            # shellcheck disable=SC2086
            # The flush runs between samples, so a sample's first iteration
            # alone starts cold: samples of 1 to 5 iterations (--measure
            # 0.0005 s plans k = 1) make that visible per iteration.
            "$G" --counters sw,gpu --procs 5 --max-procs 5 --measure 0.0005 --samples 5 $extra \
                --filter '^(saxpy_kernel_1M|fma_chain_1M)$' \
                --json "$TMPD/flush-$mode.json" >"$TMPD/flush-$mode.txt" 2>&1
        done
        # median ns/iter, samples, largest gpu_memset_bytes of a sample
        m=$(median_per_iter "$TMPD/flush-warm.json" gpu_kernel_ns saxpy_kernel_1M gpu_memset_bytes 2>/dev/null)
        set -- $m x x x
        w=$1 wn=$2
        m=$(median_per_iter "$TMPD/flush-flushed.json" gpu_kernel_ns saxpy_kernel_1M gpu_memset_bytes 2>/dev/null)
        set -- $m x x x
        f=$1 fn=$2 fmem=$3
        m=$(median_per_iter "$TMPD/flush-warm.json" gpu_timer_ns saxpy_kernel_1M x 2>/dev/null)
        set -- $m x x x
        wt=$1
        m=$(median_per_iter "$TMPD/flush-flushed.json" gpu_timer_ns saxpy_kernel_1M x 2>/dev/null)
        set -- $m x x x
        ft=$1
        m=$(median_per_iter "$TMPD/flush-warm.json" gpu_kernel_ns fma_chain_1M x 2>/dev/null)
        set -- $m x x x
        fw=$1
        m=$(median_per_iter "$TMPD/flush-flushed.json" gpu_kernel_ns fma_chain_1M x 2>/dev/null)
        set -- $m x x x
        ff=$1
        gw=$(median_gap "$TMPD/flush-warm.json" saxpy_kernel_1M 2>/dev/null)
        gf=$(median_gap "$TMPD/flush-flushed.json" saxpy_kernel_1M 2>/dev/null)
        figs="saxpy_kernel_1M gpu_kernel_ns median $w ns/iter warm ($wn samples), $f ns/iter flushed ($fn samples); gpu_timer_ns $wt -> $ft ns/iter; fma_chain_1M (compute-bound) gpu_kernel_ns $fw -> $ff ns/iter; median gap between samples $gw -> $gf ns (the flush's cost); largest gpu_memset_bytes in a flushed sample: $fmem ($(($(now) - t)) s)"
        if python3 -c "import sys; w,f,m=float('$w'),float('$f'),float('$fmem'); sys.exit(0 if f >= w and m == 0 else 1)" 2>/dev/null; then
            verdict flush "PASS: flushed >= warm, the flush's writes not counted: $figs"
        else
            verdict flush "FAIL: $figs; $(grep -m2 -iE 'unavailable|error|flush' "$TMPD/flush-flushed.txt" | tr '\n' ' ')"
        fi
    fi

    # -- doctor --
    if want doctor; then
        "$B/benchgate" doctor >"$LOG/doctor.txt" 2>&1
        lines=$(grep -E '^[a-z]+ +gpu' "$LOG/doctor.txt")
        if echo "$lines" | grep -q 'gpu  *GPU 0' && echo "$lines" | grep -q 'gpu_persistence'; then
            verdict doctor "PASS: $(echo "$lines" | tr -s ' ' | tr '\n' ';')"
        elif echo "$lines" | grep -q unavailable; then
            verdict doctor "$(echo "$lines" | sed 's/^[a-z]* *gpu *//' | head -1)"
        else
            verdict doctor "FAIL: no GPU lines: $(tail -3 "$LOG/doctor.txt" | tr '\n' ' ')"
        fi
    fi

    # -- test_saxpy --
    if ! want test_saxpy; then
        :
    elif [ -z "$CUPTI" ] || [ -z "$gpu" ] || [ ! -x "$G" ]; then
        verdict test_saxpy "unavailable: needs a GPU, CUPTI and benchgate-gpu-benches"
    else
        t=$(now)
        BG_TEST_REAL_CUPTI="$CUPTI" BG_TEST_SAXPY_BENCH="$G" "$B/test_gpu" >"$LOG/test_gpu.txt" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then
            verdict test_saxpy "PASS ($(($(now) - t)) s)"
        else
            verdict test_saxpy "FAIL (exit $rc): $(grep -E 'ERROR|error' "$LOG/test_gpu.txt" | head -3 | tr '\n' ' ')"
        fi
    fi

    # -- cupti_cost --
    if ! want cupti_cost; then
        :
    elif [ -z "$gpu" ] || [ ! -x "$G" ]; then
        verdict cupti_cost "unavailable: needs a GPU"
    else
        t=$(now)
        "$G" --counters sw --budget 1 --filter '^saxpy_kernel_1M$' --json "$TMPD/nogpu.json" >/dev/null 2>&1
        "$G" --counters sw,gpu --budget 1 --filter '^saxpy_kernel_1M$' --json "$TMPD/withgpu.json" >/dev/null 2>&1
        g0=$(sample_gap "$TMPD/nogpu.json" saxpy_kernel_1M 2>/dev/null)
        g1=$(sample_gap "$TMPD/withgpu.json" saxpy_kernel_1M 2>/dev/null)
        set -- $g0 x x x
        m0=$1 n0=$3
        set -- $g1 x x x
        m1=$1 n1=$3
        # Per iteration: ab on wall time, the same binary with and without the group.
        printf '#!/bin/sh\nexec "%s" "$@" --counters sw\n' "$G" >"$TMPD/a.sh"
        printf '#!/bin/sh\nexec "%s" "$@" --counters sw,gpu\n' "$G" >"$TMPD/b.sh"
        chmod +x "$TMPD/a.sh" "$TMPD/b.sh"
        "$B/benchgate" ab --bin-a "$TMPD/a.sh" --bin-b "$TMPD/b.sh" --filter '^saxpy_kernel_1M$' \
            --bench-arg --quick --statistic median --budget 15 --max-blocks 10 --no-save --format csv \
            >"$TMPD/cupti_ab.txt" 2>&1
        { echo "== cupti_cost: ab A = --counters sw, B = --counters sw,gpu"; cat "$TMPD/cupti_ab.txt"; } >>"$LOG/ab.txt"
        per_iter=$(grep -E '^"?saxpy_kernel_1M' "$TMPD/cupti_ab.txt" | head -1)
        verdict cupti_cost "measured ($(($(now) - t)) s): gap between samples median ${m0} ns without the gpu group (${n0} gaps), ${m1} ns with it (${n1} gaps); per iteration, ab A=--counters sw B=sw,gpu (csv): ${per_iter:-see cupti_ab.txt}"
    fi

    # -- ab --
    if ! want ab; then
        :
    elif [ -z "$gpu" ] || [ ! -x "$G" ]; then
        verdict ab "unavailable: needs a GPU"
    else
        n=${AB_TRIALS:-5}
        budget=${AB_BUDGET:-30}
        aa=0 aan=0 det=0 detn=0 i=0 incomplete=0
        t=$(now)
        while [ $i -lt "$n" ]; do
            i=$((i + 1))
            for kind in aa slow; do
                if [ $(($(now) - T0)) -gt "$DEADLINE" ]; then
                    echo "deadline ($DEADLINE s) reached: trials stop" >>"$LOG/ab.txt"
                    break 2
                fi
                extra=
                [ $kind = slow ] && extra="--env-b BG_FMA_EXTRA_PCT=5"
                s=$(now)
                # shellcheck disable=SC2086
                "$B/benchgate" ab --bin-a "$G" --bin-b "$G" $extra --filter '^fma_chain_1M$' \
                    --metric gpu_timer_ns --bench-arg --counters --bench-arg sw,gpu \
                    --bench-arg --quick --budget "$budget" --seed "$i" --no-save >"$TMPD/ab1.txt" 2>&1
                rc=$?
                { echo "== $kind trial $i: exit $rc, $(($(now) - s)) s"; cat "$TMPD/ab1.txt"; } >>"$LOG/ab.txt"
                if grep -q '^fma_chain_1M .*not compared' "$TMPD/ab1.txt" || [ $rc -gt 1 ]; then
                    incomplete=$((incomplete + 1)) # not counted in k/n
                elif [ $kind = aa ]; then
                    aan=$((aan + 1))
                    [ $rc -eq 1 ] && aa=$((aa + 1))
                else
                    detn=$((detn + 1))
                    [ $rc -eq 1 ] && det=$((det + 1))
                fi
            done
        done
        verdict ab "measured ($(($(now) - t)) s): fma_chain_1M on gpu_timer_ns, threshold 1 %: A/A false alarms $aa/$aan, +5 % detected $det/$detn; $incomplete trials not compared or failed (not counted; see ab.txt)"
        grep -E '^fma_chain_1M|^== ' "$LOG/ab.txt" | tee -a "$LOG/verdicts.txt" >/dev/null
    fi

    # -- instr --
    want instr || { echo "total $(($(now) - T0)) s" | tee -a "$LOG/verdicts.txt"; rm -rf "$TMPD"; return 0; }
    t=$(now)
    "$B/benchgate-benches" --mode instructions:hw --quick --filter '^memcpy_4KiB$' >"$LOG/instr.txt" 2>&1
    irc=$?
    "$B/benchgate-benches" --counters hw --quick --filter '^memcpy_4KiB$' --json "$TMPD/hw.json" >>"$LOG/instr.txt" 2>&1
    hw=$(python3 -c "
import json,sys
g={x['name']:x for x in json.load(open('$TMPD/hw.json'))['counter_groups']}.get('hw',{})
print('available' if g.get('available') else 'unavailable: '+g.get('note','?'))" 2>&1)
    if [ $irc -eq 0 ]; then
        im="available ($(grep -m1 -E 'memcpy_4KiB' "$LOG/instr.txt" | tr -s ' '))"
    else
        im="unavailable: $(grep -m1 -iE 'unavailable|error|cannot|perf' "$LOG/instr.txt")"
    fi
    verdict instr "instruction mode (hw): $im; hw counter group: $hw ($(($(now) - t)) s)"
    echo "total $(($(now) - T0)) s" | tee -a "$LOG/verdicts.txt"
    rm -rf "$TMPD"
}

case ${1:-} in
pack) [ $# -eq 3 ] || die "usage: $0 pack BUILD_DIR DIR"; pack "$2" "$3" ;;
run) shift; run "$@" ;;
*) echo "usage: $0 pack BUILD_DIR DIR | $0 run [LOGDIR]" >&2; exit 2 ;;
esac
