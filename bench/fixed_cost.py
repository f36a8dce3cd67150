"""Where a training run's time goes outside the epochs: `smile-nb-train --epochs 1` as a user runs it, phase by phase.

    python bench/fixed_cost.py --json bench/results/fixed-cost.json                  # the command as it is now
    python bench/fixed_cost.py --before a88fd79 --json bench/results/fixed-cost.json # and as it was at a commit, in turns

Each run is a fresh process that imports what `smile-nb-train` imports and calls its function with `--epochs 1`, the
package's own functions wrapped by a clock (nothing in smile_nb is changed): imports, then prepare's steps (device,
data, tokenizer and tokens, model, batches, Accelerate), the epoch (training, validation, saving the best model and
the checkpoint), then finish (the best model evaluated again where the package does that, the folder written, the
plots), the ONNX export and the model card. The parent times the whole process, exit included. `python -X importtime`
then lists what the command's imports cost, package by package. `--before COMMIT` runs the package as it was at that
commit (`git archive` onto PYTHONPATH, `python -P`) in turns with the present one.
"""
import argparse, json, os, subprocess, sys, tempfile, time
T0 = time.perf_counter()   # the child's clock starts before any import of its own
from pathlib import Path

# (module, attribute, phase): the functions whose time the child adds up; a name a version lacks is skipped
CLOCKED = [('smile_nb.train', 'Accelerator', 'prepare: device (Accelerator)'),
           ('smile_nb.train', 'load_smile', 'prepare: data (read the CSV)'), ('smile_nb.train', 'split_smile', 'prepare: data (split)'),
           ('smile_nb.train', 'load_tokenizer', 'prepare: tokenizer'), ('smile_nb.train', 'encode_split', 'prepare: tokens'),
           ('smile_nb.train', 'load_model', 'prepare: model (load)'), ('smile_nb.train', 'train_loader', 'prepare: batches'),
           ('smile_nb.train', 'val_loader', 'prepare: batches'), ('smile_nb.train', 'make_optimizer', 'prepare: optimizer'),
           ('smile_nb.train', 'train_epoch', 'epoch: training'), ('smile_nb.train', 'validate_epoch', 'epoch: validation'),
           ('smile_nb.train', 'keep_best', 'epoch: save the best model'), ('smile_nb.train', 'save_checkpoint', 'epoch: checkpoint'),
           ('smile_nb.train', 'finish', 'finish (all)'), ('smile_nb.train', 'plot_history', 'finish: plots'),
           ('smile_nb.train', 'plot_confusion', 'finish: plots'), ('smile_nb.train', 'save_tokenizer', 'finish: tokenizer'),
           ('smile_nb.export', 'onnx_file', 'ONNX export (and its check)'), ('smile_nb.card', 'write_model_card', 'model card')]

def clock(fn, phase:str, acc:dict):
    "`fn`, adding the seconds of each call to `acc[phase]` (a phase that calls another, such as finish, includes its time)."
    import functools
    @functools.wraps(fn)
    def timed(*a, **k):
        t = time.perf_counter()
        try: return fn(*a, **k)
        finally: acc[phase] = acc.get(phase, 0.0) + time.perf_counter() - t
    return timed

def child(out:str):
    "Run `smile-nb-train --epochs 1 --out OUT` in this process with the package's steps clocked; print the phases as JSON."
    import importlib
    acc = {}
    from smile_nb.cli import smile_nb_train   # the command's own imports happen inside it: import them first, as it will
    from smile_nb.train import train; from smile_nb.export import ExportOnnx; from smile_nb.card import WriteCard
    acc['imports'] = time.perf_counter() - T0
    for mod, name, phase in CLOCKED:
        m = importlib.import_module(mod)
        if hasattr(m, name): setattr(m, name, clock(getattr(m, name), phase, acc))   # callers look the name up in the module: they get the wrapper
    t = time.perf_counter()
    sys.argv = ['smile-nb-train', '--epochs', '1', '--out', out]
    smile_nb_train()
    acc['command (after imports)'] = time.perf_counter() - t
    acc['process until exit starts'] = time.perf_counter() - T0
    print('PHASES ' + json.dumps(acc), flush=True)

def importtime(env=None) -> dict:
    "Import seconds by top-level package (each module's own time, `python -X importtime`), largest first."
    code = "import smile_nb.cli; from smile_nb.train import train; from smile_nb.export import ExportOnnx; from smile_nb.card import WriteCard"
    err = subprocess.run([sys.executable, '-P', '-X', 'importtime', '-c', code], capture_output=True, text=True, env=env, check=True).stderr
    top = {}
    for line in err.splitlines():   # "import time: self [us] | cumulative | name": each module's own time, to its top package
        parts = line.split('|')
        if not line.startswith('import time:') or len(parts) != 3 or 'cumulative' in line: continue
        pkg = parts[2].strip().split('.')[0]
        top[pkg] = top.get(pkg, 0.0) + int(parts[0].split(':')[1]) / 1e6
    return dict(sorted(top.items(), key=lambda kv: -kv[1]))

def run_once(env=None) -> dict:
    "One whole `smile-nb-train --epochs 1` process, clocked: its phases and its wall time."
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        p = subprocess.run([sys.executable, '-P', __file__, '--child', str(Path(d)/'model')], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t
        if p.returncode: raise SystemExit(f"fixed_cost: the run failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
        phases = json.loads(next(l for l in p.stdout.splitlines() if l.startswith('PHASES '))[7:])
        m = json.loads((Path(d)/'model'/'metrics.json').read_text())
    training = phases.get('epoch: training', 0.0)
    return dict(wall_seconds=wall, phases=phases, outside_training=wall - training, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'])

def before_env(d:Path, commit:str) -> dict:
    "An environment whose PYTHONPATH puts the package as it was at `commit` first."
    root = Path(__file__).resolve().parent.parent
    tar = subprocess.run(['git', '-C', str(root), 'archive', commit, 'smile_nb'], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(d)], input=tar, check=True)
    return {**os.environ, 'PYTHONPATH': str(d)}

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--before', help='also run the package as it was at this commit, in turns with the present one')
    p.add_argument('--repeat', type=int, default=2, help='runs of each version, in turns')
    p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--child', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child: child(a.child); sys.exit(0)
    from common import machine, write_json
    with tempfile.TemporaryDirectory() as d:
        envs = {'now': None}
        if a.before: envs['before'] = before_env(Path(d), a.before)
        runs = {k: [] for k in envs}
        imports = {k: importtime(e) for k, e in envs.items()}
        for i in range(a.repeat):
            for k, e in envs.items():
                r = run_once(e); runs[k].append(r)
                print(f"{k} run {i + 1}: {r['wall_seconds']:.1f} s whole process, {r['phases'].get('epoch: training', 0):.1f} s training, "
                      f"{r['outside_training']:.1f} s outside it", flush=True)
    for k, rs in runs.items():
        print(f"\n{k}: phases (mean of {len(rs)} runs, seconds)")
        for ph in rs[0]['phases']: print(f"  {ph:<34} {sum(r['phases'].get(ph, 0) for r in rs) / len(rs):6.2f}")
        print('  imports by package: ' + ', '.join(f'{n} {s:.2f}' for n, s in list(imports[k].items())[:8]))
    write_json(a.json, dict(command='python bench/fixed_cost.py ' + ' '.join(sys.argv[1:]), machine=machine(), before=a.before,
                            runs=runs, imports=imports))
