"""Fused per-token loops over a span of the token stream: SGD training and scoring.

``hidden`` is the hidden layer (kernels.hidden) and ``hwork`` its scratch; the
output layer reads the part of its state that kernels.hidden.readout gives;
``layer`` is the output layer (kernels.output) and ``work`` its per-stream
scratch.  Neither is named here: Numba compiles each span kernel for the layer
types it is called with.  The network state that survives between calls lives
in arrays owned by the caller (see ``rnnlm_cli.network.Workspace``):

    h_prev (H,)       recurrent input (the previous hidden activation)
    hist (MAX_ORDER,) previous words, newest first; hist[0] is the input word
    counters (2,)     int64: [global word counter, BPTT ring head]

Token ids are int32, ``</s>`` is 0 and -1 marks an out-of-vocabulary token.
``independent`` says what every ``</s>`` does: NO_RESET nothing; RNNLM_RESET
(rnnlm's -independent) resets the state to all 1.0 and the histories to </s>;
ZERO_RESET (faster-rnnlm's sentences) resets the state to 0 and leaves only
</s> in the history, so that the maxent n-grams stop at the sentence start.
"""
import numpy as np

from ._jit import kernel
from . import hidden as hidden_layer, output, regularise


@kernel
def _advance_history(hist, word):
    for k in range(hist.shape[0] - 1, 0, -1):
        hist[k] = hist[k - 1]
    hist[0] = word


NO_RESET, RNNLM_RESET, ZERO_RESET = 0, 1, 2
RNNLM_START_HIDDEN = 1.0            # the hidden state a sentence starts from (else 0)


@kernel
def reset_sentence_state(s, h_prev, hist, mode):
    """The state a sentence starts from under ``mode`` (RNNLM_RESET: rnnlm's netReset)."""
    value = RNNLM_START_HIDDEN if mode == RNNLM_RESET else 0.0
    s[:] = value
    h_prev[:] = value
    hist[:] = 0 if mode == RNNLM_RESET else -1
    hist[0] = 0


@kernel
def _next_token(word, independent, s, h_prev, hist):
    """Carry the state past a scored token."""
    h_prev[:] = s
    _advance_history(hist, word)
    if independent and word == 0:
        reset_sentence_state(s, h_prev, hist, independent)


@kernel
def score_span(tokens, hidden, layer, d, order, independent, s, h_prev, hist, hwork, work, out,
               fast):
    """Forward only: out[t] = log10 P(tokens[t] | history) (0.0 at OOV tokens).

    ``fast`` computes with rnnlm 0.4b's approximate exponential.
    """
    for t in range(tokens.shape[0]):
        word = tokens[t]
        hidden_layer.forward(hidden, hist[0], h_prev, s, hwork, fast)
        if word >= 0:
            out[t] = output.word_log10_prob(layer, word, hidden_layer.readout(hidden, s), d,
                                            order, hist, work, fast)
        else:
            out[t] = 0.0
        _next_token(word, independent, s, h_prev, hist)


@kernel
def token_forward(h_prev, hist, hidden, hwork, states, readouts, fast):
    """Token passing (lattice rescoring): the hidden step of each token n, whose state
    is (h_prev[n], hist[n]) as score_span carries it: states[n] (what the next token
    continues from) and readouts[n] (what the output layer reads)."""
    h = np.empty(h_prev.shape[1], np.float32)
    s = np.empty(h_prev.shape[1], np.float32)
    for n in range(h_prev.shape[0]):
        h[:] = h_prev[n]
        hidden_layer.forward(hidden, hist[n, 0], h, s, hwork, fast)
        states[n, :] = s
        readouts[n, :] = hidden_layer.readout(hidden, s)


@kernel
def stream_readouts(tokens, hidden, independent, s, h_prev, hist, hwork, readouts, histories,
                    fast):
    """score_span's pass without the output layer: what the output layer would read at
    each token (readouts[t]) and the word history there (histories[t]), for output
    layers that score many positions in matrix products."""
    for t in range(tokens.shape[0]):
        word = tokens[t]
        hidden_layer.forward(hidden, hist[0], h_prev, s, hwork, fast)
        readouts[t, :] = hidden_layer.readout(hidden, s)
        histories[t, :] = hist
        _next_token(word, independent, s, h_prev, hist)


@kernel
def train_span(tokens, hidden, layer, d, order, independent, alpha, beta, cutoff, clip, dropout,
               mask_seed, bptt_steps, bptt_block, s, h_prev, hist, counters, hwork, work, e_hidden,
               dropped, ring_word, ring_key, ring_ac, ring_er, out, fast):
    """One SGD step per token (rnnlm 0.4b's trainNet); returns sum of log10 P.

    ``fast``: forward passes with rnnlm 0.4b's approximate exponential.

    When ``out`` is not empty, out[t] receives log10 P of token t before its
    update (0 at OOVs): dynamic evaluation is training on the test text.

    bptt_steps = 0 trains with one-step backprop; otherwise the hidden errors
    are kept in the ring buffers and every ``bptt_block`` tokens (and at every
    ``</s>`` when independent) ``bptt_steps`` steps are unfolded.  L2 decay
    alpha*beta is applied to the output/recurrent weights on every 10th token
    and to the maxent weights on every token, as rnnlm does.

    ``dropout`` > 0 drops that fraction of the units the output layer reads, of the
    previous word's input contribution and of the readouts between stacked layers
    (masks per token and placement, kernels.regularise, keyed by the word counter +
    ``mask_seed``, which the BPTT ring keeps in ``ring_key``; ``dropped`` is the scratch
    for the dropped state);
    ``clip`` > 0 caps the L2 norm of every hidden error vector, the output layer's
    and the one carried back through time (after the element-wise ``cutoff``).
    """
    total = 0.0
    slots = ring_ac.shape[0]
    maxent_decay = alpha * beta
    for t in range(tokens.shape[0]):
        word = tokens[t]
        counters[0] += 1
        counter = counters[0]
        l2 = alpha * beta if counter % 10 == 0 else 0.0
        prev_word = hist[0]
        key = counter + mask_seed
        hidden_layer.train_forward(hidden, prev_word, h_prev, s, hwork, fast, key, dropout)
        if word >= 0:
            errors = hidden_layer.readout(hidden, e_hidden)
            seen = hidden_layer.readout(hidden, s)
            if dropout > 0.0:
                regularise.drop_units(seen, hidden_layer.readout(hidden, dropped), key,
                                        regularise.OUTPUT, dropout)
                seen = hidden_layer.readout(hidden, dropped)
            logp = output.train_word(layer, word, seen, d, order, hist, work, alpha, l2,
                                     maxent_decay, cutoff, errors, fast)
            if dropout > 0.0:
                regularise.drop_in_place(errors, key, regularise.OUTPUT, dropout)
            if clip > 0.0:
                regularise.clip_norm(errors, clip)
            total += logp
            if out.shape[0] > 0:
                out[t] = logp
            if bptt_steps == 0:
                hidden_layer.update_direct(hidden, prev_word, h_prev, s, e_hidden, hwork, alpha, l2,
                                           key, dropout)
            else:
                head = (counters[1] + 1) % slots
                counters[1] = head
                ring_word[head] = prev_word
                ring_key[head] = key
                ring_ac[head] = s
                ring_er[head] = e_hidden
                if counter % bptt_block == 0 or (independent and word == 0):
                    hidden_layer.update_bptt(hidden, ring_word, ring_key, ring_ac, ring_er,
                                             head, bptt_steps, h_prev, alpha, l2, cutoff, clip,
                                             dropout, hwork)
        elif out.shape[0] > 0:
            out[t] = 0.0
        h_prev[:] = s
        _advance_history(hist, word)
        if independent and word == 0:
            reset_sentence_state(s, h_prev, hist, independent)
            if bptt_steps > 0:
                head = counters[1]
                for k in range(1, slots):
                    slot = (head - k) % slots
                    ring_word[slot] = 0
                    if k >= 2:
                        ring_ac[slot] = 0.0
                        ring_er[slot] = 0.0
    return total


@kernel
def next_distribution(hidden, layer, d, order, hist, h_prev, s, hwork, work, out, fast):
    """out[v] = P(v | history) for every word v, as the next token would be scored.

    ``s`` is scratch here: the stream's state (h_prev, hist) is not advanced.
    """
    hidden_layer.forward(hidden, hist[0], h_prev, s, hwork, fast)
    output.distribution(layer, hidden_layer.readout(hidden, s), d, order, hist, work, out, fast)


@kernel
def hidden_step(hidden, prev_word, h_prev, s, hwork, fast):
    """s = the hidden state after ``prev_word`` from the recurrent input h_prev."""
    hidden_layer.forward(hidden, prev_word, h_prev, s, hwork, fast)
