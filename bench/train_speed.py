"""Training speed on one machine in one run: the seed tutorial's recipe, the project's recipe on the same bert-base
architecture, the main job, and Hugging Face's Trainer with its defaults and with its best CPU settings.

    python bench/train_speed.py --json bench/results/train-speed.json     # all five (about 20 minutes on 2 cores)
    python bench/train_speed.py --only seed-recipe project-bert-base      # some of them
    python bench/train_speed.py --only seed-recipe main-job main-job-raw trainer-best trainer-best-normalized \
        --json bench/results/train-speed-normalized.json                # where the tweet normalization's gain comes from
    python bench/train_speed.py --only main-job main-job-raw trainer-best trainer-best-normalized trainer-defaults \
        --epochs 1 --json bench/results/train-speed-1-epoch.json        # one epoch: the fixed cost of a whole process
    python bench/train_speed.py --only main-job main-job-full-layer main-job-bernoulli trainer-best trainer-best-normalized \
        --json bench/results/train-speed-levers.json   # the main job against the Trainer, and without each lever of its own
    python bench/train_speed.py --quick        # the toy tweets, 1 epoch, a small BERT for the bert-base rows: the code runs, in seconds

Every configuration runs in a child process of its own, so each gets a clean start and its own peak memory.
bert-base-uncased cannot be downloaded here, so both bert-base rows use its architecture (`BertConfig()`: 12 layers,
hidden size 768, 110M parameters) with random weights and the embedded model's tokenizer, which has the same uncased
30,522-token WordPiece vocabulary: the time a step takes depends on the shapes, not on the weights' values.
The seed recipe pads every batch to 256 tokens, so all its steps cost the same; it is timed over `--seed-steps` steps
after two warm-up steps and its epoch time is extrapolated (a real epoch takes about half an hour here).
Time to quality: the wall seconds from a process's start until it has validated its first epoch with weighted F1 >= 0.86
on the seed's split (main job: when its epoch line is printed; Trainer: its `on_evaluate` event).
"""
import argparse, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path
from common import machine, write_json, toy_csv
from smile_nb.settings import DEFAULTS

CONFIGS = {
    'seed-recipe':       "seed tutorial: bert-base arch, pad to 256, batch 4, fp32, random order",
    'project-bert-base': "project recipe on bert-base arch: per-batch padding, length-grouped batch 32, bf16 (1 epoch)",
    'main-job':          "main job `smile-nb-train` as the README runs it (MiniLM-L6, 10 epochs)",
    'trainer-defaults':  "HF Trainer on the default model: its defaults (batch 8, fp32, random order), 10 epochs",
    'trainer-best':      "HF Trainer on the default model: group_by_length, batch 32, bf16 where native (else fp32), 10 epochs",
    'main-job-raw':            "the main job with --normalize none: the raw text, as before the tweet normalization",
    'trainer-best-normalized': "HF Trainer's best settings on the text as --normalize NAME rewrites it (default: the main job's)",
    'main-job-full-layer':     "the main job with the full last layer, as before the last layer for [CLS] only",
    'main-job-bernoulli':      "the main job with PyTorch's dropout masks (bernoulli_), as before the cheaper dropout masks",
}
# the main job without one lever: the command run by hand, with smile_nb.loop's function for that lever switched off
WITHOUT = {'main-job-full-layer': "smile_nb.loop.cls_only = lambda m: False",
           'main-job-bernoulli': "import contextlib; smile_nb.loop.cheap_dropout = lambda d: contextlib.nullcontext()"}
LEVERS = {'main-job-full-layer': ('cls_only', 'the last layer for [CLS] only'), 'main-job-bernoulli': ('dropout', 'the cheaper dropout masks')}
def without(name:str) -> list:
    "The command line of the main job with `name`'s lever switched off."
    return [sys.executable, '-c', f"import sys, smile_nb.loop; {WITHOUT[name]}; sys.argv[0] = 'smile-nb-train'; "
                                  "from smile_nb.cli import smile_nb_train; smile_nb_train()"]
NORMALIZED = ('main-job-raw', 'trainer-best-normalized')   # where the gain comes from: run by default unless --normalize is none
QUICK = ['seed-recipe', 'project-bert-base', 'main-job', 'main-job-full-layer', 'main-job-bernoulli', 'trainer-best-normalized']   # --quick: one of each code path

def bert_config(quick:bool=False):
    "bert-base-uncased's architecture (`BertConfig()`), or with --quick a two-layer BERT of width 128 of the same vocabulary."
    from transformers import BertConfig
    from smile_nb.data import LABELS
    small = dict(num_hidden_layers=2, hidden_size=128, num_attention_heads=2, intermediate_size=256) if quick else {}
    return BertConfig(num_labels=len(LABELS), **small)

def seed_recipe(steps:int, data=None, quick:bool=False) -> dict:
    "The seed's loop: padded TensorDataset, RandomSampler, batch 4, AdamW 1e-5, linear schedule, clip 1.0, fp32."
    import torch
    from torch.utils.data import TensorDataset, DataLoader, RandomSampler
    from transformers import BertForSequenceClassification, get_linear_schedule_with_warmup
    from smile_nb.data import load_smile
    from smile_nb.split import split_smile
    from smile_nb.encode import load_tokenizer
    torch.manual_seed(17)
    df = split_smile(load_smile(data)); tr = df[df.data_type == 'train']
    tok = load_tokenizer()
    enc = tok(list(tr.text), padding='max_length', truncation=True, max_length=256, return_tensors='pt')
    ds = TensorDataset(enc['input_ids'], enc['attention_mask'], torch.tensor(tr.label.values))
    dl = DataLoader(ds, sampler=RandomSampler(ds), batch_size=4)
    net = BertForSequenceClassification(bert_config(quick))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-5, eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, 0, len(dl) * 10)
    net.train(); times = []
    for i, (ids, mask, y) in enumerate(dl):
        if i == steps + 2: break
        t = time.perf_counter()
        loss = net(input_ids=ids, attention_mask=mask, labels=y).loss
        loss.backward(); torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step(); sched.step(); net.zero_grad()
        times.append(time.perf_counter() - t)
    timed = times[2:]
    tps = 4 * len(timed) / sum(timed)
    return dict(tweets_per_second=tps, epoch_seconds=len(tr) / tps, epoch_measured=False, timed_steps=len(timed),
                params=sum(p.numel() for p in net.parameters()))

def project_bert_base(work:Path, data=None, quick:bool=False) -> dict:
    "One epoch of the project's own `train` on a randomly initialised bert-base saved as a local folder."
    import torch
    from transformers import BertForSequenceClassification
    from smile_nb.encode import load_tokenizer
    from smile_nb.train import train
    torch.manual_seed(17)
    src = work/'bert-base-random'
    BertForSequenceClassification(bert_config(quick)).save_pretrained(src); load_tokenizer().save_pretrained(src)
    m = train(data, model=str(src), out=work/'out', epochs=1, progress=False, log=lambda *a: None)
    return dict(tweets_per_second=m['train_samples_per_second'], epoch_seconds=m['train_seconds'], epoch_measured=True)

def trainer(best:bool, work:Path, epochs:int=10, launched:float=None, normalize:str='none', data=None) -> dict:
    "Hugging Face `Trainer` on the default model and the seed's split, 10 epochs, evaluated every epoch."
    from transformers import Trainer, TrainingArguments, TrainerCallback
    from smile_nb.data import load_smile, label_dict
    from smile_nb.split import split_smile
    from smile_nb.encode import load_tokenizer, encode_split
    from smile_nb.model import load_model
    from smile_nb.metrics import evaluate_logits
    from smile_nb.settings import best_epoch
    df = split_smile(load_smile(data)); ld = label_dict(df)
    tok = load_tokenizer(normalize=normalize); ds = encode_split(df, tok)   # normalize: the tokenizer rewrites mentions, links, ...
    net = load_model(None, ld)
    class Clock(TrainerCallback):   # on_epoch_end fires before the epoch's evaluation, so this times training only
        def __init__(self): self.epochs, self.evaluated = [], []
        def on_epoch_begin(self, *a, **k): self.t = time.perf_counter()
        def on_epoch_end(self, *a, **k): self.epochs.append(time.perf_counter() - self.t)
        def on_evaluate(self, *a, **k): self.evaluated.append(time.time() - launched)   # seconds since the parent started this process
    clock = Clock()
    # best: length-grouped batches of 32, and bf16 where the device computes it natively (as `auto` decides for the main job);
    # on a CPU, Trainer runs bf16 only when told use_cpu
    import torch
    from smile_nb.device import choose_precision
    bf16 = choose_precision('auto') == 'bf16'
    extra = dict(bf16=bf16, use_cpu=bf16 and not torch.cuda.is_available(), train_sampling_strategy='group_by_length',
                 per_device_train_batch_size=32) if best else {}
    args = TrainingArguments(output_dir=str(work/'trainer'), num_train_epochs=epochs, eval_strategy='epoch', save_strategy='no',
                             report_to='none', disable_tqdm=True, seed=17, **extra)
    metrics = lambda p: {k: v for k, v in evaluate_logits(p.predictions, p.label_ids, ld).items() if k in ('weighted_f1', 'macro_f1', 'accuracy')}
    t = Trainer(net, args, train_dataset=ds['train'], eval_dataset=ds['val'], processing_class=tok, compute_metrics=metrics, callbacks=[clock])
    t.train(); t.save_model(str(work/'trainer-model'))   # the main job saves its model too
    evals = [h for h in t.state.log_history if 'eval_weighted_f1' in h]
    f1 = [h['eval_weighted_f1'] for h in evals]
    best = best_epoch([dict(weighted_f1=f) for f in f1])   # the epoch the main job would keep
    return dict(tweets_per_second=len(ds['train']) * len(clock.epochs) / sum(clock.epochs), epoch_seconds=sum(clock.epochs) / len(clock.epochs),
                epoch_measured=True, per_epoch_seconds=clock.epochs, weighted_f1_best=f1[best - 1], best_epoch=best,
                weighted_f1_last=f1[-1], macro_f1_last=evals[-1]['eval_macro_f1'], accuracy_last=evals[-1]['eval_accuracy'],
                macro_f1_best=evals[best - 1]['eval_macro_f1'], weighted_f1_per_epoch=f1, epoch_end_wall=clock.evaluated,
                precision='bf16' if args.bf16 else 'fp16' if args.fp16 else 'fp32')

def main_job_result(out:Path, stamps:list) -> dict:
    "Figures from the folder the main job saved, and the wall time at which each epoch's line was printed."
    import pandas as pd
    m = json.loads((out/'metrics.json').read_text()); h = pd.read_csv(out/'history.csv')
    return dict(weighted_f1_per_epoch=h.weighted_f1.tolist(), epoch_end_wall=stamps, precision=m['precision'], tweets_per_second=m['train_samples_per_second'], epoch_seconds=m['train_seconds'] / len(h), epoch_measured=True,
                per_epoch_seconds=h.train_seconds.tolist(), weighted_f1_best=m['weighted_f1'], macro_f1_best=m['macro_f1'],
                best_epoch=m['best_epoch'], weighted_f1_last=float(h.weighted_f1.iloc[-1]), macro_f1_last=float(h.macro_f1.iloc[-1]),
                accuracy_last=float(h.accuracy.iloc[-1]))

QUALITY = 0.86   # the weighted F1 that 'time to quality' waits for

def time_to_quality(r:dict, f1:float=QUALITY) -> float:
    "Wall seconds from the process's start until it had validated the first epoch with weighted F1 >= `f1` (None: never)."
    return next((t for t, f in zip(r['epoch_end_wall'], r['weighted_f1_per_epoch']) if f >= f1), None)

def run_child(name:str, a) -> dict:
    "Run configuration `name` in its own process; its result, wall time and peak resident memory."
    with tempfile.TemporaryDirectory() as d:
        res = Path(d)/'result.json'
        main = name.startswith('main-job')
        cmd = ((without(name) if name in WITHOUT else ['smile-nb-train']) + ['--out', str(Path(d)/'model')] + (['--epochs', str(a.epochs)] if a.epochs != 10 else []) if main else
               [sys.executable, __file__, '--child', name, '--work', d, '--seed-steps', str(a.seed_steps), '--epochs', str(a.epochs)]
               + (['--quick'] if a.quick else []))
        if a.data: cmd += ['--data', a.data]
        if name == 'main-job-raw': cmd += ['--normalize', 'none']
        if name == 'trainer-best-normalized': cmd += ['--normalize', a.normalize]
        if not main: cmd += ['--launched', repr(time.time())]
        t, lines, stamps = time.perf_counter(), [], []
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE if main else None, stderr=subprocess.DEVNULL, text=True,
                             env=dict(os.environ, PYTHONUNBUFFERED='1'))
        if main:   # stamp each line as it arrives: when was each epoch validated?
            for line in p.stdout:
                lines.append(line.rstrip('\n'))
                if re.match(r'epoch \d+: ', line): stamps.append(time.perf_counter() - t)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        if status: raise SystemExit(f"train_speed: {name} failed (exit status {status >> 8}); rerun with --child {name} to see why")
        r = main_job_result(Path(d)/'model', stamps) if main else json.loads(res.read_text())
        if main: r['printed'] = lines
    return dict(r, what=CONFIGS[name], wall_seconds=wall, peak_rss_mb=usage.ru_maxrss / 1024)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', nargs='+', choices=list(CONFIGS), default=None, help='these configurations (default: all that apply)')
    p.add_argument('--normalize', default=DEFAULTS.normalize, help="the Trainer's normalized text (smile_nb.data.NORMALIZATIONS; default: the main job's)")
    p.add_argument('--seed-steps', type=int, default=25, help='timed steps of the seed recipe (4 tweets each)')
    p.add_argument('--epochs', type=int, default=10, help='epochs of the main job and the Trainer runs (10 for the published table)')
    p.add_argument('--data', default=None, help='the SMILE CSV (default: where smile-nb-train finds it)')
    p.add_argument('--quick', action='store_true', help='the toy tweets, 1 epoch, 2 seed-recipe steps, a small BERT for the bert-base rows')
    p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--child', choices=list(CONFIGS), help=argparse.SUPPRESS); p.add_argument('--work', help=argparse.SUPPRESS)
    p.add_argument('--launched', type=float, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        work, q = Path(a.work), a.quick
        r = {'seed-recipe': lambda: seed_recipe(a.seed_steps, a.data, q), 'project-bert-base': lambda: project_bert_base(work, a.data, q),
             'trainer-defaults': lambda: trainer(False, work, a.epochs, a.launched, data=a.data),
             'trainer-best': lambda: trainer(True, work, a.epochs, a.launched, data=a.data),
             'trainer-best-normalized': lambda: trainer(True, work, a.epochs, a.launched, a.normalize, a.data)}[a.child]()
        (work/'result.json').write_text(json.dumps(r)); sys.exit(0)
    if a.quick:
        a.epochs, a.seed_steps, a.only = 1, 2, a.only or QUICK
        quick_dir = tempfile.TemporaryDirectory(); a.data = toy_csv(quick_dir.name)
    a.only = a.only or [k for k in CONFIGS if a.normalize != 'none' or k not in NORMALIZED]
    rows = {}
    for name in a.only:
        print(f"running {name}: {CONFIGS[name]}", flush=True)
        rows[name] = r = run_child(name, a)
        print(f"  {r['tweets_per_second']:.2f} tweets/s, {r['epoch_seconds']:.1f} s per epoch"
              f"{'' if r['epoch_measured'] else ' (extrapolated)'}, run {r['wall_seconds']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
              + (f", weighted F1 {r['weighted_f1_best']:.4f} best epoch / {r['weighted_f1_last']:.4f} last" if 'weighted_f1_best' in r else ''), flush=True)
    base = rows.get('seed-recipe')
    print(f"\n{'configuration':>18} {'tweets/s':>9} {'s/epoch':>8} {'x seed':>7} {'run s':>6} {'RSS MB':>7} {'wF1 best/last':>14}")
    for name, r in rows.items():
        ratio = f"{r['tweets_per_second'] / base['tweets_per_second']:.1f}" if base else '-'
        f1 = f"{r['weighted_f1_best']:.3f}/{r['weighted_f1_last']:.3f}" if 'weighted_f1_best' in r else '-'
        print(f"{name:>18} {r['tweets_per_second']:9.2f} {r['epoch_seconds']:8.1f} {ratio:>7} {r['wall_seconds']:6.0f} {r['peak_rss_mb']:7.0f} {f1:>14}")
    summary = {}
    best = next((k for k in ('trainer-best', 'trainer-best-normalized') if k in rows), None)   # the Trainer at its best, on the text it was given
    if 'main-job' in rows and best:
        m, b = rows['main-job'], rows[best]
        summary = dict(trainer=best, throughput_ratio=m['tweets_per_second'] / b['tweets_per_second'], wall_ratio=b['wall_seconds'] / m['wall_seconds'],
                       quality_threshold=QUALITY, main_job_time_to_quality=time_to_quality(m), trainer_best_time_to_quality=time_to_quality(b))
        q = summary['trainer_best_time_to_quality'], summary['main_job_time_to_quality']
        summary['time_to_quality_ratio'] = q[0] / q[1] if None not in q else None
        print(f"main job / Trainer best: {summary['throughput_ratio']:.2f}x tweets/s, {summary['wall_ratio']:.2f}x less wall time; "
              f"first epoch with weighted F1 >= {QUALITY}: " + ', '.join('never' if x is None else f'{x:.0f} s' for x in reversed(q))
              + (f" ({summary['time_to_quality_ratio']:.2f}x)" if summary['time_to_quality_ratio'] else ''))
    if 'main-job-raw' in rows and 'main-job' in rows:
        summary['raw_wall_ratio'] = rows['main-job-raw']['wall_seconds'] / rows['main-job']['wall_seconds']
        print(f"main job / the same on the raw text: {summary['raw_wall_ratio']:.2f}x less wall time")
    for name, (key, lever) in LEVERS.items():   # each lever's share: the main job without it against the main job
        if name in rows and 'main-job' in rows:
            summary[f'{key}_wall_ratio'] = rows[name]['wall_seconds'] / rows['main-job']['wall_seconds']
            summary[f'{key}_epoch_ratio'] = rows[name]['epoch_seconds'] / rows['main-job']['epoch_seconds']
            print(f"{lever}: {summary[f'{key}_wall_ratio']:.2f}x less wall time, {summary[f'{key}_epoch_ratio']:.2f}x per epoch")
    write_json(a.json, dict(command='python bench/train_speed.py ' + ' '.join(sys.argv[1:]), machine=machine(), normalize=a.normalize,
                            results=rows, summary=summary))
