"""README.md and nbs/index.ipynb: the same text, kept in step without Quarto.

python .ci/readme.py write     # carry pyproject.toml's addresses into the notebooks, fill the index's results table
                               # from bench/results/*.json, then write README.md from the markdown cells of nbs/index.ipynb
python .ci/readme.py check     # exit 1 if the shell commands in README.md and nbs/index.ipynb differ, if the results
                               # table is not what the JSON gives, if a notebook names the repository or the docs site
                               # otherwise than pyproject.toml does, or if README.md is not what `write` would write
python .ci/readme.py cmd NAME  # print the command under the README heading "## NAME" (Install, Run, Test)
python .ci/readme.py table     # print the results table as the JSON gives it

The headline results are never typed by hand: `results_table` reads them from bench/results/, and `write` puts the
table between the two `<!-- results -->` comments of the index (nbs/index.ipynb tests that it is still what the JSON gives).

The project's addresses are set in one place, pyproject.toml's [project.urls] (`Repository`, `Documentation`): nbdev
writes the modules' `Docs:` lines and the site's links from it, and `write` carries it into every notebook that names
the repository (its GitHub, Colab and Pages addresses): the index and so README.md, the course's install cells, the
model card's template (then `nbdev-export`).

The index links as the docs site needs, relative to nbs/ (`[core](21_core.ipynb)`, which Quarto turns into the page
`core.html`); README.md lies one folder up, so `write` rewrites each relative link for GitHub (`nbs/21_core.ipynb`).
"""
import json, posixpath, re, sys
from pathlib import Path
from urllib.parse import urlsplit

root = Path(__file__).resolve().parent.parent
readme, index = root/'README.md', root/'nbs'/'index.ipynb'

FENCE = re.compile(r'^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`', re.S | re.M)   # code, where nothing is a link
LINK = re.compile(r'(\]\(\s*<?)([^)\s>]+)|^(\[[^\]\n]+\]:[ \t]*<?)(\S+?)(?=>?\s|>?$)|(<(?:a|img)\b[^>]*?\b(?:href|src)=["\'])([^"\']+)', re.M)

def for_github(target:str) -> str:
    "A link target of nbs/index.ipynb, relative to the repository root where README.md is (`21_core.ipynb` -> `nbs/21_core.ipynb`)."
    u = urlsplit(target)
    if u.scheme or u.netloc or target.startswith(('#', '/')) or not u.path: return target
    return posixpath.normpath(posixpath.join(index.parent.relative_to(root).as_posix(), u.path)) + target[len(u.path):]

def relink(md:str) -> str:
    "`md` with each relative link (markdown `[..](x)`, `[..]: x`, `<a href>`, `<img src>`) rewritten by `for_github`, code left alone."
    out, at = [], 0
    def fix(m): return ''.join(g if i % 2 == 0 else for_github(g) for i, g in enumerate(m.groups()) if g is not None)
    for c in FENCE.finditer(md):
        out += [LINK.sub(fix, md[at:c.start()]), c.group(0)]; at = c.end()
    return ''.join(out + [LINK.sub(fix, md[at:])])

def index_md() -> str:
    "README.md's text: the markdown cells of nbs/index.ipynb, their links rewritten for GitHub."
    cells = json.loads(index.read_text())['cells']
    return relink('\n\n'.join(''.join(c['source']).strip() for c in cells if c['cell_type'] == 'markdown') + '\n')

R = root/'bench'/'results'
START, END = '<!-- results: from bench/results/*.json by `python .ci/readme.py write`; do not edit -->', '<!-- /results -->'

def results_table() -> str:
    "The headline results as a markdown table, every number read from the JSON files in bench/results/."
    load = lambda name: json.loads((R/name).read_text())
    q, qr = (load(f)['results']['no class weights']['summary'] for f in ('quality-normalized.json', 'quality-normalized-reshuffled.json'))
    base, speed, pred = load('tfidf-baseline.json'), load('train-speed-levers.json'), load('predict-speed.json')
    where = lambda d: f"{d['machine']['cpu']} ({d['machine']['cpu_detail'].split(';')[0]}), {d['machine']['cores']} cores"
    f1 = lambda s: f"weighted F1 {s['weighted_f1'][0]:.3f} ± {s['weighted_f1'][1]:.3f}, macro F1 {s['macro_f1'][0]:.3f} ± {s['macro_f1'][1]:.3f}"
    main, trainer = speed['results']['main-job'], speed['results'][speed['summary'].get('trainer', 'trainer-best')]
    pp, pw = pred['whole_process']['smile-nb-predict (auto)'], pred['whole_process']['pipeline (default batch)']
    old = lambda d: f"{d['machine']['cpu']}, {d['machine']['cores']} cores"
    rows = [('quality: the default over 5 seeds, the seed\'s split', f1(q), old(load('quality-normalized.json')), 'quality-normalized.json'),
            ('the same on a reshuffled split', f1(qr), old(load('quality-normalized-reshuffled.json')), 'quality-normalized-reshuffled.json'),
            ('the floor: TF-IDF and logistic regression', f"weighted F1 {base['tfidf+logreg']['weighted_f1']:.3f}, macro F1 {base['tfidf+logreg']['macro_f1']:.3f}",
             '-', 'tfidf-baseline.json'),
            ('training: `smile-nb-train`, 10 epochs', f"{main['wall_seconds']:.0f} s in all, {speed['summary']['wall_ratio']:.2f}x as fast as "
             f"`Trainer` at its best settings ({trainer['wall_seconds']:.0f} s)", where(speed), 'train-speed-levers.json'),
            (f"prediction: `smile-nb-predict` on {pred['n']:,} tweets", f"{pp['seconds']:.1f} s in all, {pw['seconds'] / pp['seconds']:.1f}x "
             f"as fast as `transformers.pipeline` ({pw['seconds']:.1f} s)", where(pred), 'predict-speed.json')]
    return '\n'.join(['| what | result | machine | JSON in `bench/results/` |', '|---|---|---|---|'] + [f"| {' | '.join(r)} |" for r in rows])

def marked(md:str) -> str|None:
    "The text between the results markers in `md`, stripped; None if it has none."
    m = re.search(re.escape(START) + r'(.*?)' + re.escape(END), md, re.S)
    return m and m.group(1).strip()

def fill_index():
    "Put `results_table()` between the markers in nbs/index.ipynb's markdown cells (the file is rewritten only if that changes it)."
    nb = json.loads(index.read_text())
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] != 'markdown' or marked(src) is None: continue
        new = re.sub(re.escape(START) + r'.*?' + re.escape(END), lambda m: f"{START}\n\n{results_table()}\n\n{END}", src, flags=re.S)
        if new != src:
            c['source'] = new.splitlines(True)
            index.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        return
    sys.exit(f"nbs/index.ipynb has no results markers ({START} ... {END})")

def addresses() -> tuple:
    "(owner, repository name) of pyproject.toml's [project.urls] Repository, a GitHub address."
    import tomllib
    url = tomllib.loads((root/'pyproject.toml').read_text())['project']['urls']['Repository']
    m = re.fullmatch(r'https://github\.com/([\w.-]+)/([\w.-]+?)/?', url)
    if not m: sys.exit(f"pyproject.toml: [project.urls] Repository is {url!r}, not https://github.com/OWNER/NAME")
    return m.groups()

def readdressed(text:str) -> str:
    "`text` with every GitHub, Colab and GitHub Pages address of this repository under pyproject.toml's owner and name."
    owner, name = addresses()
    text = re.sub(r'(github\.com/|colab\.research\.google\.com/github/)[\w.-]+/' + re.escape(name) + r'\b', rf'\g<1>{owner}/{name}', text)
    return re.sub(r'\b[\w-]+\.github\.io/' + re.escape(name) + r'\b', f'{owner}.github.io/{name}', text)

def stale() -> list:
    "The notebooks whose addresses are not pyproject.toml's."
    return [p for p in sorted(index.parent.glob('*.ipynb')) if readdressed(p.read_text()) != p.read_text()]

def carry_addresses():
    "Rewrite the addresses of every notebook in nbs/ as pyproject.toml gives them."
    for p in stale(): p.write_text(readdressed(p.read_text()))

def sh_blocks(md: str) -> list:
    return [b.strip() for b in re.findall(r'```sh\n(.*?)```', md, re.S)]

def cmd(md: str, heading: str) -> str:
    m = re.search(rf'^## {heading}\n(.*?)(?=^## |\Z)', md, re.S | re.M)
    if not m or not sh_blocks(m.group(1)): sys.exit(f"README.md: no ```sh block under '## {heading}'")
    return sh_blocks(m.group(1))[0]

if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'check'
    if what == 'write': carry_addresses(); fill_index(); readme.write_text(index_md())
    elif what == 'table': print(results_table())
    elif what == 'check':
        if marked(index_md()) != results_table():
            print('the results table in nbs/index.ipynb is not what bench/results/*.json gives: run `python .ci/readme.py write`', file=sys.stderr); sys.exit(1)
        a, b = sh_blocks(readme.read_text()), sh_blocks(index_md())
        if a != b:
            print('README.md and nbs/index.ipynb give different commands:', file=sys.stderr)
            for x in sorted(set(a) ^ set(b)): print(f"  only in {'README.md' if x in a else 'index.ipynb'}: {x}", file=sys.stderr)
            sys.exit(1)
        if old := stale():
            print(f"{', '.join(p.name for p in old)}: another address than pyproject.toml's [project.urls]: run `python .ci/readme.py write`", file=sys.stderr); sys.exit(1)
        if readme.read_text() != index_md():
            print('README.md is not nbs/index.ipynb as Markdown: run `python .ci/readme.py write`', file=sys.stderr); sys.exit(1)
        print(f'README.md and nbs/index.ipynb agree on their {len(a)} command blocks, and README.md is the index as Markdown')
    elif what == 'cmd': print(cmd(readme.read_text(), sys.argv[2]))
    else: sys.exit(__doc__)
