#!/usr/bin/env python3
"""The README's snippets work: its C example compiles and runs against the
build, and its meson snippet builds that example in a scratch project
against the build installed into a scratch directory (pkg-config).

Usage: check_readme.py --readme FILE --build-root DIR --include DIR
         --main-lib LIBBENCHGATE_MAIN.a --lib-dir DIR --cc 'CC ARGS'
         --meson MESON --sanitize NAME [--expect-meson-failure]

A snippet is the fenced block after a marker line
`<!-- readme-example: NAME -->`; the README must have bench_first.c (C) and
meson.build. Exit 0 when both work; with --expect-meson-failure (a
deliberately broken README, to show that the check can fail), exit 0 only
when the C example works and the meson snippet does not."""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile


def snippets(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = {}
    for m in re.finditer(r"<!--\s*readme-example:\s*(\S+)\s*-->\s*\n```[a-z]*\n(.*?)\n```", text, re.S):
        found[m.group(1)] = m.group(2) + "\n"
    return found


def run(cmd, cwd=None, env=None):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    return p


def shows_benches(out, names):
    """Every BENCH() of the example has a row in the table."""
    missing = [n for n in names if not re.search(r"^" + re.escape(n) + r"\s", out, re.M)]
    for n in missing:
        print(f"no row for benchmark {n} in the output")
    return not missing


def check_c(a, src, names, scratch):
    exe = os.path.join(scratch, "bench_first")
    cmd = shlex.split(a.cc) + ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", a.include,
                                src, a.main_lib, "-L", a.lib_dir, "-lbenchgate",
                                "-Wl,-rpath," + a.lib_dir, "-o", exe]
    if a.sanitize not in ("", "none"):
        cmd.insert(1, "-fsanitize=" + a.sanitize)
    if run(cmd).returncode != 0:
        print("FAIL: the README's C example does not compile against the build")
        return False
    p = run([exe, "--quick", "--no-save", "--color", "never"], cwd=scratch)
    if p.returncode != 0 or not shows_benches(p.stdout, names):
        print(f"FAIL: the README's C example did not run (exit {p.returncode})")
        return False
    return True


def check_meson(a, files, names, scratch):
    dest = os.path.join(scratch, "root")
    if run([a.meson, "install", "-C", a.build_root, "--destdir", dest, "--no-rebuild", "--quiet"]).returncode:
        print("FAIL: meson install into a scratch directory failed")
        return False
    pcs = glob.glob(os.path.join(dest, "**", "benchgate_main.pc"), recursive=True)
    if len(pcs) != 1:
        print(f"FAIL: meson install wrote {len(pcs)} benchgate_main.pc")
        return False
    # The .pc files name the configured prefix; point them at the scratch copy.
    pcdir = os.path.join(scratch, "pkgconfig")
    os.makedirs(pcdir)
    libdir = None
    for pc in glob.glob(os.path.join(os.path.dirname(pcs[0]), "benchgate*.pc")):
        with open(pc, encoding="utf-8") as f:
            text = f.read()
        prefix = re.search(r"^prefix=(.*)$", text, re.M).group(1)
        text = re.sub(r"^prefix=.*$", "prefix=" + dest + prefix, text, flags=re.M)
        with open(os.path.join(pcdir, os.path.basename(pc)), "w", encoding="utf-8") as f:
            f.write(text)
        libdir = os.path.dirname(os.path.dirname(pc))
    proj = os.path.join(scratch, "proj")
    os.makedirs(proj)
    for name, body in files.items():
        with open(os.path.join(proj, name), "w", encoding="utf-8") as f:
            f.write(body)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = pcdir
    env["CC"] = a.cc
    setup = [a.meson, "setup", os.path.join(proj, "build"), proj]
    if a.sanitize not in ("", "none"):
        setup += ["-Db_sanitize=" + a.sanitize, "-Db_lundef=false"]
    if run(setup, env=env).returncode != 0:
        print("FAIL: the README's meson snippet does not configure")
        return False
    if run([a.meson, "compile", "-C", os.path.join(proj, "build")], env=env).returncode != 0:
        print("FAIL: the README's meson snippet does not build the example")
        return False
    exes = [p for p in glob.glob(os.path.join(proj, "build", "*"))
            if os.path.isfile(p) and os.access(p, os.X_OK)]
    if len(exes) != 1:
        print(f"FAIL: the meson snippet built {len(exes)} programs, not one")
        return False
    env["LD_LIBRARY_PATH"] = libdir
    p = run([exes[0], "--quick", "--no-save", "--color", "never"], cwd=scratch, env=env)
    if p.returncode != 0 or not shows_benches(p.stdout, names):
        print(f"FAIL: the example built by the meson snippet did not run (exit {p.returncode})")
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--readme", "--build-root", "--include", "--main-lib", "--lib-dir", "--cc",
                "--meson", "--sanitize"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--expect-meson-failure", action="store_true")
    a = ap.parse_args()
    found = snippets(a.readme)
    for need in ("bench_first.c", "meson.build"):
        if need not in found:
            print(f"FAIL: {a.readme} has no snippet marked `<!-- readme-example: {need} -->`")
            return 1
    names = re.findall(r"^BENCH\((\w+)\)", found["bench_first.c"], re.M)
    if not names:
        print("FAIL: the C example has no BENCH()")
        return 1
    scratch = tempfile.mkdtemp(prefix="bg_readme.")
    try:
        src = os.path.join(scratch, "bench_first.c")
        with open(src, "w", encoding="utf-8") as f:
            f.write(found["bench_first.c"])
        c_ok = check_c(a, src, names, scratch)
        meson_ok = check_meson(a, {"bench_first.c": found["bench_first.c"],
                                   "meson.build": found["meson.build"]}, names, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if a.expect_meson_failure:
        ok = c_ok and not meson_ok
        print("the broken meson snippet was " + ("caught" if ok else "NOT caught"))
        return 0 if ok else 1
    return 0 if c_ok and meson_ok else 1


if __name__ == "__main__":
    sys.exit(main())
