"""Render the notebooks that `nbdev-proc-nbs` wrote to _proc/ as HTML pages in _html/, without Quarto, as the Quarto site shows them.

The real site is built by Quarto (`nbdev-docs`) in the GitHub workflow; this checks the same pages offline. What
Quarto does and nbconvert does not, done here with nbconvert's own means (preprocessors and a template):
- the first cell, nbdev's raw `---` YAML front matter, becomes the page's title and description, and its
  `output-file` the page's name (`12_train.ipynb` -> `train.html`, as on the site);
- each code cell's leading `#|` lines are read as Quarto cell options and never shown: `echo: false` shows only
  the output (the `show_doc` cells), `output: false` only the source, `include: false` and nbdev's `hide` nothing;
- every page gets the site's sidebar, as the committed nbs/sidebar.yml (which nbdev-proc-nbs copies to _proc/) lays
  it out: its sections ("The course", "Beyond the course"), its order and its link texts; links to
  another page's notebook (`25_benchmarks.ipynb`) point at that page, as Quarto rewrites them;
- every page ends with links to the previous and the next page in the sidebar's order (Quarto's `page-navigation: true`);
- `$...$`, `$$...$$`, `\\(...\\)` and `\\[...\\]` maths in markdown is typeset by KaTeX (Quarto uses MathJax), from the
  npm package `katex` that `katex_dist` finds, or installs with npm into the virtual environment, and copies into
  _html/katex/: a page loads nothing from the network (nbconvert's require.js and MathJax from a CDN are left out).
nbdev's processing also leaves keys of its own on cells (`has_sd`, execution timings) that nbformat refuses; they are dropped.
"""
import os, re, shutil, subprocess, sys, tempfile
from pathlib import Path
from urllib.parse import urlsplit
import jinja2, nbformat, yaml
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

PAGE_RE = r'\.(?:ipynb|qmd|html)$'   # the files `nbdev-docs` lists in the sidebar (nbdev.quarto._def_file_re)
FRONT_MATTER = re.compile(r'\s*---\n(.*?)\n---\s*$', re.S)
DIRECTIVE = re.compile(r'#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')

def front_matter(nb) -> dict:
    "The YAML front matter in `nb`'s first cell, if it is a raw `---` block (as nbdev-proc-nbs writes it), else {}."
    c = nb.cells[0] if nb.cells else None
    m = c and c.cell_type == 'raw' and FRONT_MATTER.fullmatch(c.source)
    return (yaml.safe_load(m.group(1)) or {}) if m else {}

class FrontMatter(Preprocessor):
    "Move the front matter cell into the notebook's metadata, where the template finds the title and description."
    def preprocess(self, nb, resources):
        if fm := front_matter(nb): nb.cells.pop(0)
        nb.metadata.title = str(fm.get('title') or resources['metadata']['name'])
        nb.metadata.description = str(fm.get('description') or '')
        return nb, resources

class CellOptions(Preprocessor):
    "Strip the leading `#|` lines of each code cell and tag the cell for `TagRemovePreprocessor` as Quarto reads them."
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != 'code': return cell, resources
        lines = cell.source.splitlines(True)
        n = next((i for i, l in enumerate(lines) if not DIRECTIVE.match(l)), len(lines))
        opts = {k: v.lower() for k, v in (DIRECTIVE.match(l).groups() for l in lines[:n])}
        cell.source = ''.join(lines[n:])
        tags = cell.metadata.setdefault('tags', [])
        if opts.get('include') == 'false' or 'hide' in opts: tags.append('remove-cell')
        if opts.get('echo') == 'false' or not cell.source.strip(): tags.append('remove-input')
        if opts.get('output') == 'false': tags.append('remove-output')
        return cell, resources

KATEX = '0.19.1'   # the npm package's version, pinned

def katex_dist(install:bool=True) -> Path|None:
    "KaTeX's `dist/` folder: `$KATEX_DIR`, or the npm package `katex` in node_modules/ here or in the virtual environment, where npm installs it if need be; None if none."
    cands = [Path(os.environ['KATEX_DIR'])] if os.environ.get('KATEX_DIR') else []
    cands += [Path('node_modules/katex/dist'), Path(sys.prefix)/'lib/node_modules/katex/dist']
    if found := next((c for c in cands if (c/'katex.min.js').is_file()), None): return found
    if not (install and shutil.which('npm')): return None
    r = subprocess.run(['npm', 'install', '--global', '--prefix', sys.prefix, '--no-fund', '--no-audit', '--loglevel=error', f'katex@{KATEX}'],
                       capture_output=True, text=True)
    if r.returncode: print(f"npm could not install katex@{KATEX}: {(r.stderr or r.stdout).strip()[-300:]}", file=sys.stderr)
    return katex_dist(install=False)

def vendor_katex(dst:Path) -> bool:
    "Copy KaTeX's script, auto-render extension, style sheet and fonts into `dst`/katex; False (and a note) if there is no KaTeX."
    if not (d := katex_dist()):
        print("no KaTeX (npm package katex): maths is left as written", file=sys.stderr); return False
    (dst/'katex/contrib').mkdir(parents=True, exist_ok=True)
    for f in ('katex.min.js', 'katex.min.css', 'contrib/auto-render.min.js'): shutil.copy(d/f, dst/'katex'/f)
    shutil.copytree(d/'fonts', dst/'katex/fonts', dirs_exist_ok=True)
    return True

TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{#- nothing from a CDN: no require.js or mermaid.js (no output here needs them), and KaTeX from _html/katex/ instead of MathJax -#}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
{%- if resources.katex %}
<link rel="stylesheet" href="katex/katex.min.css">
<script defer src="katex/katex.min.js"></script>
<script defer src="katex/contrib/auto-render.min.js"></script>
<script>
document.addEventListener('DOMContentLoaded', () => {
  for (const e of document.querySelectorAll('.jp-RenderedMarkdown, #title-block-header .description'))
    renderMathInElement(e, {throwOnError: false, delimiters: [
      {left: '$$', right: '$$', display: true}, {left: '\\\\[', right: '\\\\]', display: true},
      {left: '$', right: '$', display: false}, {left: '\\\\(', right: '\\\\)', display: false}]});
});
</script>
{%- endif %}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_css -%}
<link rel="stylesheet" href="styles.css">
<style>
  body { margin: 0; }
  nav#sidebar { position: fixed; top: 0; bottom: 0; left: 0; width: 15rem; overflow-y: auto; padding: 1rem; box-sizing: border-box;
                background: #f8f9fa; border-right: 1px solid #dee2e6; font-family: system-ui, sans-serif; font-size: 0.9rem; }
  nav#sidebar .site-title { display: block; font-weight: bold; font-size: 1.1rem; margin-bottom: 0.8rem; color: #2780e3; text-decoration: none; }
  nav#sidebar ul { list-style: none; padding: 0; margin: 0; }
  nav#sidebar li { margin: 0.3rem 0; }
  nav#sidebar a { color: #343a40; text-decoration: none; }
  nav#sidebar a.active { color: #2780e3; font-weight: bold; }
  nav#sidebar .section { font-weight: bold; margin-top: 0.8rem; }
  main { margin-left: 15rem; padding: 1rem 2rem; max-width: 62rem; }
  #title-block-header { font-family: system-ui, sans-serif; padding: 0 0.3rem; }
  #title-block-header h1.title { margin-bottom: 0.2rem; }
  nav.page-navigation { display: flex; justify-content: space-between; gap: 1rem; margin: 2rem 0 1rem; padding-top: 1rem;
                        border-top: 1px solid #dee2e6; font-family: system-ui, sans-serif; }
  nav.page-navigation a { color: #2780e3; text-decoration: none; }
  nav.page-navigation .nav-page-next { margin-left: auto; text-align: right; }
</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav id="sidebar" aria-label="pages">
<a class="site-title" href="{{ resources.home }}">{{ resources.site_title | escape }}</a>
<ul>
{%- for depth, text, href in resources.nav %}
<li style="padding-left: {{ depth }}rem">{% if href -%}
<a href="{{ href }}"{% if href == resources.page %} class="active" aria-current="page"{% endif %}>{{ text | escape }}</a>
{%- else %}<span class="section">{{ text | escape }}</span>{% endif %}</li>
{%- endfor %}
</ul>
</nav>
<main>
<header id="title-block-header">
<h1 class="title">{{ nb.metadata.title | escape }}</h1>
{%- if nb.metadata.description %}
<div class="description">{{ nb.metadata.description | markdown2html }}</div>
{%- endif %}
</header>
{%- endblock body_header -%}
{%- block body_footer -%}
<nav class="page-navigation" aria-label="previous and next page">
{%- if resources.prev %}
<a class="nav-page-previous" rel="prev" href="{{ resources.prev[0] }}">&larr; {{ resources.prev[1] | escape }}</a>
{%- endif %}
{%- if resources.next %}
<a class="nav-page-next" rel="next" href="{{ resources.next[0] }}">{{ resources.next[1] | escape }} &rarr;</a>
{%- endif %}
</nav>
</main>
</body>
{%- endblock body_footer -%}
"""

def exporter() -> HTMLExporter:
    "nbconvert's HTML exporter with the template above, Quarto's cell options, and no `In [ ]:` prompts (Quarto shows none)."
    e = HTMLExporter(extra_loaders=[jinja2.DictLoader({'page.html.j2': TEMPLATE})], template_file='page.html.j2',
                     exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)
    e.register_preprocessor(FrontMatter, enabled=True)
    e.register_preprocessor(CellOptions, enabled=True)
    e.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={'remove-cell'}, remove_input_tags={'remove-input'},
                                                  remove_all_outputs_tags={'remove-output'}), enabled=True)
    return e

def load_yml(p:Path) -> dict: return (yaml.safe_load(p.read_text()) or {}) if p.is_file() else {}

def sidebar(src:Path, pages:dict) -> list:
    "The sidebar as `(depth, text, href)` rows (href None for a section), from `website.sidebar.contents` as Quarto reads it."
    contents = None
    cfg = load_yml(src/'_quarto.yml')
    for y in [cfg, *(load_yml(src/f) for f in cfg.get('metadata-files', []))]:   # later files win, as Quarto merges them
        contents = (y.get('website') or {}).get('sidebar', {}).get('contents', contents)
    if not contents: contents = sorted(pages, key=lambda n: (not n.startswith('index.'), n))   # nbdev's order: index first
    rows = []
    def walk(items, depth):
        for it in items:
            if isinstance(it, str): it = {'href': it}
            if 'section' in it:
                rows.append((depth, it['section'], pages.get(it.get('href'), (None, None))[0]))
                walk(it.get('contents', []), depth + 1)
            elif re.search(PAGE_RE, it.get('href', '')) and it['href'] in pages:   # not nbdev.yml, styles.css
                out, title = pages[it['href']]
                rows.append((depth, it.get('text', title), out))
    walk(contents, 0)
    return rows

def neighbours(nav:list) -> dict:
    "Each page's previous and next page `(href, text)` in the sidebar's order, as Quarto's `page-navigation` links them."
    order = list({h: (h, t) for _, t, h in nav if h}.values())   # each page once, where it first appears
    return {h: dict(prev=order[i-1] if i else None, next=order[i+1] if i+1 < len(order) else None) for i, (h, _) in enumerate(order)}

def relink(html:str, links:dict) -> str:
    "Point links at a page's source (`xx.ipynb`) to that page (`yy.html`), as Quarto does; others stay as written."
    soup = BeautifulSoup(html, features='html.parser')
    for a in soup.select('a[href]'):
        u = urlsplit(a['href'])
        if not (u.scheme or u.netloc) and u.path in links: a['href'] = links[u.path] + (f'#{u.fragment}' if u.fragment else '')
    return str(soup)

if __name__ == '__main__':
    src, site = Path('_proc'), Path('_html')
    if not src.is_dir(): sys.exit("no _proc/ folder: run nbdev-proc-nbs first")
    dst = Path(tempfile.mkdtemp(prefix='smile-nb-html-')); dst.chmod(0o755)   # written whole, then put in place of _html/
    allowed = {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments'}
    nbs = {}
    for p in sorted(src.glob('*.ipynb')):
        nb = nbformat.read(p, as_version=4)
        for c in nb.cells:
            for k in set(c) - allowed: del c[k]
            c.metadata.pop('execution', None)   # execnb's timings, which nbformat's schema types as strings
        nbs[p] = nb
    fms = {p: front_matter(nb) for p, nb in nbs.items()}
    pages = {p.name: (fms[p].get('output-file') or f'{p.stem}.html', fms[p].get('title') or p.stem) for p in nbs}
    links = {name: out for name, (out, _) in pages.items()}
    nav = sidebar(src, pages)
    home = pages['index.ipynb'][0] if 'index.ipynb' in pages else next((h for _, _, h in nav if h), '')   # where the site's title links
    res = dict(site_title=(load_yml(src/'nbdev.yml').get('website') or {}).get('title', 'Home'), nav=nav, home=home,
               katex=vendor_katex(dst))
    if (src/'styles.css').is_file(): shutil.copy(src/'styles.css', dst/'styles.css')
    e, near = exporter(), neighbours(nav)
    try:
        for p, nb in nbs.items():
            out = pages[p.name][0]
            html, _ = e.from_notebook_node(nb, resources=dict(res, page=out, metadata={'name': p.stem, 'path': str(src)}, **near.get(out, {})))
            (dst/out).write_text(relink(html, links), encoding='utf-8')
    except BaseException: shutil.rmtree(dst, ignore_errors=True); raise
    shutil.rmtree(site, ignore_errors=True); shutil.move(dst, site)
    print(f"{len(nbs)} pages written to {site}/")
