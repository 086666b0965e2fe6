#!/usr/bin/env bash
# Makes tests/fixtures/criterion/{base,head}: real Criterion.rs output of a
# small Rust crate (two benchmarks, one in a group), measured with
# Criterion 0.3.6 from Debian (librust-criterion-dev, built offline against
# /usr/share/cargo/registry). "head" makes `sum_1k` do twice the work, so
# the import can be checked to find it slower and `fib/20` unchanged.
# Only each benchmark's new/{sample,estimates,benchmark}.json is kept (the
# files benchgate import criterion reads). Needs cargo and
# librust-criterion-dev; not run by the tests (the fixtures are committed).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/tests/fixtures/criterion
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/crate/benches" "$tmp/crate/src" "$tmp/crate/.cargo"
cat > "$tmp/crate/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
cat > "$tmp/crate/Cargo.toml" <<'TOML'
[package]
name = "crit_fixture"
version = "0.1.0"
edition = "2021"
[dev-dependencies]
criterion = { version = "0.3", default-features = false }
[[bench]]
name = "b"
harness = false
TOML
echo "" > "$tmp/crate/src/lib.rs"
write_bench() { # work factor of sum_1k
    cat > "$tmp/crate/benches/b.rs" <<RS
use criterion::{black_box, criterion_group, criterion_main, Criterion};
fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
fn sum(v: &[u64], k: usize) -> u64 { let mut s: u64 = 0; for _ in 0..k { for x in v { s = s.wrapping_add(*x); } } s }
fn benches(c: &mut Criterion) {
    let v: Vec<u64> = (0..1000).collect();
    c.bench_function("sum_1k", |b| b.iter(|| sum(black_box(&v), $1)));
    let mut g = c.benchmark_group("fib");
    g.bench_function("20", |b| b.iter(|| fib(black_box(20))));
    g.finish();
}
criterion_group! { name = g; config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500)); targets = benches }
criterion_main!(g);
RS
}
keep() { # name
    rm -rf "${out:?}/$1"
    (cd "$tmp/crate/target/criterion" && find . -path '*/new/*.json' | while read -r f; do
        mkdir -p "$out/$1/$(dirname "$f")"
        cp "$f" "$out/$1/$f"
    done)
    rm -f "$out/$1"/*/new/tukey.json "$out/$1"/*/*/new/tukey.json
}
cd "$tmp/crate"
write_bench 1
cargo bench --offline -q --bench b
keep base
rm -rf target/criterion
write_bench 2
cargo bench --offline -q --bench b
keep head
echo "wrote $out/base and $out/head"
find "$out" -type f | sort
