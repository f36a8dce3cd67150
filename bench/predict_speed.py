"""Prediction speed, whole process (start-up and model loading included), in one run on the same machine:
`smile-nb-predict` against `transformers.pipeline` on the same saved model, over all 1,481 labelled tweets.

    python bench/predict_speed.py models/smile-minilm [--repeat 3] [--json bench/results/predict-speed.json]

Prints the best of `--repeat` runs of each, tweets per second, and the ratio to the pipeline's default.
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path
from smile_nb.data import load_smile

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('model'); p.add_argument('--data', default=None); p.add_argument('--repeat', type=int, default=3)
p.add_argument('--json', help='also write the results to this file')
a = p.parse_args()
texts = [' '.join(t.split()) for t in load_smile(a.data).text]
d = Path(tempfile.mkdtemp()); f = d/'tweets.txt'; f.write_text('\n'.join(texts) + '\n')
pipe = ("import sys\nfrom transformers import pipeline\nclf = pipeline('text-classification', model=sys.argv[1], device='cpu')\n"
        "texts = open(sys.argv[2]).read().splitlines()\nkw = {} if sys.argv[3] == 'default' else {'batch_size': int(sys.argv[3])}\n"
        "out = clf(texts, **kw)\nassert len(out) == len(texts)\n")
(d/'pipe.py').write_text(pipe)
cmds = {'smile-nb-predict': ['smile-nb-predict', a.model, '--file', str(f), '--json'],
        'pipeline (default batch)': [sys.executable, str(d/'pipe.py'), a.model, str(f), 'default'],
        'pipeline (batch 32)': [sys.executable, str(d/'pipe.py'), a.model, str(f), '32']}
res = {}
for name, cmd in cmds.items():
    times = []
    for _ in range(a.repeat):
        t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True); times.append(time.perf_counter() - t)
        if r.returncode: sys.exit(f"{name} failed: {r.stderr[-500:]}")
    res[name] = dict(seconds=min(times), tweets_per_second=len(texts) / min(times))
base = res['pipeline (default batch)']['seconds']
for name, r in res.items():
    r['speedup_vs_pipeline_default'] = base / r['seconds']
    print(f"{name:>26}: {r['seconds']:6.2f} s  {r['tweets_per_second']:7.1f} tweets/s  {r['speedup_vs_pipeline_default']:.2f}x")
if a.json: Path(a.json).write_text(json.dumps(dict(n=len(texts), results=res), indent=1))
