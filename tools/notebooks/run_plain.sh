#!/usr/bin/env bash
# The example notebooks as a newcomer runs them, with plain tools and no project plugin:
# `pip install .` (not editable) into a virtualenv of its own, an empty sandbox folder, no
# sandbox running, then `pytest --nbval-lax notebooks/` and `jupyter nbconvert --execute` over
# every notebook, each against a new empty folder. The first notebook's connect() starts the
# default sandbox in its kernel, which seeds the new folder with the documented history.
#
#   tools/notebooks/run_plain.sh VENV REPORTS   # scripts/test: VENV=.venv-test-plain
#
# VENV is reused when present (the project is reinstalled each time; pip's cache serves the
# rest). The JUnit report goes to REPORTS/notebooks-plain.xml, so scripts/test counts it.
# At the end nothing started here is left running and the temporary folders are gone; a run
# that writes into the notebooks folder (downloads, outputs, caches) fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$#" -ne 2 ]; then
    echo "usage: $0 VENV REPORTS" >&2
    exit 2
fi
absolute() { mkdir -p "$(dirname "$1")" && echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
PLAIN="$(absolute "$1")"  # absolute: some steps run in other folders
REPORTS="$(absolute "$2")"
PYTHON="${PYTHON:-python3}"
# the minimal extras: the nbval plugin and nbconvert, a kernel, matplotlib (notebook 03 plots)
EXTRAS=(nbval nbconvert ipykernel matplotlib)

unset ASTRIA_API_KEY ASTRIA_BASE_URL PYTHONPATH
WORK="$(mktemp -d "${TMPDIR:-/tmp}/astria-plain-XXXXXX")"
RUNS=()  # the sandbox folders of the runs, checked and removed at the end

step() {  # step NAME CMD...: run and time one step
    local name="$1" start=$SECONDS rc=0
    shift
    "$@" || rc=$?
    printf '    %-34s %s %4ss\n' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" \
        "$((SECONDS - start))"
    return "$rc"
}

stop_leftovers() {  # a sandbox still described in a run's folder: stop its process
    local dir pid
    for dir in "${RUNS[@]}"; do
        [ -f "$dir/server.json" ] || continue
        pid="$("$PLAIN/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' \
            "$dir/server.json" 2>/dev/null)" || continue
        if kill -0 "$pid" 2>/dev/null; then
            echo "    a sandbox (pid $pid) was left running in $dir: stopping it" >&2
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null || true
            LEFTOVER=1
        fi
    done
}

LEFTOVER=0
JOBS=()  # the two runs, in the background
cleanup() {
    local pid
    for pid in "${JOBS[@]}"; do  # pytest / jupyter (their kernels exit with them), the job
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    stop_leftovers
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install() {
    if [ ! -x "$PLAIN/bin/python" ]; then
        "$PYTHON" -m venv "$PLAIN"
    fi
    local log="$PLAIN/pip-install.log"
    # `pip install .` builds the wheel; the side panel is built by the test venv's install
    # already (astria_widgets/labextension), which the build hook then reuses
    if ! "$PLAIN/bin/python" -m pip install --disable-pip-version-check -q . "${EXTRAS[@]}" \
            >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "pip install failed; the whole log is in $log" >&2
        return 1
    fi
}

check_install() {  # the notebooks must see the installed package and this venv's kernel
    (cd "$WORK" && "$PLAIN/bin/python" - "$PLAIN" <<'PY'
import pathlib, sys
import astria_widgets
from jupyter_client.kernelspec import KernelSpecManager

venv = pathlib.Path(sys.argv[1]).resolve()
where = pathlib.Path(astria_widgets.__file__).resolve()
assert venv in where.parents, f"astria_widgets imported from {where}, not from {venv}"
kernel = KernelSpecManager().get_kernel_spec("python3").argv[0]
assert kernel in ("python", "python3", sys.executable), f"python3 kernel runs {kernel}"
print(f"    astria_widgets from {where.parent}; python3 kernel: this venv's python")
PY
    )
}

new_sandbox_dir() {  # SANDBOX_DIR: a new, empty folder for a run's default sandbox
    SANDBOX_DIR="$(mktemp -d "$WORK/sandbox-XXXXXX")"
    RUNS+=("$SANDBOX_DIR")
}

run_nbval() {
    ASTRIA_SANDBOX_DIR="$1" "$PLAIN/bin/pytest" --nbval-lax -p no:cacheprovider -q \
        --junitxml="$REPORTS/notebooks-plain.xml" notebooks/
}

run_nbconvert() {
    ASTRIA_SANDBOX_DIR="$1" "$PLAIN/bin/jupyter" nbconvert --to notebook --execute \
        --output-dir "$WORK/executed" notebooks/*.ipynb
}

notebooks_listing() {  # every file under notebooks/ with its size and time, sorted
    find notebooks -type f -printf '%p %s %T@\n' | LC_ALL=C sort
}

notebooks_untouched() {  # nothing written into notebooks/ (downloads, caches, outputs)
    local changed
    changed="$(diff <(echo "$BEFORE") <(notebooks_listing))" || {
        echo "the notebook runs wrote into notebooks/:" >&2
        echo "$changed" >&2
        return 1
    }
}

status=0
step "pip install . (${EXTRAS[*]})" install || exit 1
step "check the install" check_install || exit 1
BEFORE="$(notebooks_listing)"
# The two runs at once, each on its own new folder: they mostly wait on the sandbox's clock.
new_sandbox_dir
step "pytest --nbval-lax notebooks/" run_nbval "$SANDBOX_DIR" >"$WORK/nbval.log" 2>&1 &
JOBS+=($!)
new_sandbox_dir
step "jupyter nbconvert --execute" run_nbconvert "$SANDBOX_DIR" >"$WORK/nbconvert.log" 2>&1 &
JOBS+=($!)
for index in 0 1; do
    wait "${JOBS[$index]}" || status=1
done
JOBS=()
for log in nbval nbconvert; do  # each run's output, its timing line last
    grep -v 'Kernel is running over TCP without encryption' "$WORK/$log.log" || true
done
step "nothing written into notebooks/" notebooks_untouched || status=1
stop_leftovers
if [ "$LEFTOVER" -ne 0 ]; then
    echo "a notebook run left a sandbox running" >&2
    status=1
fi
exit "$status"
