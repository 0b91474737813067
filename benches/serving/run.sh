#!/usr/bin/env bash
# The serving benchmark: typenet, ONNX Runtime and LiteRT on the same weights,
# one sample and batch 100, in one sitting (README.md beside this script).
#
#   benches/serving/run.sh            # export, check, time, print the tables
#   benches/serving/run.sh --hog      # then the same again with a busy loop on core 1
#   benches/serving/run.sh --quick    # fewer timed blocks
#   WAIT_IDLE=300 benches/serving/run.sh   # first wait up to 300 s for a quiet machine
#
# Environment: VENV (default target/serving-venv), OUT (default
# target/serving: weights/, models/, logs/), LOG (default OUT/logs/serving-<date>.log),
# TRAINING=0 to leave out the training steps of benches/speed.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."

HOG=0
QUICK=()
for arg in "$@"; do
    case "$arg" in
        --hog) HOG=1 ;;
        --quick) QUICK=(--quick) ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

VENV=${VENV:-target/serving-venv}
OUT=${OUT:-target/serving}
mkdir -p "$OUT/logs"
LOG=${LOG:-$OUT/logs/serving-$(date -u +%Y%m%dT%H%M%SZ).log}
ERR="$LOG.stderr"
PY="$VENV/bin/python"
HERE=benches/serving

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -r "$HERE/requirements.txt"
fi

# The machine's environment may pin OpenBLAS-style knobs; the runtimes get
# their thread counts from their own options.
unset OMP_NUM_THREADS MKL_NUM_THREADS OPENBLAS_NUM_THREADS 2>/dev/null || true

cargo bench -q --bench serving --bench speed --no-run
{
    echo -e "SITTING\tdate\t$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo -e "SITTING\tmachine\t$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
    echo -e "VERSION\trustc\t$(rustc --version | cut -d' ' -f2)"
} | tee "$LOG"
echo "(the programs' diagnostics go to $ERR)"

cargo bench -q --bench serving -- --weights "$OUT/weights" --export-only 2>>"$ERR"
"$PY" "$HERE/export.py" --weights "$OUT/weights" --models "$OUT/models" 2>>"$ERR" | tee -a "$LOG"

TRAIN_FLAG=()
[ "${TRAINING:-1}" = 1 ] && TRAIN_FLAG=(--training)
"$PY" "$HERE/driver.py" wait-idle "${WAIT_IDLE:-0}" | tee -a "$LOG"
"$PY" "$HERE/driver.py" phase --label alone --weights "$OUT/weights" --models "$OUT/models" \
    "${QUICK[@]}" "${TRAIN_FLAG[@]}" 2>>"$ERR" | tee -a "$LOG"

if [ "$HOG" = 1 ]; then
    # a busy loop on the second core, ended by its PID however this script ends
    taskset -c 1 sh -c 'while :; do :; done' &
    HOG_PID=$!
    trap 'kill "$HOG_PID" 2>/dev/null || true' EXIT
    trap 'exit 130' INT TERM
    "$PY" "$HERE/driver.py" phase --label "with hog" --hog-pid "$HOG_PID" --weights "$OUT/weights" \
        --models "$OUT/models" "${QUICK[@]}" "${TRAIN_FLAG[@]}" 2>>"$ERR" | tee -a "$LOG"
    kill "$HOG_PID"
    wait "$HOG_PID" 2>/dev/null || true
    trap - EXIT INT TERM
fi

echo
echo "log: $LOG"
echo
"$PY" "$HERE/table.py" "$LOG"
