"""Quality of the default recipe over 5 seeds on the seed tutorial's split, without and with class weights.

    python bench/quality.py --json bench/results/quality.json          # the published table: 5 seeds x {none, balanced}
    python bench/quality.py --seeds 17 --weights none                  # one run
    python bench/quality.py --seeds 17 --precision fp32 --epochs 6 --lr 1e-4 --head-lr 1e-3 --weights none   # bench/results/default-fp32.json

Prints one line per run, the mean and standard deviation of weighted F1, macro F1 and accuracy per weighting,
and the per-class table beside the seed tutorial's published one. Each run trains into a temporary folder that is removed.
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
from smile_nb.train import train
from common import machine, per_class_table, write_json, peak_rss_mb

def summarise(rows):
    keys = ('weighted_f1', 'macro_f1', 'accuracy', 'samples_per_second', 'wall_seconds')
    return {k: (statistics.mean(r[k] for r in rows), statistics.stdev(r[k] for r in rows) if len(rows) > 1 else 0.0) for k in keys}

def run(seed, weighted, a, kw):
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(a.data, a.model, Path(d)/'m', seed=seed, precision=a.precision, use_class_weights=weighted,
                  progress=False, log=lambda *x: None, **kw)
        wall = time.perf_counter() - t
    return dict(seed=seed, class_weights=weighted, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'],
                best_epoch=m['best_epoch'], train_seconds=m['train_seconds'], samples_per_second=m['train_samples_per_second'],
                wall_seconds=wall, per_class={k: [v['correct'], v['support']] for k, v in m['per_class'].items()}, precision=m['precision'])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[17, 18, 19, 20, 21])
    p.add_argument('--weights', choices=['none', 'balanced', 'both'], default='both', help='class weights in the loss')
    p.add_argument('--epochs', type=int); p.add_argument('--batch-size', type=int); p.add_argument('--lr', type=float)
    p.add_argument('--head-lr', type=float); p.add_argument('--precision', default='auto')
    p.add_argument('--model', default=None); p.add_argument('--data', default=None)
    p.add_argument('--json', help='also write the results to this file')
    a = p.parse_args()
    kw = {k: v for k, v in dict(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, head_lr=a.head_lr).items() if v is not None}
    out = dict(command='python bench/quality.py ' + ' '.join(sys.argv[1:]), machine=machine(), settings=kw, results={})
    for weighted in {'none': [False], 'balanced': [True], 'both': [False, True]}[a.weights]:
        name = 'class weights' if weighted else 'no class weights'
        rows = []
        for seed in a.seeds:
            r = run(seed, weighted, a, kw); rows.append(r)
            print(f"{name}, seed {seed}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  "
                  f"best epoch {r['best_epoch']}  {r['samples_per_second']:.1f} tweets/s ({r['precision']})  run {r['wall_seconds']:.0f} s  "
                  + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()), flush=True)
        s = summarise(rows)
        print(f"== {name}, {len(rows)} seeds ==")
        for k, (mu, sd) in s.items(): print(f"{k:>20}: {mu:.4f} ± {sd:.4f}")
        print(per_class_table(rows), flush=True)
        out['results'][name] = dict(runs=rows, summary=s)
    out['peak_rss_mb'] = peak_rss_mb()
    write_json(a.json, out)
