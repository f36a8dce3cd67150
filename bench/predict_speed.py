"""Prediction speed over all 1,481 labelled tweets, in one run on one machine: `smile-nb-predict` against
`transformers.pipeline` on the same saved model.

    python bench/predict_speed.py models/smile-minilm --json bench/results/predict-speed.json

Two measurements:
1. whole process, as a user runs it (start-up, imports and model loading included): each command `--repeat`
   times, taken in turns so that a slow spell of the machine hits all of them alike; the median is reported,
   with peak resident memory. `import floor` is a process that only imports torch and transformers' BERT code,
   the part no one-shot command on this machine can avoid.
2. in one process, after loading: the first pass over the tweets (cold: oneDNN sets up a kernel for each new
   shape) and a second one (warm), for the CPU options a user would try: bf16 autocast, batch lengths rounded up
   to a multiple of 16, fp32, bf16 weights, dynamic int8 quantization, and the pipeline. Each variant's labels are
   compared with fp32's, and its weighted F1 on the validation split is computed.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from common import machine, write_json

VARIANTS = ['smile bf16', 'smile bf16 pad16', 'smile fp32', 'smile bf16-weights', 'smile int8-dynamic', 'pipeline default', 'pipeline batch 32']

def engine(variant:str, model:str, textfile:str) -> dict:
    "One variant in this process: load, a cold pass and a warm pass; the labels of the warm pass."
    import copy, torch
    texts = Path(textfile).read_text().splitlines()
    t = time.perf_counter()
    if variant.startswith('pipeline'):
        from transformers import pipeline
        clf = pipeline('text-classification', model=model, device='cpu')
        kw = {'batch_size': 32} if variant.endswith('32') else {}
        run = lambda: [r['label'] for r in clf(texts, **kw)]
    else:
        from smile_nb.evaluate import load_trained
        from smile_nb.predict import predict
        net, tok, labels = load_trained(model)
        kw = dict(precision='bf16' if 'bf16' in variant and 'weights' not in variant else 'fp32', pad_to_multiple_of=16 if 'pad16' in variant else None)
        if 'bf16-weights' in variant: net = net.to(torch.bfloat16)
        if 'int8' in variant:
            from torch.ao.quantization import quantize_dynamic
            net = quantize_dynamic(copy.deepcopy(net), {torch.nn.Linear}, dtype=torch.qint8)
        run = lambda: [r['label'] for r in predict(texts, (net, tok, labels), **kw)]
    load = time.perf_counter() - t
    t = time.perf_counter(); run(); cold = time.perf_counter() - t
    t = time.perf_counter(); out = run(); warm = time.perf_counter() - t
    return dict(load_seconds=load, cold_seconds=cold, warm_seconds=warm, labels=out)

def timed(cmd) -> tuple:
    "Wall seconds and peak resident MB of one command."
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    if status: sys.exit(f"{cmd[0]} failed: {p.stderr.read().decode()[-500:]}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', nargs='?', default='models/smile-minilm'); p.add_argument('--data', default=None)
    p.add_argument('--repeat', type=int, default=5); p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--child', help=argparse.SUPPRESS); p.add_argument('--texts', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(engine(a.child, a.model, a.texts))); sys.exit(0)
    from smile_nb.data import load_smile, label_dict
    from smile_nb.split import split_smile
    from smile_nb.metrics import evaluate_logits
    import numpy as np
    df = split_smile(load_smile(a.data))
    texts = [' '.join(t.split()) for t in df.text]
    d = Path(tempfile.mkdtemp()); f = d/'tweets.txt'; f.write_text('\n'.join(texts) + '\n')
    (d/'pipe.py').write_text("import sys\nfrom transformers import pipeline\nclf = pipeline('text-classification', model=sys.argv[1], device='cpu')\n"
                             "texts = open(sys.argv[2]).read().splitlines()\nkw = {} if sys.argv[3] == 'default' else {'batch_size': int(sys.argv[3])}\n"
                             "out = clf(texts, **kw)\nassert len(out) == len(texts)\n")
    cmds = {'smile-nb-predict': ['smile-nb-predict', a.model, '--file', str(f), '--json'],
            'smile-nb-predict --precision fp32': ['smile-nb-predict', a.model, '--file', str(f), '--json', '--precision', 'fp32'],
            'pipeline (default batch)': [sys.executable, str(d/'pipe.py'), a.model, str(f), 'default'],
            'pipeline (batch 32)': [sys.executable, str(d/'pipe.py'), a.model, str(f), '32'],
            'import floor': [sys.executable, '-c', 'import torch, transformers; from transformers.models.bert import modeling_bert']}
    runs = {k: [] for k in cmds}
    for i in range(a.repeat):
        for name, cmd in cmds.items(): runs[name].append(timed(cmd))
        print(f"round {i + 1}: " + '  '.join(f"{k} {v[-1][0]:.1f} s" for k, v in runs.items()), flush=True)
    whole = {k: dict(seconds=statistics.median(s for s, _ in v), min_seconds=min(s for s, _ in v), all_seconds=[s for s, _ in v],
                     peak_rss_mb=max(m for _, m in v)) for k, v in runs.items()}
    base = whole['pipeline (default batch)']['seconds']
    print(f"\nwhole process, median of {a.repeat}, {len(texts)} tweets:")
    for name, r in whole.items():
        r['speedup_vs_pipeline_default'] = base / r['seconds']
        print(f"{name:>34}: {r['seconds']:6.2f} s (min {r['min_seconds']:.2f})  {len(texts) / r['seconds']:7.1f} tweets/s  "
              f"{r['speedup_vs_pipeline_default']:.2f}x  peak RSS {r['peak_rss_mb']:.0f} MB")
    eng = {}
    for v in VARIANTS:
        out = subprocess.run([sys.executable, __file__, a.model, '--child', v, '--texts', str(f)], capture_output=True, text=True)
        if out.returncode: print(f"{v}: failed: {out.stderr.strip().splitlines()[-1][:300]}"); continue
        eng[v] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = eng['smile fp32']['labels']; ids = label_dict(df)
    val = (df.data_type == 'val').values
    print(f"\nin one process (after loading), {len(texts)} tweets:")
    for v, r in eng.items():
        pred = np.array([ids[l] for l in r.pop('labels')])
        r['agree_with_fp32'] = float(np.mean(pred == np.array([ids[l] for l in ref]))) if v != 'smile fp32' else 1.0
        onehot = np.eye(len(ids))[pred[val]]
        r['val_weighted_f1'] = evaluate_logits(onehot, df.label.values[val], ids)['weighted_f1']
        print(f"{v:>22}: load {r['load_seconds']:.2f} s  cold {r['cold_seconds']:.2f} s  warm {r['warm_seconds']:.2f} s "
              f"({len(texts) / r['warm_seconds']:.0f} tweets/s)  agree with fp32 {r['agree_with_fp32']:.2%}  val weighted F1 {r['val_weighted_f1']:.4f}")
    if 'pipeline default' in eng:
        pd_ = eng['pipeline default']['warm_seconds']
        for v, r in eng.items(): r['warm_speedup_vs_pipeline_default'] = pd_ / r['warm_seconds']
        print(f"warm, smile bf16 against the pipeline's default: {eng['smile bf16']['warm_speedup_vs_pipeline_default']:.1f}x")
    write_json(a.json, dict(command='python bench/predict_speed.py ' + ' '.join(sys.argv[1:]), machine=machine(), n=len(texts),
                            whole_process=whole, in_process=eng))
