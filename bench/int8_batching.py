"""Does a tweet's answer depend on the batch it is read in? fp32 ONNX against int8 ONNX, the same tweets batched five ways.

    python bench/int8_batching.py MODEL_DIR --json bench/results/int8-batching.json   # MODEL_DIR: what smile-nb-train wrote

The folder needs `model.onnx` and `model.int8.onnx` (`smile-nb-export DIR --int8`). Every labelled tweet is scored
by each backend at batch 64 in the stored order (the reference), at batches 32, 8 and 1, and at batch 64 in a
shuffled order; each way is compared with the reference: the share of equal labels and the largest difference in
a probability. int8 is ONNX Runtime's dynamic quantization: each matrix product's input is scaled to 8 bits by its
largest value in the whole batch, padding included, so a tweet's numbers move with its neighbours. fp32 has no such
step: the attention mask keeps a tweet's answer out of reach of the rest of its batch.
"""
import argparse, sys
import numpy as np
from common import machine, write_json

WAYS = {'batch 32': (32, False), 'batch 8': (8, False), 'batch 1': (1, False), 'batch 64, shuffled': (64, True)}

def answers(model:str, backend:str, texts:list, batch_size:int, shuffle:bool) -> np.ndarray:
    "The probabilities of `texts`, in their order, read by `backend` in batches of `batch_size`, optionally shuffled first."
    from smile_nb.predict import Predictor
    order = np.random.default_rng(0).permutation(len(texts)) if shuffle else np.arange(len(texts))
    probs = Predictor(model, backend=backend, batch_size=batch_size, precision='fp32').probs([texts[i] for i in order])
    return probs[np.argsort(order)]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model'); p.add_argument('--data', default=None); p.add_argument('--json', default=None)
    a = p.parse_args()
    from smile_nb.data import load_smile
    texts = load_smile(a.data).text.tolist()
    ref = {b: answers(a.model, b, texts, 64, False) for b in ('onnx', 'onnx-int8')}
    rows = []
    for b in ('onnx', 'onnx-int8'):
        for way, (bs, sh) in WAYS.items():
            x = answers(a.model, b, texts, bs, sh)
            rows.append(dict(backend=b, way=way, label_agreement=float((x.argmax(1) == ref[b].argmax(1)).mean()),
                             labels_changed=int((x.argmax(1) != ref[b].argmax(1)).sum()), max_prob_diff=float(np.abs(x - ref[b]).max())))
            print(f"{b:10} {way:20} labels equal {rows[-1]['label_agreement']:.2%} ({rows[-1]['labels_changed']} changed), "
                  f"largest probability difference {rows[-1]['max_prob_diff']:.2e}")
    vs = float((ref['onnx-int8'].argmax(1) == ref['onnx'].argmax(1)).mean())
    print(f"int8 against fp32, both at batch 64: labels equal {vs:.2%}")
    write_json(a.json, dict(command='python bench/int8_batching.py ' + ' '.join(sys.argv[1:]), machine=machine(), n=len(texts),
                            model=a.model, rows=rows, int8_vs_fp32_batch64=vs))
