"""Choose the training recipe by cross-validation inside the training tweets; then score every recipe once on the validation tweets.

    python bench/recipes.py --json bench/results/recipes.json            # the whole protocol: minutes on a GPU, a day on 2 CPU cores
    python bench/recipes.py --workers 8 --json bench/results/recipes.json   # on a GPU, 8 runs at once share it
    python bench/recipes.py --recipes default label-smoothing-0.1 --epochs 1 --train-subset 60 --no-setfit   # the machinery, quickly
    python bench/recipes.py --cv-only --recipes normalize-placeholders normalize-entities normalize-trim-replies \
        --runs bench/results/normalize-runs.jsonl --resume --json bench/results/normalize-cv.json   # step 1 for the tweet normalizations

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
import argparse, base64, functools, json, os, statistics, sys, time, traceback
from dataclasses import dataclass, field, asdict, fields
from pathlib import Path
import numpy as np, torch
import torch.nn.functional as F
from smile_nb.data import LABELS, NORMALIZATIONS, NORMALIZATION_NOTES, load_smile
from smile_nb.split import split_smile
from smile_nb.settings import DEFAULTS, make_settings
from smile_nb.metrics import validate
from smile_nb.train import Callback, batch_loss, fit, logit_offset, prepare
from common import machine, mean_correct, mean_sd, pick_epoch, score, write_json

FOLDS, SEEDS, RESHUFFLE = 5, (17, 18, 19, 20, 21), 42
TAUS = [round(0.1 * i, 1) for i in range(21)]   # logit adjustment: 0 (none) to 2

# ---------------------------------------------------------------- recipes, splits, jobs, records

@dataclass(frozen=True)
class Recipe:
    "A way to train: the settings that differ from the default, and the bench's callbacks."
    what:str # what it is, for the table
    settings:dict=field(default_factory=dict) # `TrainSettings` fields that differ from `DEFAULTS`
    callbacks:tuple=() # names in `CALLBACKS`
    costs_time:bool=False # does it train slower than the default? (then it cannot join the combined recipe)

LEVERS = {
    'default':             Recipe("today's default: 10 epochs, lr 5e-5, head lr 2e-3, word embeddings frozen"),
    'lr-decay-0.9':        Recipe("layer-wise learning-rate decay 0.9", dict(lr_decay=0.9)),
    'lr-1e-4-decay-0.8':   Recipe("top layer lr 1e-4, decay 0.8 per layer (bottom ~3e-5)", dict(lr=1e-4, lr_decay=0.8)),
    'label-smoothing-0.1': Recipe("label smoothing 0.1", dict(label_smoothing=0.1)),
    'reinit-top-1':        Recipe("the top encoder layer re-initialised", dict(reinit_layers=1)),
    'epochs-6':            Recipe("6 epochs instead of 10 (the fast option)", dict(epochs=6)),
    'epochs-20':           Recipe("20 epochs, the best kept (longer training)", dict(epochs=20), costs_time=True),
    'r-drop':              Recipe("R-Drop, alpha 1: two forward passes per batch", callbacks=('RDrop',), costs_time=True),
    **{f'normalize-{n}': Recipe(f"tweets normalized in the tokenizer: {n} ({NORMALIZATION_NOTES[n]})", dict(normalize=n))
       for n in NORMALIZATIONS},   # normalize-none: the raw text, now that the default normalizes (the 'default' runs of
                                    # bench/results/normalize-runs.jsonl were made when the default was the raw text)
}
SINGLE = [k for k in LEVERS if k not in ('default', 'epochs-6') and not k.startswith('normalize-')]   # candidates for the combined recipe (the quality issue's)
PEERS = {'setfit': Recipe("SetFit: the sentence-transformer body tuned on pairs of training tweets, then logistic regression"),
         'setfit-balanced': Recipe("SetFit with a class-balanced logistic regression")}   # not `train`'s: `setfit_job` runs them

@dataclass(frozen=True)
class Split:
    "Where a run trains and is scored: the seed's split, the reshuffled one, or one fold of the CV inside the training tweets."
    kind:str # 'seed', 'reshuffled' or 'cv'
    fold:int=None # the CV fold that is scored, from 0

    @property
    def seeds(self) -> tuple: return SEEDS[:1] if self.kind == 'cv' else SEEDS   # one seed per CV fold, seeds 17-21 otherwise

SEED, RESHUFFLED = Split('seed'), Split('reshuffled')
CV = tuple(Split('cv', k) for k in range(FOLDS))

@dataclass(frozen=True)
class Job:
    "Runs of one recipe on one split, one per seed; a soup's seeds make one model."
    recipe:str # the name its records carry
    split:Split
    seeds:tuple
    settings:dict=field(default_factory=dict) # as `Recipe.settings`
    callbacks:tuple=()
    soup:bool=False # also average the seeds' best weights (each run starts from the same head)?

    @property
    def key(self) -> tuple: return self.recipe, self.split, self.seeds

def jobs_for(name:str, split:Split, recipes:dict=LEVERS, soup:bool=False) -> list:
    "The jobs that run recipe `name` on `split`: one per seed of the split; a soup trains all its seeds in one job."
    r = recipes[name]
    if soup: return [Job('soup-of-5', split, SEEDS, r.settings, r.callbacks, soup=True)]
    return [Job(name, split, (s,), r.settings, r.callbacks) for s in split.seeds]

b64 = lambda a, dt: base64.b64encode(np.ascontiguousarray(a, dtype=dt).tobytes()).decode()

def unb64(s:str, dt, shape=None) -> np.ndarray:
    a = np.frombuffer(base64.b64decode(s), dtype=dt)
    return a.reshape(shape) if shape else a

@dataclass
class Record:
    "One finished run, or a job that did not run and why: a line of `--runs`, its validation logits base64-coded."
    recipe:str
    split:str # `Split.kind`
    fold:int=None
    seed:int=None
    seeds:list=None # a soup's
    epochs:int=None
    best_epoch:int=None
    train_seconds:float=None
    wall_seconds:float=None
    precision:str=None
    device:str=None
    n_train:int=None
    n_val:int=None
    targets:str=None # the validation label ids, int8
    classes:int=None
    logits:list=None # the validation logits of every epoch, float16 (tweets, classes)
    avg_logits:str=None # those of the mean weights of the last 3 epochs
    failed:str=None # why the job did not run
    trace:str=None

    @classmethod
    def from_json(cls, d:dict) -> 'Record': return cls(**{f.name: d.get(f.name) for f in fields(cls)})
    def to_json(self) -> dict: return {k: v for k, v in asdict(self).items() if v is not None}
    @property
    def ok(self) -> bool: return self.failed is None
    @property
    def where(self) -> Split: return Split(self.split, self.fold)
    def y(self) -> np.ndarray: return unb64(self.targets, np.int8).astype(int)
    def epoch_logits(self) -> np.ndarray:
        "The validation logits per epoch: (epochs, tweets, classes)."
        return np.stack([unb64(l, np.float16, (len(self.y()), self.classes)).astype(np.float32) for l in self.logits])
    def average_logits(self) -> np.ndarray:
        "The logits of the mean weights of the last epochs, as one epoch: (1, tweets, classes)."
        return unb64(self.avg_logits, np.float16, (len(self.y()), self.classes)).astype(np.float32)[None]

def failed(job:Job, why:str, trace:str=None) -> Record:
    return Record(job.recipe, job.split.kind, job.split.fold, failed=why, trace=trace)

# ---------------------------------------------------------------- the bench's callbacks

class RDrop(Callback):
    "R-Drop (Liang et al. 2021): a second forward pass with other dropout; the loss adds `alpha` x the symmetric KL of the two."
    def __init__(self, alpha=1.0): self.alpha = alpha
    def after_loss(self, run):
        logits2 = run.model(**run.batch).logits.float()
        p, q = F.log_softmax(run.logits, -1), F.log_softmax(logits2, -1)
        kl = 0.5 * (F.kl_div(p, q, log_target=True, reduction='batchmean') + F.kl_div(q, p, log_target=True, reduction='batchmean'))
        run.loss = 0.5 * (run.loss + batch_loss(run, logits2)) + self.alpha * kl

class Recorder(Callback):
    "Keep every epoch's validation logits; the mean weights of the last `k` epochs, and their logits after the fit; a soup's best weights."
    def __init__(self, k=3, keep_best=False):
        self.k, self.keep_best, self.logits, self.sum, self.best_state, self.avg_logits = k, keep_best, [], None, None, None
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
        if self.sum is None: return
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

CALLBACKS = {'RDrop': RDrop}

# ---------------------------------------------------------------- data

def split_frame(df, split:Split):
    "The split frame for `split`, with a `data_type` column; CV folds are cut from the seed's training tweets only."
    if split.kind == 'seed': return split_smile(df)
    if split.kind == 'reshuffled': return split_smile(df.sample(frac=1, random_state=RESHUFFLE))
    from sklearn.model_selection import StratifiedKFold
    tr = split_smile(df).query("data_type == 'train'").copy()
    _, val = list(StratifiedKFold(FOLDS, shuffle=True, random_state=17).split(tr.text, tr.label))[split.fold]
    tr['data_type'] = 'train'; tr.iloc[val, tr.columns.get_loc('data_type')] = 'val'
    return tr

@functools.lru_cache(maxsize=None)
def train_labels(split:Split, data=None) -> np.ndarray:
    "The label ids of `split`'s training tweets, read once per split."
    return split_frame(load_smile(data), split).query("data_type == 'train'").label.values

def prior_offset(split:Split, tau:float, data=None) -> np.ndarray:
    "The logit adjustment's offset for `split`'s training tweets, as `prepare` computes it."
    return logit_offset(train_labels(split, data), len(LABELS), tau).numpy()

# ---------------------------------------------------------------- one job (in a worker process)

def train_run(job:Job, seed:int, df, a) -> tuple:
    "One run of `job` with `seed` on the split frame `df`: its record and its `Recorder`."
    quick = {k: v for k, v in dict(epochs=a.epochs, train_subset=a.train_subset).items() if v}   # a quick check's overrides
    s = make_settings(**{**job.settings, 'model': a.model, 'seed': seed, **quick})
    t = time.perf_counter()
    run = prepare(s, df, log=lambda *x: None)
    rec = Recorder(k=3, keep_best=job.soup)
    run.callbacks, run.progress = ([SharedHead()] if job.soup else []) + [CALLBACKS[c]() for c in job.callbacks] + [rec], False
    fit(run)
    y = np.asarray(run.val_targets)
    r = Record('shared-head' if job.soup else job.recipe, job.split.kind, job.split.fold, seed, epochs=len(run.history),
               best_epoch=run.best_epoch, train_seconds=run.train_seconds, wall_seconds=time.perf_counter() - t, precision=run.precision,
               device=str(run.accelerator.device), n_train=run.n_train, n_val=len(y), targets=b64(y, np.int8), classes=len(run.labels),
               logits=[b64(l, np.float16) for l in rec.logits], avg_logits=None if rec.avg_logits is None else b64(rec.avg_logits, np.float16))
    return r, rec, run

def run_job(job:Job, a) -> list:
    "Train the runs of `job` (one per seed) and return a record per run; a soup adds the record of their mean best weights."
    df = split_frame(load_smile(a.data), job.split)
    records, states = [], []
    for seed in job.seeds:
        r, rec, run = train_run(job, seed, df, a)
        records.append(r); states.append(rec.best_state)
    if not job.soup: return records
    m = run.accelerator.unwrap_model(run.model)   # one model: the mean of the seeds' best weights
    m.load_state_dict({k: (sum(st[k] for st in states) / len(states)).to(v.dtype) for k, v in m.state_dict().items()})
    _, logits, _ = validate(run.model, run.val_dl, run.accelerator)
    first = records[0]
    return records + [Record('soup-of-5', job.split.kind, first.fold, seeds=list(job.seeds), epochs=1, best_epoch=1,
                             train_seconds=sum(r.train_seconds for r in records), n_val=first.n_val, targets=first.targets,
                             classes=first.classes, logits=[b64(logits, np.float16)])]

def setfit_job(job:Job, a) -> list:
    "SetFit: contrastive fine-tuning of the sentence-transformer body on pairs of training tweets, then a logistic-regression head."
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    from smile_nb.encode import resolve_model
    df = split_frame(load_smile(a.data), job.split)
    tr, va = df[df.data_type == 'train'], df[df.data_type == 'val']
    out = []
    for seed in job.seeds:
        t = time.perf_counter()
        head = dict(head_params=dict(class_weight='balanced', max_iter=1000)) if job.recipe == 'setfit-balanced' else {}
        m = SetFitModel.from_pretrained(a.model or resolve_model(None), **head)
        args = TrainingArguments(batch_size=16, num_epochs=1, num_iterations=a.setfit_iterations, seed=seed, report_to='none', show_progress_bar=False)
        Trainer(model=m, args=args, train_dataset=Dataset.from_dict(dict(text=list(tr.text), label=list(tr.label)))).train()
        proba = np.asarray(m.predict_proba(list(va.text), as_numpy=True), dtype=np.float32)
        full = np.full((len(va), len(LABELS)), -30.0, dtype=np.float32)
        full[:, m.model_head.classes_] = np.log(np.clip(proba, 1e-9, 1))   # a class the head never saw can never win
        out.append(Record(job.recipe, job.split.kind, job.split.fold, seed, epochs=1, best_epoch=1, train_seconds=time.perf_counter() - t,
                          wall_seconds=time.perf_counter() - t, n_val=len(va), targets=b64(va.label.values, np.int8), classes=len(LABELS),
                          logits=[b64(full, np.float16)]))
    return out

def worker(job:Job, a) -> list:
    "A job in a worker: its records, or one record that says why it did not run (the protocol goes on without it)."
    if a.deadline and time.time() > a.deadline: return [failed(job, 'deadline: not run')]
    os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
    if a.workers > 1: torch.set_num_threads(max(1, (os.cpu_count() or 2) // a.workers))
    try: return (setfit_job if job.recipe.startswith('setfit') else run_job)(job, a)
    except Exception as e: return [failed(job, f"{type(e).__name__}: {e}", traceback.format_exc()[-2000:])]

class Pool:
    "Runs jobs in `workers` processes (or in this one), in the order of a queue that may grow at its front, appending each finished run to `--runs`."
    def __init__(self, a, keep_old:bool): # keep the runs already in `--runs`? (else it starts empty)
        self.a, self.path = a, Path(a.runs)
        lines = self.path.read_text().splitlines() if keep_old and self.path.exists() else []
        self.records = [Record.from_json(json.loads(l)) for l in lines if l.strip()]
        if not keep_old: self.path.parent.mkdir(parents=True, exist_ok=True); self.path.write_text('')

    def done(self, job:Job) -> bool:
        "Does a finished run of `job` exist?"
        return any(r.ok and r.recipe == job.recipe and r.where == job.split and (job.soup or r.seed in job.seeds) for r in self.records)

    def keep(self, records:list):
        "Append `records` to `--runs` and to `self.records`; a line each on the screen."
        with open(self.path, 'a') as f:
            for r in records: f.write(json.dumps(r.to_json()) + '\n')
        self.records += records
        for r in records:
            if not r.ok: print(f"FAILED {r.recipe} {r.split}: {r.failed}", flush=True)
            else: print(f"  {r.recipe:<22} {r.split:<10} fold {r.fold} seed {r.seed}: {r.train_seconds or 0:.0f} s", flush=True)

    def _ended(self, queue:list):
        "Yield (job, records) as jobs end, taking the next job from the front of `queue`, which the caller may extend meanwhile."
        if self.a.workers <= 1:
            while queue:
                job = queue.pop(0); yield job, worker(job, self.a)
            return
        import concurrent.futures as cf, multiprocessing as mp
        with cf.ProcessPoolExecutor(self.a.workers, mp_context=mp.get_context('spawn')) as ex:
            flying = {}
            while queue or flying:
                while queue and len(flying) < self.a.workers:
                    job = queue.pop(0); flying[ex.submit(worker, job, self.a)] = job
                finished, _ = cf.wait(flying, return_when=cf.FIRST_COMPLETED)
                for f in finished: yield flying.pop(f), f.result()

    def run(self, queue:list, barrier:list=(), then=None):
        "Run the jobs of `queue` not yet done, in order; once every job of `barrier` has ended, the jobs of `then(records)` go first."
        queue, ended = [j for j in queue if not self.done(j)], set()
        jobs = self._ended(queue)   # takes from `queue` as workers free up
        while True:
            if then and all(j.key in ended or self.done(j) for j in barrier):
                queue[:0] = [j for j in then(self.records) if not self.done(j)]; then = None
            job, records = next(jobs, (None, None))
            if job is None: return
            self.keep(records); ended.add(job.key)

# ---------------------------------------------------------------- scoring (main process)

def runs_of(records:list, recipe:str, kind:str) -> list:
    "The finished runs of `recipe` on splits of `kind`."
    return [r for r in records if r.ok and r.recipe == recipe and r.split == kind]

def run_result(r:Record, offset=0.0, variant:str=None) -> dict:
    "One run's figures at the epoch `train` would keep, `offset` added to its logits; `variant` 'average': the last 3 epochs' mean weights."
    L = (r.average_logits() if variant == 'average' else r.epoch_logits()) + offset
    e, s = pick_epoch(L, r.y())
    return dict(s, epoch=e, logits=L[e - 1])

def table(records:list, recipe:str, kind:str, offset_fn=None, variant:str=None) -> list:
    "The results of `recipe`'s runs on splits of `kind` ('cv', 'seed', 'reshuffled'), post-hoc `offset_fn(split)` added to the logits."
    return [dict(run_result(r, offset_fn(r.where) if offset_fn else 0.0, variant), seed=r.seed, fold=r.fold, train_seconds=r.train_seconds)
            for r in runs_of(records, recipe, kind)]

def summarise(results:list) -> dict:
    "Mean and sd of weighted and macro F1 over `results`, the mean correct per class, the support of each class."
    return dict(n=len(results), **mean_sd(results, ('weighted_f1', 'macro_f1')), per_class=mean_correct(results),
                support={c: n for c, (_, n) in results[0]['per_class'].items()})

def cv_score(s:dict) -> float:
    "The protocol's CV score: mean weighted F1 + mean macro F1."
    return s['weighted_f1'][0] + s['macro_f1'][0]

def fit_class_offsets(logits, y, steps=np.arange(-1, 4.01, 0.25), sweeps=3) -> np.ndarray:
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

def choose_tau(records:list, recipe:str, data) -> tuple:
    "The tau with the best CV score for `recipe`'s runs (best epochs picked again on the adjusted logits), and every tau's score."
    scores = {}
    for tau in TAUS:
        rs = table(records, recipe, 'cv', functools.partial(prior_offset, tau=tau, data=data))
        if rs: scores[tau] = cv_score(summarise(rs))
    return (max(scores, key=lambda t: (round(scores[t], 6), -t)) if scores else 0.0), scores   # no CV runs: no adjustment

def oof_offsets(records:list, recipe:str) -> np.ndarray:
    "Per-class thresholds fitted on `recipe`'s pooled out-of-fold logits (each fold's best epoch) of the training tweets."
    rs, runs = table(records, recipe, 'cv'), runs_of(records, recipe, 'cv')
    return fit_class_offsets(np.concatenate([r['logits'] for r in rs]), np.concatenate([r.y() for r in runs]))

def variants(records:list, rec:str, data) -> tuple:
    "The rows that `rec`'s runs make without training again, as (name, offset_fn, variant); and the post-hoc choices made on CV."
    out = [(rec, None, None)]
    if rec.startswith(('setfit', 'soup')): return out, None
    out.append((rec + ' + average last 3', None, 'average'))
    tau, sc = choose_tau(records, rec, data); post = dict(tau=tau, cv_scores=sc)
    adjust = lambda t: functools.partial(prior_offset, tau=t, data=data)
    if tau: out.append((f"{rec} + logit adjustment {tau}", adjust(tau), None))
    if DEFAULTS.logit_adjust not in (0, tau):   # what the recipe gives with the package's default tau, as a user would run it
        out.append((f"{rec} + logit adjustment {DEFAULTS.logit_adjust} (the default's)", adjust(DEFAULTS.logit_adjust), None))
    try: off = oof_offsets(records, rec)
    except ValueError: off = None   # no CV runs
    if off is not None and np.any(off): out.append((f"{rec} + class thresholds", lambda sp, o=off: o, None)); post['class_offsets'] = off.tolist()
    return out, post

RUN_KEYS = ('seed', 'fold', 'weighted_f1', 'macro_f1', 'per_class', 'epoch')   # what the table keeps of each run

def report(records:list, data=None) -> tuple:
    "Every row of the levers table: CV and seed-split (and reshuffled) summaries, post-hoc variants included; the post-hoc choices."
    rows, post_hoc = {}, {}
    for rec in dict.fromkeys(r.recipe for r in records if r.ok):
        seed_runs = runs_of(records, rec, 'seed')
        cost = statistics.mean(r.train_seconds for r in seed_runs) if seed_runs else None
        vs, post = variants(records, rec, data)
        if post is not None: post_hoc[rec] = post
        for name, fn, var in vs:
            row = dict(recipe=rec, train_seconds=cost)
            for kind in ('cv', 'seed', 'reshuffled'):
                rs = table(records, rec, kind, fn, var)
                if rs: row[kind], row[kind + '_runs'] = summarise(rs), [{k: r[k] for k in RUN_KEYS} for r in rs]
            if 'cv' in row or 'seed' in row: rows[name] = row
    return rows, post_hoc

# ---------------------------------------------------------------- the protocol's three steps

def cv_jobs(single:list, fast:bool=True) -> list:
    "1. The CV of the default, of the 6-epoch option (unless `fast` is False) and of every single lever, the slower levers first."
    names = sorted(set(['default'] + ['epochs-6'] * fast + single), key=lambda r: (not LEVERS[r].costs_time, r))
    return [j for name in names for sp in CV for j in jobs_for(name, sp)]

@dataclass
class Choice:
    "2. What the CV chose: the default's CV summary, the single levers that beat it, the combined recipes they make."
    base:dict=None # `summarise` of the default's CV runs; None before they ran
    joined:list=field(default_factory=list)
    recipes:dict=field(default_factory=dict) # name: `Recipe`

def choose(records:list, single:list) -> Choice:
    "2. The levers whose CV score beats the default's at no extra training time join the combined recipe (and its 6-epoch twin)."
    if not runs_of(records, 'default', 'cv'): return Choice()
    base = summarise(table(records, 'default', 'cv'))
    cv = {rec: summarise(rs) for rec in single if (rs := table(records, rec, 'cv'))}
    joined = [rec for rec in single if rec in cv and rec != 'default' and not LEVERS[rec].costs_time and cv_score(cv[rec]) > cv_score(base)]
    if not joined: return Choice(base, joined)
    settings = {k: v for rec in joined for k, v in LEVERS[rec].settings.items()}
    return Choice(base, joined, {'combined': Recipe('the levers that beat the default on CV: ' + ', '.join(joined), settings),
                                 'combined-6-epochs': Recipe('the combined recipe in 6 epochs (the fast option)', dict(settings, epochs=6))})

def announce(c:Choice) -> Choice:
    if c.base: print(f"== 2. the choice: default CV weighted F1 {c.base['weighted_f1'][0]:.4f}, macro F1 {c.base['macro_f1'][0]:.4f}; "
                     f"levers that beat it on CV and cost no more time: {c.joined or 'none'} ==", flush=True)
    return c

def combined_jobs(records:list, single:list) -> list:
    "2. Once the CV of step 1 is in: the choice, and the combined recipes' CV and report runs, to run next."
    c = announce(choose(records, single))
    return [j for name in c.recipes for sp in CV + (SEED, RESHUFFLED) for j in jobs_for(name, sp, c.recipes)]

def report_jobs(single:list, a) -> list:
    "3. The report: every recipe on the seed's split, the default on the reshuffled one; then the peers, each one's report before its CV."
    names = ['default'] + sorted(set(single + ['epochs-6']) - {'default'})
    jobs = [j for name in names for j in jobs_for(name, SEED)] + jobs_for('default', RESHUFFLED)
    peers = {} if a.no_setfit else {'setfit': (SEED,), 'setfit-balanced': (SEED,)}
    if not a.no_soup: peers['soup'] = (SEED, RESHUFFLED)
    peer = lambda name, sp: jobs_for('default', sp, soup=True) if name == 'soup' else jobs_for(name, sp, PEERS)
    jobs += [j for name, splits in peers.items() for sp in splits for j in peer(name, sp)]
    return jobs + [j for name in peers for sp in CV for j in peer(name, sp)]

# ---------------------------------------------------------------- main

def print_rows(rows:dict):
    "The levers table on the screen."
    print(f"\n{'recipe':<48} {'CV weighted':>12} {'CV macro':>10} {'seed-split weighted':>20} {'macro':>14} {'reshuffled w/m':>16}")
    f = lambda s, k: f"{s[k][0]:.3f}±{s[k][1]:.3f}" if s else ''
    for name, r in rows.items():
        print(f"{name:<48} {f(r.get('cv'), 'weighted_f1'):>12} {f(r.get('cv'), 'macro_f1'):>10} {f(r.get('seed'), 'weighted_f1'):>20} "
              f"{f(r.get('seed'), 'macro_f1'):>14} {f(r.get('reshuffled'), 'weighted_f1'):>8}/{f(r.get('reshuffled'), 'macro_f1')}")

def parse_args():
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
    p.add_argument('--cv-only', action='store_true', help='step 1 alone, for the default and --recipes only (no 6-epoch option), then the tables')
    p.add_argument('--json', help='write the tables here')
    a = p.parse_args()
    a.deadline = time.time() + 60 * a.minutes if a.minutes else None
    return a

def main():
    a, t0 = parse_args(), time.time()
    single = a.recipes or SINGLE
    pool = Pool(a, keep_old=a.resume or a.analyse or bool(a.only))
    if a.only:   # some recipes' report runs alone (a peer measured in a sitting of its own), then the tables from everything in --runs
        known = {**LEVERS, **PEERS, **choose(pool.records, single).recipes}
        pool.run([j for rec in a.only for j in jobs_for(rec, SEED, known)])
    elif a.cv_only and not a.analyse: pool.run(cv_jobs(single, fast=False))
    elif not a.analyse:   # 1. then 2. as soon as 1. is in (its jobs go first), while 3. fills the workers
        cv = cv_jobs(single)
        pool.run(cv + report_jobs(single, a), barrier=cv, then=functools.partial(combined_jobs, single=single))
    choice = choose(pool.records, single)   # from everything in --runs
    if a.analyse or a.only: announce(choice)
    rows, post_hoc = report(pool.records, a.data)
    print_rows(rows)
    ok = [r for r in pool.records if r.ok]
    ran = sorted({(r.device.split(':')[0], r.precision) for r in ok if r.device})
    write_json(a.json, dict(command='python bench/recipes.py ' + ' '.join(sys.argv[1:]), machine=a.ran_on or machine(), runs_device_precision=ran,
                            n_runs=len(ok), minutes=None if a.analyse else (time.time() - t0) / 60,
                            levers={k: v.what for k, v in {**LEVERS, **choice.recipes}.items()}, default_cv=choice.base, joined=choice.joined,
                            rows=rows, post_hoc=post_hoc, failed=[dict(recipe=r.recipe, split=r.split, failed=r.failed) for r in pool.records if not r.ok]))

if __name__ == '__main__':
    main()
