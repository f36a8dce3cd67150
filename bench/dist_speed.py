"""Two processes against one on this machine: `smile-nb-train` on the seed's split, the same global batch (32 tweets
per step), as one process and as a `torchrun` job of two processes of 16 each, one after the other.

    python bench/dist_speed.py [--epochs 2] [--json bench/results/dist-speed.json]
    python bench/dist_speed.py --quick      # one epoch on the toy tweets: the commands run, in seconds

Prints and writes, per configuration: training tweets per second (over all processes), whole-run wall time, best
weighted and macro F1. On a 2-core CPU the two processes share the same two cores (torchrun gives each one thread):
the figure says whether the multi-process path costs or gains anything here, not what several GPUs would do.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from common import machine, write_json, toy_csv

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--epochs', type=int, default=2); p.add_argument('--json', help='also write the results to this file')
p.add_argument('--data', default=None, help='the SMILE CSV (default: where smile-nb-train finds it)')
p.add_argument('--quick', action='store_true', help='one epoch on the toy tweets')
a = p.parse_args()
train = shutil.which('smile-nb-train')
configs = {'1 process, batch 32': [train, '--batch-size', '32'],
           '2 processes (torchrun, gloo), batch 16 each': ['torchrun', '--standalone', '--nproc_per_node', '2', train, '--batch-size', '16']}
results = {}
with tempfile.TemporaryDirectory() as d:
    if a.quick: a.data, a.epochs = toy_csv(d), 1
    data = ['--data', a.data] if a.data else []
    for name, cmd in configs.items():
        out = Path(d)/name.split(' ')[0]
        t = time.perf_counter()
        r = subprocess.run(cmd + data + ['--epochs', str(a.epochs), '--out', str(out)], capture_output=True, text=True,
                           env={**os.environ, 'TOKENIZERS_PARALLELISM': 'false'})
        wall = time.perf_counter() - t
        if r.returncode: sys.exit(f"{name} failed:\n{r.stderr[-2000:]}")
        m = json.loads((out/'metrics.json').read_text())
        results[name] = dict(tweets_per_second=m['train_samples_per_second'], wall_seconds=wall, weighted_f1=m['weighted_f1'],
                             macro_f1=m['macro_f1'], best_epoch=m['best_epoch'], precision=m['precision'],
                             device_line=next(l for l in r.stdout.splitlines() if l.startswith('device:')))
        print(f"{name:>45}: {m['train_samples_per_second']:6.1f} tweets/s  {wall:6.1f} s whole run  "
              f"weighted F1 {m['weighted_f1']:.4f}  macro F1 {m['macro_f1']:.4f}", flush=True)
one, two = results.values()
print(f"2 processes / 1 process: {two['tweets_per_second'] / one['tweets_per_second']:.2f}x tweets/s")
write_json(a.json, dict(command='python bench/dist_speed.py ' + ' '.join(sys.argv[1:]), machine=machine(), epochs=a.epochs, results=results))
