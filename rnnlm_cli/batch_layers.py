"""The hidden layer's part of mini-batch training (-batch B, batch_train.py) for every
hidden type and stack, on the CPU: each step of the B streams is the layer spec's
batch_forward (NumPy, one BLAS product per recurrent matrix for all streams, e.g. an
LSTM's (B x H)(H x 4H) gate product), and the unfold is its batch_backward.

The algorithm is batch_train.py's (its docstring): the same streams, blocks,
output-layer SGD and unfold over bptt + block - 1 steps, one update of the
recurrent weights and input rows per block at -alpha / sqrt(B).  The per-word
trainer's regularisers carry over:

  * -dropout P drops a fraction P of the readout units the output layer reads at
    each position, the kept ones scaled by 1 / (1 - P) (scoring needs no change);
    the masks come from a generator seeded by the epoch's mask seed and the block,
    so a run is determined by its seed;
  * -clip-norm C scales each stream's error carried to the step before down to an
    L2 norm of C, after -gradient-cutoff's element-wise clip, as the per-word
    kernels do.

The Elman layer without those options keeps batch_train.ElmanSteps, whose steps
are the CUDA backend's too.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .batch_train import step_resets
from .kernels import batch
from .network import EPOCH_START_HIDDEN

# one step of a block: the streams' previous words, the input contributions, the states
# before the step, the spec's cache, keeps (0: the state was reset, no error flows back)
Step = namedtuple("Step", "words x state cache keeps")


def unfold_window(window: list, errors: list, propagate: bool, back, carry) -> list:
    """Backpropagate through a window of steps, newest first: ``back(step, error,
    carried)`` returns (d J / d x, d J / d state before) of a step given its output
    error and the error carried from the step after (either may be None; a step with
    neither is skipped); ``carry(step, e_prev)`` makes what goes to the step before
    (when ``propagate``).  Returns each step's d J / d x (None where nothing flowed)."""
    d_inputs = [None] * len(window)
    carried = None
    for k in range(len(window) - 1, -1, -1):
        if carried is None and errors[k] is None:
            continue
        d_inputs[k], e_prev = back(window[k], errors[k], carried)
        carried = carry(window[k], e_prev) if propagate and k > 0 else None
    return d_inputs


class LayerSteps:
    """batch_train.training_pass's hidden-layer steps through the layer spec."""

    def __init__(self, net, streams: int, clip_norm: float = 0.0, dropout: float = 0.0,
                 mask_seed: int = 0):
        self.net, self.spec, self.layer = net, net.hidden_spec, net.hidden
        self.streams = streams
        self.clip_norm, self.dropout, self.mask_seed = clip_norm, dropout, mask_seed
        self.weights = self.spec.weight_arrays(self.layer)
        self.blocks = 0

    def begin(self):
        """Nothing to move: the weights are the network's."""

    def end(self):
        """Nothing to move back."""

    def start_state(self, count: int):
        return np.full((count, self.net.hidden_size), EPOCH_START_HIDDEN, np.float32)

    def forward_block(self, state, inputs: np.ndarray, independent: bool):
        """(steps, the readouts (T * B, R) time-major, the last state)."""
        steps, readouts = [], []
        for words in inputs:
            resets, keeps = step_resets(words, independent)
            if resets is not None:
                state = state.copy()
                state[resets] = self.net.sentence_start_hidden
            x = self.spec.word_contributions(self.layer, words)
            new, readout, cache = self.spec.batch_forward(self.layer, x, state)
            steps.append(Step(words, x, state, cache, keeps))
            readouts.append(readout)
            state = new
        return steps, np.concatenate(readouts), state

    def train_outputs(self, readouts, targets, hist, alpha, l2, maxent_decay, cutoff):
        """The output layer's SGD on the (dropped-out) readouts; the errors of the
        readouts before dropout."""
        net = self.net
        masks = self._dropout_masks(readouts.shape) if self.dropout else None
        if masks is not None:
            readouts = readouts * masks
        logp, errors = net.output_spec.train_block(net, readouts, targets, hist, alpha, l2,
                                                   maxent_decay, cutoff, self.streams)
        if masks is not None:
            errors *= masks
        self.blocks += 1
        return logp, errors

    def _dropout_masks(self, shape):
        """0 for a dropped unit, 1 / (1 - P) for a kept one."""
        rng = np.random.default_rng([self.mask_seed, self.blocks])
        kept = rng.random(shape, np.float32) >= self.dropout
        return kept.astype(np.float32) / np.float32(1.0 - self.dropout)

    def backward(self, window, errors, propagate: bool, cutoff: float, scale: float,
                 l2: float):
        """Unfold the window's steps (oldest first) with the weights fixed, then apply
        the summed gradients: W = (1 - l2) W + scale * grad for the matrices (vectors
        without the decay), input rows += scale * their step's d J / d x."""
        grads: dict = {}
        d_inputs = unfold_window(
            window, errors, propagate,
            lambda step, error, carried: self.spec.batch_backward(
                self.layer, step.x, step.state, step.cache, error, carried, grads),
            lambda step, e_prev: self._carried(e_prev, cutoff, step.keeps))
        for name, gradient in grads.items():
            weights = self.weights[name]
            if weights.ndim == 2:
                weights *= np.float32(1.0 - l2)
            weights += np.float32(scale) * gradient
        for step, d_x in zip(window, d_inputs):
            if d_x is not None:
                self._apply_input_rows(step.words, d_x, scale)

    def _carried(self, e_prev, cutoff: float, keeps):
        """The error carried to the step before: clipped to +-cutoff, then to an L2 norm
        of -clip-norm per stream, and cut where the state was reset."""
        if cutoff > 0:
            np.clip(e_prev, -cutoff, cutoff, out=e_prev)
        if self.clip_norm > 0:
            norms = np.sqrt(np.square(e_prev, dtype=np.float64).sum(axis=1))
            factors = np.where(norms > self.clip_norm,
                               self.clip_norm / np.maximum(norms, 1e-30), 1.0)
            e_prev *= factors.astype(np.float32)[:, None]
        return e_prev * keeps[:, None]

    def _apply_input_rows(self, words, d_x, scale: float):
        """Each input weight's row of each stream's word += scale * its part of d_x."""
        first = 0
        for name in self.spec.inputs:
            rows = self.weights[name]
            width = rows.shape[1]
            batch.add_rows(rows, words, np.ascontiguousarray(d_x[:, first:first + width]),
                           scale, 0.0)
            first += width
