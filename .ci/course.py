"""Run the course notebooks as a learner runs them in Jupyter: a fresh kernel each, Run All, every cell, in the course's order.

    python .ci/course.py                  # every course notebook, in order; a PASS/FAIL line with its seconds for each
    python .ci/course.py 03_split 07_optim   # only these (a name, a stem or a path)
    python .ci/course.py --list           # the course's notebooks, in order, one a line (what .ci/run loops over)

The course is the section "The course" of the committed sidebar, nbs/sidebar.yml (Tasks 2-10). Each notebook is
executed by nbclient, the Jupyter client that `jupyter nbconvert --execute` uses, in a kernel of this virtual
environment's Python, with nbs/ as its working folder, as Jupyter opens it. Unlike `nbdev-test`, every cell runs:
the cells flagged `slow`, and those nbdev skips (`#| eval: false`), as a learner's Run All does; `IN_TEST` is not set.
The committed notebook is never written: the executed copy goes to --out (a temporary folder unless given), where a
failure can be read. Each notebook runs in a process of its own that is stopped, kernel included, after --timeout
seconds. Exit 0 if every notebook ran, 1 if one failed.
"""
import argparse, json, os, signal, subprocess, sys, tempfile, time
from pathlib import Path
import yaml

root = Path(__file__).resolve().parent.parent
nbs = root/'nbs'
KERNEL = 'smile-nb-course'   # a kernel spec written for each run: this interpreter, whatever kernels the machine has

def course() -> list:
    "The course's notebooks in order: the hrefs of the section 'The course' in nbs/sidebar.yml."
    items = yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents']
    sec = next((s for s in items if isinstance(s, dict) and s.get('section') == 'The course'), None)
    if sec is None: sys.exit("nbs/sidebar.yml has no section 'The course'")
    return [(it if isinstance(it, str) else it['href']) for it in sec['contents']]

def notebook(name:str) -> Path:
    "The notebook for `name`: a notebook file, or one in nbs/ (`03_split`, `03_split.ipynb`)."
    p = Path(name)
    if p.suffix == '.ipynb' and p.is_file(): return p.resolve()
    return nbs/(p.name if p.suffix == '.ipynb' else p.name + '.ipynb')

def kernel_spec(where:Path) -> dict:
    "Write a Jupyter kernel spec for this interpreter (the virtual environment's python) under `where`/kernels; the env for its kernel."
    d = where/'kernels'/KERNEL; d.mkdir(parents=True, exist_ok=True)
    (d/'kernel.json').write_text(json.dumps({'argv': [sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
                                             'display_name': 'smile_nb course', 'language': 'python'}))
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}   # a learner's kernel: not nbdev-test's
    env['JUPYTER_PATH'] = os.pathsep.join([str(where)] + ([os.environ['JUPYTER_PATH']] if os.environ.get('JUPYTER_PATH') else []))
    env.setdefault('TOKENIZERS_PARALLELISM', 'false')
    return env

def run_one(src:Path, out:Path, timeout:int):
    "Execute `src` with nbclient in nbs/ and write the executed copy to `out` (runs in the child process); exit 1 on an error."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(src, as_version=4)
    def started(cell, cell_index, **kw):   # the parent names the last cell started if the notebook runs out of time
        print(f"running cell {cell_index} ({(cell.source.strip().splitlines() or [''])[0][:80]!r})", file=sys.stderr, flush=True)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, allow_errors=False, record_timing=True,
                            resources={'metadata': {'path': str(nbs)}}, on_cell_start=started)
    try: client.execute()
    except CellExecutionError as e:
        cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and any(o.get('output_type') == 'error' for o in c.get('outputs', []))), None)
        first = nb.cells[cell].source.strip().splitlines()[0][:80] if cell is not None and nb.cells[cell].source.strip() else ''
        print(f"cell {cell} ({first!r}): {e.ename}: {str(e.evalue)[:300]}", file=sys.stderr); sys.exit(1)
    finally: nbformat.write(nb, out)

def run(src:Path, out_dir:Path, timeout:int, env:dict) -> tuple:
    "Run `src` in a child process (its own process group, killed with its kernel after `timeout` s): (ok, seconds, why)."
    start = time.monotonic()
    cmd = [sys.executable, __file__, '--child', str(src), '--out', str(out_dir/src.name), '--timeout', str(timeout)]
    p = subprocess.Popen(cmd, cwd=nbs, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try: _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL); _, err = p.communicate()
        last = [l for l in err.splitlines() if l.startswith('running cell ')][-1:]
        return False, time.monotonic() - start, f"still running after {timeout} s, stopped" + (f" in {last[0][8:]}" if last else '')
    secs = time.monotonic() - start
    if p.returncode == 0: return True, secs, ''
    return False, secs, ([l for l in err.strip().splitlines() if not l.startswith('running cell ')] or [f'exit status {p.returncode}'])[-1]

if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('notebooks', nargs='*', help='course notebooks to run (default: all of them, in order)')
    a.add_argument('--timeout', type=int, default=900, help='seconds a notebook may take (default 900)')
    a.add_argument('--out', help='folder for the executed copies (default: a temporary folder)')
    a.add_argument('--list', action='store_true', help="print the course's notebooks in order and stop")
    a.add_argument('--child', help=argparse.SUPPRESS)
    a = a.parse_args()
    if a.child: run_one(Path(a.child), Path(a.out), a.timeout); sys.exit(0)
    if a.list: print('\n'.join(course())); sys.exit(0)
    todo = [notebook(n) for n in (a.notebooks or course())]
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix='smile-nb-course-'))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='smile-nb-kernel-') as k:
        env, bad, total = kernel_spec(Path(k)), [], 0.0
        for src in todo:
            if not src.is_file(): print(f"FAIL {src.name}: no such notebook in nbs/"); bad.append(src.name); continue
            ok, secs, why = run(src, out, a.timeout, env); total += secs
            print(f"{'PASS' if ok else 'FAIL'} {src.name} ({secs:.0f} s)" + ('' if ok else f": {why}"), flush=True)
            if not ok: bad.append(src.name)
    print(f"{len(todo) - len(bad)} of {len(todo)} course notebooks ran top to bottom in a fresh kernel ({total:.0f} s); executed copies in {out}")
    sys.exit(1 if bad else 0)
