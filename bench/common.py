"""Helpers shared by the benchmark scripts: the machine's description, the seed tutorial's published table, peak memory."""
import json, os, platform, resource, sys
from pathlib import Path

from smile_nb.card import SEED_TABLE   # the seed tutorial's published per-class validation accuracy: correct / support

def cpu_model() -> str:
    "The CPU's model name, from /proc/cpuinfo where there is one."
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def machine() -> dict:
    "What a benchmark ran on: CPU, cores usable by this process, torch/transformers versions, GPU if any."
    import torch, transformers
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try: import onnxruntime; ort = onnxruntime.__version__
    except ImportError: ort = None
    from smile_nb.device import cpu_has_bf16
    return dict(cpu=cpu_model(), native_bf16=cpu_has_bf16(), onnxruntime=ort, cores=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
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

def per_class_table(runs:list) -> str:
    "Mean correct per class over `runs` beside the seed tutorial's published counts."
    lines = [f"{'class':>14}  {'seed tutorial':>13}  {'this (mean over ' + str(len(runs)) + ')':>18}  runs"]
    for k, (c, n) in SEED_TABLE.items():
        got = [r['per_class'][k][0] for r in runs]
        lines.append(f"{k:>14}  {f'{c}/{n}':>13}  {f'{sum(got)/len(got):.1f}/{n}':>18}  {' '.join(map(str, got))}")
    return '\n'.join(lines)
