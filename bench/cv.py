"""5-fold stratified cross-validation of the default recipe over all 1,481 labelled tweets.

    python bench/cv.py --json bench/results/cv.json

One validation split of 223 tweets holds 1 disgust and 5 sad tweets, so its F1 moves with a single tweet; five folds
of ~296 tweets each use every tweet once for validation. Each fold trains the default recipe (seed 17) from scratch.
"""
import argparse, sys, tempfile, time
from pathlib import Path
from sklearn.model_selection import StratifiedKFold
from smile_nb.data import load_smile
from smile_nb.train import train
from common import machine, mean_sd, per_class_rows, write_json, peak_rss_mb

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--folds', type=int, default=5); p.add_argument('--seed', type=int, default=17)
p.add_argument('--data', default=None); p.add_argument('--model', default=None)
p.add_argument('--epochs', type=int, default=None, help='fewer epochs than the default, for a quick check')
p.add_argument('--json', help='also write the results to this file')
a = p.parse_args()
df = load_smile(a.data)
rows = []
skf = StratifiedKFold(a.folds, shuffle=True, random_state=a.seed)
for fold, (_, val) in enumerate(skf.split(df.text, df.label), 1):
    split = df.assign(data_type='train'); split.iloc[val, split.columns.get_loc('data_type')] = 'val'
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(split, Path(d)/'m', model=a.model, seed=a.seed, progress=False, log=lambda *x: None, **({'epochs': a.epochs} if a.epochs else {}))
        wall = time.perf_counter() - t
    rows.append(dict(fold=fold, n_val=len(val), weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'],
                     best_epoch=m['best_epoch'], wall_seconds=wall, per_class=per_class_rows(m['per_class'])))
    r = rows[-1]
    print(f"fold {fold} ({len(val)} tweets): weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  "
          f"best epoch {r['best_epoch']}  run {wall:.0f} s  " + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()), flush=True)
summary = mean_sd(rows, ('weighted_f1', 'macro_f1', 'accuracy'))
pooled = {k: [sum(r['per_class'][k][0] for r in rows), sum(r['per_class'][k][1] for r in rows)] for k in rows[0]['per_class']}
for k, (mu, sd) in summary.items(): print(f"{k:>12}: {mu:.4f} ± {sd:.4f}")
print('pooled over folds: ' + ' '.join(f"{k} {c}/{n}" for k, (c, n) in pooled.items()))
write_json(a.json, dict(command='python bench/cv.py ' + ' '.join(sys.argv[1:]), machine=machine(),
                        folds=rows, summary=summary, pooled_per_class=pooled, peak_rss_mb=peak_rss_mb()))
