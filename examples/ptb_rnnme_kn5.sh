#!/usr/bin/env bash
# Penn Treebank recipe after rnnlm 0.4b's example.sh: an RNNME model (RNN + hashed
# 3-gram maximum-entropy features), a 5-gram modified Kneser-Ney model, and their
# linear interpolation; test perplexities with their signatures.
#
#   bash examples/ptb_rnnme_kn5.sh [PTB_DIR] [WORK_DIR]
#
# PTB_DIR holds ptb.train.txt, ptb.valid.txt and ptb.test.txt (Mikolov's 10k-word
# version; default ../shared/data/ptb).  The network is Mikolov's PTB setting, hidden
# 100, 100 classes, BPTT 4 in blocks of 10, with 20M maxent hashes of order 3: example.sh's
# 2M collide too much on PTB (README, Accuracy).  HIDDEN, CLASSES, DIRECT (millions),
# MAX_ITER and THREADS override it; QUICK=1 trains a small model on the first 5,000
# sentences (a smoke test, under a minute).  Re-running resumes an interrupted training.
# PTB spells rare words <unk>: the n-gram model is open-vocabulary (-unk) and keeps all
# n-grams (-gtNmin 1), as in Mikolov's KN5 baseline.
set -euo pipefail
data=${1:-../shared/data/ptb}
work=${2:-ptb-rnnme-kn5}
mkdir -p "$work"
train=$data/ptb.train.txt valid=$data/ptb.valid.txt test=$data/ptb.test.txt
if [ "${QUICK:-0}" = 1 ]; then
    head -n 5000 "$train" > "$work/train.txt"
    train=$work/train.txt
    HIDDEN=${HIDDEN:-20} MAX_ITER=${MAX_ITER:-4}
fi

# 1. The n-gram model, as rnnlm's example.sh builds it with SRILM.
rnnlm ngram-count -text "$train" -order 5 -kndiscount -interpolate -unk \
    -gt3min 1 -gt4min 1 -gt5min 1 -lm "$work/kn5.arpa.gz"
rnnlm eval -lm "$work/kn5.arpa.gz" -unk -ppl "$test" > "$work/kn5.test.ppl" \
    2> "$work/kn5.test.log"

# 2. The RNNME model; the validation text drives the learning rate and stopping
#    (one line per epoch in rnnme.train.log).
rnnlm train -rnnlm "$work/rnnme.rnn" -train "$train" -valid "$valid" \
    -hidden "${HIDDEN:-100}" -class "${CLASSES:-100}" -bptt 4 -bptt-block 10 \
    -direct "${DIRECT:-20}" -direct-order 3 -rand-seed 1 -threads "${THREADS:-1}" \
    ${MAX_ITER:+-max-iter "$MAX_ITER"} -q > "$work/rnnme.train.log"
rnnlm eval -rnnlm "$work/rnnme.rnn" -test "$test" -q > "$work/rnnme.test.ppl"

# 3. Interpolation weight of the RNN chosen on the validation text (example.sh fixes 0.5),
#    then the interpolated test perplexity.  The ARPA model is read directly; a file of
#    per-word probabilities from another tool works too (-lm-prob FILE, rnnlm's way).
best_lambda=0.5 best_ppl=
for lambda in 0.3 0.4 0.5 0.6 0.7 0.8; do
    ppl=$(rnnlm eval -rnnlm "$work/rnnme.rnn" -lm "$work/kn5.arpa.gz" -unk -lambda "$lambda" \
        -test "$valid" -q | awk '/^PPL combine:/ {print $3}')
    if [ -z "$best_ppl" ] || awk "BEGIN {exit !($ppl < $best_ppl)}"; then
        best_lambda=$lambda best_ppl=$ppl
    fi
done
rnnlm eval -rnnlm "$work/rnnme.rnn" -lm "$work/kn5.arpa.gz" -unk -lambda "$best_lambda" \
    -test "$test" -q > "$work/rnnme+kn5.test.ppl"

kn5=$(awk '/ ppl= / {print $6}' "$work/kn5.test.ppl")
rnn=$(awk '/^PPL net:/ {print $3}' "$work/rnnme.test.ppl")
mixed=$(awk '/^PPL combine:/ {print $3}' "$work/rnnme+kn5.test.ppl")
echo "test perplexity"
echo "  KN5:       $kn5    $(grep '^signature:' "$work/kn5.test.log")"
echo "  RNNME:     $rnn    $(grep '^signature:' "$work/rnnme.test.ppl")"
echo "  RNNME+KN5: $mixed    (lambda $best_lambda, chosen on valid)"
echo "             $(grep '^signature:' "$work/rnnme+kn5.test.ppl")"
