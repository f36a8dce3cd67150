"""The time of each step when the encoder is adapted first: the main job as a user runs it (`smile-nb-train`, one whole
process each), without adaptation, then with `--adapt tsdae` and `--adapt mlm`, each twice: the first run makes the
adapted encoder, the second finds it in the cache.

    python bench/adapt_time.py --json bench/results/adapt-time.json
    python bench/adapt_time.py --runs none mlm mlm --epochs 1 --train-subset 60   # the machinery, quickly

The runs share one cache folder (`SMILE_NB_CACHE`), empty when the script starts, so the first `--adapt` run of an
objective pays for the adaptation and the second does not. The data is found once, before the runs, and handed to
each of them (`--data`), so moving the cache moves no data. Run it alone: it times
whole processes on a machine whose 2 cores nothing else may share. Each run's figures come from its `metrics.json`
(fine-tuning seconds, the adaptation's seconds and whether it was cached, the F1s) and the process's wall time.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
from common import machine, write_json

def one_run(how:str, cache:str, a) -> dict:
    "One `smile-nb-train` process with `--adapt how` into a temporary folder: its wall time and what its metrics.json says."
    with tempfile.TemporaryDirectory() as d:
        cmd = ['smile-nb-train', '--data', a.data, '--out', f'{d}/m', '--seed', str(a.seed), '--adapt', how]
        if a.epochs: cmd += ['--epochs', str(a.epochs)]
        if a.train_subset: cmd += ['--train-subset', str(a.train_subset)]
        t = time.perf_counter()
        done = subprocess.run(cmd, env=dict(os.environ, SMILE_NB_CACHE=cache), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t
        if done.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        m = json.loads((Path(d)/'m'/'metrics.json').read_text())
    ad = m.get('adapt') or {}
    return dict(adapt=how, cached=ad.get('cached'), adapt_seconds=ad.get('seconds') if ad and not ad['cached'] else 0.0,
                adapt_texts=ad.get('texts'), wall_seconds=wall, train_seconds=m['train_seconds'], best_epoch=m['best_epoch'],
                weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', nargs='+', default=['none', 'tsdae', 'tsdae', 'mlm', 'mlm'], help='the --adapt of each run, in order')
    p.add_argument('--seed', type=int, default=17)
    p.add_argument('--epochs', type=int); p.add_argument('--train-subset', type=int)
    p.add_argument('--json', help='write the results to this file')
    p.add_argument('--data', help='the SMILE CSV (default: where smile-nb-train finds it)')
    a = p.parse_args()
    from smile_nb.data import find_data
    a.data, rows = str(find_data(a.data)), []
    with tempfile.TemporaryDirectory() as cache:
        for how in a.runs:
            rows.append(one_run(how, cache, a))
            r = rows[-1]
            print(f"--adapt {how:5} {'(cached)' if r['cached'] else '        '} process {r['wall_seconds']:6.1f} s = adaptation {r['adapt_seconds']:6.1f} s"
                  f" + fine-tuning {r['train_seconds']:6.1f} s + the rest; weighted F1 {r['weighted_f1']:.4f}, macro F1 {r['macro_f1']:.4f}", flush=True)
    write_json(a.json, dict(command='python bench/adapt_time.py ' + ' '.join(sys.argv[1:]), machine=machine(), seed=a.seed,
                            epochs=a.epochs, train_subset=a.train_subset, runs=rows))
