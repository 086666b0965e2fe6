#!/usr/bin/env bash
# The CI files other projects use are valid: action.yml (the GitHub
# composite action), ci/github-actions.yml and ci/github-action-selftest.yml
# (workflows; the second runs the action as `uses: ./`) against GitHub's
# schemas with @action-validator/cli from npm, installed into a temporary
# directory (when npm cannot install it: a YAML parse and checks of the
# keys GitHub requires, said so in the output); the GitLab files
# (ci/gitlab-ci.yml, ci/gitlab-template.yml) parsed with python3-yaml and
# checked for a script in every job; benchgate's own address is only ever
# the placeholder OWNER/benchgate. Then a broken action must be caught,
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
for f in ci/github-actions.yml ci/github-action-selftest.yml; do
    if check_github workflow "$src/$f"; then echo "ok: $f"; else echo "FAIL: $f"; status=1; fi
done
# The repository's own workflow runs the action from its checkout, with no
# address in it.
if grep -qE '^ *- uses: \./$' "$src/ci/github-action-selftest.yml"; then
    echo "ok: ci/github-action-selftest.yml runs the action as 'uses: ./'"
else
    echo "FAIL: ci/github-action-selftest.yml does not run the action as 'uses: ./'"; status=1
fi
# Where benchgate is hosted is one placeholder, OWNER/benchgate, for the
# user to replace (README: "Where benchgate lives"): no other address of
# benchgate's repository is written anywhere.
others=$(cd "$src" && grep -rnoE '(github\.com|githubusercontent\.com)[/:][A-Za-z0-9_.-]+/benchgate' \
    README.md action.yml ci docs examples | grep -v 'OWNER/benchgate' || true)
if [ -z "$others" ]; then
    echo "ok: benchgate's address is the one placeholder OWNER/benchgate"
else
    echo "FAIL: an address of benchgate other than the placeholder OWNER/benchgate:"; echo "$others"; status=1
fi
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
