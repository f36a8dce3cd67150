"""Prediction speed over all 1,481 labelled tweets, in one run on one machine: `smile-nb-predict` with each backend
against `transformers.pipeline` on the same saved model.

    python bench/predict_speed.py [MODEL_DIR] --json bench/results/predict-speed.json   # MODEL_DIR: the default model folder
    python bench/predict_speed.py MODEL_DIR --raw RAW_MODEL_DIR --json bench/results/predict-speed-normalized.json
    python bench/predict_speed.py --quick   # a toy model folder on the toy tweets, one round, a few commands: in seconds

`--raw DIR` adds, in the same rounds, `smile-nb-predict` and the pipeline on a model trained on the raw text, so that a
folder whose tokenizer normalizes the tweets is measured against the raw one in one run.

The model folder needs `model.onnx` and `model.int8.onnx` (`smile-nb-export MODEL_DIR --int8`). A copy of it whose
`model.onnx` keeps the full last layer (exported as before the last layer for [CLS] only) is made in a temporary
folder, so that each lever's share is measured in the same run: the engine (openvino bf16 against onnxruntime fp32)
and the last layer (for [CLS] only against full), in whole processes and after loading.
Three measurements:
1. whole process, as a user runs it (start-up, imports and model loading included): each command `--repeat`
   times, taken in turns so that a slow spell of the machine hits all of them alike; the median is reported,
   with peak resident memory. `import torch+transformers` is a process that only imports them (the floor of any
   torch-based command); `import smile_nb.predict` is what the ONNX path imports.
2. in one process, after loading: a cold and a warm pass over the tweets for each backend (torch fp32, torch bf16
   where the CPU has native bf16, ONNX fp32, ONNX int8, OpenVINO as `auto` runs it and in fp32, both graphs) and
   the pipeline; each variant's labels are compared with
   torch fp32's, and its weighted and macro F1 on the validation split are computed, with its peak memory.
3. parity: the largest probability difference between ONNX fp32 and torch fp32 over all tweets.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from smile_nb.core import DEFAULT_OUT
from common import machine, score, write_json, toy_data, toy_model

FULL = ', full last layer'   # a variant or command on the copy whose model.onnx has the full last layer
VARIANTS = ['torch fp32', 'torch bf16', 'onnx fp32', 'onnx fp32' + FULL, 'onnx int8', 'openvino auto', 'openvino auto' + FULL,
            'openvino fp32', 'pipeline default', 'pipeline batch 32']
QUICK = dict(commands=['smile-nb-predict (auto)', 'smile-nb-predict (auto)' + FULL, 'pipeline (default batch)', 'pipeline (batch 32)',
                       'import smile_nb.predict'],
             variants=['torch fp32', 'onnx int8', 'openvino auto', 'onnx fp32' + FULL, 'pipeline batch 32'])   # what --quick runs: one of each kind

# export a folder's model.onnx with load_trained leaving the last layer whole; in a child process, so that this one never
# holds torch (a child forked from a big process starts with its peak memory)
EXPORT_FULL = "import sys, smile_nb.evaluate; smile_nb.evaluate.cls_only = lambda m: False; from smile_nb.export import export_onnx; export_onnx(sys.argv[1])"

def full_copy(model:str, d:Path) -> str:
    "A copy of `model` in `d/full` whose model.onnx is exported with the full last layer (as before the last layer for [CLS] only)."
    import shutil
    out = d/'full'
    shutil.copytree(model, out, ignore=shutil.ignore_patterns('*.int8.onnx', '*.png'))
    subprocess.run([sys.executable, '-c', EXPORT_FULL, str(out)], check=True)
    return str(out)

def engine(variant:str, model:str, textfile:str) -> dict:
    "One variant in this process: load, a cold pass and a warm pass; the probabilities of the warm pass."
    texts = Path(textfile).read_text().splitlines()
    t = time.perf_counter()
    if variant.startswith('pipeline'):
        from transformers import pipeline
        clf = pipeline('text-classification', model=model, device='cpu', top_k=None)
        kw = {'batch_size': 32} if variant.endswith('32') else {}
        names = [clf.model.config.id2label[i] for i in range(clf.model.config.num_labels)]
        run = lambda: [[{d['label']: d['score'] for d in r}[n] for n in names] for r in clf(texts, **kw)]
    else:
        from smile_nb.predict import Predictor
        backend, prec = variant.split(',')[0].split()
        p = Predictor(model, backend='onnx' if prec == 'fp32' else 'onnx-int8') if backend == 'onnx' else \
            Predictor(model, backend=backend, precision=prec)
        run = lambda: p.probs(texts).tolist()
    load = time.perf_counter() - t
    t = time.perf_counter(); run(); cold = time.perf_counter() - t
    t = time.perf_counter(); out = run(); warm = time.perf_counter() - t
    from common import peak_rss_mb
    return dict(load_seconds=load, cold_seconds=cold, warm_seconds=warm, peak_rss_mb=peak_rss_mb(), probs=out)

def timed(cmd) -> tuple:
    "Wall seconds and peak resident MB of one command."
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    if status: sys.exit(f"{cmd[0]} failed: {p.stderr.read().decode()[-500:]}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024

def commands(model:str, d:Path, raw:str=None, full:str=None) -> dict:
    "The whole-process commands, by name, on the tweets in `d/tweets.txt`; `d/pipe.py` is the pipeline's script."
    f = d/'tweets.txt'
    (d/'pipe.py').write_text("import sys\nfrom transformers import pipeline\nclf = pipeline('text-classification', model=sys.argv[1], device='cpu')\n"
                             "texts = open(sys.argv[2]).read().splitlines()\nkw = {} if sys.argv[3] == 'default' else {'batch_size': int(sys.argv[3])}\n"
                             "out = clf(texts, **kw)\nassert len(out) == len(texts)\n")
    cli, cli_full = (['smile-nb-predict', m, '--file', str(f), '--json'] for m in (model, full))
    return {'smile-nb-predict (auto)': cli,
            'smile-nb-predict (auto)' + FULL: cli_full,
            'smile-nb-predict --backend onnx': cli + ['--backend', 'onnx'],
            'smile-nb-predict --backend onnx' + FULL: cli_full + ['--backend', 'onnx'],
            'smile-nb-predict --backend onnx-int8': cli + ['--backend', 'onnx-int8'],
            'smile-nb-predict --backend torch': cli + ['--backend', 'torch'],
            'smile-nb-predict --backend torch --precision fp32': cli + ['--backend', 'torch', '--precision', 'fp32'],
            'pipeline (default batch)': [sys.executable, str(d/'pipe.py'), model, str(f), 'default'],
            'pipeline (batch 32)': [sys.executable, str(d/'pipe.py'), model, str(f), '32'],
            **({'smile-nb-predict, raw-text model': ['smile-nb-predict', raw, '--file', str(f), '--json'],
                'pipeline (default batch), raw-text model': [sys.executable, str(d/'pipe.py'), raw, str(f), 'default']} if raw else {}),
            'import torch+transformers': [sys.executable, '-c', 'import torch, transformers; from transformers.models.bert import modeling_bert'],
            'import smile_nb.predict': [sys.executable, '-c', 'import smile_nb.predict']}

def whole_process(cmds:dict, repeat:int, n:int) -> dict:
    "1. Each command `repeat` times, in turns; the median, min and all seconds, peak memory, speed-up against the pipeline."
    runs = {k: [] for k in cmds}
    for i in range(repeat):
        for name, cmd in cmds.items(): runs[name].append(timed(cmd))
        print(f"round {i + 1}: " + '  '.join(f"{k} {v[-1][0]:.1f} s" for k, v in runs.items()), flush=True)
    whole = {k: dict(seconds=statistics.median(s for s, _ in v), min_seconds=min(s for s, _ in v), all_seconds=[s for s, _ in v],
                     peak_rss_mb=max(m for _, m in v)) for k, v in runs.items()}
    base, b32 = whole['pipeline (default batch)']['seconds'], whole['pipeline (batch 32)']['seconds']
    print(f"\nwhole process, median of {repeat}, {n} tweets:")
    for name, r in whole.items():
        r['speedup_vs_pipeline_default'], r['speedup_vs_pipeline_batch32'] = base / r['seconds'], b32 / r['seconds']
        print(f"{name:>50}: {r['seconds']:6.2f} s (min {r['min_seconds']:.2f})  {r['speedup_vs_pipeline_default']:5.2f}x default, "
              f"{r['speedup_vs_pipeline_batch32']:5.2f}x batch 32  peak RSS {r['peak_rss_mb']:.0f} MB")
    return whole

def in_process(model:str, textfile:Path, df, variants:list=VARIANTS, full:str=None) -> dict:
    "2. and 3. Each of `variants` in a child process of its own; its agreement with torch fp32 and its F1 on the validation split."
    import numpy as np
    from smile_nb.data import label_dict
    from smile_nb.device import cpu_has_bf16
    eng = {}
    for v in variants:
        if v == 'torch bf16' and not cpu_has_bf16(): print("torch bf16: skipped, this CPU has no native bf16"); continue
        out = subprocess.run([sys.executable, __file__, full if v.endswith(FULL) else model, '--child', v, '--texts', str(textfile)], capture_output=True, text=True)
        if out.returncode: print(f"{v}: failed: {out.stderr.strip().splitlines()[-1][:300]}"); continue
        eng[v] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = np.array(eng['torch fp32']['probs']); val = (df.data_type == 'val').values; y = df.label.values[val]
    print(f"\nin one process (after loading), {len(df)} tweets:")
    for v, r in eng.items():
        probs = np.array(r.pop('probs'))
        m = score(probs[val], y, label_dict(df))
        r['agree_with_torch_fp32'] = float(np.mean(probs.argmax(1) == ref.argmax(1)))
        r['max_prob_diff_vs_torch_fp32'] = float(np.abs(probs - ref).max())
        r['val_weighted_f1'], r['val_macro_f1'] = m['weighted_f1'], m['macro_f1']
        r['tweets_per_second'] = len(df) / r['warm_seconds']
        print(f"{v:>18}: load {r['load_seconds']:.2f} s  cold {r['cold_seconds']:.2f} s  warm {r['warm_seconds']:.2f} s "
              f"({r['tweets_per_second']:.0f} tweets/s)  agree {r['agree_with_torch_fp32']:.2%}  max prob diff {r['max_prob_diff_vs_torch_fp32']:.1e}  "
              f"val F1 {r['val_weighted_f1']:.4f} / macro {r['val_macro_f1']:.4f}  peak {r['peak_rss_mb']:.0f} MB")
    return eng

def levers(whole:dict, eng:dict) -> dict:
    "Each lever's share: the time without it over the time with it, the other lever as in `auto` (whole process and warm pass)."
    w = lambda k: whole.get(k, {}).get('seconds'); e = lambda k: eng.get(k, {}).get('warm_seconds')
    ratio = lambda a, b: a / b if a and b else None
    out = {'bf16 engine (openvino against onnx fp32)': dict(whole_process=ratio(w('smile-nb-predict --backend onnx'), w('smile-nb-predict (auto)')),
                                                             warm=ratio(e('onnx fp32'), e('openvino auto'))),
           'last layer for [CLS] only (against full)': dict(whole_process=ratio(w('smile-nb-predict (auto)' + FULL), w('smile-nb-predict (auto)')),
                                                             warm=ratio(e('openvino auto' + FULL), e('openvino auto')),
                                                             warm_onnx_fp32=ratio(e('onnx fp32' + FULL), e('onnx fp32'))),
           'both (auto against onnx fp32 with the full last layer)': dict(whole_process=ratio(w('smile-nb-predict --backend onnx' + FULL), w('smile-nb-predict (auto)')),
                                                                          warm=ratio(e('onnx fp32' + FULL), e('openvino auto')))}
    print('\nlevers (time without / time with):')
    for k, v in out.items(): print(f"{k:>56}: " + '  '.join(f"{n} {x:.2f}x" for n, x in v.items() if x))
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', nargs='?', default=DEFAULT_OUT, help='the model folder (default: %(default)s)'); p.add_argument('--data', default=None)
    p.add_argument('--repeat', type=int, default=3); p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--raw', help='also time smile-nb-predict and the pipeline on this folder (a model trained on the raw text)')
    p.add_argument('--quick', action='store_true', help='a toy model folder (unless MODEL_DIR is given) on the toy tweets, one round, a few commands')
    p.add_argument('--child', help=argparse.SUPPRESS); p.add_argument('--texts', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(engine(a.child, a.model, a.texts))); sys.exit(0)
    from smile_nb.data import load_smile
    from smile_nb.split import split_smile
    d = Path(tempfile.mkdtemp())
    if a.quick:
        a.repeat = 1
        if a.model == DEFAULT_OUT: a.model = toy_model(d/'toy')
    for f in ('model.onnx', 'model.int8.onnx'):
        if not (Path(a.model)/f).is_file(): sys.exit(f"{a.model} has no {f}: run smile-nb-export {a.model} --int8 first")
    df = split_smile(toy_data() if a.quick else load_smile(a.data))
    f = d/'tweets.txt'; f.write_text('\n'.join(' '.join(t.split()) for t in df.text) + '\n')
    full = full_copy(a.model, d)
    cmds = commands(a.model, d, a.raw, full)
    whole = whole_process({k: v for k, v in cmds.items() if k in QUICK['commands']} if a.quick else cmds, a.repeat, len(df))
    eng = in_process(a.model, f, df, QUICK['variants'] if a.quick else VARIANTS, full)
    if a.quick and set(eng) != set(QUICK['variants']): sys.exit(f"predict_speed: {sorted(set(QUICK['variants']) - set(eng))} failed")
    write_json(a.json, dict(command='python bench/predict_speed.py ' + ' '.join(sys.argv[1:]), machine=machine(), n=len(df), raw=a.raw,
                            whole_process=whole, in_process=eng, levers=levers(whole, eng)))
