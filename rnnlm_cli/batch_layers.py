"""The hidden layer's part of mini-batch training (-batch B, batch_train.py): a block's
steps forward, the output layer's errors, and the unfold with the weight updates.

ElmanSteps runs the Elman layer on a backend's dense primitives (batch_train.CpuOps
on the host, kernels/cuda/backend.py's CudaOps on the GPU).  LayerSteps runs every
hidden type and stack on the CPU: each step of the B streams is the layer spec's
batch_forward (NumPy, one BLAS product per recurrent matrix for all streams, e.g. an
LSTM's (B x H)(H x 4H) gate product), and the unfold is its batch_backward.

The algorithm is batch_train.py's (its docstring): the same streams, blocks,
output-layer SGD and unfold over bptt + block - 1 steps, one update of the
recurrent weights and input rows per block at -alpha / sqrt(B).  The per-word
trainer's regularisers carry over:

  * -dropout P drops a fraction P of the units on the non-recurrent connections at
    each position, the kept ones scaled by 1 / (1 - P) (scoring needs no change):
    the previous word's input contributions, the readouts between stacked layers
    and the readout the output layer reads; the masks come from a generator seeded
    by the epoch's mask seed and the block, so a run is determined by its seed;
  * -clip-norm C scales each stream's error carried to the step before down to an
    L2 norm of C, after -gradient-cutoff's element-wise clip, as the per-word
    kernels do.

The Elman layer without those options keeps ElmanSteps, whose steps are the CUDA
backend's too.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .kernels import batch
from .network import EPOCH_START_HIDDEN, Network

# one step of a block: the streams' previous words, the (dropped) input contributions, the
# states before the step, the spec's cache, keeps (0: the state was reset, no error flows
# back), the input contributions' dropout mask (None without -dropout)
Step = namedtuple("Step", "words x state cache keeps mask")


def step_resets(words: np.ndarray, independent: bool):
    """(rows whose state restarts before this step or None, keeps): a reset row's state is
    the sentence-start state, and no error flows back through it (keeps[row] = 0)."""
    keeps = np.ones(words.shape[0], np.float32)
    if not independent:
        return None, keeps
    resets = words == 0                 # the previous word is </s>: rnnlm's netReset
    keeps[resets] = 0.0
    return (resets if resets.any() else None), keeps


class ElmanSteps:
    """The hidden layer's part of a block on a backend's dense primitives (CpuOps on the
    host, kernels/cuda/backend.py's CudaOps on the GPU): the Elman layer, whose states
    of a block are one (T, B, H) array the output layer reads in place."""

    def __init__(self, net: Network, ops):
        self.net, self.ops = net, ops

    def begin(self):
        self.ops.begin()

    def end(self):
        self.ops.end()

    def start_state(self, count: int):
        return self.ops.full((count, self.net.hidden_size), EPOCH_START_HIDDEN)

    def forward_block(self, state, inputs: np.ndarray, independent: bool):
        """(steps, the readouts (T * B, H) time-major, the last state) of a block's
        inputs (T, B); a step is (H, H_in, inputs, keeps)."""
        ops = self.ops
        T, count = inputs.shape
        states = ops.empty((T, count, self.net.hidden_size))
        steps = []
        for t in range(T):
            resets, keeps = step_resets(inputs[t], independent)
            H_in = state
            if resets is not None:
                H_in = ops.copy(state)
                ops.fill_rows(H_in, ops.asarray(resets), self.net.sentence_start_hidden)
            x = ops.asarray(inputs[t])
            ops.gemm(H_in, ops.W, states[t], trans_b=True)
            ops.add_inputs_and_activate(states[t], x)
            state = states[t]
            steps.append((state, H_in, x, ops.asarray(keeps)))
        return steps, states.reshape(T * count, -1), state

    def train_outputs(self, readouts, targets, hist, alpha, l2, maxent_decay, cutoff):
        ops = self.ops
        return ops.train_outputs(readouts, ops.asarray(targets), ops.asarray(hist), alpha, l2,
                                 maxent_decay, cutoff)

    def backward(self, window, errors, propagate: bool, cutoff: float, scale: float,
                 l2: float):
        """Unfold the window's steps (oldest first; a step is (H, H_in, inputs, keeps))
        and apply the summed gradients.  A step's delta is its error times f'(H); the
        recurrent gradient sums delta^T H_in; the error carried to the step before is
        delta W, clipped and cut where the state was reset."""
        ops = self.ops
        grad_W = ops.full(ops.W.shape, 0.0)

        def back(step, error, carried):
            H, H_in, _, _ = step
            delta = ops.copy(carried if carried is not None else error)
            if carried is not None and error is not None:
                ops.scale_add(delta, error, 1.0, 1.0)
            ops.times_derivative(delta, H)
            ops.gemm(delta, H_in, grad_W, beta=1.0, trans_a=True)
            return delta, delta         # carry turns delta into the error before

        def carry(step, delta):
            carried = ops.empty(delta.shape)
            ops.gemm(delta, ops.W, carried)
            ops.clip_mask(carried, cutoff, step[3])
            return carried

        deltas = unfold_window(window, errors, propagate, back, carry)
        _apply_recurrent(ops, window, deltas, grad_W, scale, l2)


def _apply_recurrent(ops, steps, deltas, grad_W, scale, l2):
    """W = (1 - l2) W + scale * grad_W; U[input] += scale * delta per step."""
    ops.scale_add(ops.W, grad_W, 1.0 - l2, scale)
    for (_, _, inputs, _), delta in zip(steps, deltas):
        if delta is not None:
            ops.add_rows(inputs, delta, scale)


def unfold_window(window: list, errors: list, propagate: bool, back, carry) -> list:
    """Backpropagate through a window of steps, newest first: ``back(step, error,
    carried)`` returns (d J / d x, e_prev) of a step given its output error and the
    error carried from the step after (either may be None; a step with neither is
    skipped); ``carry(step, e_prev)`` makes the error carried to the step before (only
    when ``propagate``, and not from the oldest step), so e_prev may be anything it
    needs.  Returns each step's d J / d x (None where nothing flowed)."""
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
        self._masks, self._masks_block = None, -1   # the mask generator, and its block

    def begin(self):
        """Nothing to move: the weights are the network's."""

    def end(self):
        """Nothing to move back."""

    def start_state(self, count: int):
        return np.full((count, self.net.hidden_size), EPOCH_START_HIDDEN, np.float32)

    def forward_block(self, state, inputs: np.ndarray, independent: bool):
        """(steps, the readouts (T * B, R) time-major, the last state)."""
        drop = self._dropout_mask if self.dropout else None
        steps, readouts = [], []
        for words in inputs:
            resets, keeps = step_resets(words, independent)
            if resets is not None:
                state = state.copy()
                state[resets] = self.net.sentence_start_hidden
            x = self.spec.word_contributions(self.layer, words)
            mask = drop(x.shape) if drop else None
            if mask is not None:
                x = x * mask
            new, readout, cache = self.spec.batch_forward(self.layer, x, state, drop=drop)
            steps.append(Step(words, x, state, cache, keeps, mask))
            readouts.append(readout)
            state = new
        return steps, np.concatenate(readouts), state

    def train_outputs(self, readouts, targets, hist, alpha, l2, maxent_decay, cutoff):
        """The output layer's SGD on the (dropped-out) readouts; the errors of the
        readouts before dropout."""
        net = self.net
        mask = self._dropout_mask(readouts.shape) if self.dropout else None
        if mask is not None:
            readouts = readouts * mask
        logp, errors = net.output_spec.train_block(net, readouts, targets, hist, alpha, l2,
                                                   maxent_decay, cutoff, self.streams)
        if mask is not None:
            errors *= mask
        self.blocks += 1
        return logp, errors

    def _dropout_mask(self, shape):
        """0 for a dropped unit, 1 / (1 - P) for a kept one: the block's next mask."""
        if self._masks_block != self.blocks:
            self._masks = np.random.default_rng([self.mask_seed, self.blocks])
            self._masks_block = self.blocks
        kept = self._masks.random(shape, np.float32) >= self.dropout
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
                self._apply_input_rows(step.words, d_x if step.mask is None else d_x * step.mask,
                                       scale)

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
