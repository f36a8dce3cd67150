"""Do the main job's batches train slower than `Trainer`'s? The main job's own step (`smile_nb.train.one_batch`, with its
settings and precision) over the batches of `TrainBatches` and of transformers' `LengthGroupedSampler`, epoch by epoch
in turns.

    python bench/sampler_speed.py [--epochs 4]

Prints seconds, tweets and tokens per second for each epoch of each, and the totals.
"""
import argparse, time, torch
from transformers.trainer_pt_utils import LengthGroupedSampler
from smile_nb.settings import DEFAULTS
from smile_nb.loaders import TrainBatches
from smile_nb.encode import make_collator
from smile_nb.train import prepare, one_batch

p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); p.add_argument('--epochs', type=int, default=4)
a = p.parse_args()
run = prepare(DEFAULTS, log=lambda *x: None)   # the main job's model, optimizer, schedule and precision
ds = run.train_dl.dataset; L = ds.lengths; bs = DEFAULTS.batch_size
collate = make_collator(run.tokenizer)
run.model.train()

def ours(e):
    tb = TrainBatches(L, bs, DEFAULTS.seed, group_by_length=True); tb.set_epoch(e); return list(tb)
def trainers(e):
    idx = list(LengthGroupedSampler(bs, lengths=L, generator=torch.Generator().manual_seed(e)))
    return [idx[i:i + bs] for i in range(0, len(idx), bs)]
def epoch(batches):
    t, tokens = time.perf_counter(), 0
    for b in batches:
        x = collate([ds[i] for i in b]); tokens += x['input_ids'].numel()
        one_batch(run, x)
    return time.perf_counter() - t, tokens

total = {'TrainBatches': 0.0, 'LengthGroupedSampler': 0.0}
for e in range(a.epochs):
    for name, make in (('TrainBatches', ours), ('LengthGroupedSampler', trainers)):
        s, n = epoch(make(e)); total[name] += s
        print(f"epoch {e} {name:>20}: {s:5.1f} s  {len(L) / s:5.1f} tweets/s  {n} tokens  {n / s:5.0f} tokens/s", flush=True)
print('total: ' + ', '.join(f"{k} {v:.1f} s" for k, v in total.items()))
