"""README.md and nbs/index.ipynb: the same text, kept in step without Quarto.

python .ci/readme.py write     # write README.md from the markdown cells of nbs/index.ipynb
python .ci/readme.py check     # exit 1 if the shell commands in README.md and nbs/index.ipynb differ,
                               # or if README.md is not what `write` would write
python .ci/readme.py cmd NAME  # print the command under the README heading "## NAME" (Install, Run, Test)

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

def sh_blocks(md: str) -> list:
    return [b.strip() for b in re.findall(r'```sh\n(.*?)```', md, re.S)]

def cmd(md: str, heading: str) -> str:
    m = re.search(rf'^## {heading}\n(.*?)(?=^## |\Z)', md, re.S | re.M)
    if not m or not sh_blocks(m.group(1)): sys.exit(f"README.md: no ```sh block under '## {heading}'")
    return sh_blocks(m.group(1))[0]

if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'check'
    if what == 'write': readme.write_text(index_md())
    elif what == 'check':
        a, b = sh_blocks(readme.read_text()), sh_blocks(index_md())
        if a != b:
            print('README.md and nbs/index.ipynb give different commands:', file=sys.stderr)
            for x in sorted(set(a) ^ set(b)): print(f"  only in {'README.md' if x in a else 'index.ipynb'}: {x}", file=sys.stderr)
            sys.exit(1)
        if readme.read_text() != index_md():
            print('README.md is not nbs/index.ipynb as Markdown: run `python .ci/readme.py write`', file=sys.stderr); sys.exit(1)
        print(f'README.md and nbs/index.ipynb agree on their {len(a)} command blocks, and README.md is the index as Markdown')
    elif what == 'cmd': print(cmd(readme.read_text(), sys.argv[2]))
    else: sys.exit(__doc__)
