#!/bin/sh
# Train every sample model one after another, then redraw the sample pictures.
#   tools/training/train_all.sh                 # full schedule (60 minutes of training loop each)
#   tools/training/train_all.sh edge vdsr       # only some stages
# Budgets (training-loop minutes) and options come from the environment, e.g. the committed models:
#   FIP_DETAIL_MIN=45 FIP_EDGE_MIN=45 VDSR_MIN=30 VDSR_MIDDLE=8 CRNN_MIN=55 THREADS=1 FRESH=--fresh tools/training/train_all.sh
# (they ran concurrently rather than one after another; see samples/README.md).
# Each run resumes from tools/training/checkpoints/ (git-ignored) when a checkpoint exists; delete
# that folder (or pass FRESH=--fresh) to start over. Runs are niced and limited to THREADS threads.
set -e
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
FRESH=${FRESH:-}
RUN="nice -n 19 $PY"
STAGES=${*:-detail edge vdsr crnn samples}
for stage in $STAGES; do
  echo "== $stage ($(date -u +%H:%M:%S))"
  case $stage in
    detail) $RUN tools/training/train_fip.py --op detail --minutes "${FIP_DETAIL_MIN:-60}" --threads "$THREADS" --timing-runs "${FIP_TIMING_RUNS:-2}" $FRESH ;;
    edge) $RUN tools/training/train_fip.py --op edge --minutes "${FIP_EDGE_MIN:-60}" --threads "$THREADS" --timing-runs "${FIP_TIMING_RUNS:-2}" $FRESH ;;
    stylize) $RUN tools/training/train_fip.py --op stylize --minutes "${FIP_STYLIZE_MIN:-60}" --threads "$THREADS" --timing-runs "${FIP_TIMING_RUNS:-2}" $FRESH ;;
    vdsr) $RUN tools/training/train_vdsr.py --minutes "${VDSR_MIN:-60}" --middle "${VDSR_MIDDLE:-18}" --threads "$THREADS" $FRESH ;;
    crnn) $RUN tools/training/train_crnn.py --minutes "${CRNN_MIN:-60}" --eval-samples "${CRNN_EVAL:-1000}" --threads "$THREADS" $FRESH ;;
    samples) $RUN tools/training/make_samples.py ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
done
echo "== done ($(date -u +%H:%M:%S))"
