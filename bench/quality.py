"""Quality and speed of the default recipe over several seeds, on the seed tutorial's split.

    python bench/quality.py                          # seeds 17 18 19, the defaults
    python bench/quality.py --precision fp32         # the same in fp32 (compare speed and F1 with bf16)
    python bench/quality.py --seeds 17 --precision fp32 --epochs 6 --lr 1e-4 --head-lr 1e-3   # bench/results/default-fp32.json
    python bench/quality.py --class-weights --json results/cw.json

Prints one line per seed and the mean and standard deviation of weighted F1, macro F1 and accuracy.
Each run trains into a temporary folder that is removed afterwards.
"""
import argparse, json, platform, statistics, tempfile, time
from pathlib import Path
import torch
from smile_nb.train import train

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--seeds', type=int, nargs='+', default=[17, 18, 19])
p.add_argument('--epochs', type=int); p.add_argument('--batch-size', type=int); p.add_argument('--lr', type=float)
p.add_argument('--head-lr', type=float)
p.add_argument('--precision', default='auto'); p.add_argument('--class-weights', action='store_true')
p.add_argument('--model', default=None); p.add_argument('--data', default=None)
p.add_argument('--json', help='also write the results to this file')
a = p.parse_args()
kw = {k: v for k, v in dict(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, head_lr=a.head_lr).items() if v is not None}
rows = []
for seed in a.seeds:
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(a.data, a.model, Path(d)/'m', seed=seed, precision=a.precision, use_class_weights=a.class_weights,
                  progress=False, log=lambda *x: None, **kw)
        wall = time.perf_counter() - t
    rows.append(dict(seed=seed, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'], best_epoch=m['best_epoch'],
                     train_seconds=m['train_seconds'], samples_per_second=m['train_samples_per_second'], wall_seconds=wall,
                     per_class={k: [v['correct'], v['support']] for k, v in m['per_class'].items()}, precision=m['precision']))
    r = rows[-1]
    print(f"seed {seed}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  "
          f"best epoch {r['best_epoch']}  {r['samples_per_second']:.1f} tweets/s ({r['precision']})  run {wall:.0f} s  "
          + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()), flush=True)
summary = {k: (statistics.mean(r[k] for r in rows), statistics.stdev(r[k] for r in rows) if len(rows) > 1 else 0.0)
           for k in ('weighted_f1', 'macro_f1', 'accuracy', 'samples_per_second', 'wall_seconds')}
for k, (mu, sd) in summary.items(): print(f"{k:>20}: {mu:.4f} ± {sd:.4f}")
if a.json:
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(dict(args=vars(a), runs=rows, summary=summary, cpu=platform.processor() or platform.machine(),
                                            torch=torch.__version__), indent=1))
