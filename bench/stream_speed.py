"""Prediction at scale, in one run on one machine: `smile-nb-predict --file` on 1,500, 30,000 and 300,000 lines, the
command as it was before streaming on the same files, and `smile_nb.batch` (Ray Data) beside it.

    python bench/stream_speed.py [MODEL_DIR] --json bench/results/stream-speed.json   # MODEL_DIR: the default model folder

The lines are the labelled tweets as `load_smile` reads them (each on one line), repeated in order up to the size.
Every run is a whole process, as a user starts it, timed from its start:
- `seconds`, `tweets_per_second`: to its exit; `first_answer_seconds`: to the first answer line on its standard output;
  `peak_rss_mb`: the process's peak resident memory, from GNU time (`/usr/bin/time -f %M`), which starts it from a
  small process of its own (a child forked from this script would count this script's memory as its own peak).
- the streaming command's runs have their standard error on a pseudo-terminal of 120 columns, so tqdm draws its bar as
  it does for a user at a terminal; the bar's last state is kept (`bar`).
- `before`: the command at commit 188584e (read the whole file, sort it, print at the end), from `git archive` of that
  commit onto PYTHONPATH (run with `python -P`, so that the checkout is not first on the path), on the 1,481 tweets and 30,000 lines (300,000 would only repeat the point at 10x the time).
- `ray`: `smile_nb.batch.predict_files` in a process of its own, a local cluster of 3 logical CPUs on this machine's cores
  (2 actors, 1 thread each; the third CPU reads and writes), its answers compared row for row with the command's.
The 1,481-tweet runs are repeated `--repeat` times in turns and the median kept; the larger ones run once.

    python bench/stream_speed.py [MODEL_DIR] --sizes 1500 30000 --repeat 1 --ray-max 0 --json bench/results/stream-memory.json   # memory and the bar
    python bench/stream_speed.py --quick   # a toy model folder on the toy tweets, 300 lines, neither `before` nor Ray: in seconds
"""
import argparse, fcntl, json, os, pty, statistics, struct, subprocess, sys, tempfile, termios, threading, time
from pathlib import Path
from smile_nb.core import DEFAULT_OUT
from common import machine, write_json, toy_data, toy_model

BEFORE = '188584e'   # the last commit before the streaming command

def _drain(fd, keep:list):
    "Read a pseudo-terminal's output until it closes, keeping the text in `keep`."
    while True:
        try: b = os.read(fd, 65536)
        except OSError: return
        if not b: return
        keep.append(b.decode(errors='replace'))

def run(cmd, env=None, tty:bool=False) -> dict:
    "One whole process: seconds to exit and to its first answer line, lines written, peak memory; its output lines; the bar."
    master = slave = None
    if tty:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 120, 0, 0))   # a terminal's size: tqdm draws nothing in 0 columns
    mem = tempfile.NamedTemporaryFile(suffix='.maxrss', delete=False).name
    # GNU time starts the command from its own small process: a child forked from this one would report this one's peak memory as its own
    t0 = time.perf_counter()
    p = subprocess.Popen(['/usr/bin/time', '-f', '%M', '-o', mem, *cmd], stdout=subprocess.PIPE, stderr=slave if tty else subprocess.PIPE, env=env, bufsize=0)
    err, reader = [], None
    if tty:
        os.close(slave); reader = threading.Thread(target=_drain, args=(master, err), daemon=True); reader.start()
    else:
        reader = threading.Thread(target=lambda: err.append(p.stderr.read().decode(errors='replace')), daemon=True); reader.start()
    first, lines, buf = None, [], b''
    while True:
        b = p.stdout.read(1 << 16)
        if not b: break
        buf += b
        *done, buf = buf.split(b'\n')
        if done and first is None: first = time.perf_counter() - t0
        lines.extend(done)
    status = p.wait()
    seconds = time.perf_counter() - t0
    reader.join(5)
    if master is not None: os.close(master)
    text = ''.join(err)
    if status: sys.exit(f"{' '.join(cmd[:4])} ... failed: {text[-800:]}")
    bar = [s for s in text.replace('\r', '\n').splitlines() if 'tweets' in s]
    peak = int(Path(mem).read_text().split()[-1]) / 1024; os.unlink(mem)
    return dict(seconds=seconds, first_answer_seconds=first, lines=len(lines), peak_rss_mb=peak,
                bar=bar[-1].strip() if bar else None), lines

def labels_of(lines) -> list:
    "The labels of `smile-nb-predict --json` lines."
    return [json.loads(l)['label'] for l in lines]

def before_env(d:Path) -> dict:
    "An environment whose PYTHONPATH puts the package as it was at `BEFORE` first."
    old = d/'before'; old.mkdir()
    root = Path(__file__).resolve().parent.parent
    tar = subprocess.run(['git', '-C', str(root), 'archive', BEFORE, 'smile_nb'], capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(old)], input=tar, check=True)
    return {**os.environ, 'PYTHONPATH': str(old)}

def commands(model:str, f:Path) -> dict:
    "The command now, and as it was at `BEFORE`, on the file `f`."
    old = ("import sys, smile_nb; assert smile_nb.__file__.startswith(sys.argv[-1]), smile_nb.__file__; sys.argv.pop(); "
           "from smile_nb.cli import smile_nb_predict; smile_nb_predict()")
    return dict(now=['smile-nb-predict', model, '--file', str(f), '--json'],
                before=[sys.executable, '-P', '-c', old, model, '--file', str(f), '--json'])

def ray_run(model:str, f:Path, d:Path) -> tuple:
    "`smile_nb.batch.predict_files` on `f` in a process of its own (a local cluster); its figures and its answers' labels and probabilities."
    out, tmp = d/f'ray-{f.stem}', tempfile.mkdtemp(prefix='ray', dir='/tmp')   # Ray's socket paths must stay short
    code = ("import sys, ray; from smile_nb.batch import predict_files\n"
            "ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, _temp_dir=sys.argv[4])\n"
            "predict_files(sys.argv[1], sys.argv[2], sys.argv[3], actors=2, threads=1)\nray.shutdown()\n")
    r, _ = run([sys.executable, '-c', code, str(f), str(out), model, tmp])
    rows = [json.loads(l) for p in sorted(out.glob('*.json*')) for l in p.read_text().splitlines()]
    return r, rows

def compare(rows:list, lines:list) -> dict:
    "The engine's answers against the command's, row for row: same order and labels, the largest probability difference."
    cmd = [json.loads(l) for l in lines]
    same_text = len(rows) == len(cmd) and all(a['text'] == b['text'] for a, b in zip(rows, cmd))
    same = same_text and all(a['label'] == b['label'] for a, b in zip(rows, cmd))
    diff = max(abs(a[k] - b['scores'][k]) for a, b in zip(rows, cmd) for k in b['scores']) if same_text else None
    return dict(rows=len(rows), same_order=same_text, same_labels=same, max_prob_diff=diff)

def main(a):
    from smile_nb.data import load_smile
    d = Path(tempfile.mkdtemp())
    if a.quick:
        a.sizes, a.repeat, a.before_max, a.ray_max = [300], 1, 0, 0
        if a.model == DEFAULT_OUT: a.model = toy_model(d/'toy')
    texts = [' '.join(t.split()) for t in (toy_data() if a.quick else load_smile(a.data)).text]
    files = {n: d/f'tweets-{n}.txt' for n in (len(texts), *a.sizes)}
    for n, f in files.items(): f.write_text('\n'.join(texts[i % len(texts)] for i in range(n)) + '\n')
    n0, f0 = len(texts), files[len(texts)]
    before = a.before_max >= n0   # the command as it was at BEFORE, beside it (not in --quick)
    env = before_env(d) if before else None
    res = dict(now={}, before={}, ray={})
    # 1. the labelled tweets, now and before, in turns
    runs = {'now': [], 'before': []} if before else {'now': []}
    for i in range(a.repeat):
        for k, cmd in commands(a.model, f0).items():
            if k not in runs: continue
            r, lines = run(cmd + ([str(Path(env['PYTHONPATH']).resolve())] if k == 'before' else []), env if k == 'before' else None, tty=k == 'now')
            runs[k].append((r, lines))
        print(f"round {i + 1}: " + '  '.join(f"{k} {v[-1][0]['seconds']:.1f} s" for k, v in runs.items()), flush=True)
    for k, v in runs.items():
        r = dict(v[len(v) // 2][0], seconds=statistics.median(x['seconds'] for x, _ in v), all_seconds=[x['seconds'] for x, _ in v])
        res[k][n0] = r
    same = labels_of(runs['now'][0][1]) == labels_of(runs['before'][0][1]) if before else None
    # 2. the larger files, once each
    for n in a.sizes:
        cmds = commands(a.model, files[n])
        res['now'][n], lines = run(cmds['now'], tty=True)
        print(f"now, {n:,} lines: {res['now'][n]['seconds']:.1f} s", flush=True)
        if before and n <= a.before_max:
            res['before'][n], old = run(cmds['before'] + [str(Path(env['PYTHONPATH']).resolve())], env)
            same = same and labels_of(lines) == labels_of(old)
            print(f"before, {n:,} lines: {res['before'][n]['seconds']:.1f} s", flush=True)
        if n <= a.ray_max:
            r, rows = ray_run(a.model, files[n], d)
            res['ray'][n] = dict(r, vs_command=compare(rows, lines))
            print(f"ray, {n:,} lines: {r['seconds']:.1f} s  {res['ray'][n]['vs_command']}", flush=True)
        del lines
    if a.ray_max >= n0:
        _, lines0 = runs['now'][0]
        r, rows = ray_run(a.model, f0, d)
        res['ray'][n0] = dict(r, vs_command=compare(rows, lines0))
    for k, by_n in res.items():
        for n, r in by_n.items():
            r['n'] = n; r['tweets_per_second'] = n / r['seconds']
            r['first_answer_share'] = r['first_answer_seconds'] / r['seconds'] if r['first_answer_seconds'] else None
    print(f"\n{'run':>8} {'lines':>8} {'seconds':>8} {'tweets/s':>9} {'first answer':>13} {'peak MB':>8}")
    for k, by_n in res.items():
        for n, r in sorted(by_n.items()):
            print(f"{k:>8} {n:>8,} {r['seconds']:8.1f} {r['tweets_per_second']:9.0f} {r['first_answer_seconds'] or 0:10.2f} s {r['peak_rss_mb']:8.0f}"
                  + (f"  bar: {r['bar']}" if r.get('bar') else '') + (f"  {r['vs_command']}" if 'vs_command' in r else ''))
    print(f"labels now = labels before on every file run both ways: {same}")
    write_json(a.json, dict(command='python bench/stream_speed.py ' + ' '.join(sys.argv[1:]), machine=machine(), tweets=n0,
                            before_commit=BEFORE, same_labels_as_before=same, results={k: {str(n): r for n, r in v.items()} for k, v in res.items()}))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', nargs='?', default=DEFAULT_OUT, help='the model folder (default: %(default)s)'); p.add_argument('--data', default=None)
    p.add_argument('--sizes', type=int, nargs='+', default=[1500, 30000, 300000], help='line counts (default: %(default)s)')
    p.add_argument('--before-max', type=int, default=30000, help='run the command as it was before streaming up to this size')
    p.add_argument('--ray-max', type=int, default=30000, help='run Ray Data up to this size')
    p.add_argument('--repeat', type=int, default=3); p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--quick', action='store_true', help='a toy model folder (unless MODEL_DIR is given), the toy tweets, 300 lines, no before, no Ray')
    main(p.parse_args())
