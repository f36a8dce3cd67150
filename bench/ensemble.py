"""An ensemble of one recipe's seeds: the mean of their validation probabilities, scored as one model, beside each seed's own figures.

    python bench/quality.py --weights none --keep-logits --json bench/results/quality-logits.json   # 5 seeds, their logits kept
    python bench/ensemble.py bench/results/quality-logits.json --json bench/results/ensemble.json

Distilling an ensemble into one model (the multi-label issue's third deliverable) is worth building only if the ensemble
itself clears the targets; this script says whether it does. Every seed trains on the same split, so their validation
tweets are the same 223, in the same order.
"""
import argparse, json, statistics, sys
import numpy as np
from scipy.special import softmax
from common import machine, score, write_json

TARGETS = dict(weighted_f1=0.88, macro_f1=0.60, per_class=dict(sad=1.2, surprise=3.2, disgust=0))   # the issue's: at least the F1s, above the counts

def ensemble(runs:list) -> dict:
    "The figures of the mean of `runs`' validation probabilities (its argmax is the ensemble's answer)."
    ys = {tuple(r['val_labels']) for r in runs}
    if len(ys) != 1: raise SystemExit("the runs were validated on different tweets: an ensemble needs one split")
    probs = np.mean([softmax(np.asarray(r['val_logits'], dtype=np.float64), axis=1) for r in runs], axis=0)
    return score(np.log(probs), np.asarray(runs[0]['val_labels']), {c: i for i, c in enumerate(runs[0]['labels'])})

def clears(m:dict) -> dict:
    "Which of the targets `m` meets."
    t = TARGETS
    return dict(weighted_f1=m['weighted_f1'] >= t['weighted_f1'], macro_f1=m['macro_f1'] >= t['macro_f1'],
                **{c: m['per_class'][c][0] > n for c, n in t['per_class'].items()})

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('quality', help="a bench/quality.py JSON written with --keep-logits")
    p.add_argument('--json', help='write the figures to this file')
    a = p.parse_args()
    src = json.load(open(a.quality))
    runs = src['results']['no class weights']['runs']
    m = ensemble(runs)
    seeds = {k: [statistics.mean(r[k] for r in runs), statistics.stdev(r[k] for r in runs)] for k in ('weighted_f1', 'macro_f1')}
    ok = clears(m)
    print(f"{len(runs)} seeds alone: weighted F1 {seeds['weighted_f1'][0]:.4f} ± {seeds['weighted_f1'][1]:.4f}  macro F1 {seeds['macro_f1'][0]:.4f} ± {seeds['macro_f1'][1]:.4f}")
    print(f"their ensemble: weighted F1 {m['weighted_f1']:.4f}  macro F1 {m['macro_f1']:.4f}  " + ' '.join(f"{c} {k}/{n}" for c, (k, n) in m['per_class'].items()))
    print('targets: ' + ', '.join(f"{k} {'met' if v else 'not met'}" for k, v in ok.items()) + f" -> {'distil it' if all(ok.values()) else 'no distillation: the ensemble does not clear the targets'}")
    write_json(a.json, dict(command='python bench/ensemble.py ' + ' '.join(sys.argv[1:]), machine=machine(), source=a.quality, seeds=[r['seed'] for r in runs],
                            settings=src.get('settings'), per_seed=seeds, ensemble=dict(weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'], per_class=m['per_class']),
                            per_seed_correct={c: statistics.mean(r['per_class'][c][0] for r in runs) for c in m['per_class']},
                            targets=TARGETS, clears=ok, distil=all(ok.values())))
