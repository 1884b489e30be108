#!/bin/sh
# Checks the German Credit data and writes the result the example release names.
# Run from the repository root: sh examples/data/check.sh
# Exit 1 is expected: the labels fail the four-fifths rule for young women (see docs/data.md).
node bin/arbiter.js data check examples/monitoring/credit-g.arff \
  --schema examples/data/credit-g.schema.yaml --name german-credit --json > examples/data/credit-g.check.json
