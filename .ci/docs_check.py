"""Open every rendered docs page in headless Chromium and fail the pages that do not read as the Quarto site should.

    python .ci/docs_check.py [--out _screenshots] [--no-render] [PAGE ...]

Renders the docs offline first (`nbdev-proc-nbs`, then `.ci/docs_html.py`), as the README's docs section says,
then opens each page of _html/ (default: all of them; a PAGE is a notebook or page name: `12_train`, `train`)
through a local file URL, keeps a screenshot of each in --out, and reads the page as a reader sees it (the text
Chromium renders, its links and images). A page fails if it has
- no real title (none, or only the notebook's file name), or front matter shown as text (`title:` near the top);
- a `#|` line or `show_doc(` source shown;
- an absolute path of the machine that built it (the home folder, the checkout, the virtual environment, the
  temporary folder, the SMILE_DATA folder), an object address (` at 0x`), `ipython-input`, or a progress bar's
  remnant (tqdm's `|...| n/m [`, `0%|`);
- maths left as raw `$...$` / `\\(...\\)` in its text, or a KaTeX error;
- a Python traceback shown (an error, or one on stderr; a traceback a cell prints on purpose is fine);
- a broken image, a script or style sheet loaded from the network, or a table wider than the page that does not scroll;
- no sidebar, a sidebar whose pages are not in the order of the committed nbs/sidebar.yml (the course, Tasks 2-10,
  first), a dead local link (to a page or file that is not in _html/), or previous/next links that do not follow
  the sidebar's order.
Each page gets a line; a failing page gets each problem with a short excerpt. Exit 0 if every page passes, 1 if
one fails, 3 if no Chromium and chromedriver can be found (the caller reports that as skipped).
"""
import argparse, functools, os, re, subprocess, sys, tempfile
from pathlib import Path
from urllib.parse import urlsplit, unquote

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root/'.ci'))
from browser import headless_chrome

CHECK = """const main = document.querySelector('main') || document.body, head = document.querySelector('#title-block-header');
const code = [...document.querySelectorAll('pre')].filter(p => !p.closest('.jp-MarkdownCell')).map(p => p.innerText);
const prose = e => { const c = e.cloneNode(true); c.querySelectorAll('pre, code, .katex, script, style').forEach(x => x.remove()); return c.textContent; };
const scrolls = e => { for (; e && e !== main.parentElement; e = e.parentElement)
  if (/(auto|scroll)/.test(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth) return true; return false; };
const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
const sidebar = [...document.querySelectorAll('nav#sidebar li a[href]')], active = sidebar.findIndex(a => a.classList.contains('active'));
const pn = r => (document.querySelector(`nav.page-navigation a[rel=${r}]`) || {}).href || null;
return {images: [...document.images].map(i => ({src: i.src.startsWith('file:') ? i.src : i.src.slice(0, 80), raw: i.getAttribute('src').slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
        traceback: [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')].some(e => e.innerText.includes('Traceback (most recent call last)')),
        title: document.title.trim(), h1: (document.querySelector('#title-block-header h1') || {innerText: ''}).innerText.trim(),
        top: main.innerText.replace(head ? head.innerText : '', '').slice(0, 1500),
        text: main.innerText,
        show_doc: code.filter(t => t.includes('show_doc(')).length,
        prose: [...document.querySelectorAll('.jp-RenderedMarkdown, #title-block-header .description')].map(prose).join('\\n'),
        katex_errors: [...document.querySelectorAll('.katex-error')].map(e => e.textContent.slice(0, 80)),
        remote: [...document.querySelectorAll('script[src], link[rel=stylesheet][href]')].map(e => e.src || e.href).filter(u => /^(https?:)?\\/\\//.test(u)),
        cut_tables: [...main.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > right + 1 && !scrolls(t))
                      .map(t => t.innerText.replace(/\\s+/g, ' ').slice(0, 60)),
        nav: [...document.querySelectorAll('nav a')].map(a => a.href),
        sidebar_pages: sidebar.map(a => a.getAttribute('href')),
        links: [...document.querySelectorAll('a[href]')].map(a => ({href: a.href, raw: a.getAttribute('href')})).filter(l => l.href.startsWith('file:')),
        sequence: active < 0 ? null : {prev: pn('prev'), next: pn('next'),
                                       want_prev: active > 0 ? sidebar[active - 1].href : null,
                                       want_next: active + 1 < sidebar.length ? sidebar[active + 1].href : null},
        chars: document.body.innerText.length}"""
FRONT_MATTER = re.compile(r'^\s*(?:---\s*)?(?:title|description|output-file)\s*:', re.M)
NOTEBOOK_NAME = re.compile(r'(?:\d+[a-z]?_\w+|index|untitled\d*)(?:\.ipynb)?', re.I)   # a title nbconvert fell back to
RAW_MATHS = re.compile(r'\$\$.+?\$\$|\$[^\s$](?:[^$\n]*?[^\s$])?\$(?!\d)|\\\(.+?\\\)|\\\[.+?\\\]', re.S)   # pandoc's reading of `$`

def machine_paths() -> list:
    "The absolute folders of the machine that builds the docs, which no page should show: longest first."
    ps = [Path.home(), root, Path(sys.prefix), Path(tempfile.gettempdir())]
    if os.environ.get('SMILE_DATA'): ps.append(Path(os.environ['SMILE_DATA']).parent)
    ps += [p.resolve() for p in ps]
    return sorted({str(p) for p in ps if len(p.parts) > 1}, key=len, reverse=True)

def leaks() -> list:
    "`(what, regex)` for the text no page should show."
    paths = '|'.join(re.escape(p) for p in machine_paths())
    return [("an absolute path of this machine", re.compile(rf'(?<![\w.~/-])(?:{paths})(?![\w.-])')),
            ("a '#|' line", re.compile(r'^[ \t]*#\|.*$', re.M)),
            ("an object address (' at 0x')", re.compile(r' at 0x[0-9a-fA-F]+')),
            ("'ipython-input'", re.compile(r'ipython-input')),
            ("a progress bar's remnant", re.compile(r'\|[^|\n]{0,80}\|\s*\d+/\d+\s*\[|(?<![\d.])\d{1,3}%\|'))]

def excerpt(text:str, m:re.Match, width:int=40) -> str:
    "The match with `width` characters around it, on one line."
    s = text[max(0, m.start() - width):m.end() + width]
    return ('…' if m.start() > width else '') + ' '.join(s.split()) + ('…' if m.end() + width < len(text) else '')

def found(what:str, rx:re.Pattern, text:str, n:int=3) -> list:
    "One problem line for `rx`'s matches in `text`: how many, and up to `n` excerpts."
    ms = list(rx.finditer(text))
    return [f"{what}, {len(ms)} times: " + ' | '.join(repr(excerpt(text, m)) for m in ms[:n])] if ms else []

def local(url:str) -> Path: return Path(unquote(urlsplit(url).path))

def dead(links:list, html:Path) -> list:
    "The local links (`{'href', 'raw'}`) to a file that is not in `html`/ (the site has nothing else), as written."
    inside = lambda p: p.exists() and (p.resolve() == html.resolve() or html.resolve() in p.resolve().parents)
    return sorted({l['raw'] for l in links if not inside(local(l['href']))})

def missing(urls) -> list:
    "The file URLs among `urls` whose file does not exist (a #fragment ignored)."
    return sorted({u for u in urls if urlsplit(u).scheme == 'file' and not local(u).exists()})

def page_file(name:str) -> Path:
    "The rendered page for `name`: a page (`train`, `train.html`) or the notebook it comes from (`12_train`, `12_train.ipynb`)."
    html, stem = root/'_html', Path(name).stem
    if (html/f'{stem}.html').is_file(): return html/f'{stem}.html'
    from docs_html import front_matter
    import nbformat
    nb = root/'_proc'/f'{stem}.ipynb'
    out = nb.is_file() and front_matter(nbformat.read(nb, as_version=4)).get('output-file')
    return html/(out or f'{stem}.html')

def problems(r:dict, html:Path=root/'_html') -> list:
    "What is wrong with a page, from what `CHECK` found in it."
    broken = [i['src'] for i in r['images'] if not i['ok']]
    title = r['h1'] or r['title']
    out = [m for m, bad in [
        (f"no real title: {title!r}", not (r['title'] and r['h1']) or NOTEBOOK_NAME.fullmatch(title)),
        (f"front matter shown as text: {FRONT_MATTER.search(r['top']) and r['top'][:80]!r}", FRONT_MATTER.search(r['top'])),
        (f"show_doc( source shown in {r['show_doc']} code blocks", r['show_doc']),
        (f"{len(broken)} broken images {broken}", broken),
        ("a Python traceback shown (an error or stderr output)", r['traceback']),
        (f"KaTeX could not typeset {r['katex_errors'][:3]}", r['katex_errors']),
        (f"loads from the network at view time: {r['remote'][:3]}", r['remote']),
        (f"{len(r['cut_tables'])} tables wider than the page and cut off, e.g. {r['cut_tables'][:1]}", r['cut_tables']),
        ("no sidebar", not r['nav']),
        (f"sidebar links to missing pages {missing(r['nav'])}", missing(r['nav'])),
        (f"only {r['chars']} characters of text", r['chars'] <= 200)] if bad]
    for what, rx in leaks(): out += found(what, rx, r['text'])
    out += found("maths shown as raw LaTeX", RAW_MATHS, r['prose'])
    if d := dead(r['links'], html): out.append(f"{len(d)} dead local links (not in _html/): {d[:5]}")
    if d := dead([dict(href=i['src'], raw=i['raw']) for i in r['images'] if i['src'].startswith('file:')], html):
        out.append(f"{len(d)} images from outside _html/ (not on the site): {d[:5]}")
    if r['sidebar_pages'] != (want := committed_order()):
        out.append(f"the sidebar lists {r['sidebar_pages'][:12]}..., nbs/sidebar.yml wants {want[:12]}...")
    if (s := r['sequence']) is None: out.append("the sidebar does not mark this page")
    elif (s['prev'], s['next']) != (s['want_prev'], s['want_next']):
        name = lambda u: u and Path(urlsplit(u).path).name
        out.append(f"previous/next links {name(s['prev'])}/{name(s['next'])}, the sidebar's order wants {name(s['want_prev'])}/{name(s['want_next'])}")
    return out

@functools.cache
def sources() -> dict:
    "Each page's notebook (`train.html` -> `nbs/12_train.ipynb`), from the front matter in _proc/."
    from docs_html import front_matter
    import nbformat
    return {(front_matter(nbformat.read(nb, as_version=4)).get('output-file') or f'{nb.stem}.html'): f'nbs/{nb.name}'
            for nb in sorted((root/'_proc').glob('*.ipynb'))}

@functools.cache
def committed_order() -> list:
    "The rendered pages (`data.html`, ...) in the order of the committed sidebar, nbs/sidebar.yml, as each page's sidebar should list them."
    from docs_html import sidebar
    pages = {Path(nb).name: (page, page) for page, nb in sources().items()}   # '02_data.ipynb' -> ('data.html', ...)
    return [h for _, _, h in sidebar(root/'nbs', pages) if h]

def source(page:Path) -> str: return sources().get(page.name, '?')

def loaded(d, seconds:float=60):
    "Wait until the page in `d` has loaded and shows its text (a long page with embedded images can take a while on a busy machine)."
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import TimeoutException
    ready = "return document.readyState === 'complete' && !!document.body && document.body.innerText.length > 0"
    try: WebDriverWait(d, seconds, poll_frequency=0.2).until(lambda drv: drv.execute_script(ready))
    except TimeoutException: pass   # the checks then report what the page shows

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
    out = root/a.out; out.mkdir(exist_ok=True); bad = []
    try:
        for f in files:
            if not f.is_file(): print(f"FAIL {f.name}: {f} was not rendered"); bad.append(f.name); continue
            d.get(f.as_uri())
            loaded(d)
            r = d.execute_script(CHECK)
            shot = out/f'docs-{f.stem}.png'; d.save_screenshot(str(shot))
            why = problems(r)
            if why: bad.append(f"{f.name} ({source(f)})")
            print(f"{'FAIL' if why else 'ok  '} {f.name} ({source(f)}): {r['h1'] or r['title']!r}, {len(r['images'])} images, {len(r['nav'])} sidebar links, "
                  f"{r['chars']:,} characters; screenshot {shot.relative_to(root)}" + ''.join(f"\n     - {w}" for w in why))
    finally: d.quit()
    print(f"{len(files) - len(bad)} of {len(files)} pages pass" + (f"; failing: {', '.join(bad)}" if bad else ''))
    sys.exit(1 if bad else 0)
