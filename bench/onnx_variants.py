"""Faster ONNX files that give every tweet the same answer whatever its batch: fused fp32 graphs and static int8, against the fp32 export and dynamic int8.

    python bench/onnx_variants.py MODEL_DIR:SPLIT_SEED [...] --json bench/results/onnx-variants.json
    python bench/onnx_variants.py MODEL_DIR --batching --json bench/results/int8-batching.json   # does an answer depend on its batch?
    python bench/onnx_variants.py [TOY_MODEL_DIR] --quick   # both, on a toy model folder and the toy tweets, in seconds (a few variants)

MODEL_DIR is a folder `smile-nb-train` wrote (with `model.onnx`), SPLIT_SEED the `split_smile` seed it was trained with
(17: the README's model). For each folder the variants are written to a temporary folder and each is measured over all
labelled tweets: the warm pass in this process (the median of `--repeat` passes, variants taken in turns), the labels
against the fp32 export, the weighted and macro F1 on the folder's validation split, and whether the answers depend
on the batch (batch 64 in length order against batch 8 in a shuffled order: labels changed, largest probability
difference). Dynamic int8 scales each product's input by its largest value in the whole batch, so its answers move
with the batch; static int8 fixes every scale once, from the folder's own training tweets, so they cannot.
Calibration reads only training tweets; validation tweets play no part in any scale.

`--batching` is the check that decided `auto` stays fp32 ONNX: every labelled tweet scored by `model.onnx` and by
`model.int8.onnx` (`smile-nb-export DIR --int8`) at batch 64 in the stored order (the reference), at batches 32, 8 and 1,
and at batch 64 in a shuffled order; each way against the reference: the share of equal labels and the largest
difference in a probability. Dynamic int8 scales each product's input by its largest value in the whole batch, padding
included, so a tweet's numbers move with its neighbours; fp32 has no such step.
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
import numpy as np
from common import machine, score, write_json, toy_data, toy_model

WAYS = {'batch 32': (32, False), 'batch 8': (8, False), 'batch 1': (1, False), 'batch 64, shuffled': (64, True)}   # --batching
QUICK = ['int8 dynamic', 'int8 static minmax']   # the variants of --quick

def fused(src:Path, dst:Path, config) -> Path:
    "onnxruntime's transformer optimizer (attention, LayerNorm, GELU fusions) on the fp32 export."
    from onnxruntime.transformers.optimizer import optimize_model
    m = optimize_model(str(src), model_type='bert', num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"], opt_level=1)
    m.save_model_to_file(str(dst))
    return dst

def calibration_feeds(folder:Path, texts:list, batch_size:int=32, length:int=None) -> list:
    "The training tweets as ONNX feeds, batched in length order (the way `Predictor` batches); all padded to `length` if given."
    from smile_nb.predict import Predictor
    p = Predictor(folder, backend='onnx', batch_size=batch_size, pad_to_multiple_of=length)
    ids = p.runner.encode(texts); order = np.argsort([len(x) for x in ids], kind='stable')
    out = []
    for i in range(0, len(order), batch_size):
        a, m = p._batch([ids[j] for j in order[i:i + batch_size]])
        out.append({'input_ids': a, 'attention_mask': m})
    return out

def static_int8(src:Path, dst:Path, feeds:list, method:str='minmax', exclude:str=r'layer\.0/', symmetric:bool=False,
                moving_average:bool=False, percentile:float=99.999) -> Path:
    "onnxruntime's static int8 quantization (QDQ, weights per channel), its activation scales calibrated on `feeds`."
    import re, onnx, logging
    from onnxruntime.quantization import quantize_static, CalibrationDataReader, QuantFormat, QuantType, CalibrationMethod
    class Reader(CalibrationDataReader):
        def __init__(self): self.it = iter(feeds)
        def get_next(self): return next(self.it, None)
    names = [n.name for n in onnx.load(str(src)).graph.node if n.op_type in ('MatMul', 'Gemm')]
    skip = [n for n in names if exclude and re.search(exclude, n)]
    cm = {'minmax': CalibrationMethod.MinMax, 'percentile': CalibrationMethod.Percentile, 'entropy': CalibrationMethod.Entropy}[method]
    extra = dict(ActivationSymmetric=symmetric, CalibMovingAverage=moving_average, CalibPercentile=percentile)
    logging.disable(logging.WARNING)
    try: quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ, op_types_to_quantize=['MatMul'], per_channel=True,
                         activation_type=QuantType.QInt8 if symmetric else QuantType.QUInt8, weight_type=QuantType.QInt8,
                         nodes_to_exclude=skip, calibrate_method=cm, extra_options=extra)
    finally: logging.disable(logging.NOTSET)
    return dst

# the static variants: keyword arguments of `static_int8`; histogram methods need feeds of one shape (`padded`)
STATIC = {'int8 static minmax': dict(),
          'int8 static minmax, moving average': dict(moving_average=True),
          'int8 static minmax, first and last layer fp32': dict(exclude=r'layer\.0/|layer\.5/'),
          'int8 static minmax, symmetric': dict(symmetric=True),
          'int8 static percentile 99.999': dict(method='percentile', padded=True),
          'int8 static percentile 99.99': dict(method='percentile', percentile=99.99, padded=True),
          'int8 static entropy': dict(method='entropy', padded=True)}

def dynamic_int8(src:Path, tmp:Path) -> Path:
    "The project's `quantize_int8` (dynamic, per channel, first layer in fp32) on a copy of `src` in `tmp`."
    from smile_nb.export import quantize_int8, ONNX_FILE
    (tmp/ONNX_FILE).write_bytes(src.read_bytes())
    return quantize_int8(tmp)['file']

def probs_of(folder:Path, onnx_path:Path, texts:list, batch_size:int=64, shuffle:bool=False):
    "Probabilities of `texts` in their order from the ONNX file at `onnx_path` (the folder's tokenizer), and the warm seconds."
    from smile_nb.predict import Predictor
    from smile_nb.export import onnx_session
    p = Predictor(folder, backend='onnx', batch_size=batch_size)
    p.runner.session = onnx_session(onnx_path); p.runner.output = p.runner.session.get_outputs()[0].name
    order = np.random.default_rng(0).permutation(len(texts)) if shuffle else np.arange(len(texts))
    t = time.perf_counter(); pr = p.probs([texts[i] for i in order]); dt = time.perf_counter() - t
    return pr[np.argsort(order)], dt, p

def answers(model:str, backend:str, texts:list, batch_size:int, shuffle:bool) -> np.ndarray:
    "The probabilities of `texts`, in their order, read by `backend` in batches of `batch_size`, optionally shuffled first."
    from smile_nb.predict import Predictor
    order = np.random.default_rng(0).permutation(len(texts)) if shuffle else np.arange(len(texts))
    probs = Predictor(model, backend=backend, batch_size=batch_size, precision='fp32').probs([texts[i] for i in order])
    return probs[np.argsort(order)]

def batching(model:str, texts:list) -> dict:
    "fp32 and int8 ONNX, `texts` batched each way of `WAYS`, against batch 64 in the stored order: labels changed, largest probability difference."
    ref = {b: answers(model, b, texts, 64, False) for b in ('onnx', 'onnx-int8')}
    rows = []
    for b in ('onnx', 'onnx-int8'):
        for way, (bs, sh) in WAYS.items():
            x = answers(model, b, texts, bs, sh)
            rows.append(dict(backend=b, way=way, label_agreement=float((x.argmax(1) == ref[b].argmax(1)).mean()),
                             labels_changed=int((x.argmax(1) != ref[b].argmax(1)).sum()), max_prob_diff=float(np.abs(x - ref[b]).max())))
            print(f"{b:10} {way:20} labels equal {rows[-1]['label_agreement']:.2%} ({rows[-1]['labels_changed']} changed), "
                  f"largest probability difference {rows[-1]['max_prob_diff']:.2e}", flush=True)
    vs = float((ref['onnx-int8'].argmax(1) == ref['onnx'].argmax(1)).mean())
    print(f"int8 against fp32, both at batch 64: labels equal {vs:.2%}")
    return dict(n=len(texts), model=str(model), rows=rows, int8_vs_fp32_batch64=vs)

def variants(folder:Path, seed:int, data, repeat:int, only:list=None) -> list:
    "Every variant of `folder`'s fp32 export (those in `only`, if given), measured over the tweets of `data`: one row each."
    from smile_nb.data import label_dict
    from smile_nb.split import split_smile
    from smile_nb.export import ONNX_FILE
    from smile_nb.predict import Predictor
    texts, labels = data.text.tolist(), label_dict(data)
    df = split_smile(data, seed=seed); is_val = data.index.isin(df[df.data_type == 'val'].index)
    train_texts = df[df.data_type == 'train'].text.tolist()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); src = folder/ONNX_FILE; cfg = json.loads((folder/"config.json").read_text())
        feeds = calibration_feeds(folder, train_texts); files = {'fp32 export': src}
        longest = max(len(x) for x in Predictor(folder, backend='onnx').runner.encode(train_texts))
        padded = calibration_feeds(folder, train_texts, length=longest)   # one shape, for the histogram calibrations
        made = {'fp32 fused': lambda: fused(src, tmp/'fused.onnx', cfg), 'int8 dynamic': lambda: dynamic_int8(src, tmp)}
        for i, (k, kw) in enumerate(STATIC.items()):
            kw = dict(kw); f_ = padded if kw.pop('padded', False) else feeds
            made[k] = lambda i=i, kw=kw, f_=f_: static_int8(src, tmp/f'static-{i}.onnx', f_, **kw)
        for k, f in made.items():
            if only and k not in only: continue
            t = time.perf_counter()
            try: files[k] = f(); print(f"{folder}: {k} written in {time.perf_counter() - t:.1f} s", flush=True)
            except Exception as e: print(f"{folder}: {k} failed: {str(e).splitlines()[0][:200]}", flush=True)
        secs = {k: [] for k in files}; ref = {}
        for _ in range(repeat):                       # in turns, so a slow spell hits every variant alike
            for k, f in files.items():
                pr, dt, _p = probs_of(folder, f, texts); secs[k].append(dt); ref[k] = pr
        base = ref['fp32 export']
        for k, f in files.items():
            sh, _, _p = probs_of(folder, f, texts, batch_size=8, shuffle=True)
            r = dict(model=str(folder), split_seed=seed, variant=k, warm_seconds=float(np.median(secs[k])),
                     speedup_vs_fp32=float(np.median(secs['fp32 export']) / np.median(secs[k])),
                     agree_fp32_all=float((ref[k].argmax(1) == base.argmax(1)).mean()),
                     batch_labels_changed=int((sh.argmax(1) != ref[k].argmax(1)).sum()), batch_max_prob_diff=float(np.abs(sh - ref[k]).max()),
                     bytes=Path(f).stat().st_size)
            m = score(ref[k][is_val], data.label.values[is_val], labels); r['weighted_f1'], r['macro_f1'] = m['weighted_f1'], m['macro_f1']
            r['val_probs'] = ref[k][is_val].tolist(); r['val_labels'] = data.label.values[is_val].tolist()
            rows.append(r)
            print(f"{folder} {k:45} {r['warm_seconds']:.2f} s ({r['speedup_vs_fp32']:.2f}x fp32)  labels = fp32 {r['agree_fp32_all']:.2%}  "
                  f"F1 {r['weighted_f1']:.4f}/{r['macro_f1']:.4f}  batch-dependent: {r['batch_labels_changed']} labels, {r['batch_max_prob_diff']:.1e}", flush=True)
    return rows

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('models', nargs='*', help='MODEL_DIR:SPLIT_SEED (with --batching, MODEL_DIR)'); ap.add_argument('--data', default=None)
    ap.add_argument('--repeat', type=int, default=3); ap.add_argument('--only', nargs='*', default=None); ap.add_argument('--json')
    ap.add_argument('--batching', action='store_true', help="whether a tweet's answer depends on its batch (fp32 and int8 ONNX)")
    ap.add_argument('--quick', action='store_true', help='a toy model folder and the toy tweets, a few variants, then --batching')
    a = ap.parse_args()
    cmd = 'python bench/onnx_variants.py ' + ' '.join(sys.argv[1:])
    if a.quick:
        with tempfile.TemporaryDirectory() as tmp:   # the toy model folder: the one named, or one trained here
            folder = a.models[0].split(':')[0] if a.models else toy_model(Path(tmp)/'toy'); data = toy_data()
            rows = variants(Path(folder), 17, data, 1, ['fp32 export', *QUICK])
            res = dict(command=cmd, machine=machine(), n=len(data), rows=rows, batching=batching(folder, data.text.tolist()))
        write_json(a.json, res); sys.exit(0)
    if not a.models: ap.error('name a model folder (or --quick)')
    from smile_nb.data import load_smile
    data = load_smile(a.data)
    if a.batching:
        write_json(a.json, dict(command=cmd, machine=machine(), **batching(a.models[0].split(':')[0], data.text.tolist()))); sys.exit(0)
    rows = []
    for arg in a.models:
        folder, seed = arg.rsplit(':', 1)
        rows += variants(Path(folder), int(seed), data, a.repeat, a.only and ['fp32 export', *a.only])
    write_json(a.json, dict(command=cmd, machine=machine(), n=len(data), rows=rows))
