"""The peer of issue 20's inference gateway: the app a user writes to serve an ONNX model over the
Open Inference Protocol (KServe v2 REST, JSON tensors) with FastAPI and onnxruntime.

    PEER_MODEL=model.onnx [PEER_MODEL_NAME=fashion-cnn] \
        uvicorn peer_app:app --app-dir Benchmarks/gateway --workers 2 --host 127.0.0.1 --port 8000

Routes (the ones `tritonclient.http` and the benchmark use):
    GET  /v2/health/live, /v2/health/ready                       200 while the worker is up
    GET  /v2                                                     server metadata
    GET  /v2/models/{name}[/versions/{v}]                        model metadata
    GET  /v2/models/{name}[/versions/{v}]/ready                  200 when the model is loaded
    POST /v2/models/{name}[/versions/{v}]/infer                  JSON tensors in, JSON tensors out
Errors answer {"error": "..."} with a 4xx status, as the protocol says. Tensors travel as JSON only
(the protocol's binary extension is not implemented): a request that asks for binary outputs
(`binary_data_output`, an output's `binary_data`, which tritonclient sets by default) gets JSON
data back, which the protocol allows and tritonclient reads; binary *inputs* are refused.

Written the way a competent user would: one InferenceSession per worker process, made once at
import; pydantic models for the request, as FastAPI is meant to be used (KServe's own Python
server does the same); numpy for the tensor conversion; onnxruntime's intra-op threads set to
PEER_THREADS (default 1), since the two workers already use the two CPUs and onnxruntime's
default (a thread per core in each worker) would oversubscribe them. The model runs inline in an
`async def` endpoint: a small CNN answers in well under a millisecond, less than a thread-pool hop
costs. Nothing here authenticates: the peer ignores the Authorization header the load sends.
"""
import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

MODEL_PATH = os.environ["PEER_MODEL"]
MODEL_NAME = os.environ.get("PEER_MODEL_NAME", "fashion-cnn")
MODEL_VERSION = "1"

# ONNX element types and their Open Inference Protocol names and numpy types.
ONNX_TO_V2 = {
    "tensor(float)": ("FP32", np.float32), "tensor(double)": ("FP64", np.float64),
    "tensor(float16)": ("FP16", np.float16), "tensor(int64)": ("INT64", np.int64),
    "tensor(int32)": ("INT32", np.int32), "tensor(int16)": ("INT16", np.int16),
    "tensor(int8)": ("INT8", np.int8), "tensor(uint8)": ("UINT8", np.uint8),
    "tensor(bool)": ("BOOL", np.bool_),
}

options = ort.SessionOptions()
options.intra_op_num_threads = int(os.environ.get("PEER_THREADS", "1"))
options.inter_op_num_threads = 1
session = ort.InferenceSession(MODEL_PATH, options, providers=["CPUExecutionProvider"])


def describe(arg):
    """The v2 metadata of one model input or output; a dynamic dimension is -1."""
    datatype = ONNX_TO_V2[arg.type][0]
    shape = [d if isinstance(d, int) else -1 for d in arg.shape]
    return {"name": arg.name, "datatype": datatype, "shape": shape}


INPUTS = {arg.name: describe(arg) for arg in session.get_inputs()}
OUTPUTS = {arg.name: describe(arg) for arg in session.get_outputs()}
INPUT_TYPES = {arg.name: ONNX_TO_V2[arg.type][1] for arg in session.get_inputs()}
METADATA = {
    "name": MODEL_NAME, "versions": [MODEL_VERSION], "platform": "onnxruntime_onnx",
    "inputs": list(INPUTS.values()), "outputs": list(OUTPUTS.values()),
}


class RequestInput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict | None = None
    data: list


class RequestOutput(BaseModel):
    name: str
    parameters: dict | None = None


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: dict | None = None
    inputs: list[RequestInput]
    outputs: list[RequestOutput] | None = None


class ProtocolError(Exception):
    def __init__(self, status, message):
        self.status = status
        self.message = message


# tritonclient.http posts its infer requests with no Content-Type header; FastAPI's default (strict)
# would then not read the body as JSON, so the check is relaxed (any JSON body is still validated).
app = FastAPI(title="onnxruntime KServe v2 peer", strict_content_type=False)


@app.exception_handler(ProtocolError)
async def protocol_error(_: Request, error: ProtocolError):
    return JSONResponse({"error": error.message}, status_code=error.status)


@app.exception_handler(RequestValidationError)
async def invalid_request(_: Request, error: RequestValidationError):
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse({"error": f"invalid inference request at {where}: {first.get('msg', 'malformed')}"},
                        status_code=400)


@app.get("/v2/health/live")
async def live():
    return {"live": True}


@app.get("/v2/health/ready")
async def ready():
    return {"ready": True}


@app.get("/v2")
async def server_metadata():
    return {"name": "fastapi-onnxruntime-peer", "version": ort.__version__, "extensions": []}


def check_model(name, version=None):
    if name != MODEL_NAME:
        raise ProtocolError(404, f"unknown model '{name}'")
    if version is not None and version != MODEL_VERSION:
        raise ProtocolError(404, f"unknown version '{version}' of model '{name}'")


@app.get("/v2/models/{name}")
@app.get("/v2/models/{name}/versions/{version}")
async def model_metadata(name: str, version: str | None = None):
    check_model(name, version)
    return METADATA


@app.get("/v2/models/{name}/ready")
@app.get("/v2/models/{name}/versions/{version}/ready")
async def model_ready(name: str, version: str | None = None):
    check_model(name, version)
    return {"name": MODEL_NAME, "ready": True}


@app.post("/v2/models/{name}/infer")
@app.post("/v2/models/{name}/versions/{version}/infer")
async def infer(name: str, request: InferenceRequest, version: str | None = None):
    check_model(name, version)
    feeds = {}
    for tensor in request.inputs:
        spec = INPUTS.get(tensor.name)
        if spec is None:
            raise ProtocolError(400, f"unknown input '{tensor.name}'")
        if tensor.datatype != spec["datatype"]:
            raise ProtocolError(400, f"input '{tensor.name}' has datatype {tensor.datatype}, expected {spec['datatype']}")
        if tensor.parameters and "binary_data_size" in tensor.parameters:
            raise ProtocolError(400, f"input '{tensor.name}': binary tensor data is not supported, send JSON data")
        if len(tensor.shape) != len(spec["shape"]) or any(
                want not in (-1, got) for want, got in zip(spec["shape"], tensor.shape)):
            raise ProtocolError(400, f"input '{tensor.name}' has shape {tensor.shape}, expected {spec['shape']}")
        try:
            array = np.asarray(tensor.data, dtype=INPUT_TYPES[tensor.name]).reshape(tensor.shape)
        except (ValueError, TypeError):
            raise ProtocolError(400, f"input '{tensor.name}': data does not hold {tensor.shape} numbers")
        feeds[tensor.name] = array
    if len(feeds) != len(INPUTS):
        raise ProtocolError(400, f"expected inputs {sorted(INPUTS)}, got {sorted(feeds)}")
    wanted = [o.name for o in request.outputs] if request.outputs else list(OUTPUTS)
    for output in wanted:
        if output not in OUTPUTS:
            raise ProtocolError(400, f"unknown output '{output}'")
    results = session.run(wanted, feeds)
    response = {
        "model_name": MODEL_NAME, "model_version": MODEL_VERSION,
        "outputs": [
            {"name": output, "datatype": OUTPUTS[output]["datatype"], "shape": list(result.shape),
             "data": result.ravel().tolist()}
            for output, result in zip(wanted, results)
        ],
    }
    if request.id is not None:
        response["id"] = request.id
    return JSONResponse(response)
