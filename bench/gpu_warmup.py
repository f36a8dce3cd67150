"""Why the first epoch is slow under autocast on a GPU: the main job's first epoch, step by step, under a few attention set-ups.

    python bench/gpu_warmup.py [--steps 40] [--json bench/results/gpu-warmup.json]
    python bench/gpu_warmup.py --quick        # 3 steps of the padded set-up on the toy tweets: the script runs (on any machine)

Each set-up runs in a fresh process (kernel plans and caches live as long as a process): the default (`auto`
precision, bf16 on a recent GPU), the same with cuDNN's attention kernel switched off in torch
(`torch.backends.cuda.enable_cudnn_sdp(False)`), fp32, and bf16 with every batch padded to a multiple of 32 tokens
(fewer distinct shapes). Per step it records the time (the device synchronised) and whether the batch's shape is
new; for the first new-shape step it keeps the attention kernels a profiler saw. The question it answers: is the
epoch-1 cost paid per new shape, and does it go away without the cuDNN attention plans? On a CPU it runs too (a smoke
test of the script; the CPU has no per-shape plans to show).
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path
from smile_nb.loop import Callback
from common import machine, write_json

SETUPS = {'auto': {}, 'auto, cuDNN attention off': dict(cudnn_sdp=False), 'fp32': dict(precision='fp32'),
          'auto, lengths padded to 32': dict(pad_to=32)}

def padded(batch:dict, multiple:int, pad_id:int) -> dict:
    "`batch` with `input_ids` and `attention_mask` padded on the right to a multiple of `multiple` tokens (what `pad_to_multiple_of` does)."
    import torch.nn.functional as F
    extra = -batch['input_ids'].shape[1] % multiple
    return {**batch, 'input_ids': F.pad(batch['input_ids'], (0, extra), value=pad_id), 'attention_mask': F.pad(batch['attention_mask'], (0, extra), value=0)}

class Shapes:
    """Wraps `run.train_dl` for `fit`: pads each batch to a multiple of `pad_to` (if given), records its shape, and profiles the
    first step after the first whose shape is new (the profiler ends when `fit` asks for the next batch)."""
    def __init__(self, dl, pad_to:int=None, pad_id:int=0): self.dl, self.pad_to, self.pad_id, self.shapes, self.kernels = dl, pad_to, pad_id, [], None
    def set_epoch(self, e): self.dl.set_epoch(e)
    def __len__(self): return len(self.dl)
    def __iter__(self):
        import torch
        from torch.profiler import profile, ProfilerActivity
        for batch in self.dl:
            if self.pad_to: batch = padded(batch, self.pad_to, self.pad_id)
            shape = tuple(batch['input_ids'].shape); new = shape not in self.shapes; self.shapes.append(shape)
            if new and self.kernels is None and len(self.shapes) > 1:   # which attention kernels run on a new shape
                acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
                with profile(activities=acts) as prof: yield batch
                self.kernels = sorted({e.key for e in prof.key_averages() if any(w in e.key.lower() for w in ('attention', 'sdp', 'cudnn', 'flash', 'fmha'))})
            else: yield batch

class StepClock(Callback):
    "Each training step's seconds, the device synchronised; leaves `fit` (by `Enough`) after `n` steps."
    order = 100
    def __init__(self, n:int, sync): self.n, self.sync, self.seconds = n, sync, []
    def before_epoch(self, run): self.sync(); self.t = time.perf_counter()
    def after_step(self, run):
        self.sync(); now = time.perf_counter(); self.seconds.append(now - self.t); self.t = now
        if len(self.seconds) >= self.n: raise Enough

class Enough(Exception): "Raised by `StepClock` to leave `fit` in the middle of an epoch."

def one_setup(steps:int, precision:str='auto', cudnn_sdp:bool=True, pad_to:int=None, quick:bool=False) -> dict:
    "The main job's first `steps` training steps in this process (through `fit`): per step seconds and whether its shape was new."
    import torch
    from smile_nb.settings import make_settings
    from smile_nb.loop import prepare, fit
    if torch.cuda.is_available(): torch.backends.cuda.enable_cudnn_sdp(cudnn_sdp)
    data = None
    if quick:
        from smile_nb.split import split_smile
        from common import toy_data
        data = split_smile(toy_data())
    run = prepare(make_settings(precision=precision), data, log=lambda *x: None)
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    run.train_dl = shapes = Shapes(run.train_dl, pad_to, run.tokenizer.pad_token_id or 0)
    run.callbacks = [clock := StepClock(steps, sync)]
    try: fit(run)
    except Enough: pass
    seen, rows = set(), []
    for i, (shape, sec) in enumerate(zip(shapes.shapes, clock.seconds)):
        rows.append(dict(step=i + 1, shape=list(shape), new_shape=shape not in seen, seconds=sec)); seen.add(shape)
    new_s, old_s = [r['seconds'] for r in rows if r['new_shape']], [r['seconds'] for r in rows if not r['new_shape']]
    return dict(precision=run.precision, device=str(run.accelerator.device), cudnn_sdp=cudnn_sdp, pad_to=pad_to,
                distinct_shapes=len(seen), seconds=sum(r['seconds'] for r in rows), new_shape_seconds=sum(new_s),
                mean_new=sum(new_s) / max(len(new_s), 1), mean_seen=sum(old_s) / max(len(old_s), 1),
                attention_kernels=shapes.kernels, steps=rows)

def in_fresh_process(steps:int, kw:dict) -> dict:
    "`one_setup(steps, **kw)` in a new Python process, its result read back as JSON."
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from gpu_warmup import one_setup; "
            f"print('RESULT ' + json.dumps(one_setup({steps}, **{kw!r})))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env={**os.environ, 'TOKENIZERS_PARALLELISM': 'false'})
    line = next((l for l in r.stdout.splitlines() if l.startswith('RESULT ')), None)
    if line is None: return dict(error=(r.stderr.strip().splitlines() or ['no output'])[-1])
    return json.loads(line[len('RESULT '):])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=40, help='training steps per set-up (the main job has 40 per epoch)')
    p.add_argument('--only', nargs='*', choices=list(SETUPS), help='run only these set-ups')
    p.add_argument('--quick', action='store_true', help='3 steps of the padded set-up, on the toy tweets')
    p.add_argument('--json', help='also write the results to this file')
    a = p.parse_args()
    if a.quick: a.steps, a.only = 3, a.only or ['auto, lengths padded to 32']
    res = {}
    for name in a.only or SETUPS:
        res[name] = r = in_fresh_process(a.steps, dict(SETUPS[name], quick=a.quick))
        if 'error' in r:
            print(f"{name}: failed: {r['error']}")
            if a.quick: sys.exit(f"gpu_warmup: {name} failed")
            continue
        print(f"{name}: {r['precision']} on {r['device']}, {a.steps} steps in {r['seconds']:.2f} s; {r['distinct_shapes']} shapes, "
              f"{r['new_shape_seconds']:.2f} s on steps with a new shape; mean step {r['mean_new']:.3f} s new, {r['mean_seen']:.3f} s seen; "
              f"attention kernels: {', '.join(r['attention_kernels'] or []) or '-'}")
    write_json(a.json, dict(command='python bench/gpu_warmup.py ' + ' '.join(sys.argv[1:]), machine=machine(), setups=res))
