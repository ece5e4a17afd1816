#!/usr/bin/env bash
# Regenerates files/ (the scan unit-test fixtures): a few files of the corpus made by
# make_corpus.py, with the venv of Benchmarks/scan/setup.sh (PY overrides the interpreter).
# Payloads are harmless placeholders; nothing is ever loaded.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PY:-/work/venvs/scan/bin/python}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$PY" make_corpus.py "$tmp" >/dev/null
mkdir -p files
for f in benign/mixed_arrays.joblib benign/dict.joblib malicious/joblib_after_array.joblib \
         malicious/joblib_object_array.joblib malicious/joblib_padding_smuggle.joblib \
         benign/savedmodel_tf2/saved_model.pb benign/savedmodel_tf1/saved_model.pb \
         malicious/savedmodel_readfile/saved_model.pb malicious/savedmodel_writefile/saved_model.pb \
         malicious/savedmodel_pyfunc/saved_model.pb malicious/savedmodel_restore_in_serving/saved_model.pb \
         malicious/savedmodel_calls_saver/saved_model.pb malicious/savedmodel_matching_files_tf1/saved_model.pb \
         benign/keras_dense.h5 benign/keras_dense_latest.h5 benign/weights_only.h5 \
         malicious/lambda.h5 malicious/lambda_latest_fixed.h5 malicious/keras_savedmodel_lambda/saved_model.pb; do
  [ -f "$tmp/$f" ] && cp "$tmp/$f" "files/${f//\//-}"
done
# keras_metadata.pb is recognised by its name: keep it under a folder of that name
for f in benign/keras_savedmodel malicious/keras_savedmodel_lambda; do
  mkdir -p "files/${f//\//-}" && cp "$tmp/$f/keras_metadata.pb" "files/${f//\//-}/"
done
ls files
