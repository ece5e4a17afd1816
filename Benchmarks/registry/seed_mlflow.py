"""Seeds an MLflow tracking server (basic-auth app, proxied artifacts) with the benchmark's model,
through its REST API and authenticated as the admin: an experiment and a run, the model file
uploaded through the artifact proxy, a registered model and its version 1 whose source is that
file's directory, and the file's SHA-256 as a version tag (MLflow keeps no digest of its own, so
the tag is where a client finds the digest to check a download against).

    python seed_mlflow.py BASE_URL USER PASSWORD MODEL_FILE MODEL_NAME
prints one JSON object: the metadata and download paths and the digest.
"""
import hashlib
import json
import os
import sys
import urllib.parse

import requests


def main() -> None:
    base, user, password, path, name = sys.argv[1:6]
    http = requests.Session()
    http.auth = (user, password)

    def call(method: str, route: str, **kwargs) -> dict:
        response = http.request(method, base + route, timeout=60, **kwargs)
        if response.status_code != 200:
            sys.exit(f"seed_mlflow: {method} {route} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else {}

    body = open(path, "rb").read()
    digest = hashlib.sha256(body).hexdigest()
    filename = os.path.basename(path)
    experiment = call("POST", "/api/2.0/mlflow/experiments/create", json={"name": f"{name}-bench"})["experiment_id"]
    run = call("POST", "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment})["run"]["info"]
    run_id, artifact_uri = run["run_id"], run["artifact_uri"]
    prefix = "mlflow-artifacts:/"
    if not artifact_uri.startswith(prefix):
        sys.exit(f"seed_mlflow: the run's artifact URI {artifact_uri} is not proxied (start the server with --serve-artifacts)")
    artifact_path = f"{artifact_uri[len(prefix):].strip('/')}/model/{filename}"
    download = "/api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(artifact_path)
    call("PUT", download, data=body, headers={"Content-Type": "application/octet-stream"})
    call("POST", "/api/2.0/mlflow/runs/update", json={"run_id": run_id, "status": "FINISHED"})
    call("POST", "/api/2.0/mlflow/registered-models/create", json={"name": name})
    version = call("POST", "/api/2.0/mlflow/model-versions/create",
                   json={"name": name, "source": f"{artifact_uri}/model", "run_id": run_id})["model_version"]["version"]
    call("POST", "/api/2.0/mlflow/model-versions/set-tag",
         json={"name": name, "version": version, "key": "sha256", "value": digest})
    query = urllib.parse.urlencode({"name": name, "version": version})
    metadata = call("GET", f"/api/2.0/mlflow/model-versions/get?{query}")["model_version"]
    source = call("GET", f"/api/2.0/mlflow/model-versions/get-download-uri?{query}")["artifact_uri"]
    if source.rstrip("/") != f"{artifact_uri}/model":
        sys.exit(f"seed_mlflow: version {version} resolves to {source}, not the uploaded file's directory")
    fetched = http.get(base + download, timeout=60)
    if fetched.status_code != 200 or hashlib.sha256(fetched.content).hexdigest() != digest:
        sys.exit(f"seed_mlflow: the proxied download answered {fetched.status_code} with other bytes than were uploaded")
    tags = {t["key"]: t["value"] for t in metadata.get("tags", [])}
    print(json.dumps({"metadata": f"/api/2.0/mlflow/model-versions/get?{query}", "download": download,
                      "sha256": tags["sha256"], "bytes": len(body), "version": version}))


if __name__ == "__main__":
    main()
