#!/usr/bin/env bash
# The CI files other projects use are valid: action.yml (the GitHub
# composite action) and ci/github-actions.yml (a workflow) against GitHub's
# schemas with @action-validator/cli from npm, installed into a temporary
# directory (when npm cannot install it: a YAML parse and checks of the
# keys GitHub requires, said so in the output); the GitLab files
# (ci/gitlab-ci.yml, ci/gitlab-template.yml) parsed with python3-yaml and
# checked for a script in every job. Then a broken action must be caught,
# to show the check can fail. Exits non-zero on any failure.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

validator=""
if [ "${BG_CI_CHECK_NO_NPM:-0}" != 1 ] && command -v npm >/dev/null 2>&1 &&
    (cd "$tmp" && timeout 300 npm install --no-audit --no-fund --silent @action-validator/cli@0.6.0 @action-validator/core@0.6.0 >/dev/null 2>&1); then
    validator=$tmp/node_modules/.bin/action-validator
fi

# YAML parse and the keys GitHub requires, for when the validator is missing.
own_check() { # kind (action|workflow), file
    "$py" - "$1" "$2" <<'PY'
import sys, yaml
kind, path = sys.argv[1], sys.argv[2]
d = yaml.safe_load(open(path, encoding="utf-8"))
need = ["name", "description", "runs"] if kind == "action" else [True if True in d else "on", "jobs"]
missing = [k for k in need if k not in d]
if missing:
    sys.exit(f"{path}: missing {missing}")
if kind == "action":
    r = d["runs"]
    if r.get("using") != "composite" or not r.get("steps"):
        sys.exit(f"{path}: runs must be composite with steps")
    for i, s in enumerate(r["steps"]):
        if "run" in s and "shell" not in s:
            sys.exit(f"{path}: step {i + 1} runs a command without 'shell' (required in a composite action)")
        if "run" not in s and "uses" not in s:
            sys.exit(f"{path}: step {i + 1} has neither run nor uses")
else:
    for name, job in d["jobs"].items():
        if "steps" not in job or "runs-on" not in job:
            sys.exit(f"{path}: job {name} needs runs-on and steps")
PY
}

check_github() { # kind, file
    if [ -n "$validator" ]; then
        local f=$2
        if [ "$1" = action ] && [ "$(basename "$f")" != action.yml ]; then
            mkdir -p "$tmp/a" && cp "$f" "$tmp/a/action.yml" && f=$tmp/a/action.yml
        fi
        "$validator" "$f"
    else
        own_check "$1" "$2"
    fi
}

check_gitlab() { # file
    "$py" - "$1" <<'PY'
import sys, yaml
path = sys.argv[1]
d = yaml.safe_load(open(path, encoding="utf-8"))
jobs = {k: v for k, v in d.items() if isinstance(v, dict) and k not in ("variables", "default", "workflow", "include", "stages")}
if not jobs:
    sys.exit(f"{path}: no jobs")
for name, job in jobs.items():
    if "script" not in job and "extends" not in job:
        sys.exit(f"{path}: job {name} has no script")
    if not isinstance(job.get("script", []), list):
        sys.exit(f"{path}: job {name}: script is not a list")
PY
}

if [ -n "$validator" ]; then
    echo "validator: @action-validator/cli 0.6.0 (GitHub's schemas)"
else
    echo "validator: unavailable (npm could not install @action-validator/cli): YAML parse and required keys only"
fi
for f in action.yml; do
    if check_github action "$src/$f"; then echo "ok: $f"; else echo "FAIL: $f"; status=1; fi
done
for f in ci/github-actions.yml; do
    if check_github workflow "$src/$f"; then echo "ok: $f"; else echo "FAIL: $f"; status=1; fi
done
for f in ci/gitlab-ci.yml ci/gitlab-template.yml; do
    if check_gitlab "$src/$f"; then echo "ok: $f"; else echo "FAIL: $f"; status=1; fi
done

# A broken action (a composite step with a command and no shell) is caught.
sed '0,/      shell: bash/{/      shell: bash/d}' "$src/action.yml" > "$tmp/broken-action.yml"
if check_github action "$tmp/broken-action.yml" >/dev/null 2>&1; then
    echo "FAIL: an action.yml with a step missing its shell was not caught"; status=1
else
    echo "ok: a broken action.yml is caught"
fi
exit "$status"
