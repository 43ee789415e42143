#!/usr/bin/env bash
# Quick start: make a small corpus with a known entropy, train a model on it,
# report its perplexity.  Runs in about a minute on a laptop (most of it is the
# one-time Numba compilation, cached for later runs).
set -euo pipefail
work=${1:-rnnlm-quickstart}
mkdir -p "$work"
python -m rnnlm_cli.synthetic "$work" --words 60000
rnnlm train -rnnlm "$work/model.rnn" -train "$work/train.txt" -valid "$work/valid.txt" \
    -hidden 30 -class 10 -bptt 3 -direct 0.1 -direct-order 3
rnnlm eval -rnnlm "$work/model.rnn" -test "$work/test.txt"

# The same model for tools that read rnnlm 0.4b files (rnnlm itself, Kaldi), and
# scored the old way: rnnlm's command line, rnnlm's approximate exponential.
rnnlm convert -rnnlm "$work/model.rnn" -out "$work/model.rnnlm04" -to rnnlm0.4b
rnnlm -rnnlm "$work/model.rnnlm04" -test "$work/test.txt"
