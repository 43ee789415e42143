#!/usr/bin/env bash
# A Kaldi-style RNNLM scoring loop, as utils/rnnlm_compute_scores.sh runs it
# (INTERFACES.md 7.5), to check that rnnlm works there unchanged.
#   compute_scores.sh <rnn-dir> <tmp-dir> <text-in> <scores-out>
# <rnn-dir> holds rnnlm (the model), wordlist.rnn and unk.probs; <text-in> has
# lines "utt-id w1 w2 ..."; <scores-out> gets "utt-id cost", cost = -ln P.
# The rnnlm binary is $RNNLM (default: rnnlm on the PATH).
set -euo pipefail
rnnlm=${RNNLM:-rnnlm}
dir=$1 tmp=$2 text=$3 out=$4
mkdir -p "$tmp"

# Words outside the RNN vocabulary become <RNN_UNK>; their ln(unk.probs) goes
# into a per-line OOV log-likelihood (ln 1e-7 when a word has no entry).
awk -v wordlist="$dir/wordlist.rnn" -v unkprobs="$dir/unk.probs" \
    -v nounk="$tmp/text.nounk" -v oovll="$tmp/loglikes.oov" '
  BEGIN {
    while ((getline w < wordlist) > 0) known[w] = 1
    while ((getline line < unkprobs) > 0) { split(line, f); prob[f[1]] = f[2] }
  }
  {
    ll = 0; words = ""
    for (i = 2; i <= NF; i++) {
      if ($i in known) { words = words " " $i; continue }
      words = words " <RNN_UNK>"
      ll += ($i in prob) ? log(prob[$i]) : log(1e-7)
    }
    if (words == "") { words = " <RNN_UNK>"; ll += log(1e-7) }
    print $1 words > nounk
    print ll > oovll
  }' "$text"

"$rnnlm" -independent -rnnlm "$dir/rnnlm" -test "$tmp/text.nounk" -nbest -debug 0 \
  | awk '{ print $1 * log(10) }' > "$tmp/loglikes.rnn"

[ "$(wc -l < "$tmp/loglikes.rnn")" -eq "$(wc -l < "$text")" ] || {
  echo "rnnlm rescoring failed" >&2; exit 1; }

paste "$tmp/loglikes.rnn" "$tmp/loglikes.oov" | awk '{ print -($1 + $2) }' > "$tmp/scores"
cut -d' ' -f1 "$text" | paste -d' ' - "$tmp/scores" > "$out"
