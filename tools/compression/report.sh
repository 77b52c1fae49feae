#!/usr/bin/env bash
# Runs every `gpuc compress` configuration docs/compression.md reports and keeps each JSON report,
# .gpuc file and decoded safetensors under OUT (default: a new temporary folder).
#   tools/compression/report.sh [OUT] [MODEL...]      (models: fip-detail fip-edge vdsr-x2 crnn)
# Needs a Release build of Gpu.Cli and, for CRNN, python3 with PIL and OpenCV (calibration lines).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(fip-detail fip-edge vdsr-x2 crnn)
# GPUC_DLL runs another build (a copy, so that rebuilding meanwhile does not disturb a long run).
gpuc=(dotnet "${GPUC_DLL:-$root/Gpu.Cli/bin/Release/net10.0/gpuc.dll}")
mkdir -p "$out"

run() { # name model args...
  local name=$1 model=$2
  shift 2
  "${gpuc[@]}" compress "$model" -o "$out/$name.gpuc" --decoded "$out/$name.safetensors" --overwrite --json "$@" > "$out/$name.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], round(d['ratio'],2), d.get('psnr_vs_original'), d.get('task_psnr'), d.get('cer'), d.get('word_accuracy'), round(d['seconds'],1))" "$out/$name.json" "$name"
}

for model in "${models[@]}"; do
  case $model in
    crnn)
      lines="$out/crnn-lines"
      [ -f "$lines/lines.json" ] || (cd "$root/tools/training" && python3 make_crnn_calibration.py --out "$lines" --count 200 --seed 3001)
      cal=(--calibration "$lines")
      run crnn-shared5 crnn --prune none --bits 5 "${cal[@]}"
      run crnn-shared8 crnn --prune none --bits 8 "${cal[@]}"
      run crnn-int8 crnn --prune none --int8 "${cal[@]}"
      for sparsity in 0.3 0.5 0.7 0.8 0.9; do
        run crnn-magnitude$sparsity crnn --prune magnitude --sparsity $sparsity --bits 5 "${cal[@]}"
      done
      run crnn-budget2pp crnn --budget 2pp --bits 5 "${cal[@]}"
      run crnn-budget2pp-structured crnn --budget 2pp --bits 5 --structured "${cal[@]}"
      ;;
    *)
      run "$model-shared8" "$model" --prune none --bits 8
      run "$model-shared6" "$model" --prune none --bits 6
      run "$model-int8" "$model" --prune none --int8
      budgets=(0.25dB 0.5dB 1dB 2dB)
      for budget in "${budgets[@]}"; do
        run "$model-budget$budget" "$model" --budget $budget --bits 8
      done
      if [ "$model" = vdsr-x2 ]; then
        run "$model-budget0.5dB-bits5" "$model" --budget 0.5dB --bits 5
      else
        run "$model-budget0.5dB-bits6" "$model" --budget 0.5dB --bits 6
      fi
      run "$model-budget0.5dB-structured" "$model" --budget 0.5dB --bits 8 --structured
      run "$model-budget0.5dB-structured-int8" "$model" --budget 0.5dB --structured --int8
      ;;
  esac
done
echo "reports in $out"
