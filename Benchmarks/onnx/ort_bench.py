"""onnxruntime CPU inference throughput (images/s) at batch 1 and 256; prints one JSON object."""
import json, sys, time
import numpy as np
import onnxruntime as ort

path, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
shape = [d for d in inp.shape[1:]]
out = {}
for batch in (1, 256):
    x = np.random.uniform(-1, 1, size=[batch] + shape).astype(np.float32)
    sess.run(None, {inp.name: x})
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sess.run(None, {inp.name: x})
        runs += 1
    out[f"batch{batch}_images_per_s"] = runs * batch / (time.perf_counter() - start)
print(json.dumps(out, sort_keys=True))
