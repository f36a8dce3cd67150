"""Helpers shared by the benchmark scripts: the machine's description, peak memory, the JSON file; how a run is scored
(the package's `evaluate_logits` and `best_epoch`), summarised over runs and set beside the seed tutorial's published table;
the toy tweets and the toy model folder of the scripts' `--quick` modes (`bash .ci/bench_quick.sh` runs them all).

    python bench/common.py toy-model DIR   # a model folder trained in seconds on the toy tweets, with model.onnx and model.int8.onnx

The package modules that load torch or pandas are imported inside the functions that need them, so that a child process
that measures memory (`predict_speed.py`) pays only for what it measures."""
import csv, json, os, platform, resource, statistics, sys
from pathlib import Path

from smile_nb.card import SEED_TABLE   # the seed tutorial's published per-class validation accuracy: correct / support

def cpu_model() -> str:
    "The CPU's model name, from /proc/cpuinfo where there is one."
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def cpu_detail() -> str:
    "What tells CPUs of one model name apart here: the family and model numbers, and the bf16 units it has (AVX-512 BF16, AMX)."
    try: info = dict(l.split(':', 1) for l in Path('/proc/cpuinfo').read_text().split('\n\n')[0].splitlines() if ':' in l)
    except OSError: return ''
    info = {k.strip(): v.strip() for k, v in info.items()}
    units = [f for f in ('avx512_bf16', 'amx_bf16') if f in info.get('flags', '').split()]
    return f"family {info.get('cpu family', '?')} model {info.get('model', '?')}; bf16 units: {', '.join(units) or 'none'}"

def machine() -> dict:
    "What a benchmark ran on: CPU, cores usable by this process, torch/transformers versions, GPU if any."
    import torch, transformers
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try: import onnxruntime; ort = onnxruntime.__version__
    except ImportError: ort = None
    from smile_nb.device import cpu_has_bf16
    return dict(cpu=cpu_model(), cpu_detail=cpu_detail(), native_bf16=cpu_has_bf16(), onnxruntime=ort, cores=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
                torch_threads=torch.get_num_threads(), torch=torch.__version__, transformers=transformers.__version__,
                python=platform.python_version(), gpu=gpu)

def peak_rss_mb(children:bool=False) -> float:
    "Peak resident memory in MB of this process (or of its finished children)."
    r = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != 'darwin' else r / 2**20

def write_json(path, obj):
    "Write `obj` as indented JSON to `path`, making its folder."
    if not path: return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=1))
    print(f"wrote {path}")

def per_class_rows(per_class:dict) -> dict:
    "`evaluate_logits`'s per-class numbers as the benches write them: {class: [correct, support]}."
    return {k: [v['correct'], v['support']] for k, v in per_class.items()}

def score(logits, y, labels:dict=None) -> dict:
    "`evaluate_logits` of `logits` against the label ids `y`, its per-class numbers as `per_class_rows`; `labels` None: the SMILE classes."
    from smile_nb.data import LABELS
    from smile_nb.metrics import evaluate_logits
    m = evaluate_logits(logits, y, labels or {c: i for i, c in enumerate(LABELS)})
    return dict(m, per_class=per_class_rows(m['per_class']))

def pick_epoch(epoch_logits, y, select:str='weighted_f1') -> tuple:
    "The epoch (from 1) that `train` would keep among the validation logits `epoch_logits` (by `best_epoch`), and its `score`."
    from smile_nb.settings import best_epoch
    scores = [score(l, y) for l in epoch_logits]
    e = best_epoch(scores, select)
    return e, scores[e - 1]

def mean_sd(rows:list, keys) -> dict:
    "{key: [mean, sd]} of each of `keys` over `rows` (the sd of a single row is 0)."
    sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0
    return {k: [statistics.mean(r[k] for r in rows), sd([r[k] for r in rows])] for k in keys}

def mean_correct(rows:list) -> dict:
    "The mean correct count per class over `rows`, each with `per_class` rows {class: [correct, support]}."
    return {c: statistics.mean(r['per_class'][c][0] for r in rows) for c in rows[0]['per_class']}

def per_class_table(runs:list) -> str:
    "Mean correct per class over `runs` beside the seed tutorial's published counts."
    mean = mean_correct(runs)
    lines = [f"{'class':>14}  {'seed tutorial':>13}  {'this (mean over ' + str(len(runs)) + ')':>18}  runs"]
    for k, (c, n) in SEED_TABLE.items():
        got = ' '.join(str(r['per_class'][k][0]) for r in runs)
        lines.append(f"{k:>14}  {f'{c}/{n}':>13}  {f'{mean[k]:.1f}/{n}':>18}  {got}")
    return '\n'.join(lines)

def toy_data():
    "The toy tweets (`smile_nb.data.toy_smile`) as `load_smile` gives the real ones: what a `--quick` run reads."
    from smile_nb.data import toy_smile, preprocess
    return preprocess(toy_smile())

def toy_csv(folder) -> str:
    "The toy tweets written as a SMILE CSV (id, text, category, no header) in `folder`, for the commands a `--quick` run starts."
    from smile_nb.data import toy_smile
    path = Path(folder)/'toy-smile.csv'; path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as f:
        csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator='\n').writerows((int(i), r.text, r.category) for i, r in toy_smile().iterrows())
    return str(path)

def toy_model(out) -> str:
    "A model folder trained in seconds on the toy tweets (`quick_model`, one epoch), with `model.onnx` and `model.int8.onnx`."
    from smile_nb.train import quick_model
    from smile_nb.export import export_onnx, quantize_int8
    quick_model(out, epochs=1)
    export_onnx(out); quantize_int8(out)
    return str(out)

if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] != 'toy-model': sys.exit(__doc__)
    print(f"wrote {toy_model(sys.argv[2])}")
