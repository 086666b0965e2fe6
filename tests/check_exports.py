#!/usr/bin/env python3
"""libbenchgate.so exports the public API and nothing else.

Usage: check_exports.py LIBBENCHGATE.so LIBBENCHGATE.map HEADER...

The allowed names are the functions declared BG_API in the public headers.
Fails (exit 1) when the library exports a name outside them, when the
version script lists a name they do not declare, or when a name the version
script lists is not exported. (bg__sink is declared, and defined, only for
compilers without GNU inline assembly, so it is left out of the script.)"""
import re
import subprocess
import sys


def header_names(paths):
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        # Lines that define macros (BG_API itself among them) declare nothing.
        text = re.sub(r"^\s*#\s*define\b(?:[^\n]*\\\n)*[^\n]*", "", text, flags=re.M)
        # BG_API <type> [*]name(  -- the declaration may wrap after the type.
        for m in re.finditer(r"\bBG_API\b[^;(]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
            names.add(m.group(1))
    return names


def map_names(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    if not m:
        sys.exit(f"{path}: no global: ... local: section")
    return {n.strip() for n in m.group(1).split(";") if n.strip()}


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            names.add(parts[2].split("@")[0])
    return names


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    lib, mapfile, headers = argv[1], argv[2], argv[3:]
    allowed = header_names(headers)
    if len(allowed) < 10:
        sys.exit(f"found only {len(allowed)} BG_API names in {headers}: parser broken?")
    listed = map_names(mapfile)
    got = exported(lib)
    bad = False
    for name in sorted(got - allowed):
        print(f"exported but not public API: {name}")
        bad = True
    for name in sorted(listed - allowed):
        print(f"{mapfile} lists {name}, which no public header declares BG_API")
        bad = True
    for name in sorted(listed - got):
        print(f"{mapfile} lists {name} but the library does not export it")
        bad = True
    print(f"{lib}: {len(got)} exported, {len(allowed)} public")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
