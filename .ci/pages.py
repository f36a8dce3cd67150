"""Counts and order of the pages a person reads, as CI checks them: `python .ci/pages.py` (every check), or one check by name.

    python .ci/pages.py                 # a PASS/FAIL line per check; exit 1 if one fails
    python .ci/pages.py readme-words    # one check: its line, exit 1 if it fails
    python .ci/pages.py --list          # the checks' names (what .ci/run loops over)

- readme-words: README.md has at most 1,200 words (whitespace-separated, code and tables included; HTML comments not);
- benchmarks-words: nbs/25_benchmarks.ipynb has at most 2,500 words of prose (its markdown cells; code and outputs not);
- table-rows: no table row in README.md or nbs/25_benchmarks.ipynb (its markdown cells, and the tables its outputs
  show, as text) is over 300 characters;
- sidebar-course: the committed sidebar (nbs/sidebar.yml) lists the course first, Tasks 2-10 (02_* ... 10_*) in order
  in its section "The course", then every other notebook once, and nothing that is not in nbs/;
- readme-course: the first notebooks README.md links to are the course's, 02_* ... 10_*, in order;
- readme-links: every relative link in README.md (as GitHub reads it, from the repository's root) names a file that exists;
- course-colab: each course notebook (02_* ... 10_*) opens, after its `default_exp` cell, with the cell that installs the
  package where it is missing (Google Colab), from the repository that pyproject.toml's [project.urls] names.
"""
import json, re, sys
from html.parser import HTMLParser
from pathlib import Path
import yaml

root = Path(__file__).resolve().parent.parent
nbs, readme, bench = root/'nbs', root/'README.md', root/'nbs'/'25_benchmarks.ipynb'
MAX_README, MAX_BENCH, MAX_ROW = 1200, 2500, 300
COURSE = [f'{i:02d}' for i in range(2, 11)]   # Tasks 2-10: the notebooks numbered 02 to 10
COMMENT = re.compile(r'<!--.*?-->', re.S)

def words(md:str) -> int: return len(COMMENT.sub(' ', md).split())

def cells(nb:Path, kind:str='markdown') -> list:
    "The sources of `nb`'s cells of `kind`."
    return [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == kind]

class Rows(HTMLParser):
    "The rows of the HTML tables in a page, each as its cells' text joined by ' | ' (as a reader sees a row)."
    def __init__(self):
        super().__init__(); self.rows, self.row, self.cell = [], None, None
    def handle_starttag(self, tag, attrs):
        if tag == 'tr': self.row = []
        elif tag in ('td', 'th') and self.row is not None: self.cell = []
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.cell is not None: self.row.append(' '.join(''.join(self.cell).split())); self.cell = None
        elif tag == 'tr' and self.row is not None: self.rows.append(' | '.join(self.row)); self.row = None
    def handle_data(self, data):
        if self.cell is not None: self.cell.append(data)

def md_rows(md:str) -> list: return [l.strip() for l in md.splitlines() if l.lstrip().startswith('|')]

def output_rows(nb:Path) -> list:
    "The table rows that `nb`'s outputs show: markdown tables and HTML tables (a DataFrame), as text."
    rows = []
    for c in json.loads(nb.read_text())['cells']:
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'text/html' in data: p = Rows(); p.feed(''.join(data['text/html'])); rows += p.rows
            elif 'text/markdown' in data: rows += md_rows(''.join(data['text/markdown']))
    return rows

def sidebar() -> list:
    "The committed sidebar as `(section, href)` pairs in order (section None outside a section)."
    out = []
    def walk(items, sec):
        for it in items:
            if isinstance(it, str): out.append((sec, it))
            elif 'section' in it:
                if it.get('href'): out.append((it['section'], it['href']))
                walk(it.get('contents', []), it['section'])
            elif it.get('href'): out.append((sec, it['href']))
    walk(yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents'], None)
    return out

def check_readme_words():
    n = words(readme.read_text())
    return n <= MAX_README, f"README.md: {n:,} words (at most {MAX_README:,})"

def check_benchmarks_words():
    n = sum(words(s) for s in cells(bench))
    return n <= MAX_BENCH, f"nbs/25_benchmarks.ipynb: {n:,} words of prose in its markdown cells (at most {MAX_BENCH:,})"

def check_table_rows():
    found = [('README.md', r) for r in md_rows(readme.read_text())]
    found += [(f'{bench.name} (markdown)', r) for s in cells(bench) for r in md_rows(s)]
    found += [(f'{bench.name} (an output)', r) for r in output_rows(bench)]
    long = [(w, r) for w, r in found if len(r) > MAX_ROW]
    msg = f"table rows in README.md and nbs/25_benchmarks.ipynb: {len(found)}, {len(long)} over {MAX_ROW} characters"
    return not long, msg + ''.join(f"\n  {w}: {len(r)} characters: {r[:100]}..." for w, r in long)

def check_sidebar_course():
    sb = [(s, h) for s, h in sidebar() if h != 'index.ipynb']
    hrefs = [h for _, h in sb]
    course = [h for s, h in sb if s == 'The course']
    problems = []
    if [h[:2] for h in hrefs[:len(COURSE)]] != COURSE: problems.append(f"the first entries are {hrefs[:len(COURSE)]}, not Tasks 2-10 (02_* ... 10_*) in order")
    if [h[:2] for h in course] != COURSE: problems.append(f"the section 'The course' holds {course}, not 02_* ... 10_* in order")
    have = {p.name for p in nbs.glob('*.ipynb') if not p.name.startswith('_')}
    if d := sorted({h for h in hrefs if hrefs.count(h) > 1}): problems.append(f"listed twice: {d}")
    if m := sorted(have - set(hrefs) - {'index.ipynb'}): problems.append(f"notebooks not in the sidebar: {m}")
    if x := sorted(set(hrefs) - have): problems.append(f"in the sidebar but not in nbs/: {x}")
    return not problems, "nbs/sidebar.yml: " + ('; '.join(problems) if problems else f"the course ({', '.join(course)}) first, then {len(hrefs) - len(course)} more, every notebook once")

def check_readme_course():
    links = list(dict.fromkeys(re.findall(r'\]\(nbs/(\d\d\w*\.ipynb)', readme.read_text())))
    first = links[:len(COURSE)]
    ok = [l[:2] for l in first] == COURSE
    return ok, f"README.md's first notebook links: {', '.join(first)}" + ('' if ok else ' (want Tasks 2-10, 02_* ... 10_*, in order)')

def check_readme_links():
    sys.path.insert(0, str(root/'.ci'))
    from readme import FENCE, LINK
    from urllib.parse import urlsplit, unquote
    md = FENCE.sub('', readme.read_text())
    targets = [g for m in LINK.finditer(md) for i, g in enumerate(m.groups()) if i % 2 and g]
    rel = [t for t in targets if not (urlsplit(t).scheme or urlsplit(t).netloc or t.startswith('#'))]
    dead = sorted({t for t in rel if not (root/unquote(urlsplit(t).path)).exists()})
    return not dead, f"README.md: {len(rel)} relative links, {len(dead)} to a missing file" + (f": {dead}" if dead else '')

def check_course_colab():
    sys.path.insert(0, str(root/'.ci'))
    from readme import addresses
    owner, name = addresses()
    want = f'%pip install -q "smile-nb @ git+https://github.com/{owner}/{name}"'
    course = [p for p in sorted(nbs.glob('*.ipynb')) if p.name[:2] in COURSE]
    def opens_with_install(p):
        code = cells(p, 'code')
        at = next((i for i, c in enumerate(code) if c.startswith('#| default_exp')), -1)
        nxt = code[at + 1] if at + 1 < len(code) else ''
        return 'import smile_nb' in nxt and 'except ImportError' in nxt and want in nxt
    missing = [p.name for p in course if not opens_with_install(p)]
    return len(course) == len(COURSE) and not missing, f"course notebooks that install the package where it is missing (Colab): {len(course) - len(missing)} of {len(COURSE)}" + (f"; not: {missing}" if missing else '')

CHECKS = {'readme-words': check_readme_words, 'benchmarks-words': check_benchmarks_words, 'table-rows': check_table_rows,
          'sidebar-course': check_sidebar_course, 'readme-course': check_readme_course,
          'readme-links': check_readme_links, 'course-colab': check_course_colab}

if __name__ == '__main__':
    args = sys.argv[1:]
    if args == ['--list']: print('\n'.join(CHECKS)); sys.exit(0)
    if bad := [a for a in args if a not in CHECKS]: sys.exit(f"unknown check {bad}: one of {', '.join(CHECKS)}")
    failed = 0
    for name in args or CHECKS:
        ok, msg = CHECKS[name]()
        print(msg if args else f"{'PASS' if ok else 'FAIL'}: {msg}"); failed += not ok
    sys.exit(1 if failed else 0)
