"""Choose how the tweets the tutorial leaves out enter training (multi-label rows as targets, unlabelled tweets for adapting the encoder) by cross-validation inside the seed's training tweets, 3 seeds a fold, with a rule fixed before any run.

    python bench/left_out.py --json bench/results/left-out-cv.json            # none, soft, rarer: 3 folds x 3 seeds each (27 runs)
    python bench/left_out.py --resume --json bench/results/left-out-cv.json   # carry on an interrupted grid (runs in --runs are kept)
    python bench/left_out.py --analyse --json bench/results/left-out-cv.json  # the tables and the choice from --runs alone
    python bench/left_out.py --recipes none tsdae mlm --runs bench/results/adapt-runs.jsonl --json bench/results/adapt-cv.json   # adaptation: its own grid, none included
    python bench/left_out.py --recipes none soft --folds 3 --seeds 17 --epochs 1 --train-subset 60 --runs /tmp/x.jsonl   # the machinery, quickly

The protocol, fixed before the first run (the multi-label issue's "sharper protocol"):

1. **Cross-validation (CV) inside the training split.** The seed's 1,258 training tweets go into 3 stratified folds
   (scikit-learn's `StratifiedKFold`, shuffled, random_state 17); the seed's 223 validation tweets take no part. Each
   recipe trains on two folds, for `soft` and `rarer` plus the file's multi-label rows that repeat no tweet of the held-out
   fold (`add_multilabel`); `tsdae` and `mlm` adapt the encoder first on the training folds' tweets and the file's
   unlabelled and multi-label rows, none repeating a held-out tweet (`with_unlabelled`: one adaptation per fold, cached,
   shared by its seeds); each with seeds 17, 18 and 19, picks its best epoch on the held-out fold as `train` does with
   its validation split, and is scored there. A run's CV score is weighted F1 + macro F1.
2. **The rule.** For a recipe against `none`: its gain on a fold is the mean over the fold's 3 seeds of the paired
   difference in CV score (same fold, same seed). It replaces the default only if the mean gain over the folds is
   positive *and* larger than the standard deviation of the per-fold gains (the fold-to-fold spread), and its mean paired
   difference in weighted F1 is at least -0.003. If several pass, the largest mean gain wins; if none does, `none` stays.
3. **The report, once:** `bench/quality.py --weights none --multi-label NAME` (or `--adapt NAME`) over seeds 17-21 on the
   seed's split and on a reshuffled one (`--reshuffle 42`), paired by seed against the default's files; nothing in it
   feeds back into step 2. The choice becomes the default only if its mean paired difference is at least -0.003 in
   weighted F1 and -0.010 in macro F1 on both splits (the issue's tie).

Every finished run is appended to `--runs` (JSON lines) as it ends; `--resume` keeps those and runs only the rest.
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np
from common import machine, per_class_rows, write_json

RECIPES = ('none', 'soft', 'rarer', 'tsdae', 'mlm')
ADAPTED = ('tsdae', 'mlm')   # recipes that adapt the encoder (`--adapt`) rather than add training rows
RULE = dict(min_weighted=-0.003, score='weighted_f1 + macro_f1', gain='mean over folds of the per-fold mean paired gain, > sd of the per-fold gains and > 0')

def fold_frames(n_folds:int=3, data=None) -> tuple:
    "The file as read, and the seed's training tweets as `n_folds` split frames: fold k held out as 'val'."
    from sklearn.model_selection import StratifiedKFold
    from smile_nb.data import find_data, read_smile, preprocess
    from smile_nb.split import split_smile
    raw = read_smile(find_data(data))
    t = split_smile(preprocess(raw))
    t = t[t.data_type == 'train']
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=17).split(t.index, t.label)
    return raw, [t.assign(data_type=np.where(np.isin(np.arange(len(t)), held), 'val', 'train')) for _, held in folds]

def cv_run(recipe:str, fold:int, seed:int, raw, frame, a) -> dict:
    "One CV run: train on the frame's training folds (with the multi-label rows `recipe` adds) and score the held-out fold."
    from smile_nb.left_out import add_multilabel
    from smile_nb.adapt import with_unlabelled
    from smile_nb.train import train
    df = with_unlabelled(frame, raw) if recipe in ADAPTED else add_multilabel(frame, raw, recipe)
    how = dict(adapt=recipe) if recipe in ADAPTED else dict(multi_label=recipe)
    kw = {k: v for k, v in dict(epochs=a.epochs, train_subset=a.train_subset).items() if v is not None}
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(df, Path(d)/'m', seed=seed, progress=False, log=lambda *x: None, **how, **kw)
        wall = time.perf_counter() - t
    return dict(recipe=recipe, fold=fold, seed=seed, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'],
                best_epoch=m['best_epoch'], n_train=m['n_train'], n_val=m['n_val'], added=int(df.added.sum()) if 'added' in df else 0,
                repeats_left_out=df.attrs.get('repeats_left_out', 0), train_seconds=m['train_seconds'], wall_seconds=wall,
                per_class=per_class_rows(m['per_class']), **({} if 'adapt' not in m else dict(adapt_seconds=m['adapt']['seconds'],
                adapt_cached=m['adapt']['cached'], adapt_texts=m['adapt']['texts'], adapt_key=m['adapt']['key'])))

def read_runs(path) -> list:
    "The runs in the JSON-lines file `path` (none if it is missing)."
    p = Path(path)
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()] if p.exists() else []

def cv_score(r:dict) -> float: return r['weighted_f1'] + r['macro_f1']

def analyse(runs:list, recipes=RECIPES) -> dict:
    "Each recipe's CV figures (mean and sd over its runs), its per-fold paired gain against `none`, and the rule's verdict."
    by = {(r['recipe'], r['fold'], r['seed']): r for r in runs}
    out, base = {}, [r for r in runs if r['recipe'] == 'none']
    for rec in recipes:
        rows = [r for r in runs if r['recipe'] == rec]
        if not rows: continue
        ms = lambda k: [statistics.mean(x[k] for x in rows), statistics.stdev(x[k] for x in rows) if len(rows) > 1 else 0.0]
        o = dict(runs=len(rows), weighted_f1=ms('weighted_f1'), macro_f1=ms('macro_f1'), cv_score=[statistics.mean(map(cv_score, rows)), 0.0],
                 fold_means={f: statistics.mean(cv_score(r) for r in rows if r['fold'] == f) for f in sorted({r['fold'] for r in rows})},
                 per_class={c: sum(r['per_class'][c][0] for r in rows) for c in rows[0]['per_class']},
                 support={c: sum(r['per_class'][c][1] for r in rows) for c in rows[0]['per_class']},
                 train_seconds=statistics.mean(r['train_seconds'] for r in rows))
        if rec in ADAPTED:   # each fold's one-off adaptation, made by its first seed
            o['adapt_seconds'] = {r['fold']: r['adapt_seconds'] for r in rows if not r['adapt_cached']}
            o['adapt_texts'] = {r['fold']: r['adapt_texts'] for r in rows if not r['adapt_cached']}
        o['cv_score'][1] = statistics.stdev(map(cv_score, rows)) if len(rows) > 1 else 0.0
        if rec != 'none':
            pairs = [(r, by[('none', r['fold'], r['seed'])]) for r in rows if ('none', r['fold'], r['seed']) in by]
            folds = sorted({r['fold'] for r, _ in pairs})
            gains = [statistics.mean(cv_score(r) - cv_score(b) for r, b in pairs if r['fold'] == f) for f in folds]
            dw = statistics.mean(r['weighted_f1'] - b['weighted_f1'] for r, b in pairs) if pairs else None
            dm = statistics.mean(r['macro_f1'] - b['macro_f1'] for r, b in pairs) if pairs else None
            gain = statistics.mean(gains) if gains else None
            spread = statistics.stdev(gains) if len(gains) > 1 else None
            passes = bool(gains and spread is not None and gain > 0 and gain > spread and dw >= RULE['min_weighted'])
            o.update(pairs=len(pairs), fold_gains=gains, gain=gain, fold_spread=spread, weighted_diff=dw, macro_diff=dm, passes=passes)
        out[rec] = o
    passing = [k for k, v in out.items() if v.get('passes')]
    choice = max(passing, key=lambda k: out[k]['gain']) if passing else 'none'
    return dict(recipes=out, choice=choice, complete=all(k in out and out[k]['runs'] == len(base) for k in recipes) and len(base) > 0)

def show(res:dict):
    "Print the CV table and the verdict."
    for rec, o in res['recipes'].items():
        line = (f"{rec:>6}: {o['runs']} runs  weighted F1 {o['weighted_f1'][0]:.4f} ± {o['weighted_f1'][1]:.4f}  macro F1 {o['macro_f1'][0]:.4f} ± {o['macro_f1'][1]:.4f}"
                f"  CV score {o['cv_score'][0]:.4f}  " + ' '.join(f"{c} {o['per_class'][c]}/{o['support'][c]}" for c in o['per_class']))
        if 'gain' in o and o['gain'] is not None:
            line += (f"\n        paired gain {o['gain']:+.4f} (per fold {', '.join(f'{g:+.4f}' for g in o['fold_gains'])}; spread {o['fold_spread'] or 0:.4f})"
                     f"  weighted {o['weighted_diff']:+.4f}  macro {o['macro_diff']:+.4f}  -> {'passes' if o['passes'] else 'does not pass'}")
        print(line)
    print(f"choice: {res['choice']}{'' if res['complete'] else ' (grid incomplete)'}", flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--recipes', nargs='+', default=list(RECIPES), choices=RECIPES)
    p.add_argument('--folds', type=int, default=3); p.add_argument('--seeds', type=int, nargs='+', default=[17, 18, 19])
    p.add_argument('--epochs', type=int, help="override the default's epochs (a quick check only)")
    p.add_argument('--train-subset', type=int, help='train on this many tweets (a quick check only)')
    p.add_argument('--runs', default='bench/results/left-out-runs.jsonl', help='every finished run, appended as it ends')
    p.add_argument('--resume', action='store_true', help='keep the runs already in --runs and run only the rest')
    p.add_argument('--analyse', action='store_true', help='no runs: the tables and the choice from --runs')
    p.add_argument('--data', default=None); p.add_argument('--json', help='write the CV table and the choice to this file')
    a = p.parse_args()
    runs_path = Path(a.runs)
    if not (a.resume or a.analyse) and runs_path.exists(): runs_path.unlink()
    if not a.analyse:
        raw, frames = fold_frames(a.folds, a.data)
        done = {(r['recipe'], r['fold'], r['seed']) for r in read_runs(runs_path)}
        for fold in range(a.folds):            # fold by fold, seed by seed, every recipe: an interrupted grid still pairs
            for seed in a.seeds:
                for rec in a.recipes:
                    if (rec, fold, seed) in done: continue
                    r = cv_run(rec, fold, seed, raw, frames[fold], a)
                    with runs_path.open('a') as f: f.write(json.dumps(r) + '\n')
                    print(f"{rec:>6} fold {fold} seed {seed}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  best epoch {r['best_epoch']}  "
                          f"{r['n_train']} training rows ({r['added']} added)  {r['wall_seconds']:.0f} s", flush=True)
    res = analyse(read_runs(runs_path), a.recipes)
    show(res)
    if a.json:
        write_json(a.json, dict(command='python bench/left_out.py ' + ' '.join(sys.argv[1:]), machine=machine(), folds=a.folds, seeds=a.seeds,
                                rule=RULE, **res, runs=read_runs(runs_path)))
