"""Checks of the code's shape that anyone can run: `python .ci/shape.py` (exit 1 and a line per problem if one fails).

- no function or method in smile_nb/ or bench/ is over 60 lines;
- `train()` takes at most 10 parameters (the settings come as `**kwargs`, from `TrainSettings`);
- the training loop, `fit` in smile_nb/loop.py (Task 9), is at most 40 lines and shows each step in its own lines:
  forward, loss, backward, clipping, the optimizer and scheduler steps, validation, the per-epoch line;
- the default model folder and the ordered list of labels are each written once across smile_nb/ and bench/.
"""
import ast, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
files = [p for d in ('smile_nb', 'bench') for p in sorted((root/d).glob('*.py')) if p.name != '_modidx.py']
problems = []

for p in files:
    for node in ast.walk(ast.parse(p.read_text(encoding='utf-8'))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > 60: problems.append(f"{p.relative_to(root)}:{node.lineno}: {node.name} is {n} lines (at most 60)")

train = next(n for n in ast.walk(ast.parse((root/'smile_nb'/'train.py').read_text())) if isinstance(n, ast.FunctionDef) and n.name == 'train')
a = train.args
n_params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
if n_params > 10: problems.append(f"smile_nb/train.py: train() has {n_params} parameters (at most 10)")

loop_src = (root/'smile_nb'/'loop.py').read_text(encoding='utf-8')
fit = next(n for n in ast.walk(ast.parse(loop_src)) if isinstance(n, ast.FunctionDef) and n.name == 'fit')
fit_src = ast.get_source_segment(loop_src, fit)
if fit.end_lineno - fit.lineno + 1 > 40: problems.append(f"smile_nb/loop.py: fit is {fit.end_lineno - fit.lineno + 1} lines (the loop on one screen: at most 40)")
steps = {'forward': 'model(**batch)', 'loss': 'cross_entropy(', 'backward': '.backward(', 'clipping': 'clip_grad_norm_(',
         'optimizer step': 'optimizer.step()', 'scheduler step': 'scheduler.step()', 'validation': 'validate(', 'per-epoch line': 'run.log(f"epoch'}
for what, code in steps.items():
    if code not in fit_src: problems.append(f"smile_nb/loop.py: fit does not show the {what} in its own lines ({code!r})")

once = {'the default model folder': r"models/smile-minilm",
        'the ordered label list': r"happy'?,\s*'?not-relevant'?,\s*'?angry'?,\s*'?disgust'?,\s*'?sad'?,\s*'?surprise"}
for what, pattern in once.items():
    where = [f"{p.relative_to(root)}:{i}" for p in files for i, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1) if re.search(pattern, line)]
    if len(where) != 1: problems.append(f"{what} is written {len(where)} times, not once: {', '.join(where) or 'nowhere'}")

for line in problems: print(line)
print(f"shape: {len(files)} files, {'ok' if not problems else str(len(problems)) + ' problem(s)'}")
sys.exit(1 if problems else 0)
