#!/usr/bin/env python3
"""Generates the benign half of the bulwark-scan noise corpus from real libraries, plus, for each
family, a malicious twin written by the same library.

Benign files are what scikit-learn, joblib (every compression), NumPy, PyTorch (modules,
state_dicts, optimizers, zip and legacy formats, TorchScript) and Keras 3 (.keras and .h5) write
for small ordinary models: `bulwark scan` must never call them malicious and may call at most 5 %
of the corpus suspicious. Malicious twins hold the harmless placeholder command
"echo bulwark-test" in an object whose __reduce__ names os.system; dumping such an object is safe
and nothing here loads a malicious file. Usage: make_benign_corpus.py OUTDIR (Fixtures/scan/
setup_corpus.sh makes the venv and runs it). Each library is optional: a missing one is reported.
"""
import io, os, pickle, sys, zipfile
os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expected_tsv import write_expected

out = sys.argv[1]
B = os.path.join(out, "benign"); M = os.path.join(out, "malicious")
os.makedirs(B, exist_ok=True); os.makedirs(M, exist_ok=True)
CMD = "echo bulwark-test"
EXPECT = {}
def exp(d, name, verdict, rule="-", note=""):
    EXPECT[os.path.relpath(os.path.join(d, name), out)] = (verdict, rule, note)
def p(d, name): return os.path.join(d, name)

class Reduce:
    def __init__(self, f, args): self.f, self.args = f, args
    def __reduce__(self): return (self.f, self.args)
EVIL = Reduce(os.system, (CMD,))
missing = []

import numpy as np
rng = np.random.default_rng(0)

# ---------------- scikit-learn, through joblib and pickle ----------------
try:
    import joblib, sklearn
    from sklearn.linear_model import LogisticRegression, LinearRegression, Ridge, SGDClassifier
    from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier, HistGradientBoostingClassifier, IsolationForest
    from sklearn.svm import SVC
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler, MinMaxScaler, OneHotEncoder, LabelEncoder, FunctionTransformer
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.neural_network import MLPClassifier
    from sklearn.cluster import KMeans
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.naive_bayes import GaussianNB
    from sklearn.impute import SimpleImputer
    from sklearn.feature_extraction.text import TfidfVectorizer
    import warnings; warnings.filterwarnings("ignore")
    X = rng.normal(size=(24, 3)); y = (X[:, 0] > 0).astype(int)
    Xc = np.array([["a"], ["b"], ["a"], ["c"]] * 6, dtype=object)
    models = {
        "logreg": LogisticRegression().fit(X, y), "linreg": LinearRegression().fit(X, X[:, 1]), "ridge": Ridge().fit(X, X[:, 1]),
        "sgd": SGDClassifier(max_iter=5, tol=None).fit(X, y),
        "random_forest": RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0).fit(X, y),
        "gradient_boosting": GradientBoostingClassifier(n_estimators=3, max_depth=2).fit(X, y),
        "hist_gradient_boosting": HistGradientBoostingClassifier(max_iter=3).fit(X, y),
        "isolation_forest": IsolationForest(n_estimators=3, random_state=0).fit(X),
        "svc": SVC(probability=False).fit(X, y), "knn": KNeighborsClassifier(n_neighbors=3).fit(X, y),
        "pca": PCA(n_components=2).fit(X), "standard_scaler": StandardScaler().fit(X), "minmax_scaler": MinMaxScaler().fit(X),
        "onehot": OneHotEncoder(handle_unknown="ignore").fit(Xc), "label_encoder": LabelEncoder().fit(["x", "y", "x"]),
        "mlp": MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(X, y),
        "kmeans": KMeans(n_clusters=2, n_init=1, random_state=0).fit(X), "decision_tree": DecisionTreeClassifier(max_depth=2).fit(X, y),
        "gaussian_nb": GaussianNB().fit(X, y), "imputer": SimpleImputer().fit(X),
        "tfidf": TfidfVectorizer().fit(["a model file", "a benign model", "bulwark scans files"]),
        "pipeline": Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2)), ("clf", LogisticRegression())]).fit(X, y),
        "column_transformer": make_pipeline(ColumnTransformer([("num", StandardScaler(), [0, 1]), ("cat", OneHotEncoder(), [2])]), LogisticRegression()).fit(
            np.concatenate([X[:, :2], np.array([[0], [1], [2], [1]] * 6)], axis=1), y),
        "function_transformer_numpy": FunctionTransformer(np.log1p).fit(np.abs(X)),
    }
    for name, m in models.items():
        joblib.dump(m, p(B, f"sk_{name}.joblib"))
        with open(p(B, f"sk_{name}_p4.pkl"), "wb") as f: pickle.dump(m, f, protocol=4)
    for name in ("logreg", "random_forest", "pipeline"):
        with open(p(B, f"sk_{name}_p2.pkl"), "wb") as f: pickle.dump(models[name], f, protocol=2)
        with open(p(B, f"sk_{name}_p5.pkl"), "wb") as f: pickle.dump(models[name], f, protocol=5)
    # joblib: every compression, both protocols 0/1, arrays and estimators
    for c in ("zlib", "gzip", "bz2", "lzma", "xz", "lz4"):
        try:
            joblib.dump({"coef": np.arange(6.0).reshape(2, 3), "classes": np.array(["a", "b"])}, p(B, f"joblib_arrays_{c}.joblib"), compress=(c, 3))
            joblib.dump(models["random_forest"], p(B, f"joblib_forest_{c}.joblib"), compress=(c, 3))
        except (ValueError, ImportError) as e:
            missing.append(f"joblib compress={c}: {e}")
    joblib.dump(models["pipeline"], p(B, "joblib_pipeline.joblib.gz"))          # compression from the extension
    for proto in (0, 1, 2):
        joblib.dump({"coef": np.ones(3), "model": models["logreg"]}, p(B, f"joblib_protocol{proto}.joblib"), protocol=proto)
    # malicious twins by the same library
    joblib.dump(make_pipeline(StandardScaler(), FunctionTransformer(os.system)), p(M, "sk_function_transformer_os_system.joblib")); exp(M, "sk_function_transformer_os_system.joblib", "malicious", "pickle", "FunctionTransformer(os.system)")
    joblib.dump(Pipeline([("scale", StandardScaler()), ("hook", EVIL)]), p(M, "sk_pipeline_reduce_step.joblib")); exp(M, "sk_pipeline_reduce_step.joblib", "malicious", "pickle", "pipeline step with __reduce__ os.system")
    with open(p(M, "sk_forest_with_hook_p4.pkl"), "wb") as f: pickle.dump([models["random_forest"], EVIL], f, protocol=4)
    exp(M, "sk_forest_with_hook_p4.pkl", "malicious", "pickle", "forest then os.system")
    joblib.dump([models["logreg"], EVIL], p(M, "sk_logreg_hook_lz4.joblib"), compress=("lz4", 3)); exp(M, "sk_logreg_hook_lz4.joblib", "malicious", "pickle", "lz4 joblib")
except ImportError as e:
    missing.append(f"scikit-learn/joblib: {e}")

# ---------------- NumPy ----------------
np.save(p(B, "np_float64.npy"), rng.normal(size=(3, 4)))
np.save(p(B, "np_int8_fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.int8).reshape(2, 3)))
np.save(p(B, "np_structured.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i8"), ("name", "S4")]))
np.save(p(B, "np_datetime.npy"), np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"))
np.save(p(B, "np_unicode.npy"), np.array(["alpha", "beta"]))
np.save(p(B, "np_empty.npy"), np.zeros((0, 5), dtype=np.float32))
np.savez_compressed(p(B, "np_compressed.npz"), a=np.ones((4, 4)), b=np.arange(10))
with open(p(B, "np_arrays_p2.pkl"), "wb") as f: pickle.dump({"a": np.ones(3, dtype=np.float16), "b": np.arange(4).reshape(2, 2).T, "c": np.complex128(1j)}, f, protocol=2)
with open(p(B, "np_arrays_p5_oob.pkl"), "wb") as f: pickle.dump(np.arange(8.0), f, protocol=5)

# ---------------- PyTorch ----------------
try:
    import torch, torch.nn as nn
    torch.manual_seed(0)
    modules = {
        "cnn": nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 3), nn.Softmax(dim=1)),
        "lstm": nn.LSTM(4, 3, num_layers=1, batch_first=True), "gru": nn.GRU(3, 2),
        "transformer_layer": nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True),
        "embedding_layernorm": nn.Sequential(nn.Embedding(10, 4), nn.LayerNorm(4), nn.Dropout(0.1), nn.GELU()),
        "mha": nn.MultiheadAttention(4, 2), "module_dict": nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Sequential(nn.Tanh(), nn.Identity())}),
    }
    for name, m in modules.items():
        torch.save(m, p(B, f"torch_module_{name}.pt"))
        torch.save(m.state_dict(), p(B, f"torch_state_{name}.pt"))
    torch.save(modules["cnn"], p(B, "torch_module_cnn_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(modules["lstm"].state_dict(), p(B, "torch_state_lstm_legacy.pth"), _use_new_zipfile_serialization=False)
    lin = nn.Linear(3, 2)
    for oname, opt in [("sgd", torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)), ("adam", torch.optim.Adam(lin.parameters())), ("adamw", torch.optim.AdamW(lin.parameters()))]:
        lin(torch.ones(1, 3)).sum().backward(); opt.step()
        torch.save({"model": lin.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, p(B, f"torch_checkpoint_{oname}.pt"))
    torch.save(torch.optim.lr_scheduler.StepLR(torch.optim.SGD(lin.parameters(), lr=0.1), 2).state_dict(), p(B, "torch_scheduler_state.pt"))
    torch.save({"half": torch.ones(2, dtype=torch.float16), "bf16": torch.ones(2, dtype=torch.bfloat16), "c": torch.ones(2, dtype=torch.complex64),
                "i8": torch.ones(2, dtype=torch.int8), "b": torch.ones(2, dtype=torch.bool), "view": torch.arange(6.0).reshape(2, 3).t(),
                "size": torch.Size([2, 3]), "device": torch.device("cpu"), "dtype": torch.float32}, p(B, "torch_tensor_zoo.pt"))
    torch.save({"sparse": torch.eye(3).to_sparse(), "q": torch.quantize_per_tensor(torch.ones(4), 0.1, 0, torch.qint8)}, p(B, "torch_sparse_quantized.pt"))
    torch.save({"w": torch.ones(2)}, p(B, "torch_state_legacy_p2.pt"), _use_new_zipfile_serialization=False, pickle_protocol=2)
    # TorchScript
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))), p(B, "torchscript_scripted.pt"))
    torch.jit.save(torch.jit.trace(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), torch.ones(1, 1, 5, 5)), p(B, "torchscript_traced.pt"))
    torch.jit.save(torch.jit.script(nn.LSTM(3, 2)), p(B, "torchscript_lstm.pt"))
    # malicious twins by the same library
    evil_seq = nn.Sequential(nn.Linear(2, 2)); evil_seq.hook = EVIL
    torch.save(evil_seq, p(M, "torch_module_with_reduce_attr.pt")); exp(M, "torch_module_with_reduce_attr.pt", "malicious", "pickle", "Sequential with a __reduce__ attribute")
    torch.save({"model": lin.state_dict(), "meta": EVIL}, p(M, "torch_checkpoint_hook_legacy.pt"), _use_new_zipfile_serialization=False)
    exp(M, "torch_checkpoint_hook_legacy.pt", "malicious", "pickle", "legacy checkpoint")
    src = zipfile.ZipFile(p(B, "torchscript_scripted.pt"))
    with zipfile.ZipFile(p(M, "torchscript_data_pkl_replaced.pt"), "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/data.pkl"): data = pickle.dumps(EVIL, protocol=2)
            z.writestr(info.filename, data)
    exp(M, "torchscript_data_pkl_replaced.pt", "malicious", "pickle", "TorchScript zip whose data.pkl calls os.system")
    with zipfile.ZipFile(p(M, "torchscript_constants_replaced.pt"), "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/constants.pkl"): data = pickle.dumps((EVIL,), protocol=2)
            z.writestr(info.filename, data)
    exp(M, "torchscript_constants_replaced.pt", "malicious", "pickle", "TorchScript constants.pkl calls os.system")
except ImportError as e:
    missing.append(f"torch: {e}")

# ---------------- Keras 3 ----------------
try:
    import keras
    from keras import layers
    def compiled(m): m.compile(optimizer="adam", loss="mse", metrics=["mae"]); return m
    km = {
        "dense": compiled(keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])),
        "cnn": compiled(keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.1), layers.Dense(2, activation="softmax")])),
        "lstm": keras.Sequential([keras.Input((5, 3)), layers.LSTM(2), layers.Dense(1)]),
        "embedding": keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(10, 4), layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")]),
    }
    inp = keras.Input((4,)); a = layers.Dense(4)(inp); b = layers.Dense(4, activation="tanh")(inp)
    km["functional_add"] = compiled(keras.Model(inp, layers.Dense(1)(layers.Add()([a, b]))))
    for name, m in km.items():
        m.save(p(B, f"keras_{name}.keras"))
        m.save(p(B, f"keras_{name}.h5"))
    km["dense"].save_weights(p(B, "keras_dense.weights.h5")); exp(B, "keras_dense.weights.h5", "unsupported", "-", "weights-only HDF5: no model_config, not a loadable model")
    lam = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda x: x * 2.0), layers.Dense(1)])
    lam.save(p(M, "keras_real_lambda.keras")); exp(M, "keras_real_lambda.keras", "malicious", "keras", "Lambda layer saved by Keras")
    lam.save(p(M, "keras_real_lambda.h5")); exp(M, "keras_real_lambda.h5", "malicious", "keras", "Lambda layer saved by Keras (HDF5)")
except Exception as e:  # ImportError, or a backend that fails to initialise
    missing.append(f"keras: {e!r}")

write_expected(out, EXPECT)
for m in missing: print("skipped:", m)
print("benign corpus written to", out)
