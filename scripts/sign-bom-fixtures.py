#!/usr/bin/env python3
"""Fixtures and checks for `bulwark bom` (CycloneDX 1.6 ML-BOM).

  sign-bom-fixtures.py make-fixtures   regenerate Tests/BulwarkSupplyChainTests/Fixtures/bom:
                                       a tiny ONNX model (made with the onnx package), a
                                       Hugging-Face-like directory with safetensors weights
                                       (safetensors package) and config.json, model cards in
                                       YAML and JSON, the official CycloneDX 1.6 JSON schemas
                                       (from cyclonedx-python-lib), and schema test cases whose
                                       verdicts come from Python's jsonschema.
  sign-bom-fixtures.py check BULWARK   run `bulwark bom` on the fixtures and validate every BOM
                                       with cyclonedx-python-lib's strict 1.6 validator; prints
                                       'N passed, N failed'.
"""

import copy
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/BulwarkSupplyChainTests/Fixtures/bom"
SCHEMAS = {
    "bom-1.6.SNAPSHOT.schema.json": "bom-1.6.schema.json",
    "spdx.SNAPSHOT.schema.json": "spdx.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json": "jsf-0.82.schema.json",
}


def schema_dir():
    import cyclonedx.schema._res as res

    return pathlib.Path(res.__file__).parent


def make_onnx(path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(np.zeros(8, np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 3)).astype(np.float32), "w2")
    b2 = numpy_helper.from_array(np.zeros(3, np.float32), "b2")
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["a"]),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    graph = helper.make_graph(nodes, "tiny_mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                              [w1, b1, w2, b2])
    model = helper.make_model(graph, producer_name="bulwark-fixtures", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return 4 * 8 + 8 + 8 * 3 + 3


def make_safetensors_dir(root):
    import numpy as np
    from safetensors.numpy import save_file

    root.mkdir(parents=True)
    rng = np.random.default_rng(1)
    tensors = {
        "embed.weight": rng.standard_normal((16, 4)).astype(np.float32),
        "head.weight": rng.standard_normal((4, 2)).astype(np.float16),
        "head.bias": np.zeros(2, np.float16),
    }
    save_file(tensors, str(root / "model.safetensors"), metadata={"format": "np"})
    (root / "config.json").write_text(json.dumps({"architectures": ["TinyMLPForClassification"], "model_type": "tinymlp"}, indent=2) + "\n")
    return sum(t.size for t in tensors.values())


CARD_YAML = """\
# Model card for the tiny MLP fixture
name: tiny-mlp
version: "1.2.0"
description: A four-input, three-class MLP used by Bulwark's tests.
license: Apache-2.0
task: tabular-classification
approach: supervised
architecture_family: mlp
authors:
  - Bulwark Test Team
datasets: [iris-synthetic, iris-holdout]
intended_use:
  - Exercising the ML-BOM writer
limitations:
  - Trained on synthetic data only
ethical_considerations:
  - None known; not for real decisions
metrics:
  - type: accuracy
    value: "0.93"
    slice: holdout
  - type: f1
    value: "0.91"
"""


def schema_cases():
    """Small BOMs, valid and not, judged by Python's jsonschema against the same schema files."""
    base = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "machine-learning-model", "name": "m", "bom-ref": "model",
                                   "hashes": [{"alg": "SHA-256", "content": "a" * 64}],
                                   "modelCard": {"modelParameters": {"approach": {"type": "supervised"}}}}},
    }
    cases = {"valid-minimal": base}

    def variant(name, mutate):
        doc = copy.deepcopy(base)
        mutate(doc)
        cases[name] = doc

    variant("invalid-missing-bomformat", lambda d: d.pop("bomFormat"))
    variant("invalid-wrong-bomformat", lambda d: d.update(bomFormat="SPDX"))
    variant("invalid-extra-top-level", lambda d: d.update(extra=1))
    variant("invalid-component-type", lambda d: d["metadata"]["component"].update(type="neural-net"))
    variant("invalid-hash-alg", lambda d: d["metadata"]["component"]["hashes"][0].update(alg="SHA-257"))
    variant("invalid-hash-content", lambda d: d["metadata"]["component"]["hashes"][0].update(content="xyz"))
    variant("invalid-approach", lambda d: d["metadata"]["component"]["modelCard"]["modelParameters"]["approach"].update(type="magic"))
    variant("invalid-version-type", lambda d: d.update(version="1"))
    variant("invalid-serial", lambda d: d.update(serialNumber="urn:uuid:not-a-uuid"))
    variant("invalid-timestamp", lambda d: d["metadata"].update(timestamp="yesterday"))
    variant("invalid-license-two-expressions", lambda d: d["metadata"]["component"].update(licenses=[{"expression": "MIT"}, {"expression": "MIT"}]))
    variant("invalid-license-unknown-spdx-id", lambda d: d["metadata"]["component"].update(licenses=[{"license": {"id": "Not-A-License"}}]))
    variant("valid-license-spdx-id", lambda d: d["metadata"]["component"].update(licenses=[{"license": {"id": "Apache-2.0"}}]))
    variant("valid-license-expression", lambda d: d["metadata"]["component"].update(licenses=[{"expression": "MIT OR Apache-2.0"}]))
    variant("invalid-dataset-type", lambda d: d["metadata"]["component"]["modelCard"]["modelParameters"].update(datasets=[{"type": "table", "name": "x"}]))
    variant("valid-dataset-ref", lambda d: d["metadata"]["component"]["modelCard"]["modelParameters"].update(datasets=[{"ref": "data-1"}]))
    variant("invalid-property-extra-key", lambda d: d["metadata"]["component"].update(properties=[{"name": "a", "value": "b", "x": 1}]))
    variant("invalid-duplicate-tools", lambda d: d["metadata"].update(tools={"components": [{"type": "application", "name": "t"}, {"type": "application", "name": "t"}]}))
    variant("valid-timestamp", lambda d: d["metadata"].update(timestamp="2026-01-01T00:00:00Z"))
    return cases


def jsonschema_verdict(document, directory):
    import jsonschema
    from referencing import Registry, Resource

    resources = []
    for name in SCHEMAS.values():
        contents = json.loads((directory / name).read_text())
        resources.append((name, Resource.from_contents(contents)))
        resources.append((contents.get("$id", name), Resource.from_contents(contents)))
    registry = Registry().with_resources(resources)
    schema = json.loads((directory / "bom-1.6.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return next(iter(validator.iter_errors(document)), None) is None


def make_fixtures():
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    (FIXTURES / "schema").mkdir(parents=True)
    (FIXTURES / "README.md").write_text(
        "Made by `scripts/sign-interop.sh bom-fixtures` (needs onnx, safetensors, numpy,\n"
        "cyclonedx-python-lib, jsonschema, rfc3339-validator, rfc3987); do not edit by hand. schema/ holds the CycloneDX 1.6\n"
        "JSON schemas shipped by cyclonedx-python-lib (file names restored to the official ones).\n")
    for source, target in SCHEMAS.items():
        text = (schema_dir() / source).read_text()
        # cyclonedx-python-lib renames the referenced files; restore the official names.
        for s, t in SCHEMAS.items():
            text = text.replace(s, t)
        (FIXTURES / "schema" / target).write_text(text)
    onnx_params = make_onnx(FIXTURES / "tiny-mlp.onnx")
    st_params = make_safetensors_dir(FIXTURES / "hf-model")
    (FIXTURES / "card.yaml").write_text(CARD_YAML)
    (FIXTURES / "card.json").write_text(json.dumps({"name": "tiny-mlp", "license": "MIT", "datasets": ["iris-synthetic"], "intended_use": "tests"}, indent=2) + "\n")
    (FIXTURES / "expected.json").write_text(json.dumps({"tiny-mlp.onnx": onnx_params, "hf-model": st_params}, indent=2) + "\n")
    cases_dir = FIXTURES / "schema-cases"
    cases_dir.mkdir()
    verdicts = {}
    for name, document in schema_cases().items():
        (cases_dir / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
        verdicts[name] = jsonschema_verdict(document, FIXTURES / "schema")
        expected = name.startswith("valid")
        if verdicts[name] != expected:
            sys.exit(f"schema case {name}: jsonschema says valid={verdicts[name]}, the case name says {expected}")
    (cases_dir / "verdicts.json").write_text(json.dumps(verdicts, indent=2, sort_keys=True) + "\n")
    print(f"fixtures written to {FIXTURES}")


def check(bulwark):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    validator = JsonStrictValidator(SchemaVersion.V1_6)
    passed = failed = 0
    signing = ROOT / "Tests/BulwarkSupplyChainTests/Fixtures/signing"
    runs = {
        "onnx + yaml card": [str(FIXTURES / "tiny-mlp.onnx"), "--card", str(FIXTURES / "card.yaml")],
        "safetensors dir + json card": [str(FIXTURES / "hf-model"), "--card", str(FIXTURES / "card.json"), "--author", "Someone"],
        "directory + signature": [str(signing / "model"), "--signature", str(signing / "ms-key-files.sig"), "--license", "MIT OR Apache-2.0"],
        "bare file": [str(signing / "single.bin")],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in runs.items():
            out = pathlib.Path(tmp) / "bom.json"
            result = subprocess.run([bulwark, "bom", *args, "--output", str(out)], capture_output=True, text=True,
                                    env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})
            if result.returncode != 0:
                failed += 1
                print(f"FAIL  bulwark bom {name}: {result.stderr.strip()}")
                continue
            error = validator.validate_str(out.read_text())
            if error is None:
                passed += 1
                print(f"ok    cyclonedx-python-lib validates the BOM for {name}")
            else:
                failed += 1
                print(f"FAIL  {name}: {error}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "make-fixtures":
        make_fixtures()
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        return check(sys.argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
