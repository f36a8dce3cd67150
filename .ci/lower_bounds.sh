#!/usr/bin/env bash
# The dependencies' lower bounds hold: a fresh virtual environment in a temporary folder (removed at the end) gets torch
# first, then smile_nb from this repository with every other requirement in pyproject.toml's `dependencies` pinned to
# exactly its `>=` bound (read from pyproject.toml, so that this test cannot drift from it); then the package must be
# consistent (pip check), every module import, every command answer --version and --help, and a model train for one epoch
# on the toy tweets (smile_nb.data.toy_smile) and answer two texts. Last, nbdev at the dev extra's bound must process a
# notebook where nbs/nbdev.yml is missing, as on a fresh clone. CI runs it:
#     bash .ci/lower_bounds.sh        # a PASS/FAIL line per check; exit status 1 if any failed
# torch: 2.13.0 (a CPU build that lies on this machine's disk), not its bound 2.6: every other torch on PyPI is a CUDA build
# of several GB, so pip is never left to pick one; pyproject.toml says where 2.6 comes from.
# Wheels only (--only-binary): every bound has a wheel for CPython 3.11, this machine's python3 and the one torch 2.13.0 is
# on disk for. (On 3.12, PyYAML 6.0 has none; 6.0.1 is the oldest that installs there.)
# --no-compile: no .pyc for every file installed (torch's alone are thousands), so that install and removal are quicker.
set -uo pipefail
cd "$(dirname "$0")/.."
export TOKENIZERS_PARALLELISM=false PIP_DISABLE_PIP_VERSION_CHECK=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"   # the commands' own temporary files and crash logs go there too, and leave with it
failed=0; start=$(date +%s)

step() {   # step NAME COMMAND...: run COMMAND, its output in a log; it passes if it exits 0 (and so does step)
  local name=$1 t=$(date +%s); shift
  if "$@" >"$tmp/log" 2>&1; then
    echo "PASS: $name ($(( $(date +%s) - t )) s)"
  else
    echo "FAIL: $name"; tail -25 "$tmp/log" | sed 's/^/    /'; failed=$((failed + 1)); return 1
  fi
}
done_() {   # the temporary folder goes first (its torch alone is thousands of files), so that the time covers it
  local t=$(date +%s); rm -rf "$tmp"
  echo "lower bounds: $failed failed, $(( $(date +%s) - start )) s in all ($(( $(date +%s) - t )) s of it removing the venv)"
  [ "$failed" -eq 0 ]; exit $?
}

# name==bound for each dependency but torch, and the dev extra's nbdev bound: a dependency without a plain `>=` bound
# fails, and so does an upper bound (`,<X`) without a comment on its line that says why
pins=$(python3 - <<'EOF'
import re, sys, tomllib
text = open('pyproject.toml').read()
proj = tomllib.loads(text)['project']
bound = lambda d: re.fullmatch(r'\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][^,;\s]*)\s*(,\s*<[^,;]+)?\s*', d)
for d in proj['dependencies']:
    if not bound(d): sys.exit(f"pyproject.toml: the dependency {d!r} has no plain lower bound (name>=X)")
    if bound(d)[3] and not re.search(re.escape(f'"{d}"') + r',?\s*#\s*\S', text): sys.exit(f"pyproject.toml: {d!r} has an upper bound and no comment beside it saying why")
    if bound(d)[1].lower() != 'torch': print(f"{bound(d)[1]}=={bound(d)[2]}")
nbdev = [bound(d) for d in proj['optional-dependencies']['dev'] if bound(d) and bound(d)[1] == 'nbdev']
if not nbdev: sys.exit("pyproject.toml: the dev extra has no nbdev>=X")
print(f"nbdev=={nbdev[0][2]}")
EOF
) || { echo "FAIL: the bounds in pyproject.toml"; failed=1; done_; }
nbdev_pin=$(grep '^nbdev==' <<<"$pins"); pins=$(grep -v '^nbdev==' <<<"$pins")
echo "pins: torch==2.13.0 $(tr '\n' ' ' <<<"$pins")"

install() {   # a fresh venv; torch first; smile_nb's wheel (built from a copy of the sources) with the pins
  python3 -m venv "$tmp/venv" && . "$tmp/venv/bin/activate" || return 1
  pip install -q --no-compile torch==2.13.0 || return 1
  mkdir -p "$tmp/src" && cp -r pyproject.toml README.md LICENSE smile_nb "$tmp/src/" && rm -rf "$tmp/src/smile_nb/__pycache__"
  pip wheel -q --no-deps -w "$tmp/dist" "$tmp/src" || return 1
  pip install -q --no-compile --only-binary=:all: "$tmp"/dist/smile_nb-*.whl $pins
}
step "install torch==2.13.0, then smile_nb with every dependency at its lower bound" install || done_
. "$tmp/venv/bin/activate"

step "pip check: the installed requirements are consistent" pip check
versions() {   # each pin is what is installed (pip replaced none), and torch is still 2.13.0
  python - "$pins" <<'EOF'
import sys, importlib.metadata as md
from packaging.version import Version
bad, got = [], []
for pin in sys.argv[1].split() + ['torch==2.13.0']:
    name, v = pin.split('==')
    have = md.version(name)
    got.append(f"{name} {have}")
    if Version(Version(have).base_version) != Version(v): bad.append(f"{name}: {have} installed, not {v}")
print(', '.join(got))
sys.exit('; '.join(bad) or None)
EOF
}
step "each dependency installed at its lower bound" versions && sed 's/^/    /' "$tmp/log"

imports() {   # every smile_nb module; one that needs an optional extra (not installed here) is skipped, with a note
  python - <<'EOF'
import importlib, pkgutil, sys, smile_nb
EXTRAS = {'gradio', 'ray', 'pyarrow', 'openvino', 'sentence_transformers', 'selenium'}   # pyproject.toml's optional extras
bad = []
for m in sorted(m.name for m in pkgutil.iter_modules(smile_nb.__path__)):
    try: importlib.import_module(f'smile_nb.{m}'); print(f"imported smile_nb.{m}")
    except ModuleNotFoundError as e:
        if (e.name or '').split('.')[0] in EXTRAS: print(f"skipped smile_nb.{m}: it needs {e.name}, an optional extra")
        else: bad.append(f"smile_nb.{m}: {e!r}")
    except Exception as e: bad.append(f"smile_nb.{m}: {e!r}")
sys.exit('\n'.join(bad) or None)
EOF
}
step "every smile_nb module imports" imports && grep skipped "$tmp/log" | sed 's/^/    /'

cmd_ok() {   # cmd_ok COMMAND: --version prints "COMMAND VERSION", --help a usage line
  local v; v=$("$1" --version) && [ "$v" = "$1 $(python -c 'import smile_nb; print(smile_nb.__version__)')" ] || { echo "--version: $v"; return 1; }
  local h; h=$("$1" --help) && grep -q "^usage: $1 " <<<"$h" || { echo "--help printed no usage line"; return 1; }
}
for c in smile-nb-data smile-nb-train smile-nb-evaluate smile-nb-predict smile-nb-export smile-nb-demo; do
  step "$c --version and --help" cmd_ok "$c"
done

# A tiny end to end run: the toy tweets as a SMILE CSV (bench/common.py's toy_csv), one epoch, then the commands on the model
csv=$(python -c "import sys; sys.path.insert(0, 'bench'); from common import toy_csv; print(toy_csv(sys.argv[1]))" "$tmp/toy") || csv=
model="$tmp/toy/model"
answers() {   # answers N COMMAND...: COMMAND prints N answers (label TAB score TAB text, or JSON lines), each a toy class
  local n=$1; shift
  "$@" >"$tmp/out" || return 1
  cat "$tmp/out"
  python - "$n" "$tmp/out" <<'EOF'
import json, sys
lines = open(sys.argv[2]).read().splitlines()
got = [json.loads(l)['label'] if l.startswith('{') else l.split('\t')[0] for l in lines]
ok = len(got) == int(sys.argv[1]) and set(got) <= {'happy', 'not-relevant', 'angry', 'disgust', 'sad', 'surprise'}
sys.exit(None if ok else f"expected {sys.argv[1]} answers, each a toy class; got {got}")
EOF
}
has() { "${@:2}" && [ -s "$1" ]; }   # has FILE COMMAND...: COMMAND exits 0 and FILE is written
step "smile-nb-data on the toy CSV" smile-nb-data --data "$csv"
step "smile-nb-train, one epoch on the toy CSV (model.onnx written)" has "$model/model.onnx" \
  smile-nb-train --data "$csv" --out "$model" --epochs 1 --batch-size 16
step "smile-nb-predict on two texts, an option between them (onnxruntime)" answers 2 \
  smile-nb-predict "$model" "What a wonderful morning at the museum" --batch-size 2 "The queue was awful, never again"
step "smile-nb-predict --backend torch on two texts" answers 2 smile-nb-predict "$model" "Lovely cafe" "Closed again" --backend torch
step "smile-nb-export --int8 (onnxruntime's quantization)" has "$model/model.int8.onnx" smile-nb-export "$model" --int8
step "smile-nb-predict --backend onnx-int8 --json on two texts" answers 2 \
  smile-nb-predict "$model" "Lovely cafe" "Closed again" --backend onnx-int8 --json
step "smile-nb-evaluate --json on the toy CSV" smile-nb-evaluate "$model" --data "$csv" --json

# nbdev at the dev extra's bound (it brings a newer fastcore, so after the checks above) on a copy without nbs/nbdev.yml
nbdev_fresh() {
  pip install -q --no-compile --only-binary=:all: "$nbdev_pin" && pip check || return 1
  mkdir -p "$tmp/clone" && cp -r pyproject.toml smile_nb nbs "$tmp/clone/" && rm -f "$tmp/clone/nbs/nbdev.yml" || return 1
  (cd "$tmp/clone" && nbdev-proc-nbs --file-glob index.ipynb) && [ -s "$tmp/clone/_proc/index.ipynb" ]
}
step "$nbdev_pin: nbdev-proc-nbs without nbs/nbdev.yml (a fresh clone)" nbdev_fresh
done_
