"""Mini-batch training (-batch B): B streams of the training text advance together.

This is a different algorithm from rnnlm's per-word SGD (train.py), made for
matrix-matrix work (BLAS on the CPU, kernels on a GPU, approach of the GPU
RNNLM training papers):

  * the text is cut into B contiguous streams at sentence ends; each keeps its
    own hidden state and word history;
  * every update covers one block of T = -bptt-block tokens of all B streams:
    the hidden states of the block are computed step by step as (B, H)
    matrices, then the output layer is trained on the B*T positions (one SGD
    step per position, as rnnlm: its rows are sparse), then the hidden errors
    are unfolded through the block and the -bptt - 1 steps before it (rnnlm's
    schedule: bptt + block - 1 steps) and the recurrent and input weights get
    one update from the summed gradient of all streams;
  * the learning rate of that update is -alpha / sqrt(B) (the sum over B
    streams would otherwise take steps B times longer than a per-word update;
    the mean over streams learns too slowly per epoch), and the L2 decay is
    spread so that an epoch decays as much as rnnlm's.

The epoch loop, validation and learning-rate schedule are training.py's.  ``ops``
is the backend: CpuOps here (NumPy + Numba) or the CUDA one
(kernels/cuda/backend.py), with the same methods.
"""
from __future__ import annotations

import math

import numpy as np

from .batch_layers import ElmanSteps, LayerSteps
from .corpus import sentence_ranges
from .kernels import batch, maxent
from .network import Network

PADDING = -2        # a position after the end of a stream: nothing to predict
PROGRESS_TOKENS = 16384


class Streams:
    """The training text as B streams: a (B, L) token matrix padded with PADDING."""

    def __init__(self, tokens: np.ndarray, count: int, independent: bool):
        ranges = sentence_ranges(tokens, count)
        length = max(end - first for first, end in ranges)
        self.targets = np.full((len(ranges), length), PADDING, np.int32)
        for b, (first, end) in enumerate(ranges):
            self.targets[b, :end - first] = tokens[first:end]
        order = maxent.MAX_ORDER
        # previous words, oldest first: 0 (</s>) before the stream starts, as rnnlm's history
        self.padded = np.concatenate(
            [np.zeros((len(ranges), order), np.int32), self.targets], axis=1)
        self.independent = independent

    @property
    def count(self) -> int:
        return self.targets.shape[0]

    @property
    def length(self) -> int:
        return self.targets.shape[1]

    @property
    def tokens(self) -> int:
        """How many positions have a target."""
        return int(np.count_nonzero(self.targets != PADDING))

    def block(self, first: int, end: int):
        """(inputs (T, B), targets (T, B), histories (T*B, MAX_ORDER)) of steps first:end."""
        order = maxent.MAX_ORDER
        steps = np.arange(first, end)
        columns = (steps + order - 1)[:, None] - np.arange(order)[None, :]     # (T, order)
        hist = self.padded[:, columns].transpose(1, 0, 2)                      # (T, B, order)
        if self.independent:        # nothing before the last </s> (rnnlm's netReset)
            after_end = np.cumsum(hist == 0, axis=2) - (hist == 0) > 0
            hist = np.where(after_end, 0, hist)
        hist = np.ascontiguousarray(hist.reshape(-1, order), np.int32)
        inputs = np.ascontiguousarray(hist[:, 0].reshape(end - first, self.count))
        targets = np.ascontiguousarray(self.targets[:, first:end].T)
        return inputs, targets, hist


class CpuOps:
    """The backend on the host: NumPy matrix products and Numba kernels.

    A backend offers array creation (asarray, empty, full, copy), the dense
    primitives below and the output layer's train_outputs; the algorithm in
    training_pass is written once in terms of them.
    """

    def __init__(self, net: Network, streams: int = 1):
        self.net = net
        self.streams = streams          # rows of one time step in train_outputs

    def begin(self):
        """Take the weights from the host network (they are the host's here)."""

    def end(self):
        """Bring the weights back to the host network (nothing to do here)."""

    @property
    def W(self):
        return self.net.hidden.W

    def asarray(self, array: np.ndarray):
        return array

    def empty(self, shape):
        return np.empty(shape, np.float32)

    def full(self, shape, value):
        return np.full(shape, value, np.float32)

    def copy(self, array):
        return np.array(array, np.float32)

    @staticmethod
    def gemm(A, B, C, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
        """C = alpha * op(A) @ op(B) + beta * C."""
        product = (A.T if trans_a else A) @ (B.T if trans_b else B)
        if beta == 0.0:
            np.multiply(product, np.float32(alpha), out=C)
        else:
            C *= np.float32(beta)
            C += np.float32(alpha) * product

    def add_inputs_and_activate(self, pre, inputs):
        batch.add_inputs_and_activate(pre, self.net.hidden.U, inputs, self.net.hidden.kind, False)

    def times_derivative(self, err, H):
        batch.times_derivative(err, H, self.net.hidden.kind)

    def add_rows(self, words, G, scale):
        batch.add_rows(self.net.hidden.U, words, G, scale, 0.0)

    @staticmethod
    def fill_rows(H, rows, value):
        H[rows] = value

    @staticmethod
    def scale_add(X, Y, a, b):
        X *= np.float32(a)
        X += np.float32(b) * Y

    @staticmethod
    def clip_mask(X, limit, keeps):
        if limit > 0:
            np.clip(X, -limit, limit, out=X)
        X *= keeps[:, None]

    def train_outputs(self, S, targets, hist, alpha, l2, maxent_decay, cutoff):
        """Output-layer SGD on every position; returns (sum of log10 P, hidden errors)."""
        net = self.net
        return net.output_spec.train_block(net, S, targets, hist, alpha, l2, maxent_decay,
                                           cutoff, self.streams)


def training_pass(net: Network, streams: Streams, steps, alpha: float, beta: float,
                  cutoff: float, bptt: int, block: int, on_progress) -> float:
    """One epoch of mini-batch SGD over ``streams``; returns the sum of log10 P.
    ``steps`` is the hidden layer's part (batch_layers.py: ElmanSteps or LayerSteps, or
    the device's CellSteps)."""
    steps.begin()
    count = streams.count
    scale = alpha / math.sqrt(count)
    maxent_decay = alpha * beta
    state = steps.start_state(count)
    tail: list = []                       # the bptt - 1 steps before the block
    total, done, reported = 0.0, 0, 0
    tokens_total = streams.tokens
    for first in range(0, streams.length, block):
        end = min(first + block, streams.length)
        inputs, targets, hist = streams.block(first, end)
        T = end - first
        block_steps, readouts, state = steps.forward_block(state, inputs, streams.independent)
        logp, errors = steps.train_outputs(readouts, targets.reshape(-1), hist, alpha,
                                           alpha * beta / 10, maxent_decay, cutoff)
        total += logp
        window = tail + block_steps
        step_errors = [None] * len(tail) + [errors[t * count:(t + 1) * count] for t in range(T)]
        steps.backward(window, step_errors, bptt > 0, cutoff, scale,
                       alpha * beta * T * count / 10)
        tail = window[-(bptt - 1):] if bptt > 1 else []
        done += int(np.count_nonzero(targets != PADDING))
        if done - reported >= PROGRESS_TOKENS or end == streams.length:
            on_progress(done, tokens_total)
            reported = done
    steps.end()
    return total


def batched_epoch(model, tokens: np.ndarray, device: str, on_progress, regularisers):
    """A function running one epoch of mini-batch training of ``model`` (its
    TrainConfig's -batch streams) on the CPU or the GPU; training.py's epoch loop
    calls it.  ``on_progress`` may raise to stop the epoch; ``regularisers(part)``
    gives LayerSteps' -clip-norm, -dropout and mask seed for a part of the text.

    With -threads N (CPU) the text is cut at sentence ends into N parts, each
    trained by its own thread with -batch streams of its own, Hogwild on the shared
    weights (BLAS and the kernels release the GIL).

    The final hidden state of a batched pass is not a single stream's, so the
    state kept for scoring is the epoch start state, as after a validation pass.
    """
    cfg, config, net = model.train_config, model.config, model.network
    parts = [Streams(tokens[first:end], cfg.batch, net.independent)
             for first, end in sentence_ranges(tokens, cfg.threads)]
    spec = net.hidden_spec
    if device == "cuda":
        from .batch_device import CellSteps
        from .kernels.cuda.backend import CudaOps
        make_steps = lambda streams, part: (ElmanSteps(net, CudaOps(net)) if spec.dense_steps
                                            else CellSteps(net))
    elif spec.dense_steps and not (cfg.dropout or cfg.clip_norm):
        make_steps = lambda streams, part: ElmanSteps(net, CpuOps(net, streams.count))
    else:
        make_steps = lambda streams, part: LayerSteps(net, streams.count, **regularisers(part))

    def train(streams: Streams, part: int, progress) -> float:
        return training_pass(net, streams, make_steps(streams, part), model.state.alpha,
                             cfg.beta, cfg.gradient_cutoff, config.bptt, config.bptt_block,
                             progress)

    def run() -> float:
        if len(parts) == 1:
            return train(parts[0], 0, on_progress)
        return _in_threads(parts, train, on_progress)
    return run


def _in_threads(parts: list, train, on_progress) -> float:
    """Train each part of the text (Streams) in its own thread; progress is the sum of
    the threads', reported from whichever thread moves it; when on_progress raises (the
    run is stopped), every thread stops at its next report and that error is raised."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    done = [0] * len(parts)
    total = sum(streams.tokens for streams in parts)
    stopped: list = []

    def progress_of(part: int):
        def progress(words: int, _):
            with lock:
                if stopped:
                    raise stopped[0]
                done[part] = words
                try:
                    on_progress(sum(done), total)
                except BaseException as error:
                    stopped.append(error)
                    raise
        return progress

    with ThreadPoolExecutor(len(parts)) as pool:
        futures = [pool.submit(train, streams, part, progress_of(part))
                   for part, streams in enumerate(parts)]
        results = [future.exception() or future.result() for future in futures]
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise stopped[0] if stopped else errors[0]
    return float(sum(results))
