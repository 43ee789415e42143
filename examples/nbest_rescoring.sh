#!/usr/bin/env bash
# N-best rescoring recipe: rerank N-best lists with an RNN model interpolated with a
# KN5 model, weights tuned on dev lists, word error rates before and after.
#
#   bash examples/nbest_rescoring.sh MODEL ARPA [PTB_DIR] [WORK_DIR]
#
# MODEL and ARPA are what examples/ptb_rnnme_kn5.sh writes (rnnme.rnn, kn5.arpa.gz).
# Lacking a recogniser, the lists are made from the PTB valid (dev) and test sentences
# by examples/make_nbest.py: each holds the reference and 19 variants with 1-4 word
# errors, with synthetic acoustic costs (Kaldi's '<utt>-<k> <cost>', negated natural
# log) that often prefer a wrong one.  QUICK=1 uses 150 sentences of each.
# RESCORE_OPTIONS are given to every RNN rescoring (e.g. -nce-unnormalized).
set -euo pipefail
model=$1 arpa=$2 data=${3:-../shared/data/ptb} work=${4:-ptb-nbest}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
sentences=$([ "${QUICK:-0}" = 1 ] && echo 150 || echo 0)
for part in valid test; do
    python "$here/make_nbest.py" --text "$data/ptb.$part.txt" --vocab-from "$data/ptb.train.txt" \
        --n 20 --max-sentences "$sentences" --out "$work/$part.nbest"
done

# 1. Word error rates of acoustic-only, KN5, RNN and RNN+KN5 reranking; the LM weight
#    and word insertion penalty of each system (and the RNN's interpolation weight)
#    are chosen on the dev lists.
python "$here/wer_nbest.py" --rnnlm "$model" --lm "$arpa" --dev "$work/valid.nbest" \
    --test "$work/test.nbest" --rescore-options="${RESCORE_OPTIONS:-}" > "$work/wer.json"

# 2. The production step with the chosen weights: rnnlm reranks the test lists and
#    writes the new 1-best of each ('<utt> words'); score it against the references.
read -r lambda weight penalty < <(python -c 'import json, sys
chosen = json.load(open(sys.argv[1]))["RNN+KN5 (lambda chosen on dev)"]
print(chosen["rnn_lambda"], chosen["weight"], chosen["word_penalty"])' "$work/wer.json")
# shellcheck disable=SC2086  # RESCORE_OPTIONS is a list of options
rnnlm nbest-rescore -rnnlm "$model" -lm "$arpa" -lambda "$lambda" -nbest "$work/test.nbest" \
    ${RESCORE_OPTIONS:-} \
    -ac-cost "$work/test.nbest.ac" -output best -ac-scale 1 -rnn-weight "$weight" \
    -word-penalty "$penalty" -q > "$work/test.1best"

python -c 'import json, sys
for name, row in json.load(open(sys.argv[1])).items():
    print("  %-34s test WER %6.2f%%" % (name, row["test_wer"]))' "$work/wer.json"
echo "  rnnlm nbest-rescore -output best    test WER $(python "$here/wer.py" \
    "$work/test.1best" "$work/test.nbest.ref")% (lambda $lambda, weight $weight, penalty $penalty)"
