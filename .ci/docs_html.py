"""Render the notebooks that `nbdev-proc-nbs` wrote to _proc/ as HTML pages in _html/, without Quarto.

nbdev's processing leaves keys of its own on cells (such as `has_sd`, and timings) that plain nbformat refuses; they are
dropped here before nbconvert renders each page. This checks the docs pipeline offline: the real site is built
by Quarto (`nbdev-docs`) in the GitHub workflow.
"""
import sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

src, dst = Path('_proc'), Path('_html')
if not src.is_dir(): sys.exit("no _proc/ folder: run nbdev-proc-nbs first")
dst.mkdir(exist_ok=True)
allowed = {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments'}
exporter, n = HTMLExporter(), 0
for p in sorted(src.glob('*.ipynb')):
    nb = nbformat.read(p, as_version=4)
    for c in nb.cells:
        for k in set(c) - allowed: del c[k]
        c.metadata.pop('execution', None)   # execnb's timings, which nbformat's schema types as strings
    html, _ = exporter.from_notebook_node(nb)
    (dst/f'{p.stem}.html').write_text(html, encoding='utf-8'); n += 1
print(f"{n} pages written to {dst}/")
