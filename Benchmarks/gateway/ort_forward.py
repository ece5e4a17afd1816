"""Times one forward pass of an ONNX model in onnxruntime (1 intra-op thread, as the gateway
benchmark's peer runs it) at several batch sizes; prints one line per batch in infer-bench's
format. Usage: ort_forward.py MODEL.onnx [--batches 1,8,16] [--repeats N]"""
import argparse
import time

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batches", default="1,8,16")
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rng = np.random.default_rng(0)
    for batch in (int(b) for b in args.batches.split(",")):
        x = rng.random((batch, 1, 28, 28), dtype=np.float32)
        for _ in range(50):
            session.run(None, {name: x})
        # CPU time of this thread (onnxruntime runs the pass on it with 1 intra-op thread), as
        # infer-bench measures Bulwark's.
        start = time.thread_time()
        for _ in range(args.repeats):
            session.run(None, {name: x})
        us = (time.thread_time() - start) / args.repeats * 1e6
        print(f"onnxruntime batch {batch}: {us:.1f} us/call, {us / batch:.1f} us/image")


if __name__ == "__main__":
    main()
