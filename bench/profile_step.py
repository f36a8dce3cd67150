"""Where a training step's time goes: torch.profiler over the main job's own step (`smile_nb.train.one_batch`: default
model, batch 32, length-grouped, the precision `auto` picks, fused AdamW), after warm-up steps; before (the word
embeddings trained, the default until they were frozen) and after (the default now).

    python bench/profile_step.py [--steps 10] [--json bench/results/profile-step.json]

Prints the operators that take the most time and the share of forward, backward, and clipping plus update; the
phases are timed by a callback on the loop's own events, so this measures exactly the code that `train` runs.
"""
import argparse, sys, time
from dataclasses import replace
from torch.profiler import profile, ProfilerActivity
from smile_nb.settings import DEFAULTS
from smile_nb.train import Callback, prepare, one_batch
from common import machine, write_json

class PhaseClock(Callback):
    "Seconds between the loop's events, summed per phase while `on`."
    def __init__(self): self.on, self.t, self.phase = False, 0.0, dict(forward=0.0, backward=0.0, clip_and_update=0.0)
    def start(self): self.t = time.perf_counter()
    def _lap(self, name):
        now = time.perf_counter()
        if self.on: self.phase[name] += now - self.t
        self.t = now
    def after_loss(self, run): self._lap('forward')
    def after_backward(self, run): self._lap('backward')
    def after_step(self, run): self._lap('clip_and_update')

def profile_step(settings, steps:int, warmup:int) -> dict:
    "Phase shares and the top operators of `steps` steps of the main job's loop under `settings`, after `warmup` steps."
    run = prepare(settings, log=lambda *x: None)        # the main job's data, model, optimizer and precision
    clock = PhaseClock(); run.callbacks = [clock]
    run.model.train()
    batches = iter(run.train_dl)
    todo = [next(batches) for _ in range(warmup + steps)]
    for b in todo[:warmup]: clock.start(); one_batch(run, dict(b))
    clock.on = True
    t = time.perf_counter()
    for b in todo[warmup:]: clock.start(); one_batch(run, dict(b))
    seconds = time.perf_counter() - t
    clock.on = False
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for b in todo[warmup:]: one_batch(run, dict(b))
    total = sum(clock.phase.values())
    ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    all_us = sum(e.self_cpu_time_total for e in ops)
    return dict(precision=run.precision, seconds=seconds, phases={k: v / total for k, v in clock.phase.items()},
                top_ops=[dict(op=e.key, share=e.self_cpu_time_total / all_us, calls=e.count) for e in ops[:12]])

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--steps', type=int, default=10); p.add_argument('--warmup', type=int, default=5)
p.add_argument('--json', help='also write the results to this file')
a = p.parse_args()
runs = {'before: word embeddings trained': replace(DEFAULTS, freeze_embeddings=False), 'after: the default': DEFAULTS}
res = {}
for name, settings in runs.items():
    res[name] = r = profile_step(settings, a.steps, a.warmup)
    print(f"{name}: precision {r['precision']}, {a.steps} steps of batch {settings.batch_size} in {r['seconds']:.2f} s: "
          + ', '.join(f"{k} {v:.0%}" for k, v in r['phases'].items()))
    for o in r['top_ops']: print(f"{o['op']:>36}  {o['share']:6.1%}  {o['calls']:5d} calls")
write_json(a.json, dict(command='python bench/profile_step.py ' + ' '.join(sys.argv[1:]), machine=machine(), runs=res))
