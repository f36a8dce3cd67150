"""Does a faster engine keep fp32's answers? Each candidate backend against onnxruntime fp32, on models trained on
splits that played no part in choosing it: the rule that lets `auto` take it.

    python bench/engine_quality.py --train 1 2 3 --json bench/results/engine-quality.json   # trains models/split-1..3 where missing
    python bench/engine_quality.py models/split-1:1 models/split-2:2 models/split-3:3 --json ...   # folders already trained
    python bench/engine_quality.py --quick   # one toy model, its own toy split: in seconds

Each argument is MODEL_DIR:SPLIT_SEED, the `seed` of `split_smile` the model was trained with. The folders need
`model.onnx`; `--train SEED ...` first trains `models/split-SEED` with the defaults and exports it, where it is missing.
`--backends` names the candidates (default: openvino, bf16 where the CPU has native bf16).

The rule (`passes`), for each candidate against onnxruntime fp32 on the same folder:
1. labels agree on at least 99.5% of the labelled and unlabelled SMILE tweets (3,045 texts, 3,038 distinct), for every model;
2. every tweet read alone (batch 1) and in batches of 64 gets the same label, probabilities within 0.05;
3. pooled over the validation sets of at least three models (669+ tweets, one weighted F1 over all of them), the
   weighted F1 within 0.005 of fp32's. (The rule of the earlier int8 check, `int8-pooled.json`: a single split of 223
   tweets moves by about 0.0045 per tweet, finer than the rule could see.)
"""
import argparse, sys
from pathlib import Path
from common import machine, score, write_json, toy_data, toy_model

MIN_POOLED, WITHIN, AGREE, BATCH_DIFF = 669, 0.005, 0.995, 0.05   # tweets pooled, F1 change allowed, agreement, batch 1 vs 64

def train_split(seed:int, data=None) -> str:
    "Train `models/split-SEED` on `split_smile(..., seed=SEED)` with the defaults and export its model.onnx, where they are missing."
    from smile_nb.data import load_smile
    from smile_nb.split import split_smile
    from smile_nb.train import train
    from smile_nb.export import export_onnx
    out = Path(f'models/split-{seed}')
    if not (out/'metrics.json').is_file():
        train(split_smile(load_smile(data), seed=seed), out=out, overwrite=True, progress=False, log=lambda *a: None)
    if not (out/'model.onnx').is_file(): export_onnx(out)
    return str(out)

def check(folder:str, seed:int, backend:str, data, every, pooled:dict) -> dict:
    "One model, one candidate: agreement on `every` tweet, batch 1 against 64, F1 on its validation set (kept in `pooled`)."
    import numpy as np
    from smile_nb.split import split_smile
    from smile_nb.data import label_dict
    from smile_nb.predict import Predictor
    ref, cand = Predictor(folder, backend='onnx'), Predictor(folder, backend=backend)
    p_ref, p_cand = ref.probs(every), cand.probs(every)
    alone = Predictor(folder, backend=backend, batch_size=1).probs(every)
    sp = split_smile(data, seed=seed); val = data.index.isin(sp.index[sp.data_type == 'val'])
    y, labels = data.label.values[val], label_dict(data)
    r = dict(model=folder, split_seed=seed, backend=backend, precision=cand.runner.precision,
             n_all=len(every), agree_all=float(np.mean(p_ref.argmax(1) == p_cand.argmax(1))),
             max_prob_diff=float(np.abs(p_ref - p_cand).max()),
             batch_same_labels=bool((alone.argmax(1) == p_cand.argmax(1)).all()), batch_max_prob_diff=float(np.abs(alone - p_cand).max()))
    n = len(data)   # the labelled tweets come first in `every`, in `data`'s order
    for k, pr in (('fp32', p_ref[:n][val]), ('cand', p_cand[:n][val])):
        m = score(pr, y, labels); r[f'{k}_weighted_f1'], r[f'{k}_macro_f1'] = m['weighted_f1'], m['macro_f1']
        pooled.setdefault(k, []).append(pr)
    pooled.setdefault('y', []).append(y)
    r['n_val'], r['weighted_f1_change'] = int(val.sum()), r['cand_weighted_f1'] - r['fp32_weighted_f1']
    print(f"{folder} (split {seed}) {backend} [{r['precision']}]: labels agree {r['agree_all']:.2%} of {len(every):,} tweets, "
          f"largest probability difference {r['max_prob_diff']:.3f}; batch 1 vs 64: same labels {r['batch_same_labels']}, "
          f"largest difference {r['batch_max_prob_diff']:.3f}; weighted F1 {r['fp32_weighted_f1']:.4f} -> {r['cand_weighted_f1']:.4f}", flush=True)
    return r

def summary(rows:list, pooled:dict, quick:bool) -> dict:
    "The pooled F1 and the rule's verdict for one candidate."
    import numpy as np
    y = np.concatenate(pooled['y'])
    f = {k: score(np.concatenate(pooled[k]), y) for k in ('fp32', 'cand')}
    s = dict(n_models=len(rows), n_pooled=len(y), fp32_weighted_f1=f['fp32']['weighted_f1'], cand_weighted_f1=f['cand']['weighted_f1'],
             fp32_macro_f1=f['fp32']['macro_f1'], cand_macro_f1=f['cand']['macro_f1'], min_agree_all=min(r['agree_all'] for r in rows),
             batch_same_labels=all(r['batch_same_labels'] for r in rows), batch_max_prob_diff=max(r['batch_max_prob_diff'] for r in rows))
    s['weighted_f1_change'] = s['cand_weighted_f1'] - s['fp32_weighted_f1']
    s['passes'] = bool((quick or len(y) >= MIN_POOLED) and abs(s['weighted_f1_change']) <= WITHIN and s['min_agree_all'] >= AGREE
                       and s['batch_same_labels'] and s['batch_max_prob_diff'] <= BATCH_DIFF)
    return s

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('models', nargs='*', help='MODEL_DIR:SPLIT_SEED'); p.add_argument('--train', nargs='+', type=int, default=[],
                   help='train models/split-SEED for these split seeds first (where missing)')
    p.add_argument('--backends', nargs='+', default=['openvino'], help='the candidates (default: %(default)s)')
    p.add_argument('--data', default=None); p.add_argument('--json')
    p.add_argument('--quick', action='store_true', help='one toy model on the toy tweets (the rule is reported, not required)')
    a = p.parse_args()
    from smile_nb.data import load_smile
    if a.quick:
        import tempfile
        data = toy_data(); every = data.text.tolist()
        models = [f"{toy_model(Path(tempfile.mkdtemp())/'toy')}:17"]
    else:
        data, allrows = load_smile(a.data), load_smile(a.data, drop_nocode=False)
        every = data.text.tolist() + allrows.text[~allrows.text.isin(set(data.text))].tolist()   # labelled first, then the unlabelled
        models = a.models + [f'{train_split(s, a.data)}:{s}' for s in a.train]
    out = {}
    for b in a.backends:
        pooled, rows = {}, []
        for arg in models:
            folder, seed = arg.rsplit(':', 1)
            rows.append(check(folder, int(seed), b, data, every, pooled))
        s = summary(rows, pooled, a.quick)
        print(f"{b}: pooled over {s['n_pooled']} validation tweets of {s['n_models']} models, weighted F1 {s['fp32_weighted_f1']:.4f} -> "
              f"{s['cand_weighted_f1']:.4f} ({s['weighted_f1_change']:+.4f}, allowed {WITHIN}); lowest agreement {s['min_agree_all']:.2%} "
              f"(needed {AGREE:.1%}); batch 1 vs 64 same labels {s['batch_same_labels']}, largest difference {s['batch_max_prob_diff']:.3f} "
              f"(allowed {BATCH_DIFF}): {'passes' if s['passes'] else 'does not pass'}")
        out[b] = dict(rows=rows, summary=s)
    write_json(a.json, dict(command='python bench/engine_quality.py ' + ' '.join(sys.argv[1:]), machine=machine(),
                            rule=dict(min_pooled=MIN_POOLED, within=WITHIN, agree=AGREE, batch_diff=BATCH_DIFF), backends=out))
