"""Levers for training speed, each measured for speed (steps of the main job's own loop) and for quality (the main job over seeds).

    python bench/levers.py speed --json bench/results/levers-speed.json                 # every lever against the baseline
    python bench/levers.py speed --precision fp32 --levers eager-attention --json bench/results/levers-speed.json
    python bench/levers.py quality --levers freeze-word-embeddings --json bench/results/levers-quality.json   # seeds 17-21
    python bench/levers.py saving --json bench/results/levers-speed.json                # what the per-epoch saving costs

A lever is a `Callback` that changes the run in `before_fit`, after `prepare` built it the way the main job was built before
these levers (`BASE`: the word embeddings trained), so both modes measure exactly the code that `train` runs.
Speed: this shared 2-core machine drifts by several per cent within minutes, more than some levers change, so each lever
is timed *beside* the baseline: one process holds both runs (same seed, so the same starting weights and batches) and
times a pass of `one_batch` over the training batches of each, in alternating order, for `--rounds` rounds; the lever's
figure is the median of its per-round ratios to the baseline. No validation, no saving; a compiled model's first round
includes its compilation. Quality: `train` into a temporary folder with the lever as a callback, the baseline's settings
otherwise; weighted and macro F1 of the best epoch on the seed's validation split. A `--json` file that exists is added
to (rows of the same lever, precision or seed are replaced), so levers can be measured in several sittings.
"""
import argparse, json, statistics, subprocess, sys, tempfile, time, types
from pathlib import Path
import torch
from dataclasses import replace
from smile_nb.settings import DEFAULTS
from smile_nb.model import freeze_embeddings
from smile_nb.train import Callback
from common import machine, mean_correct, mean_sd, per_class_rows, write_json

class FreezeWordEmbeddings(Callback):
    "The word-embedding matrix (11.7M of the 22.7M parameters) keeps its pretrained values: no gradient, no AdamW update."
    def before_fit(self, run): freeze_embeddings(run.accelerator.unwrap_model(run.model))   # what the default now does in `prepare`

class FreezeBottom(Callback):
    "The embeddings and the bottom `n` encoder layers keep their pretrained values and run as in inference (no dropout)."
    def __init__(self, n): self.n = n
    def before_fit(self, run):
        m = run.accelerator.unwrap_model(run.model).base_model
        for mod in [m.embeddings, *m.encoder.layer[:self.n]]:
            mod.requires_grad_(False)
            mod.train = types.MethodType(lambda self, mode=True: torch.nn.Module.train(self, False), mod)   # stays in eval mode

class Dropout(Callback):
    "Dropout probability `p` in the modules whose name matches `which` ('attention': attention probabilities only; 'all')."
    def __init__(self, p, which): self.p, self.which = p, which
    def before_fit(self, run):
        for name, mod in run.accelerator.unwrap_model(run.model).named_modules():
            if isinstance(mod, torch.nn.Dropout) and (self.which == 'all' or name.endswith('attention.self.dropout')): mod.p = self.p

class Attention(Callback):
    "transformers' attention implementation `impl` ('sdpa' is the default, 'eager' the explicit matrix products)."
    def __init__(self, impl): self.impl = impl
    def before_fit(self, run): run.accelerator.unwrap_model(run.model).set_attn_implementation(self.impl)

BASE = replace(DEFAULTS, freeze_embeddings=False, logit_adjust=0.0)   # what every lever is measured against: the main job before the levers

LEVERS = {
    'baseline':               (lambda: [], "the main job before these levers: word embeddings trained, SDPA attention"),
    'freeze-word-embeddings': (lambda: [FreezeWordEmbeddings()], "word embeddings frozen"),
    'attention-dropout-0':    (lambda: [Dropout(0.0, 'attention')], "no dropout on attention probabilities (lets SDPA use its flash kernel)"),
    'eager-attention':        (lambda: [Attention('eager')], "eager attention instead of SDPA"),
    'eager-attention-dropout-0': (lambda: [Attention('eager'), Dropout(0.0, 'attention')], "eager attention, no attention dropout"),
    'no-dropout':             (lambda: [Dropout(0.0, 'all')], "no dropout anywhere"),
    'no-dropout-freeze-word-embeddings': (lambda: [Dropout(0.0, 'all'), FreezeWordEmbeddings()], "no dropout, word embeddings frozen"),
    'freeze-word-embeddings-eager-attention': (lambda: [FreezeWordEmbeddings(), Attention('eager')], "word embeddings frozen, eager attention"),
    'freeze-1-layer':         (lambda: [FreezeBottom(1)], "embeddings and bottom 1 of 6 layers frozen, in inference mode"),
    'freeze-2-layers':        (lambda: [FreezeBottom(2)], "embeddings and bottom 2 of 6 layers frozen, in inference mode"),
    'freeze-3-layers':        (lambda: [FreezeBottom(3)], "embeddings and bottom 3 of 6 layers frozen, in inference mode"),
    'compile':                (lambda: [], "torch.compile(dynamic=True) of the model; compile time in the first round"),
}

def _pass(run, epoch:int) -> float:
    "One pass of `one_batch` over the run's training batches of `epoch`: tweets per second."
    from smile_nb.train import one_batch
    run.model.train(); run.train_dl.set_epoch(epoch)
    t0, n = time.perf_counter(), 0
    for b in run.train_dl: n += len(b['labels']); one_batch(run, b)
    return n / (time.perf_counter() - t0)

def speed_child(lever:str, rounds:int, precision:str='auto') -> dict:
    "The baseline and `lever` side by side in one process, a pass of each per round (the order alternating), on the same batches."
    from smile_nb.train import prepare
    base, lev = (prepare(replace(BASE, precision=precision), log=lambda *a: None) for _ in range(2))   # same seed: same model and batches
    lev.callbacks = LEVERS[lever][0](); lev('before_fit')
    if lever == 'compile': lev.model = torch.compile(lev.model, dynamic=True)
    pairs = []
    for e in range(rounds):
        first, second = (base, lev) if e % 2 == 0 else (lev, base)
        t = {id(first): _pass(first, e)}; t[id(second)] = _pass(second, e)
        pairs.append((t[id(base)], t[id(lev)]))
    ratios = sorted(l / b for b, l in pairs)
    trainable = sum(p.numel() for p in lev.model.parameters() if p.requires_grad)
    return dict(ratio=statistics.median(ratios), tweets_per_second=statistics.median(l for _, l in pairs),
                baseline_tweets_per_second=statistics.median(b for b, _ in pairs), rounds=pairs, precision=lev.precision,
                trainable_params=trainable)

def saving_costs(settings, repeats:int=3) -> dict:
    "Seconds that the main job's saving steps take after one training step: the best model, the resumable checkpoint, the ONNX copy."
    from smile_nb.train import prepare, one_batch, save_best, save_checkpoint
    from smile_nb.export import export_onnx
    run = prepare(settings, log=lambda *a: None)
    run.model.train(); run.train_dl.set_epoch(0); one_batch(run, next(iter(run.train_dl)))   # AdamW's state exists, as after an epoch
    run.epoch, run.best_epoch = 1, 1
    out = {}
    with tempfile.TemporaryDirectory() as d:
        run.out = Path(d)
        for name, f in (('save_best', save_best), ('save_checkpoint', save_checkpoint)):
            times = []
            for _ in range(repeats): t = time.perf_counter(); f(run); times.append(time.perf_counter() - t)
            out[name] = min(times)
        out['checkpoint_mb'] = sum(p.stat().st_size for p in (run.out/'last').rglob('*') if p.is_file()) / 2**20
        run.tokenizer.save_pretrained(run.out/'best')
        t = time.perf_counter(); export_onnx(run.out/'best'); out['export_onnx'] = time.perf_counter() - t
    return out

def quality_run(lever:str, seed:int) -> dict:
    "The main job with `lever` and `seed` into a temporary folder: its best epoch's figures."
    from smile_nb.train import train
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = train(out=Path(d)/'m', seed=seed, freeze_embeddings=BASE.freeze_embeddings, logit_adjust=BASE.logit_adjust, callbacks=LEVERS[lever][0](), progress=False, log=lambda *a: None)
        wall = time.perf_counter() - t
    return dict(lever=lever, seed=seed, weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'],
                best_epoch=m['best_epoch'], tweets_per_second=m['train_samples_per_second'], wall_seconds=wall, precision=m['precision'],
                per_class=per_class_rows(m['per_class']))

def summary(rows:list) -> dict:
    "Mean and standard deviation of the figures over `rows`, and the mean correct count per class."
    return dict(seeds=[r['seed'] for r in rows], **mean_sd(rows, ('weighted_f1', 'macro_f1', 'tweets_per_second')), per_class=mean_correct(rows))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('mode', choices=['speed', 'quality', 'saving'])
    p.add_argument('--levers', nargs='+', choices=list(LEVERS), default=None, help='default: all for speed, the baseline for quality')
    p.add_argument('--seeds', type=int, nargs='+', default=[17, 18, 19, 20, 21])
    p.add_argument('--rounds', type=int, default=3, help='speed: rounds of one baseline pass and one lever pass')
    p.add_argument('--precision', default='auto', help="speed: the precision to train in ('auto' as the main job)")
    p.add_argument('--json', help='write (or add to) this file')
    p.add_argument('--child', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child: print(json.dumps(speed_child(a.child, a.rounds, a.precision))); sys.exit(0)
    old = json.loads(Path(a.json).read_text()) if a.json and Path(a.json).exists() else {}
    out = dict(old, machine=machine(), what={k: v[1] for k, v in LEVERS.items()})
    if a.mode == 'saving':
        out['saving'] = {}
        for name, settings in (('baseline', BASE), ('default', DEFAULTS)):
            out['saving'][name] = r = saving_costs(settings)
            print(f"{name}: " + ', '.join(f"{k} {v:.2f} s" if k != 'checkpoint_mb' else f"checkpoint {v:.0f} MB" for k, v in r.items()))
    elif a.mode == 'speed':
        rows = out.setdefault('speed', {})
        for lever in a.levers or [l for l in LEVERS if l != 'baseline']:
            r = subprocess.run([sys.executable, __file__, 'speed', '--child', lever, '--rounds', str(a.rounds), '--precision', a.precision],
                               capture_output=True, text=True)
            if r.returncode: raise SystemExit(f"levers: {lever} failed:\n{r.stderr[-2000:]}")
            x = json.loads(r.stdout.strip().splitlines()[-1])
            rows[f"{lever} ({x['precision']})"] = dict(x, lever=lever)
            print(f"{lever:>38} ({x['precision']}): {x['ratio']:.2f}x baseline (median of {a.rounds} rounds; {x['tweets_per_second']:.1f} against "
                  f"{x['baseline_tweets_per_second']:.1f} tweets/s; rounds " + ', '.join(f'{b:.0f}/{l:.0f}' for b, l in x['rounds']) + ')', flush=True)
    else:
        runs = out.setdefault('quality_runs', [])
        for lever in a.levers or ['baseline']:
            for seed in a.seeds:
                r = quality_run(lever, seed)
                runs[:] = [x for x in runs if (x['lever'], x['seed']) != (lever, seed)] + [r]
                print(f"{lever}, seed {seed}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  best epoch {r['best_epoch']}  "
                      f"{r['tweets_per_second']:.1f} tweets/s  " + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()), flush=True)
                write_json(a.json, out)
        out['quality'] = {l: summary([r for r in runs if r['lever'] == l]) for l in dict.fromkeys(r['lever'] for r in runs)}
        for l, s in out['quality'].items():
            print(f"{l:>26}: weighted F1 {s['weighted_f1'][0]:.4f} ± {s['weighted_f1'][1]:.4f}  macro F1 {s['macro_f1'][0]:.4f} ± {s['macro_f1'][1]:.4f}  "
                  f"{s['tweets_per_second'][0]:.1f} tweets/s  ({len(s['seeds'])} seeds)")
    write_json(a.json, out)
