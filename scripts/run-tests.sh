#!/usr/bin/env bash
# Build vmgr and run every test suite; print a count of test cases.
#
# Usage: scripts/run-tests.sh [MESON_TEST_ARGS...]
#   BUILD_DIR=dir  build directory (default: ./build in the source tree)
#
# Steps: scripts/install-deps.sh, meson setup (or --reconfigure), ninja,
# meson test --print-errorlogs (all suites unless MESON_TEST_ARGS select
# some; a failing test does not stop the others). Then every test case is
# counted from build/meson-logs/testlog.json: a TAP test counts each of its
# "ok N" / "not ok N" lines ("# SKIP" = skipped); any other test counts
# once. A TAP test that crashed counts its missing cases as failed.
#
# Then, unless MESON_TEST_ARGS select tests (SANITIZERS=1 forces, =0
# skips), the sanitizer passes, each in its own build directory, counted
# in the same total: BUILD_DIR-sanitizers (gcc, -Db_sanitize=address,
# undefined) runs the unit, client, integration and fuzz suites (vmgrd
# included: the integration tests start it from there); BUILD_DIR-fuzz
# (clang, -Dfuzzing=true, the whole tree built under -Werror) fuzzes each
# libFuzzer harness briefly (suite fuzz). A pass that cannot be configured or built counts one failure.
#
# The last line of output is exactly "N passed, N failed" (", N skipped"
# appended when some were skipped). Exit status is non-zero when a test
# failed or the build failed (then the last line is "0 passed, 1 failed").
# The integration suite needs root (private namespaces, polkitd).
set -euo pipefail

src_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src_root"
build_dir=${BUILD_DIR:-$src_root/build}

build_failed() {
  printf 'run-tests: %s\n' "$*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

echo "==> dependencies"
scripts/install-deps.sh || build_failed "installing dependencies failed"

echo "==> configure ($build_dir)"
if [[ -f $build_dir/meson-private/coredata.dat ]]; then
  meson setup --reconfigure "$build_dir" >/dev/null ||
    meson setup --wipe "$build_dir" ||
    build_failed "meson setup failed"
else
  meson setup -Dwerror=true "$build_dir" || build_failed "meson setup failed"
fi

echo "==> build"
ninja -C "$build_dir" || build_failed "build failed"

echo "==> test"
testlog=$build_dir/meson-logs/testlog.json
rm -f "$testlog"
set +e
meson test -C "$build_dir" --no-rebuild --print-errorlogs "$@"
meson_status=$?
set -e
echo "meson test exit status: $meson_status"

if [[ ! -s $testlog ]]; then
  build_failed "meson test wrote no $testlog"
fi

# configure DIR [OPTION...]: a new DIR with OPTIONs, or DIR reconfigured.
configure() {
  local dir=$1
  shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" >/dev/null || meson setup --wipe "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# sanitizer_pass LABEL DIR NINJA_TARGET SUITE...: builds and tests a
# configured DIR; its log joins the summary (missing: one failure).
passes=("" "$testlog" "$build_dir")
sanitizer_pass() {
  local label=$1 dir=$2 target=$3
  shift 3
  rm -f "$dir/meson-logs/testlog.json"
  echo "==> build ($label)"
  if ninja -C "$dir" $target; then
    echo "==> test ($label)"
    meson test -C "$dir" --no-rebuild --print-errorlogs "${@/#/--suite=}" || meson_status=1
  fi
  passes+=("$label" "$dir/meson-logs/testlog.json" "$dir")
}

sanitizers=${SANITIZERS:-$([[ $# -eq 0 ]] && echo 1 || echo 0)}
if [[ $sanitizers == 1 ]]; then
  set +e
  echo "==> configure (sanitizers: $build_dir-sanitizers)"
  configure "$build_dir-sanitizers" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false &&
    sanitizer_pass sanitizers "$build_dir-sanitizers" "" unit client integration fuzz
  echo "==> configure (fuzz: $build_dir-fuzz)"
  # The whole tree, so that clang's -Werror checks every file, not only
  # what the harnesses link.
  CC=clang configure "$build_dir-fuzz" -Dwerror=true -Dfuzzing=true &&
    sanitizer_pass fuzz "$build_dir-fuzz" "" fuzz
  set -e
fi

python=/usr/bin/python3
[[ -x $python ]] || python=python3

echo "==> summary"
set +e
"$python" - "$meson_status" "${passes[@]}" <<'PYEOF'
import json
import re
import subprocess
import sys

# meson test's status, then for each pass: its label ("" for the main
# one), its testlog.json and its build directory.
meson_status = int(sys.argv[1])
passes = [sys.argv[i:i + 3] for i in range(2, len(sys.argv), 3)]


def protocols_of(build_dir):
    """Test protocols by name ("tap", "exitcode", ...), to know whose
    stdout is TAP. testlog names look like "project:suite / name"."""
    found = {}
    try:
        out = subprocess.run(['meson', 'introspect', '--tests', build_dir],
                             capture_output=True, text=True).stdout
        for t in json.loads(out or '[]'):
            found.setdefault(t['name'], set()).add(t.get('protocol', 'exitcode'))
    except (OSError, ValueError):
        pass
    return found


def protocol_of(full_name, stdout, protocols):
    short = full_name.split(' / ', 1)[-1]
    found = protocols.get(short)
    if found and len(found) == 1:
        return next(iter(found))
    # Unknown: treat output that has a TAP plan as TAP.
    return 'tap' if re.search(r'^\s*1\.\.\d+', stdout, re.M) else 'exitcode'

# "ok 3 /path # SKIP reason", "not ok 4 - name # TODO", "ok", "Bail out!"
TAP_LINE = re.compile(r'^(not )?ok(?:\s+(\d+))?(?:\s+([^#]*))?(?:#\s*(\S+)(.*))?$', re.I)
TAP_PLAN = re.compile(r'^1\.\.(\d+)(?:\s*#\s*(\S+).*)?')

FAILED_RESULTS = {'FAIL', 'ERROR', 'TIMEOUT', 'UNEXPECTEDPASS', 'INTERRUPT'}

total_pass = total_fail = total_skip = 0
rows = []
failed_cases = []

entries = []
for label, path, build_dir in passes:
    prefix = f'{label}: ' if label else ''
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            logged = [json.loads(line) for line in f if line.strip()]
    except OSError:
        # not configured, not built, or meson test could not start
        entries.append(({'name': f'{label} (configure or build)', 'result': 'ERROR'}, {}, ''))
        continue
    found = protocols_of(build_dir)
    entries += [(e, found, prefix) for e in logged]

for e, protocols, prefix in entries:
    name = prefix + e.get('name', '?')
    result = e.get('result', 'ERROR')
    stdout = e.get('stdout') or ''
    p = fl = sk = 0
    tap_lines = 0
    planned = None
    plan_skip = False
    is_tap = protocol_of(name, stdout, protocols) == 'tap'
    for raw in (stdout.splitlines() if is_tap else []):
        line = raw.strip()
        m = TAP_PLAN.match(line)
        if m:
            planned = int(m.group(1))
            plan_skip = (m.group(2) or '').upper().startswith('SKIP')
            continue
        if line.lower().startswith('bail out!'):
            continue
        m = TAP_LINE.match(line)
        if not m:
            continue
        tap_lines += 1
        not_ok = m.group(1) is not None
        directive = (m.group(4) or '').upper()
        desc = (m.group(3) or '').strip().lstrip('- ').strip()
        if directive.startswith('SKIP'):
            sk += 1
        elif directive.startswith('TODO'):
            # expected failure / unexpected pass of a TODO: not counted
            # against the run
            if not_ok:
                sk += 1
            else:
                p += 1
        elif not_ok:
            fl += 1
            failed_cases.append(f'{name}: not ok {m.group(2) or ""} {desc}'.rstrip())
        else:
            p += 1

    if is_tap:
        if tap_lines == 0 and result not in FAILED_RESULTS:
            # no cases reported: a skipped program (exit 77 or "1..0 #
            # SKIP") or one that ran nothing
            if result == 'SKIP' or plan_skip:
                sk += 1
            else:
                p += 1
        if result in FAILED_RESULTS:
            # The program failed beyond its "not ok" lines (crash, bail
            # out, timeout, non-zero exit): count the cases it never
            # reported, at least one.
            missing = (planned - tap_lines) if planned is not None else 0
            extra = max(missing, 0 if fl else 1)
            if extra:
                fl += extra
                failed_cases.append(f'{name}: {result} ({extra} case(s) not reported)')
        elif planned is not None and tap_lines < planned:
            fl += planned - tap_lines
            failed_cases.append(f'{name}: {planned - tap_lines} planned case(s) missing')
    else:
        if result in ('OK', 'EXPECTEDFAIL'):
            p += 1
        elif result == 'SKIP':
            sk += 1
        else:
            fl += 1
            failed_cases.append(f'{name}: {result}')

    rows.append((name, result, p, fl, sk))
    total_pass += p
    total_fail += fl
    total_skip += sk

width = max([len(r[0]) for r in rows] + [4])
print(f'{"test":<{width}}  {"result":<14} {"pass":>5} {"fail":>5} {"skip":>5}')
for name, result, p, fl, sk in rows:
    print(f'{name:<{width}}  {result:<14} {p:>5} {fl:>5} {sk:>5}')
if failed_cases:
    print()
    print('failed:')
    for c in failed_cases:
        print(f'  {c}')
print()

# meson test failed without any counted failure (e.g. it could not run a
# test at all): do not report success.
if meson_status != 0 and total_fail == 0:
    total_fail = 1
    print(f'meson test exited with status {meson_status}')

summary = f'{total_pass} passed, {total_fail} failed'
if total_skip:
    summary += f', {total_skip} skipped'
print(summary)
sys.exit(1 if total_fail else 0)
PYEOF
status=$?
set -e
if [[ $status -ne 0 && $status -ne 1 ]]; then
  build_failed "could not parse $testlog"
fi
exit "$status"
