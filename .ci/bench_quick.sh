#!/usr/bin/env bash
# The quick mode of every benchmark script in bench/: each on the toy tweets (smile_nb.data.toy_smile), in seconds,
# its JSON written to a temporary folder that is removed at the end (never to bench/results/). CI runs it:
#     bash .ci/bench_quick.sh        # a PASS/FAIL line per script; exit status 1 if any failed
# Every bench/*.py but common.py must take `--quick --json FILE`; predict_speed, stream_speed and onnx_variants also take
# the toy model folder that `python bench/common.py toy-model DIR` trains first, so that it is trained once.
set -uo pipefail
cd "$(dirname "$0")/.."
export TOKENIZERS_PARALLELISM=false
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"   # the scripts' own temporary folders go there too, and leave with it
mkdir -p "$tmp/json"
failed=0; start=$(date +%s)

step() {   # step NAME JSON COMMAND...: run COMMAND; it passes if it exits 0 and, where JSON is not '-', wrote that file
  local name=$1 json=$2 t=$(date +%s); shift 2
  if "$@" >"$tmp/$name.log" 2>&1 && { [ "$json" = - ] || [ -s "$json" ]; }; then
    echo "PASS: $name ($(( $(date +%s) - t )) s)"
  else
    echo "FAIL: $name: $*"; tail -25 "$tmp/$name.log" | sed 's/^/    /'; failed=$((failed + 1))
  fi
}

step common - python bench/common.py toy-model "$tmp/toy"
for script in bench/*.py; do
  name=$(basename "$script" .py)
  case $name in
    common) continue ;;
    predict_speed|stream_speed|onnx_variants) model=("$tmp/toy") ;;
    *) model=() ;;
  esac
  step "$name" "$tmp/json/$name.json" python "$script" "${model[@]}" --quick --json "$tmp/json/$name.json"
done
echo "bench quick modes: $failed failed, $(( $(date +%s) - start )) s in all"
[ "$failed" -eq 0 ]
