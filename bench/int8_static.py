"""Static int8 with NNCF on the folder's model.onnx: does any setting keep fp32's labels well enough for the engine rule?

    python bench/int8_static.py MODEL_DIR --json bench/results/int8-static.json   # the main job's folder, with model.onnx
    python bench/int8_static.py --quick       # the toy model on the toy tweets, one setting, tiny calibration: in seconds

NNCF (`nncf.quantize`) fixes every activation's scale from calibration batches (here 1,024 training tweets of the
seed's split, batches of 32 sorted by length), so a tweet's answer does not depend on its batch, as dynamic int8's
does (`int8-batching.json`). Each setting is scored by the first part of the engine rule (bench/engine_quality.py):
labels against onnxruntime fp32 on the 3,038 distinct labelled and unlabelled tweets, at least 99.5%. Then
`nncf.quantize_with_accuracy_control`, with agreement against fp32 on the unlabelled tweets as its metric (they
play no part in training) and at most 0.3 points of drop allowed, for `--ac-iterations` rounds of putting the
operations it ranks worst back into floating point. The warm pass of the int8 model and of OpenVINO's default
(bf16 on a CPU with native bf16) over the same tweets, in turns, gives the speed a setting would buy.
"""
import argparse, sys, time
from pathlib import Path
from common import machine, write_json, toy_data, toy_model
from smile_nb.core import DEFAULT_OUT

AGREE = 0.995   # the engine rule's agreement (bench/engine_quality.py)

def settings(quick:bool) -> dict:
    "The quantization settings tried: NNCF's transformer defaults (SmoothQuant on), and one change each."
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters as Adv, AdvancedSmoothQuantParameters as SQ
    t = nncf.ModelType.TRANSFORMER
    every = {'transformer (NNCF defaults)': dict(model_type=t),
             'asymmetric activations (preset mixed)': dict(model_type=t, preset=nncf.QuantizationPreset.MIXED),
             'without SmoothQuant': dict(model_type=t, advanced_parameters=Adv(smooth_quant_alphas=SQ(matmul=-1))),
             'SmoothQuant alpha 0.5': dict(model_type=t, advanced_parameters=Adv(smooth_quant_alphas=SQ(matmul=0.5))),
             'feed-forward outputs kept in float': dict(model_type=t, ignored_scope=nncf.IgnoredScope(patterns=['.*output/dense/MatMul.*'], validate=False))}
    return dict(list(every.items())[:1]) if quick else every

def batches(pred, texts:list, size:int=32) -> list:
    "`texts` as the Predictor batches them: token ids sorted by length, padded; each batch with the positions it came from."
    import numpy as np
    ids = pred.runner.encode(texts); order = np.argsort([len(x) for x in ids], kind='stable')
    return [(pred._batch([ids[j] for j in order[i:i + size]]), order[i:i + size]) for i in range(0, len(order), size)]

def with_model(folder:str, compiled):
    "An openvino `Predictor` on `folder` whose logits come from `compiled` (an OpenVINO compiled model)."
    from smile_nb.predict import Predictor
    p = Predictor(folder, backend='openvino'); req, out = compiled.create_infer_request(), compiled.output(0)
    p.runner.logits = lambda ids, mask: req.infer({'input_ids': ids, 'attention_mask': mask})[out].copy()
    return p

def warm(p, texts:list, rounds:int=3) -> float:
    "The median seconds of a pass over `texts` after one pass of warm-up."
    import statistics
    p.probs(texts); ts = []
    for _ in range(rounds): t = time.perf_counter(); p.probs(texts); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def run(folder:str, every:list, calib_texts:list, control_texts:list, iterations:int, quick:bool) -> dict:
    "Each setting's agreement with fp32, accuracy control's result, and the warm speed of the best setting against bf16."
    import numpy as np, openvino as ov, nncf
    from nncf.quantization.advanced_parameters import AdvancedAccuracyRestorerParameters
    from smile_nb.predict import Predictor
    core, ref = ov.Core(), Predictor(folder, backend='onnx')
    p_ref = ref.probs(every); ref_labels = p_ref.argmax(1)
    calib = nncf.Dataset([b for b, _ in batches(ref, calib_texts)], lambda b: {'input_ids': b[0], 'attention_mask': b[1]})
    rows, models = {}, {}
    for name, kw in settings(quick).items():
        t = time.perf_counter()
        models[name] = q = nncf.quantize(core.read_model(str(Path(folder)/'model.onnx')), calib, **kw)
        got = with_model(folder, core.compile_model(q, 'CPU')).probs(every)
        rows[name] = dict(agree_all=float((got.argmax(1) == ref_labels).mean()), max_prob_diff=float(np.abs(got - p_ref).max()),
                          quantize_seconds=time.perf_counter() - t)
        print(f"{name}: labels agree {rows[name]['agree_all']:.2%} of {len(every):,}, largest probability difference {rows[name]['max_prob_diff']:.3f}", flush=True)
    best = max(rows, key=lambda k: rows[k]['agree_all'])
    p_best = with_model(folder, core.compile_model(models[best], 'CPU'))
    alone = p_best.probs(every[:300]); p_best.batch_size = 1; alone_1 = p_best.probs(every[:300]); p_best.batch_size = 64
    # accuracy control: agreement with fp32 on the control tweets is the metric NNCF keeps within max_drop
    control_ref = ref.probs(control_texts).argmax(1)
    def agreement(compiled, items):
        got = np.empty(len(control_texts), int); out = compiled.output(0)
        for (ids, mask), order in items: got[order] = compiled({'input_ids': ids, 'attention_mask': mask})[out].argmax(1)
        return float((got == control_ref).mean())
    drops = []
    import logging
    class Drops(logging.Handler):   # NNCF reports each round's drop on its logger: keep them
        def emit(self, r):
            m = r.getMessage()
            if 'Accuracy drop' in m: drops.append(float(m.split('is ' if ' is ' in m else ': ')[-1].split()[0]))
    nncf_log = logging.getLogger('nncf'); h = Drops(); nncf_log.addHandler(h)
    t = time.perf_counter()
    try:
        ac = nncf.quantize_with_accuracy_control(core.read_model(str(Path(folder)/'model.onnx')), calib,
                nncf.Dataset(batches(ref, control_texts), lambda x: x), validation_fn=agreement, max_drop=0.003, drop_type=nncf.DropType.ABSOLUTE,
                model_type=nncf.ModelType.TRANSFORMER, advanced_accuracy_restorer_parameters=AdvancedAccuracyRestorerParameters(max_num_iterations=iterations))
        got = with_model(folder, core.compile_model(ac, 'CPU')).probs(every)
        ac_row = dict(agree_all=float((got.argmax(1) == ref_labels).mean()), max_prob_diff=float(np.abs(got - p_ref).max()))
    finally: nncf_log.removeHandler(h)
    ac_row.update(control_drops=drops, iterations=iterations, seconds=time.perf_counter() - t, n_control=len(control_texts))
    print(f"accuracy control, {iterations} rounds: drops on the control tweets {', '.join(f'{d:.4f}' for d in drops)}; "
          f"labels agree {ac_row['agree_all']:.2%} of {len(every):,}", flush=True)
    bf16 = Predictor(folder, backend='openvino')
    speed = {}
    for _ in range(2):   # in turns: the two engines measured alike
        for k, p in (('openvino default', bf16), (f'int8: {best}', p_best)): speed.setdefault(k, []).append(warm(p, every))
    speed = {k: min(v) for k, v in speed.items()}
    ratio = speed['openvino default'] / speed[f'int8: {best}']
    print(f"warm pass over {len(every):,} tweets: OpenVINO default ({bf16.runner.precision}) {speed['openvino default']:.2f} s, "
          f"int8 ({best}) {speed[f'int8: {best}']:.2f} s: {ratio:.2f}x", flush=True)
    passes = max([r['agree_all'] for r in rows.values()] + [ac_row['agree_all']]) >= AGREE
    return dict(settings=rows, best=best, batch_same_labels=bool((alone.argmax(1) == alone_1.argmax(1)).all()),
                batch_max_prob_diff=float(np.abs(alone - alone_1).max()), accuracy_control=ac_row, warm_seconds=speed,
                default_precision=bf16.runner.precision, speedup_vs_default=ratio, passes_agreement=passes)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', nargs='?', default=DEFAULT_OUT, help='a model folder with model.onnx (default: %(default)s, the main job\'s)')
    p.add_argument('--ac-iterations', type=int, default=4, help="accuracy control's rounds (default: %(default)s)")
    p.add_argument('--data', default=None); p.add_argument('--json')
    p.add_argument('--quick', action='store_true', help='the toy model on the toy tweets, one setting, tiny calibration')
    a = p.parse_args()
    from smile_nb.data import load_smile
    from smile_nb.split import split_smile
    if a.quick:
        import tempfile
        data = toy_data(); every = data.text.tolist(); folder = toy_model(Path(tempfile.mkdtemp())/'toy')
        calib_texts, control = every[:64], every[64:]; a.ac_iterations = 1
    else:
        data, allrows = load_smile(a.data), load_smile(a.data, drop_nocode=False)
        control = allrows.text[~allrows.text.isin(set(data.text))].drop_duplicates().tolist()   # the unlabelled tweets
        every, folder = data.text.tolist() + control, a.model
        sp = split_smile(data); calib_texts = sp[sp.data_type == 'train'].text.tolist()[:1024]
    r = run(folder, every, calib_texts, control, a.ac_iterations, a.quick)
    print(f"static int8 {'passes' if r['passes_agreement'] else 'does not pass'} the agreement part of the engine rule ({AGREE:.1%})")
    write_json(a.json, dict(command='python bench/int8_static.py ' + ' '.join(sys.argv[1:]), machine=machine(), model=folder,
                            n_all=len(every), n_calibration=len(calib_texts), rule_agree=AGREE, **r))
