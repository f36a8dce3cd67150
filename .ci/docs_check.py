"""Open rendered docs pages in headless Chromium: every image loads and no page shows a Python traceback.

    python .ci/docs_check.py [--out _screenshots] [PAGE ...]

Renders the docs offline first (`nbdev-proc-nbs`, then `.ci/docs_html.py`), as the README's docs section says,
then opens each page (default: index, 09_train, 11a_demo, 14_benchmarks) through a local file URL and keeps a
screenshot of each in --out. Exit 0 if every page passes, 1 if one fails, 3 if no Chromium and chromedriver
can be found (the caller reports that as skipped).
"""
import argparse, subprocess, sys
from pathlib import Path

PAGES = ['index', '09_train', '11a_demo', '14_benchmarks']

CHECK = """return {images: [...document.images].map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0})),
                 traceback: document.body.innerText.includes('Traceback (most recent call last)'),
                 title: document.title, chars: document.body.innerText.length}"""

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('pages', nargs='*', default=PAGES); p.add_argument('--out', default='_screenshots'); p.add_argument('--no-render', action='store_true')
    a = p.parse_args()
    root = Path(__file__).resolve().parent.parent
    if not a.no_render:
        for cmd in (['nbdev-proc-nbs'], [sys.executable, '.ci/docs_html.py']):
            r = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
            if r.returncode: sys.exit(f"{' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()[-500:]}")
    from smile_nb.demo import headless_chrome
    d = headless_chrome()
    if d is None: print("SKIP: no chromium and chromedriver on PATH (apt-get install -y chromium chromium-driver)"); sys.exit(3)
    out = root/a.out; out.mkdir(exist_ok=True); bad = 0
    try:
        for page in a.pages:
            f = root/'_html'/f'{page}.html'
            if not f.is_file(): print(f"FAIL {page}: {f} was not rendered"); bad += 1; continue
            d.get(f.as_uri())
            r = d.execute_script(CHECK)
            broken = [i['src'] for i in r['images'] if not i['ok']]
            d.save_screenshot(str(out/f'docs-{page}.png'))
            ok = not broken and not r['traceback'] and r['chars'] > 200
            bad += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {page}: {len(r['images'])} images, {len(broken)} broken{' ' + str(broken) if broken else ''}, "
                  f"traceback shown: {r['traceback']}, {r['chars']:,} characters of text; screenshot {out/f'docs-{page}.png'}")
    finally: d.quit()
    sys.exit(1 if bad else 0)
