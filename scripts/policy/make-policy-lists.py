#!/usr/bin/env python3
"""Prints the generated allow-list sections of Bulwark's built-in scan policy
(Sources/BulwarkSupplyChain/Scan/DefaultPolicyGenerated.swift).

Run in a virtualenv with torch (CPU wheel) and scikit-learn:
    python scripts/policy/make-policy-lists.py > /tmp/lists.txt
It pickles real objects (fitted scikit-learn estimators, torch.nn modules saved whole) and lists
every global those pickles import, so the allow-list holds exactly what these libraries write.
Only classes of the sklearn and torch.nn namespaces are emitted; anything else a pickle needs is
listed on stderr for a person to review (it goes in DefaultPolicy.swift by hand, with a reason).
Nothing is ever unpickled.
"""
import io, pickle, pickletools, sys, warnings, zipfile
import numpy as np

warnings.filterwarnings("ignore")

def globals_of(data):
    """(module, name) pairs a pickle imports: GLOBAL/INST arguments, and STACK_GLOBAL's two
    strings, followed through the memo (protocol 4 memoizes the module and name strings)."""
    found, pushed, memo = set(), [], {}
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            m, n = arg.split(" ", 1); found.add((m, n)); pushed.append(None)
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            pushed.append(arg)
        elif op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = pushed[-1] if pushed else None
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(int(arg)))
        elif op.name == "STACK_GLOBAL":
            if len(pushed) >= 2 and isinstance(pushed[-2], str) and isinstance(pushed[-1], str):
                found.add((pushed[-2], pushed[-1]))
            else:
                print("review: unresolved STACK_GLOBAL", file=sys.stderr)
            pushed.append(None)
        elif op.name not in ("FRAME", "PROTO", "MARK", "STOP"):
            pushed.append(None)
    return found

def all_globals(data):
    out, pos = set(), 0
    while pos < len(data):
        buf = io.BytesIO(data[pos:])
        try:
            out |= globals_of(buf)
        except Exception:
            break
        pos += buf.tell()
        if buf.tell() == 0: break
    return out

seen_sklearn, seen_torch, other = set(), set(), set()

# ---- scikit-learn: every estimator, fitted on tiny data where it accepts it ----
from sklearn.utils import all_estimators
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=40, n_features=6, n_informative=4, random_state=0)
Xp = np.abs(X)
for name, cls in all_estimators():
    try:
        est = cls()
    except Exception:
        continue
    seen_sklearn.add((cls.__module__, cls.__qualname__))
    for data in (Xp, X):
        try:
            est.fit(data, y); break
        except Exception:
            try:
                est.fit(data); break
            except Exception:
                pass
    try:
        blob = pickle.dumps(est, protocol=4)
    except Exception:
        continue
    for m, n in all_globals(blob):
        (seen_sklearn if m.startswith("sklearn.") else other).add((m, n))
from sklearn.pipeline import Pipeline, make_pipeline, FeatureUnion
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import StandardScaler, OneHotEncoder
from sklearn.linear_model import LogisticRegression
for obj in (make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
            ColumnTransformer([("s", StandardScaler(), [0, 1]), ("o", OneHotEncoder(), [2])]).fit(X),
            FeatureUnion([("a", StandardScaler()), ("b", StandardScaler())]).fit(X)):
    for m, n in all_globals(pickle.dumps(obj, protocol=4)):
        (seen_sklearn if m.startswith("sklearn.") else other).add((m, n))

# ---- torch.nn: every Module class in torch.nn, and what whole-module saves import ----
import inspect, torch, torch.nn as nn
for name, obj in vars(nn).items():
    if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj.__module__.startswith("torch.nn.modules."):
        seen_torch.add((obj.__module__, obj.__qualname__))
models = [nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.LazyLinear(2)),
          nn.LSTM(4, 8, batch_first=True), nn.GRU(4, 8), nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1),
          nn.Embedding(10, 4), nn.LayerNorm(4), nn.MultiheadAttention(8, 2), nn.ModuleDict({"a": nn.Linear(2, 2)}),
          nn.ModuleList([nn.GELU(), nn.SiLU(), nn.Tanh()])]
for model in models:
    buf = io.BytesIO(); torch.save(model, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        for entry in z.namelist():
            if entry.endswith("data.pkl"):
                for m, n in all_globals(z.read(entry)):
                    if m.startswith("torch.nn.modules."): seen_torch.add((m, n))
                    else: other.add((m, n))

print("# ---- generated by scripts/policy/make-policy-lists.py: torch %s, scikit-learn %s ----" % (torch.__version__, __import__("sklearn").__version__))
for m, n in sorted(seen_torch):
    print(f"safe {m} {n} torch.nn layer: Module.__setstate__ only restores attributes; code comes from the installed torch")
for m, n in sorted(seen_sklearn):
    print(f"safe {m} {n} scikit-learn class: its __setstate__/__reduce__ only restore fitted attributes and arrays")
for m, n in sorted(other):
    print(f"review: {m} {n}", file=sys.stderr)
