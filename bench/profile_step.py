"""Where a training step's time goes: torch.profiler over the main job's own loop (`smile_nb.loop.fit`: default model,
batch 32, length-grouped, the precision `auto` picks, fused AdamW), after warm-up steps; before (the word embeddings
trained, the default until they were frozen) and after (the default now).

    python bench/profile_step.py [--steps 10] [--json bench/results/profile-step.json]
    python bench/profile_step.py --quick      # the default only, 2 steps after 1, on the toy tweets: in seconds

Prints the operators that take the most time and the share of forward, backward, and clipping plus update; the
phases are timed by a callback on the loop's own events (`after_loss`, `after_backward`, `after_step`), and a callback
leaves `fit` after the steps asked for, so this measures exactly the code that `train` runs.
"""
import argparse, sys, time
from torch.profiler import profile, ProfilerActivity
from smile_nb.settings import DEFAULTS, make_settings
from smile_nb.loop import Callback, prepare, fit
from common import machine, write_json, toy_data

class Enough(Exception): "Raised by `StopAfter` to leave `fit` in the middle of an epoch."

class StopAfter(Callback):
    "Leaves `fit` after `n` training steps (the loop's own `run.stop` waits for the end of the epoch)."
    order = 100
    def __init__(self, n): self.n, self.seen = n, 0
    def after_step(self, run):
        self.seen += 1
        if self.seen >= self.n: raise Enough

class PhaseClock(Callback):
    "Seconds between the loop's events, summed per phase: forward (to the loss), backward, clipping and update."
    def __init__(self): self.t, self.phase = 0.0, dict(forward=0.0, backward=0.0, clip_and_update=0.0)
    def _lap(self, name):
        now = time.perf_counter(); self.phase[name] += now - self.t; self.t = now
    def before_epoch(self, run): self.t = time.perf_counter()
    def after_loss(self, run): self._lap('forward')
    def after_backward(self, run): self._lap('backward')
    def after_step(self, run): self._lap('clip_and_update')

def steps(run, n:int, *callbacks):
    "`n` training steps of `fit` on `run` (from the start of its next epoch), with `callbacks`."
    run.callbacks = [*callbacks, StopAfter(n)]
    try: fit(run)
    except Enough: pass

def profile_step(settings, n:int, warmup:int, data=None) -> dict:
    "Phase shares and the top operators of `n` steps of the main job's loop under `settings`, after `warmup` steps."
    run = prepare(settings, data, log=lambda *x: None)        # the main job's data, model, optimizer and precision
    steps(run, warmup)
    clock = PhaseClock(); t = time.perf_counter()
    steps(run, n, clock)
    seconds = time.perf_counter() - t
    with profile(activities=[ProfilerActivity.CPU]) as prof: steps(run, n)
    total = sum(clock.phase.values())
    ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    all_us = sum(e.self_cpu_time_total for e in ops)
    return dict(precision=run.precision, seconds=seconds, phases={k: v / total for k, v in clock.phase.items()},
                top_ops=[dict(op=e.key, share=e.self_cpu_time_total / all_us, calls=e.count) for e in ops[:12]])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=10); p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--quick', action='store_true', help='the default only, 2 steps after 1, on the toy tweets')
    p.add_argument('--json', help='also write the results to this file')
    a = p.parse_args()
    data = None
    if a.quick:
        from smile_nb.split import split_smile
        a.steps, a.warmup, data = 2, 1, split_smile(toy_data())
    runs = {'before: word embeddings trained': make_settings(freeze_embeddings=False), 'after: the default': make_settings()}
    if a.quick: runs = {k: v for k, v in runs.items() if k.startswith('after')}
    res = {}
    for name, settings in runs.items():
        res[name] = r = profile_step(settings, a.steps, a.warmup, data)
        print(f"{name}: precision {r['precision']}, {a.steps} steps of batch {settings.batch_size} in {r['seconds']:.2f} s: "
              + ', '.join(f"{k} {v:.0%}" for k, v in r['phases'].items()))
        for o in r['top_ops']: print(f"{o['op']:>36}  {o['share']:6.1%}  {o['calls']:5d} calls")
    write_json(a.json, dict(command='python bench/profile_step.py ' + ' '.join(sys.argv[1:]), machine=machine(), runs=res))
