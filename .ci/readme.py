"""README.md and nbs/index.ipynb: the same text, kept in step without Quarto.

python .ci/readme.py write     # write README.md from the markdown cells of nbs/index.ipynb
python .ci/readme.py check     # exit 1 if the shell commands in README.md and nbs/index.ipynb differ
python .ci/readme.py cmd NAME  # print the command under the README heading "## NAME" (Install, Run, Test)
"""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
readme, index = root/'README.md', root/'nbs'/'index.ipynb'

def index_md() -> str:
    cells = json.loads(index.read_text())['cells']
    return '\n\n'.join(''.join(c['source']).strip() for c in cells if c['cell_type'] == 'markdown') + '\n'

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
        print(f'README.md and nbs/index.ipynb agree on their {len(a)} command blocks')
    elif what == 'cmd': print(cmd(readme.read_text(), sys.argv[2]))
    else: sys.exit(__doc__)
