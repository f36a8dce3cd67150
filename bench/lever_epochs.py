"""Each training lever's share, measured inside one process: the main job's own run (`prepare`, then `fit` one epoch at
a time), its epochs taken in turns with every lever, without the cheaper dropout masks, and without the last layer for
[CLS] only.

    python bench/lever_epochs.py --json bench/results/lever-epochs.json   # 4 rounds of the three, after one warm-up epoch
    python bench/lever_epochs.py --quick                                 # the toy tweets, one round: in seconds

Whole processes run one after another (bench/train_speed.py) drift by more than a few percent on a shared machine,
which is the size of these levers; epochs in turns in one process see the same machine. Each epoch is the loop's own
`train_seconds` (the training batches, not validation). The levers are switched as `bench/quality.py --paired` switches
them: `fit` with PyTorch's dropout masks (smile_nb.loop's `cheap_dropout` giving an empty `with` block), and the model's
last layer given back its own `forward`.
"""
import argparse, contextlib, statistics, sys
from common import machine, write_json, toy_data

WAYS = ('every lever', "PyTorch's dropout masks", 'full last layer')

def one_epoch():
    "A callback that ends `fit` after the epoch it is in."
    from smile_nb.loop import Callback
    class OneEpoch(Callback):
        order = 100
        def after_epoch(self, run): run.stop = True
    return OneEpoch()

def switch(run, way:str):
    "Set `run` up to train its next epoch the way `way` names."
    import smile_nb.loop as loop
    from smile_nb.dropout import cheap_dropout
    from smile_nb.lastlayer import cls_only
    loop.cheap_dropout = (lambda d: contextlib.nullcontext()) if way == "PyTorch's dropout masks" else cheap_dropout
    last = run.model.base_model.encoder.layer[-1]
    vars(last).pop('forward', None)   # the layer's own forward: the full last layer
    if way != 'full last layer': cls_only(run.model)

def measure(rounds:int, data=None) -> dict:
    "Epoch seconds of each way, `rounds` epochs each in turns after one warm-up epoch."
    from smile_nb.settings import make_settings
    from smile_nb.loop import prepare, fit
    run = prepare(make_settings(epochs=1 + rounds * len(WAYS)), data, log=lambda *a: None)
    seconds = {w: [] for w in WAYS}
    for i in range(1 + rounds * len(WAYS)):
        way = WAYS[(i - 1) % len(WAYS)] if i else WAYS[0]
        switch(run, way); run.callbacks, run.stop = [one_epoch()], False
        fit(run)
        if i: seconds[way].append(run.history[-1]['train_seconds'])
        print(f"epoch {i + 1}: {way if i else 'warm-up'}, {run.history[-1]['train_seconds']:.2f} s", flush=True)
    switch(run, WAYS[0])
    med = {w: statistics.median(v) for w, v in seconds.items()}
    return dict(precision=run.precision, n_train=run.n_train, rounds=rounds, seconds=seconds, median_seconds=med,
                share={w: med[w] / med[WAYS[0]] for w in WAYS[1:]})

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rounds', type=int, default=4, help='epochs of each way (default: %(default)s)')
    p.add_argument('--data', default=None); p.add_argument('--json')
    p.add_argument('--quick', action='store_true', help='the toy tweets, one round')
    a = p.parse_args()
    from smile_nb.split import split_smile
    r = measure(1 if a.quick else a.rounds, split_smile(toy_data()) if a.quick else a.data)
    for w, s in r['share'].items(): print(f"{w}: {s:.2f}x the epoch time with every lever ({r['median_seconds'][w]:.2f} s against {r['median_seconds'][WAYS[0]]:.2f} s)")
    write_json(a.json, dict(command='python bench/lever_epochs.py ' + ' '.join(sys.argv[1:]), machine=machine(), **r))
