"""Do the main job's batches train slower than `Trainer`'s? The same plain loop (default model, bf16 autocast, fused
AdamW) over the batches of `TrainBatches` and of transformers' `LengthGroupedSampler`, epoch by epoch in turns.

    python bench/sampler_speed.py [--epochs 4]

Prints seconds, tweets and tokens per second for each epoch of each, and the totals.
"""
import argparse, time, torch, torch.nn.functional as F
from transformers.trainer_pt_utils import LengthGroupedSampler
from smile_nb.data import load_smile, label_dict
from smile_nb.split import split_smile
from smile_nb.encode import load_tokenizer, encode_split, make_collator
from smile_nb.model import load_model
from smile_nb.loaders import TrainBatches
from smile_nb.optim import make_optimizer

p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); p.add_argument('--epochs', type=int, default=4)
a = p.parse_args()
df = split_smile(load_smile()); tok = load_tokenizer(); ds = encode_split(df, tok)['train']; L = ds.lengths
net = load_model(None, label_dict(df)).train(); opt = make_optimizer(net, 5e-5, head_lr=2e-3); collate = make_collator(tok)

def ours(e):
    tb = TrainBatches(L, 32, 17, group_by_length=True); tb.set_epoch(e); return list(tb)
def trainers(e):
    idx = list(LengthGroupedSampler(32, lengths=L, generator=torch.Generator().manual_seed(e)))
    return [idx[i:i + 32] for i in range(0, len(idx), 32)]
def epoch(batches):
    t, tokens = time.perf_counter(), 0
    for b in batches:
        x = collate([ds[i] for i in b]); y = x.pop('labels'); tokens += x['input_ids'].numel()
        with torch.autocast('cpu', dtype=torch.bfloat16): loss = F.cross_entropy(net(**x).logits.float(), y)
        loss.backward(); torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step(); opt.zero_grad()
    return time.perf_counter() - t, tokens

total = {'TrainBatches': 0.0, 'LengthGroupedSampler': 0.0}
for e in range(a.epochs):
    for name, make in (('TrainBatches', ours), ('LengthGroupedSampler', trainers)):
        s, n = epoch(make(e)); total[name] += s
        print(f"epoch {e} {name:>20}: {s:5.1f} s  {len(L) / s:5.1f} tweets/s  {n} tokens  {n / s:5.0f} tokens/s", flush=True)
print('total: ' + ', '.join(f"{k} {v:.1f} s" for k, v in total.items()))
