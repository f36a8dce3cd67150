"""The floor every transformer must beat: TF-IDF features and logistic regression, on the seed tutorial's split.

    python bench/baseline.py [--json bench/results/tfidf-baseline.json]
    python bench/baseline.py --quick        # the same on the toy tweets, in seconds

Word 1-2-grams plus character 2-5-grams (tweets are short and noisy), balanced and unbalanced class weights.
"""
import argparse, time
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from smile_nb.data import load_smile, label_dict
from smile_nb.split import split_smile
from common import score, write_json, toy_data

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--data', default=None); p.add_argument('--json', help='also write the results to this file')
p.add_argument('--quick', action='store_true', help='the toy tweets instead of the SMILE file')
a = p.parse_args()
df = split_smile(toy_data() if a.quick else load_smile(a.data)); ld = label_dict(df)
tr, va = df[df.data_type == 'train'], df[df.data_type == 'val']
words = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
chars = TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), min_df=2, sublinear_tf=True)
Xtr = hstack([words.fit_transform(tr.text), chars.fit_transform(tr.text)]).tocsr()
Xva = hstack([words.transform(va.text), chars.transform(va.text)]).tocsr()
res = {}
for cw in (None, 'balanced'):
    t = time.perf_counter()
    clf = LogisticRegression(C=10, max_iter=2000, class_weight=cw).fit(Xtr, tr.label)
    proba = np.zeros((len(va), len(ld))); proba[:, clf.classes_] = clf.predict_proba(Xva)
    m = score(proba, va.label.values, ld)
    name = f"tfidf+logreg{' (balanced)' if cw else ''}"
    res[name] = dict(weighted_f1=m['weighted_f1'], macro_f1=m['macro_f1'], accuracy=m['accuracy'], seconds=time.perf_counter() - t,
                     per_class=m['per_class'])
    r = res[name]
    print(f"{name:>26}: weighted F1 {r['weighted_f1']:.4f}  macro F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}  "
          f"({r['seconds']:.1f} s)  " + ' '.join(f"{k} {c}/{n}" for k, (c, n) in r['per_class'].items()))
write_json(a.json, res)
