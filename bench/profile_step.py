"""Where a training step's time goes: torch.profiler over steps of the main job's loop (default model, batch 32,
length-grouped, bf16 autocast on a CPU with bf16 units, fused AdamW), after warm-up steps.

    python bench/profile_step.py [--steps 10] [--json bench/results/profile-step.json]

Prints the operators that take the most time and the share of forward, backward, clipping and the optimizer.
"""
import argparse, sys, time
import torch, torch.nn.functional as F
from torch.profiler import profile, ProfilerActivity
from smile_nb.data import load_smile, label_dict
from smile_nb.split import split_smile
from smile_nb.encode import load_tokenizer, encode_split
from smile_nb.model import load_model
from smile_nb.loaders import train_loader
from smile_nb.optim import make_optimizer
from smile_nb.evaluate import autocast
from smile_nb.train import choose_precision
from smile_nb.train import DEFAULTS
from common import machine, write_json

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--steps', type=int, default=10); p.add_argument('--warmup', type=int, default=5)
p.add_argument('--json', help='also write the results to this file')
a = p.parse_args()
df = split_smile(load_smile()); ld = label_dict(df); tok = load_tokenizer(); ds = encode_split(df, tok)
net = load_model(None, ld).train()
opt = make_optimizer(net, DEFAULTS['lr'], head_lr=DEFAULTS['head_lr'])
prec = choose_precision('auto', 'cpu')
batches = iter(train_loader(ds['train'], tok, DEFAULTS['batch_size'], 17, True))
phase = dict(forward=0.0, backward=0.0, clip=0.0, optimizer=0.0)

def step(b, clock=False):
    y = b.pop('labels'); t0 = time.perf_counter()
    with autocast(prec, 'cpu'): loss = F.cross_entropy(net(**b).logits.float(), y)
    t1 = time.perf_counter(); loss.backward(); t2 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0); t3 = time.perf_counter()
    opt.step(); opt.zero_grad(); t4 = time.perf_counter()
    if clock:
        for k, s in zip(phase, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)): phase[k] += s

for _ in range(a.warmup): step(next(batches))
todo = [next(batches) for _ in range(a.steps)]
for b in todo[:]: step(dict(b), clock=True)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for b in todo: step(dict(b))
total = sum(phase.values())
print(f"precision {prec}, {a.steps} steps of batch {DEFAULTS['batch_size']}: " + ', '.join(f"{k} {v / total:.0%}" for k, v in phase.items()))
ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
all_us = sum(e.self_cpu_time_total for e in ops)
top = [dict(op=e.key, share=e.self_cpu_time_total / all_us, calls=e.count) for e in ops[:12]]
for r in top: print(f"{r['op']:>36}  {r['share']:6.1%}  {r['calls']:5d} calls")
write_json(a.json, dict(command='python bench/profile_step.py ' + ' '.join(sys.argv[1:]), machine=machine(), precision=prec,
                        phases={k: v / total for k, v in phase.items()}, top_ops=top))
