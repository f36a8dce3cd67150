"""Open every rendered docs page in headless Chromium and fail the pages that do not read as the Quarto site does.

    python .ci/docs_check.py [--out _screenshots] [--no-render] [PAGE ...]

Renders the docs offline first (`nbdev-proc-nbs`, then `.ci/docs_html.py`), as the README's docs section says,
then opens each page of _html/ (default: all of them; a PAGE is a notebook or page name: `09_train`, `train`)
through a local file URL and keeps a screenshot of each in --out. A page fails if it has no title, shows front
matter as text (`title:` near the top), shows a `#|` line or `show_doc(` source in a code cell, has a broken image,
shows a Python traceback (an error, or one on stderr; a traceback a cell prints on purpose is fine), or has no
sidebar or a sidebar link to a page that does not exist. Other links to local files that do not exist are
reported as warnings. Exit 0 if every page passes, 1 if one fails, 3 if no Chromium
and chromedriver can be found (the caller reports that as skipped).
"""
import argparse, os, re, subprocess, sys
from pathlib import Path
from urllib.parse import urlsplit, unquote

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root/'.ci'))
from browser import headless_chrome

CHECK = """const main = document.querySelector('main') || document.body, head = document.querySelector('#title-block-header');
const code = [...document.querySelectorAll('pre')].filter(p => !p.closest('.jp-MarkdownCell')).map(p => p.innerText);
return {images: [...document.images].map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
        traceback: [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')].some(e => e.innerText.includes('Traceback (most recent call last)')),
        title: document.title.trim(), h1: (document.querySelector('#title-block-header h1') || {innerText: ''}).innerText.trim(),
        top: main.innerText.replace(head ? head.innerText : '', '').slice(0, 1500),
        directives: code.flatMap(t => t.split('\\n')).filter(l => /^\\s*#\\|/.test(l)),
        show_doc: code.filter(t => t.includes('show_doc(')).length,
        nav: [...document.querySelectorAll('nav a')].map(a => a.href),
        links: [...main.querySelectorAll('a[href]')].map(a => a.href).filter(h => h.startsWith('file:')),
        chars: document.body.innerText.length}"""
FRONT_MATTER = re.compile(r'^\s*(?:---\s*)?(?:title|description|output-file)\s*:', re.M)

def missing(urls) -> list:
    "The file URLs among `urls` whose file does not exist (a #fragment ignored)."
    return sorted({u for u in urls if urlsplit(u).scheme == 'file' and not Path(unquote(urlsplit(u).path)).exists()})

def page_file(name:str) -> Path:
    "The rendered page for `name`: a page (`train`, `train.html`) or the notebook it comes from (`09_train`, `09_train.ipynb`)."
    html, stem = root/'_html', Path(name).stem
    if (html/f'{stem}.html').is_file(): return html/f'{stem}.html'
    from docs_html import front_matter
    import nbformat
    nb = root/'_proc'/f'{stem}.ipynb'
    out = nb.is_file() and front_matter(nbformat.read(nb, as_version=4)).get('output-file')
    return html/(out or f'{stem}.html')

def problems(r:dict) -> list:
    "What is wrong with a page, from what `CHECK` found in it."
    broken = [i['src'] for i in r['images'] if not i['ok']]
    return [m for m, bad in [
        ("no title", not (r['title'] and r['h1'])),
        (f"front matter shown as text: {FRONT_MATTER.search(r['top']) and r['top'][:80]!r}", FRONT_MATTER.search(r['top'])),
        (f"{len(r['directives'])} '#|' lines shown, e.g. {r['directives'][:1]}", r['directives']),
        (f"show_doc( source shown in {r['show_doc']} code blocks", r['show_doc']),
        (f"{len(broken)} broken images {broken}", broken),
        ("a Python traceback shown (an error or stderr output)", r['traceback']),
        ("no sidebar", not r['nav']),
        (f"sidebar links to missing pages {missing(r['nav'])}", missing(r['nav'])),
        (f"only {r['chars']} characters of text", r['chars'] <= 200)] if bad]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('pages', nargs='*'); p.add_argument('--out', default='_screenshots'); p.add_argument('--no-render', action='store_true')
    a = p.parse_args()
    if not a.no_render:
        for cmd in (['nbdev-proc-nbs'], [sys.executable, '.ci/docs_html.py']):
            r = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
            if r.returncode: sys.exit(f"{' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()[-500:]}")
    files = [page_file(n) for n in a.pages] or sorted((root/'_html').glob('*.html'))
    if not files: print("FAIL: no pages in _html/"); sys.exit(1)
    d = headless_chrome()
    if d is None: print("SKIP: no chromium and chromedriver on PATH (apt-get install -y chromium chromium-driver)"); sys.exit(3)
    out = root/a.out; out.mkdir(exist_ok=True); bad = 0
    try:
        for f in files:
            if not f.is_file(): print(f"FAIL {f.stem}: {f} was not rendered"); bad += 1; continue
            d.get(f.as_uri())
            r = d.execute_script(CHECK)
            shot = out/f'docs-{f.stem}.png'; d.save_screenshot(str(shot))
            why = problems(r); bad += bool(why)
            print(f"{'FAIL' if why else 'ok  '} {f.name}: {r['h1'] or r['title']!r}, {len(r['images'])} images, {len(r['nav'])} sidebar links, "
                  f"{r['chars']:,} characters; screenshot {shot.relative_to(root)}" + ''.join(f"\n     - {w}" for w in why))
            if dead := missing(r['links']): print(f"     warning: links to files that do not exist: {[os.path.relpath(unquote(urlsplit(u).path), f.parent) for u in dead]}")
    finally: d.quit()
    print(f"{len(files) - bad} of {len(files)} pages pass")
    sys.exit(1 if bad else 0)
