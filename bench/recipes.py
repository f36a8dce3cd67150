"""Choose the training recipe by cross-validation inside the training tweets; then score every recipe once on the validation tweets.

    python bench/recipes.py --json bench/results/recipes.json            # the whole protocol: minutes on a GPU, a day on 2 CPU cores
    python bench/recipes.py --workers 8 --json bench/results/recipes.json   # on a GPU, 8 runs at once share it
    python bench/recipes.py --recipes default label-smoothing-0.1 --epochs 1 --train-subset 60 --no-setfit   # the machinery, quickly

The protocol, in this order:

1. **Cross-validation (CV) inside the training split.** The seed's 1,258 training tweets go into 5 stratified folds
   (scikit-learn's `StratifiedKFold`, random_state 17). Each recipe trains on 4 folds and is scored on the fifth,
   where it also picks its best epoch, as `train` does with its validation split. The 223 validation tweets take no part.
2. **The choice, on CV alone.** A recipe's CV score is the fold mean of weighted F1 + macro F1 (the issue's two targets).
   Every single lever whose CV score beats the default's, and that costs no more training time, joins the *combined*
   recipe, which is cross-validated in turn (and once more with 6 epochs, as the fast option). Then the logit
   adjustment's tau is chosen for it on CV (a grid from 0, no adjustment, up), and a threshold per class is fitted on
   the pooled out-of-fold logits of the training tweets.
3. **The report, once.** Every recipe trains with seeds 17-21 on the seed's split and is scored on the 223 validation
   tweets; the default and the combined recipes also on a reshuffled split (the CSV's rows shuffled with seed 42, then
   the seed's split procedure). Nothing in this step feeds back into step 2.

Levers that change no training step reuse the runs' logits, without training again: the logit adjustment and the
per-class thresholds (fitted on CV, applied to the report's runs), and the average of the last epochs' weights
(recorded in every run). The weight soup (the average of the best models of seeds 17-21, each from the same head
initialisation) is one model per split; SetFit (`setfit`, optional) is the peer row. Every finished run is appended
to `--runs` (JSON lines with its logits) as it ends, so an interrupted protocol keeps what it did; `--analyse`
recomputes the tables from that file alone.
"""
import argparse, base64, json, os, statistics, sys, time, traceback
from dataclasses import replace
from pathlib import Path
import numpy as np

FOLDS, SEEDS, RESHUFFLE = 5, [17, 18, 19, 20, 21], 42
TAUS = [round(0.1 * i, 1) for i in range(21)]   # logit adjustment: 0 (none) to 2

# ---------------------------------------------------------------- levers

def _callbacks():
    "The bench's own callbacks (imported in the worker, after torch)."
    import torch
    from smile_nb.train import Callback, validate

    class RDrop(Callback):
        "R-Drop (Liang et al. 2021): a second forward pass with other dropout; the loss adds `alpha` x the symmetric KL of the two."
        def __init__(self, alpha=1.0): self.alpha = alpha
        def after_loss(self, run):
            import torch.nn.functional as F
            s = run.settings
            logits2 = run.model(**run.batch).logits.float()
            ce2 = F.cross_entropy(logits2, run.targets, weight=run.loss_weight, label_smoothing=s.label_smoothing)
            p, q = F.log_softmax(run.logits, -1), F.log_softmax(logits2, -1)
            kl = 0.5 * (F.kl_div(p, q, log_target=True, reduction='batchmean') + F.kl_div(q, p, log_target=True, reduction='batchmean'))
            run.loss = 0.5 * (run.loss + ce2) + self.alpha * kl

    class Record(Callback):
        "Keep every epoch's validation logits; the mean weights of the last `k` epochs, and their logits after the fit."
        def __init__(self, k=3, keep_best=False): self.k, self.keep_best, self.logits, self.sum, self.best_state = k, keep_best, [], None, None
        def after_validate(self, run): self.logits.append(np.asarray(run.val_logits, dtype=np.float32))
        def after_epoch(self, run):
            m = run.accelerator.unwrap_model(run.model)
            if self.keep_best and run.best_epoch == run.epoch: self.best_state = {k: v.detach().float().clone() for k, v in m.state_dict().items()}
            if run.epoch > run.settings.epochs - self.k:
                sd = m.state_dict()
                if self.sum is None: self.sum = {k: v.detach().float().clone() for k, v in sd.items()}
                else:
                    for k, v in sd.items(): self.sum[k] += v.float()
        def after_fit(self, run):
            if self.sum is None: self.avg_logits = None; return
            m = run.accelerator.unwrap_model(run.model)
            n = min(self.k, len(run.history))
            m.load_state_dict({k: (v / n).to(m.state_dict()[k].dtype) for k, v in self.sum.items()})
            _, logits, _ = validate(run.model, run.val_dl, run.accelerator)
            self.avg_logits = np.asarray(logits, dtype=np.float32)

    class SharedHead(Callback):
        "The classifier starts from the same random draw in every run (seed 17), so that runs of several seeds can be averaged."
        def before_fit(self, run):
            m = run.accelerator.unwrap_model(run.model)
            g = torch.Generator().manual_seed(17)
            with torch.no_grad():
                w = m.classifier.weight
                w.copy_(torch.randn(w.shape, generator=g) * m.config.initializer_range); m.classifier.bias.zero_()

    return RDrop, Record, SharedHead

# name: (settings that differ from the default, callbacks by name, what it is, does it cost more time than the default?)
LEVERS = {
    'default':             ({}, [], "today's default: 10 epochs, lr 5e-5, head lr 2e-3, word embeddings frozen", False),
    'lr-decay-0.9':        (dict(lr_decay=0.9), [], "layer-wise learning-rate decay 0.9", False),
    'lr-1e-4-decay-0.8':   (dict(lr=1e-4, lr_decay=0.8), [], "top layer lr 1e-4, decay 0.8 per layer (bottom ~3e-5)", False),
    'label-smoothing-0.1': (dict(label_smoothing=0.1), [], "label smoothing 0.1", False),
    'reinit-top-1':        (dict(reinit_layers=1), [], "the top encoder layer re-initialised", False),
    'epochs-6':            (dict(epochs=6), [], "6 epochs instead of 10 (the fast option)", False),
    'epochs-20':           (dict(epochs=20), [], "20 epochs, the best kept (longer training)", True),
    'r-drop':              ({}, ['RDrop'], "R-Drop, alpha 1: two forward passes per batch", True),
}
SINGLE = [k for k in LEVERS if k not in ('default', 'epochs-6')]   # candidates for the combined recipe

# ---------------------------------------------------------------- data

def load(data=None):
    from smile_nb.data import load_smile
    return load_smile(data)

def split_frame(df, split):
    "The split frame for `split`: ('seed',), ('reshuffled',) or ('cv', k), with a `data_type` column."
    from smile_nb.split import split_smile
    if split[0] == 'seed': return split_smile(df)
    if split[0] == 'reshuffled': return split_smile(df.sample(frac=1, random_state=RESHUFFLE))
    from sklearn.model_selection import StratifiedKFold
    tr = split_smile(df).query("data_type == 'train'").copy()
    _, val = list(StratifiedKFold(FOLDS, shuffle=True, random_state=17).split(tr.text, tr.label))[split[1]]
    tr['data_type'] = 'train'; tr.iloc[val, tr.columns.get_loc('data_type')] = 'val'
    return tr

# ---------------------------------------------------------------- one job (in a worker process)

b64 = lambda a, dt: base64.b64encode(np.ascontiguousarray(a, dtype=dt).tobytes()).decode()

def run_job(job, a):
    "Train the runs of `job` (one per seed; a soup averages them) and return a record per run."
    import torch
    from smile_nb.settings import DEFAULTS
    from smile_nb.train import prepare, fit
    from smile_nb.metrics import validate
    RDrop, Record, SharedHead = _callbacks()
    df = split_frame(load(a.data), job['split'])
    over, cbs = job['settings'], job['callbacks']
    out, states = [], []
    for seed in job['seeds']:
        quick = {k: v for k, v in dict(epochs=a.epochs, train_subset=a.train_subset).items() if v}   # a quick check's overrides
        s = replace(DEFAULTS, **{**over, 'model': a.model, 'seed': seed, **quick}).check()
        t = time.perf_counter()
        run = prepare(s, df, log=lambda *x: None)
        rec = Record(k=3, keep_best=job.get('soup', False))
        run.callbacks, run.progress = ([SharedHead()] if job.get('soup') else []) + [{'RDrop': RDrop}[c]() for c in cbs] + [rec], False
        fit(run)
        y = np.asarray(run.val_targets)
        out.append(dict(recipe='shared-head' if job.get('soup') else job['recipe'], split=job['split'][0],
                        fold=job['split'][1] if job['split'][0] == 'cv' else None, seed=seed, epochs=len(run.history), best_epoch=run.best_epoch, train_seconds=run.train_seconds,
                        wall_seconds=time.perf_counter() - t, precision=run.precision, device=str(run.accelerator.device),
                        n_train=run.n_train, n_val=len(y), targets=b64(y, np.int8), classes=len(run.labels),
                        logits=[b64(l, np.float16) for l in rec.logits], avg_logits=b64(rec.avg_logits, np.float16)))
        if job.get('soup'): states.append(rec.best_state)
    if job.get('soup'):   # one model: the mean of the seeds' best weights
        m = run.accelerator.unwrap_model(run.model)
        m.load_state_dict({k: (sum(st[k] for st in states) / len(states)).to(v.dtype) for k, v in m.state_dict().items()})
        _, logits, _ = validate(run.model, run.val_dl, run.accelerator)
        out.append(dict(recipe='soup-of-5', split=job['split'][0], fold=out[0]['fold'], seed=None, seeds=job['seeds'],
                        train_seconds=sum(r['train_seconds'] for r in out), targets=out[0]['targets'], classes=out[0]['classes'],
                        logits=[b64(logits, np.float16)], best_epoch=1, epochs=1, avg_logits=None))
    return out

def setfit_job(job, a):
    "SetFit: contrastive fine-tuning of the sentence-transformer body on pairs of training tweets, then a logistic-regression head."
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression
    df = split_frame(load(a.data), job['split'])
    tr, va = df[df.data_type == 'train'], df[df.data_type == 'val']
    out = []
    for seed in job['seeds']:
        t = time.perf_counter()
        head = dict(head_params=dict(class_weight='balanced', max_iter=1000)) if job['recipe'] == 'setfit-balanced' else {}
        m = SetFitModel.from_pretrained(a.model or _default_model(), **head)
        args = TrainingArguments(batch_size=16, num_epochs=1, num_iterations=a.setfit_iterations, seed=seed, report_to='none', show_progress_bar=False)
        Trainer(model=m, args=args, train_dataset=Dataset.from_dict(dict(text=list(tr.text), label=list(tr.label)))).train()
        proba = np.asarray(m.predict_proba(list(va.text), as_numpy=True), dtype=np.float32)
        full = np.full((len(va), 6), -30.0, dtype=np.float32)
        full[:, m.model_head.classes_] = np.log(np.clip(proba, 1e-9, 1))   # a class the head never saw can never win
        out.append(dict(recipe=job['recipe'], split=job['split'][0], fold=job['split'][1] if job['split'][0] == 'cv' else None,
                        seed=seed, epochs=1, best_epoch=1, train_seconds=time.perf_counter() - t, wall_seconds=time.perf_counter() - t,
                        targets=b64(va.label.values, np.int8), classes=6, logits=[b64(full, np.float16)], avg_logits=None))
    return out

def _default_model():
    from smile_nb.encode import resolve_model
    return resolve_model(None)

def worker(job, a):
    "A job in a worker: its records, or one record that says why it failed (the protocol goes on without it)."
    os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
    if a.workers > 1:
        import torch; torch.set_num_threads(max(1, (os.cpu_count() or 2) // a.workers))
    try: return (setfit_job if job['recipe'].startswith('setfit') else run_job)(job, a)
    except Exception as e:
        return [dict(recipe=job['recipe'], split=job['split'][0], failed=f"{type(e).__name__}: {e}", trace=traceback.format_exc()[-2000:])]

# ---------------------------------------------------------------- scoring (main process)

LABELS = ['happy', 'not-relevant', 'angry', 'disgust', 'sad', 'surprise']

def unb64(s, dt, shape=None):
    a = np.frombuffer(base64.b64decode(s), dtype=dt)
    return a.reshape(shape) if shape else a

def logits_of(r):
    "The run's validation logits per epoch, as an array (epochs, tweets, classes)."
    n = len(unb64(r['targets'], np.int8))
    return np.stack([unb64(l, np.float16, (n, r['classes'])).astype(np.float32) for l in r['logits']])

def score(logits, y):
    "Weighted F1, macro F1 (over the classes present in labels or predictions, as `evaluate_logits`) and correct per class."
    from sklearn.metrics import f1_score
    p = logits.argmax(-1)
    return dict(weighted_f1=float(f1_score(y, p, average='weighted', zero_division=0)),
                macro_f1=float(f1_score(y, p, average='macro', zero_division=0)),
                per_class={c: [int(((p == i) & (y == i)).sum()), int((y == i).sum())] for i, c in enumerate(LABELS)})

def best_epoch(L, y, offset=0.0):
    "The run's figures at the epoch with the best weighted F1 of the (offset) logits, a tie keeping the earlier, as `train` picks."
    ss = [score(l + offset, y) for l in L]
    i = max(range(len(ss)), key=lambda e: (ss[e]['weighted_f1'], -e))
    return dict(ss[i], epoch=i + 1, logits=L[i] + offset)

def prior_offset(split, tau, data=None, _cache={}):
    "The logit adjustment's offset for `split`'s training tweets (as `logit_offset` computes it in `prepare`)."
    from smile_nb.train import logit_offset
    key = tuple(split) + (data,)
    if key not in _cache: _cache[key] = split_frame(load(data), split).query("data_type == 'train'").label.values
    return logit_offset(_cache[key], 6, tau).numpy()

def run_result(r, offset=0.0, variant=None):
    "One run's figures under a post-hoc variant: None (its best epoch), 'average' (last 3 epochs' mean weights)."
    y = unb64(r['targets'], np.int8).astype(int)
    if variant == 'average':
        n = len(y); L = unb64(r['avg_logits'], np.float16, (n, r['classes'])).astype(np.float32)[None]
        return best_epoch(L, y, offset)
    return best_epoch(logits_of(r), y, offset)

def fit_class_offsets(logits, y, steps=np.arange(-1, 4.01, 0.25), sweeps=3):
    "A shift per class, by coordinate ascent on weighted F1 + macro F1 of `logits` (the out-of-fold logits of the training tweets)."
    off = np.zeros(logits.shape[1])
    obj = lambda o: (lambda s: s['weighted_f1'] + s['macro_f1'])(score(logits + o, y))
    best = obj(off)
    for _ in range(sweeps):
        for c in range(1, logits.shape[1]):   # class 0 (happy) is the reference
            for v in steps:
                o = off.copy(); o[c] = v; f = obj(o)
                if f > best + 1e-9: best, off = f, o
    return off

def summarise(results):
    "Mean and sd of weighted and macro F1 over `results`, the mean correct per class, the mean training seconds."
    ms = lambda k: [statistics.mean(r[k] for r in results), statistics.stdev(r[k] for r in results) if len(results) > 1 else 0.0]
    return dict(n=len(results), weighted_f1=ms('weighted_f1'), macro_f1=ms('macro_f1'),
                per_class={c: statistics.mean(r['per_class'][c][0] for r in results) for c in LABELS},
                support={c: results[0]['per_class'][c][1] for c in LABELS})

def cv_score(s): return s['weighted_f1'][0] + s['macro_f1'][0]

# ---------------------------------------------------------------- the protocol

def jobs_for(recipe, split, soup=False):
    "The jobs that run `recipe` on `split`: one seed per CV fold, seeds 17-21 otherwise; a soup trains its five seeds in one job."
    if recipe.startswith('setfit'): return [dict(recipe=recipe, split=split, seeds=[s]) for s in ([17] if split[0] == 'cv' else SEEDS)]
    how = dict(settings=LEVERS[recipe][0], callbacks=LEVERS[recipe][1])
    if soup: return [dict(recipe='soup-of-5', split=split, seeds=SEEDS, soup=True, **how)]
    return [dict(recipe=recipe, split=split, seeds=[s], **how) for s in ([17] if split[0] == 'cv' else SEEDS)]

CV = [('cv', k) for k in range(FOLDS)]

class Pool:
    "Runs jobs in `workers` processes (or in this one), in the order of a queue that may grow at its front, appending each finished run to `--runs`."
    def __init__(self, a):
        self.a, self.records = a, [json.loads(l) for l in Path(a.runs).read_text().splitlines() if l.strip()] if a.resume and Path(a.runs).exists() else []
        if not a.resume: Path(a.runs).parent.mkdir(parents=True, exist_ok=True); Path(a.runs).write_text('')
    def done(self, job):
        return [r for r in self.records if r['recipe'] == job['recipe'] and r['split'] == job['split'][0] and r.get('fold') == (job['split'][1] if job['split'][0] == 'cv' else None)
                and (r.get('seed') in job['seeds'] or job.get('soup'))]
    def keep(self, recs):
        with open(self.a.runs, 'a') as f:
            for r in recs: f.write(json.dumps(r) + '\n')
        self.records += recs
        for r in recs:
            if 'failed' in r: print(f"FAILED {r['recipe']} {r['split']}: {r['failed']}", flush=True)
            else: print(f"  {r['recipe']:<22} {r['split']:<10} fold {r.get('fold')} seed {r.get('seed')}: {r.get('train_seconds', 0):.0f} s", flush=True)
    def run(self, queue, after=lambda: []):
        "Run the jobs of `queue` in order, `workers` at a time; after each finished job, `after()` may return jobs to run next."
        queue = [j for j in queue if not self.done(j)]
        late = lambda: self.a.deadline and time.time() > self.a.deadline
        if self.a.workers <= 1:
            while queue:
                j = queue.pop(0)
                self.keep(worker(j, self.a) if not late() else [dict(recipe=j['recipe'], split=j['split'][0], failed='deadline: not run')])
                queue = [j for j in after() if not self.done(j)] + queue
            return
        import concurrent.futures as cf, multiprocessing as mp
        with cf.ProcessPoolExecutor(self.a.workers, mp_context=mp.get_context('spawn')) as ex:
            flying = set()
            while queue or flying:
                while queue and len(flying) < self.a.workers: flying.add(ex.submit(_guarded, queue.pop(0), self.a))
                finished, flying = cf.wait(flying, return_when=cf.FIRST_COMPLETED)
                for f in finished: self.keep(f.result())
                queue = [j for j in after() if not self.done(j)] + queue

def _guarded(job, a):
    if a.deadline and time.time() > a.deadline: return [dict(recipe=job['recipe'], split=job['split'][0], failed='deadline: not run')]
    return worker(job, a)

def table(records, recipe, split, offset_fn=None, variant=None):
    "The run results of `recipe` on `split` ('cv', 'seed', 'reshuffled'), post-hoc `offset_fn(split_tuple)` applied."
    rs = [r for r in records if r['recipe'] == recipe and r['split'] == split and 'failed' not in r]
    out = []
    for r in rs:
        sp = ('cv', r['fold']) if split == 'cv' else (split,)
        o = offset_fn(sp) if offset_fn else 0.0
        out.append(dict(run_result(r, o, variant), seed=r.get('seed'), fold=r.get('fold'), train_seconds=r['train_seconds']))
    return out

def choose_tau(records, recipe, data):
    "The tau with the best CV score for `recipe`'s runs (best epochs picked again on the adjusted logits)."
    scores = {}
    for tau in TAUS:
        rs = table(records, recipe, 'cv', lambda sp: prior_offset(sp, tau, data))
        if rs: scores[tau] = cv_score(summarise(rs))
    return (max(scores, key=lambda t: (round(scores[t], 6), -t)) if scores else 0.0), scores   # no CV runs: no adjustment

def oof_offsets(records, recipe):
    "Per-class thresholds fitted on `recipe`'s pooled out-of-fold logits (each fold's best epoch) of the training tweets."
    rs = table(records, recipe, 'cv')
    L = np.concatenate([r['logits'] for r in rs]); y = np.concatenate([unb64(x['targets'], np.int8) for x in records
                                                                       if x['recipe'] == recipe and x['split'] == 'cv' and 'failed' not in x])
    return fit_class_offsets(L, y.astype(int))

def report(records, data=None, chosen=None):
    "Every row of the levers table: CV and seed-split (and reshuffled) summaries, post-hoc variants included."
    recipes = list(dict.fromkeys(r['recipe'] for r in records if 'failed' not in r))
    rows, taus = {}, {}
    for rec in recipes:
        cost = statistics.mean(r['train_seconds'] for r in records if r['recipe'] == rec and 'failed' not in r and r['split'] == 'seed') \
            if any(r['recipe'] == rec and r['split'] == 'seed' and 'failed' not in r for r in records) else None
        variants = [(rec, None, None)]
        if not rec.startswith(('setfit', 'soup')):
            variants.append((rec + ' + average last 3', None, 'average'))
            tau, sc = choose_tau(records, rec, data); taus[rec] = dict(tau=tau, cv_scores=sc)
            if tau: variants.append((f"{rec} + logit adjustment {tau}", lambda sp, t=tau: prior_offset(sp, t, data), None))
            from smile_nb.settings import DEFAULTS
            if DEFAULTS.logit_adjust not in (0, tau):   # what the recipe gives with the package's default tau, as a user would run it
                variants.append((f"{rec} + logit adjustment {DEFAULTS.logit_adjust} (the default's)", lambda sp, t=DEFAULTS.logit_adjust: prior_offset(sp, t, data), None))
            try: off = oof_offsets(records, rec)
            except ValueError: off = None
            if off is not None and np.any(off): variants.append((f"{rec} + class thresholds", lambda sp, o=off: o, None)); taus[rec]['class_offsets'] = off.tolist()
        for name, fn, var in variants:
            row = dict(recipe=rec, train_seconds=cost)
            for split in ('cv', 'seed', 'reshuffled'):
                rs = table(records, rec, split, fn, var)
                if rs: row[split] = summarise(rs); row[split + '_runs'] = [{k: r[k] for k in ('seed', 'fold', 'weighted_f1', 'macro_f1', 'per_class', 'epoch')} for r in rs]
            if 'cv' in row or 'seed' in row: rows[name] = row
    return rows, taus

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--recipes', nargs='+', default=None, help='single levers to cross-validate (default: all)')
    p.add_argument('--workers', type=int, default=1, help='runs at once (on a GPU: several share it)')
    p.add_argument('--epochs', type=int, help='override every recipe\'s epochs (a quick check only)')
    p.add_argument('--train-subset', type=int, help='train on this many tweets (a quick check only)')
    p.add_argument('--setfit-iterations', type=int, default=20, help="SetFit's pairs per training tweet")
    p.add_argument('--no-setfit', action='store_true'); p.add_argument('--no-soup', action='store_true')
    p.add_argument('--model', default=None); p.add_argument('--data', default=None)
    p.add_argument('--minutes', type=float, default=None, help='start no new run after this many minutes')
    p.add_argument('--runs', default='bench/results/recipes-runs.jsonl', help='every run with its logits, appended as it ends')
    p.add_argument('--resume', action='store_true', help='keep the runs already in --runs')
    p.add_argument('--analyse', action='store_true', help='only recompute the tables from --runs')
    p.add_argument('--only', nargs='+', help="run only these recipes' report runs on the seed's split (added to --runs)")
    p.add_argument('--ran-on', help='with --analyse: where the runs in --runs ran (their machine is not this one)')
    p.add_argument('--json', help='write the tables here')
    a = p.parse_args()
    a.deadline = time.time() + 60 * a.minutes if a.minutes else None
    t0 = time.time()
    single = a.recipes or SINGLE
    if a.analyse: a.resume = True
    pool = Pool(a)
    cv_jobs = [j for rec in sorted(set(['default', 'epochs-6'] + single), key=lambda r: (not LEVERS[r][3], r)) for sp in CV for j in jobs_for(rec, sp)]
    chosen = {}
    def choose():
        "Once every CV run of the single levers is in: the levers that beat the default join the combined recipe (run next)."
        if chosen or any(not pool.done(j) for j in cv_jobs): return []
        base = summarise(table(pool.records, 'default', 'cv'))
        cv = {rec: summarise(rs) for rec in single if (rs := table(pool.records, rec, 'cv'))}
        joined = [rec for rec in single if rec in cv and rec != 'default' and not LEVERS[rec][3] and cv_score(cv[rec]) > cv_score(base)]
        settings = {k: v for rec in joined for k, v in LEVERS[rec][0].items()}
        chosen.update(base=base, joined=joined)
        print(f"== 2. the choice: default CV weighted F1 {base['weighted_f1'][0]:.4f}, macro F1 {base['macro_f1'][0]:.4f}; "
              f"levers that beat it on CV and cost no more time: {joined or 'none'} ==", flush=True)
        if not joined: return []
        LEVERS['combined'] = (settings, [], 'the levers that beat the default on CV: ' + ', '.join(joined), False)
        LEVERS['combined-6-epochs'] = (dict(settings, epochs=6), [], 'the combined recipe in 6 epochs (the fast option)', False)
        return [j for c in ('combined', 'combined-6-epochs') for sp in CV + [('seed',), ('reshuffled',)] for j in jobs_for(c, sp)]
    if a.only:   # some recipes' report runs alone (a peer measured in a sitting of its own), then the tables from everything in --runs
        a.resume = True; pool = Pool(a); pool.run([j for rec in a.only for j in jobs_for(rec, ('seed',))]); a.analyse = True
    if not a.analyse:
        # 1. CV of the default and of every single lever (the slow ones first); 2. the choice, as soon as they are in (`choose`);
        # 3. the report on the validation tweets: every recipe on the seed's split, the default on the reshuffled one, soups, SetFit
        report_jobs = [j for rec in ['default'] + sorted(set(single + ['epochs-6']) - {'default'}) for j in jobs_for(rec, ('seed',))]
        report_jobs += jobs_for('default', ('reshuffled',))
        setfit = [] if a.no_setfit else [('setfit', sp) for sp in [('seed',)] + CV] + [('setfit-balanced', sp) for sp in [('seed',)] + CV]
        soup = [] if a.no_soup else [('default', sp) for sp in [('seed',), ('reshuffled',)] + CV]
        for part in (setfit[:1] + setfit[6:7], soup[:2], setfit[1:6] + setfit[7:], soup[2:]):   # each peer's report before its CV
            report_jobs += [j for rec, sp in part for j in jobs_for(rec, sp, soup=rec == 'default')]
        pool.run(cv_jobs + report_jobs, choose)
    else: choose()
    base, joined = chosen.get('base'), chosen.get('joined', [])
    rows, taus = report(pool.records, a.data)
    print(f"\n{'recipe':<48} {'CV weighted':>12} {'CV macro':>10} {'seed-split weighted':>20} {'macro':>14} {'reshuffled w/m':>16}")
    f = lambda s, k: f"{s[k][0]:.3f}±{s[k][1]:.3f}" if s else ''
    for name, r in rows.items():
        print(f"{name:<48} {f(r.get('cv'), 'weighted_f1'):>12} {f(r.get('cv'), 'macro_f1'):>10} {f(r.get('seed'), 'weighted_f1'):>20} "
              f"{f(r.get('seed'), 'macro_f1'):>14} {f(r.get('reshuffled'), 'weighted_f1'):>8}/{f(r.get('reshuffled'), 'macro_f1')}")
    failed = [r for r in pool.records if 'failed' in r]
    from common import machine, write_json
    ran = sorted({(r.get('device', '').split(':')[0], r.get('precision')) for r in pool.records if 'failed' not in r and r.get('device')})
    write_json(a.json, dict(command='python bench/recipes.py ' + ' '.join(sys.argv[1:]), machine=a.ran_on or machine(), runs_device_precision=ran,
                            n_runs=sum('failed' not in r for r in pool.records), minutes=None if a.analyse else (time.time() - t0) / 60,
                            levers={k: v[2] for k, v in LEVERS.items()}, default_cv=base, joined=joined, rows=rows, post_hoc=taus,
                            failed=[{k: r[k] for k in ('recipe', 'split', 'failed')} for r in failed]))

if __name__ == '__main__':
    main()
