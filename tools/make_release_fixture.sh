#!/usr/bin/env bash
# Build tests/fixtures/release_0_1 with the previous release's code (tag v0.1.0).
# usage: make.sh <v0.1.0 source tree> <python with the dependencies> <output folder>
set -euo pipefail
SRC=$1; PY=$2; OUT=$3
mkdir -p "$OUT"; cd "$OUT"
export PYTHONPATH=$SRC SMARTCART_MODEL_DIR=$OUT/models SMARTCART_DATABASE_URL=sqlite:///$OUT/smartcart.db
unset SMARTCART_DATA SMARTCART_MAPPING
run() { "$PY" -m bot.cli "$@"; }
run generate --rows 600 --seed 11 --out customers.csv
run train --data customers.csv --algorithm kmeans --refits 2 --json > train.json
run score --data customers.csv --json > score.json || true
for text in "customer 42" "export premium" "summary" "personas" "playbook premium" "model" "help"; do
  name=$(echo "$text" | tr ' ' '_')
  run ask --json "$text" > "answer_$name.json"
done
