"""Quality of the default recipe over 5 seeds on the seed tutorial's split, without and with class weights.

    python bench/quality.py --weights none --json bench/results/quality-normalized.json                   # the default, 5 seeds
    python bench/quality.py --weights none --reshuffle 42 --json bench/results/quality-normalized-reshuffled.json # on a reshuffled split
    python bench/quality.py --weights none --normalize none --json bench/results/quality-default.json   # another tweet normalization (here: the raw text)
    python bench/quality.py --json bench/results/quality.json          # 5 seeds x {no class weights, balanced}
    python bench/quality.py --seeds 17 --weights none                  # one run
    python bench/quality.py --quick                                    # one seed, one epoch, on the toy tweets: in seconds
    python bench/quality.py --weights none --paired cls-only --json bench/results/paired-cls-only.json   # before/after a lever
    python bench/quality.py --weights none --paired cls-only --reshuffle 42 --json bench/results/paired-cls-only-reshuffled.json
    python bench/quality.py --weights none --paired dropout --json bench/results/paired-dropout.json
    python bench/quality.py --weights none --paired dropout --reshuffle 42 --json bench/results/paired-dropout-reshuffled.json

Prints one line per run, the mean and standard deviation of weighted F1, macro F1 and accuracy per weighting,
and the per-class table beside the seed tutorial's published one; then the same runs scored without the logit adjustment
(their unadjusted validation logits, the best epoch picked again on them), so that one set of runs shows both. Each run
trains into a temporary folder that is removed. --reshuffle shuffles the CSV's rows with another seed before the seed's
split procedure: a split that played no part in choosing the recipe.

--paired LEVER runs every seed twice, without the lever (as the code was before it) and with it, and reports the
paired differences (after minus before) of weighted and macro F1: the rule of the "less work" issue keeps a lever
whose mean difference is at least -0.003 weighted F1 and -0.010 macro F1. The levers: `cls-only` (the last layer
for [CLS] only in training, smile_nb.lastlayer) and `dropout` (dropout masks from 16 random bits, smile_nb.dropout).
"""
import argparse, contextlib, sys, tempfile, time
from pathlib import Path
from smile_nb.train import train
from smile_nb.loop import Callback
from common import machine, mean_sd, per_class_rows, per_class_table, pick_epoch, write_json, peak_rss_mb, toy_data

class Unadjusted(Callback):
    "Every epoch's validation logits without the logit adjustment, to score the same run as it would be without it."
    def __init__(self): self.logits, self.targets = [], None
    def after_epoch(self, run):
        off = 0 if run.logit_offset is None else run.logit_offset.cpu().numpy()
        self.logits.append(run.val_logits - off); self.targets = run.val_targets

def without_adjustment(cb:Unadjusted) -> dict:
    "The run's figures at the epoch `train` would keep by the unadjusted logits."
    e, m = pick_epoch(cb.logits, cb.targets)
    return dict(weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'], best_epoch=e, per_class=m['per_class'])

def split_data(a):
    "The SMILE CSV as `train` reads it, or, with --reshuffle, its rows shuffled with that seed and then split the seed's way."
    from smile_nb.split import split_smile
    if a.quick: return split_smile(toy_data().sample(frac=1, random_state=a.reshuffle) if a.reshuffle is not None else toy_data())
    if a.reshuffle is None: return a.data
    from smile_nb.data import load_smile
    return split_smile(load_smile(a.data).sample(frac=1, random_state=a.reshuffle))

def run(seed:int, weighted:bool, a, kw:dict) -> dict:
    "One run of the recipe into a temporary folder: its best epoch's figures, and the same run's without the logit adjustment."
    cb = Unadjusted()
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(split_data(a), Path(d)/'m', model=a.model, seed=seed, precision=a.precision, class_weights=weighted,
                  progress=False, log=lambda *x: None, callbacks=[cb], **kw)
        wall = time.perf_counter() - t
    return dict(seed=seed, class_weights=weighted, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'],
                best_epoch=m['best_epoch'], train_seconds=m['train_seconds'], samples_per_second=m['train_samples_per_second'],
                wall_seconds=wall, per_class=per_class_rows(m['per_class']), precision=m['precision'],
                logit_adjust=m['settings']['logit_adjust'], normalize=m['settings']['normalize'], n_train=m.get('n_train'), unadjusted=without_adjustment(cb))

LEVERS = ('cls-only', 'dropout')
PAIRED_RULE = dict(weighted_f1=-0.003, macro_f1=-0.010)   # the least mean paired difference (after - before) that keeps a lever

@contextlib.contextmanager
def without(lever:str):
    "Training as it was before `lever`: for cls-only, `prepare` leaves the model's last layer whole; for dropout, `fit` draws PyTorch's masks."
    import smile_nb.loop
    name, off = {'cls-only': ('cls_only', lambda m: False), 'dropout': ('cheap_dropout', lambda d: contextlib.nullcontext())}[lever]
    keep = getattr(smile_nb.loop, name)
    setattr(smile_nb.loop, name, off)
    try: yield
    finally: setattr(smile_nb.loop, name, keep)

def paired(lever:str, a, kw:dict) -> dict:
    "Every seed before (without `lever`) and after (with it), without class weights; the paired differences and the rule's verdict."
    import numpy as np
    rows = []
    for seed in a.seeds:
        with without(lever): before = run(seed, False, a, kw)
        after = run(seed, False, a, kw)
        d = {k: after[k] - before[k] for k in ('weighted_f1', 'macro_f1', 'accuracy')}
        rows.append(dict(seed=seed, before=before, after=after, diff=d))
        print(f"seed {seed}: weighted F1 {before['weighted_f1']:.4f} -> {after['weighted_f1']:.4f} ({d['weighted_f1']:+.4f})  macro F1 "
              f"{before['macro_f1']:.4f} -> {after['macro_f1']:.4f} ({d['macro_f1']:+.4f})", flush=True)
    mean = {k: float(np.mean([r['diff'][k] for r in rows])) for k in ('weighted_f1', 'macro_f1', 'accuracy')}
    keeps = all(mean[k] >= v for k, v in PAIRED_RULE.items())
    print(f"== {lever}, {len(rows)} seeds: mean difference weighted F1 {mean['weighted_f1']:+.4f} (at least {PAIRED_RULE['weighted_f1']}), "
          f"macro F1 {mean['macro_f1']:+.4f} (at least {PAIRED_RULE['macro_f1']}): {'kept' if keeps else 'not kept'}")
    return dict(lever=lever, runs=rows, mean_diff=mean, rule=PAIRED_RULE, holds=keeps)   # speed: bench/train_speed.py, not these runs

def weighting(name:str, weighted:bool, a, kw:dict) -> dict:
    "Every seed's run with or without class weights, printed as it ends; then their summary and per-class tables."
    rows = []
    for seed in a.seeds:
        r = run(seed, weighted, a, kw); rows.append(r)
        print(f"{name}, seed {seed}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  "
              f"best epoch {r['best_epoch']}  {r['samples_per_second']:.1f} tweets/s ({r['precision']})  run {r['wall_seconds']:.0f} s  "
              + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()), flush=True)
    s = mean_sd(rows, ('weighted_f1', 'macro_f1', 'accuracy', 'samples_per_second', 'wall_seconds'))
    print(f"== {name}, {len(rows)} seeds ==")
    for k, (mu, sd) in s.items(): print(f"{k:>20}: {mu:.4f} ± {sd:.4f}")
    print(per_class_table(rows), flush=True)
    un = [dict(r['unadjusted'], seed=r['seed']) for r in rows]
    su = mean_sd(un, ('weighted_f1', 'macro_f1', 'accuracy'))
    print(f"   the same runs without the logit adjustment: weighted F1 {su['weighted_f1'][0]:.4f} ± {su['weighted_f1'][1]:.4f}  "
          f"macro F1 {su['macro_f1'][0]:.4f} ± {su['macro_f1'][1]:.4f}")
    print(per_class_table(un), flush=True)
    return dict(runs=rows, summary=s, unadjusted=su)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[17, 18, 19, 20, 21])
    p.add_argument('--weights', choices=['none', 'balanced', 'both'], default='both', help='class weights in the loss')
    p.add_argument('--epochs', type=int); p.add_argument('--batch-size', type=int); p.add_argument('--lr', type=float)
    p.add_argument('--head-lr', type=float); p.add_argument('--precision', default='auto')
    p.add_argument('--logit-adjust', type=float, help='tau of the logit adjustment (default: the default recipe\'s)')
    p.add_argument('--normalize', help="the tweet normalization (default: the default recipe's)")
    p.add_argument('--reshuffle', type=int, help="shuffle the CSV's rows with this seed before the seed's split")
    p.add_argument('--model', default=None); p.add_argument('--data', default=None)
    p.add_argument('--quick', action='store_true', help='one seed, one epoch, no class weights, on the toy tweets')
    p.add_argument('--paired', choices=LEVERS, help='each seed without and with this lever: the paired differences')
    p.add_argument('--json', help='also write the results to this file')
    a = p.parse_args()
    if a.quick: a.seeds, a.epochs, a.weights = a.seeds[:1], 1, 'none'
    kw = {k: v for k, v in dict(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, head_lr=a.head_lr, logit_adjust=a.logit_adjust, normalize=a.normalize).items() if v is not None}
    out = dict(command='python bench/quality.py ' + ' '.join(sys.argv[1:]), machine=machine(), settings=kw, results={})
    if a.paired:
        out['paired'] = paired(a.paired, a, kw); out['peak_rss_mb'] = peak_rss_mb()
        write_json(a.json, out); sys.exit(0)
    for weighted in {'none': [False], 'balanced': [True], 'both': [False, True]}[a.weights]:
        name = 'class weights' if weighted else 'no class weights'
        out['results'][name] = weighting(name, weighted, a, kw)
    out['peak_rss_mb'] = peak_rss_mb()
    write_json(a.json, out)
