"""The mini-batch trainer (rnnlm_cli/batch_train.py) against a NumPy twin: one block of
training moves W and the input rows U by scale * d(sum of ln P over the block) / d weight,
the derivative taken by finite differences of the twin, with one stream and with several.

The output layer learns inside the block too (one SGD step per position, as rnnlm), so a
small learning rate keeps its influence on the recurrent gradient at O(alpha).
"""
import math
from types import SimpleNamespace

import numpy as np
import pytest

import naive
from conftest import TinyNet
from rnnlm_cli import batch_layers, batch_train
from rnnlm_cli.kernels.elman import Elman
from rnnlm_cli.network import EPOCH_START_HIDDEN, Network

ALPHA = 1e-3
LN10 = math.log(10.0)


def network(tiny):
    return Network(hidden=Elman(tiny.U.copy(), tiny.W.copy(), 0), output=tiny.class_layer(),
                   d=np.zeros(0, np.float32), h_init=np.full(7, 0.1, np.float32),
                   direct_order=3, independent=False)


def block_log_likelihood(tiny, streams, U, W):
    """Sum of ln P(target) over every position of every stream, by the twins."""
    total = 0.0
    for b in range(streams.count):
        h = np.full(W.shape[0], EPOCH_START_HIDDEN)
        previous = 0
        for target in streams.targets[b]:
            if target == batch_train.PADDING:
                break
            h = naive.hidden_forward(U, W, previous, h)
            total += LN10 * naive.log10_prob(h, tiny.Oc, tiny.Ow, tiny.class_start,
                                             tiny.word_class, int(target), [], [0] * 20, 0)
            previous = int(target)
    return total


@pytest.mark.parametrize("count", [1, 3])
def test_one_block_moves_w_and_u_by_the_gradient(count):
    tiny = TinyNet(seed=7, direct=0, scale=0.4)
    rng = np.random.default_rng(8)
    tokens = rng.integers(1, 23, 36).astype(np.int32)
    tokens[[8, 17, 26, 35]] = 0                   # sentence ends: streams cut there
    streams = batch_train.Streams(tokens, count, independent=False)
    assert streams.count == count
    net = network(tiny)
    U0, W0 = net.hidden.U.copy(), net.hidden.W.copy()
    steps = batch_layers.ElmanSteps(net, batch_train.CpuOps(net, streams.count))
    batch_train.training_pass(net, streams, steps, ALPHA, 0.0, 0.0, 1, streams.length,
                              lambda done, total: None)
    scale = ALPHA / math.sqrt(count)
    U64, W64 = U0.astype(np.float64), W0.astype(np.float64)
    w_idx = [(i, j) for i in range(7) for j in (0, 3, 6)]
    numeric_W = naive.numeric_gradient(
        lambda a: block_log_likelihood(tiny, streams, U64, a), W64, w_idx)
    update_W = np.array([(net.hidden.W[i] - W0[i]) / scale for i in w_idx])
    np.testing.assert_allclose(update_W, numeric_W, rtol=2e-2, atol=2e-3)
    inputs = sorted({0, *(int(t) for t in tokens[:-1])})[:5]
    u_idx = [(w, j) for w in inputs for j in (1, 4)]
    numeric_U = naive.numeric_gradient(
        lambda a: block_log_likelihood(tiny, streams, a, W64), U64, u_idx)
    update_U = np.array([(net.hidden.U[i] - U0[i]) / scale for i in u_idx])
    np.testing.assert_allclose(update_U, numeric_U, rtol=2e-2, atol=2e-3)
    assert np.abs(numeric_W).max() > 0.05      # the check has something to see


def test_carried_errors_are_clipped_by_norm_per_stream_and_cut_at_resets():
    """-clip-norm in -batch training: each stream's carried error vector, after the
    element-wise -gradient-cutoff, is scaled down to the norm limit; a stream whose state
    was reset carries nothing."""
    steps = batch_layers.LayerSteps(network(TinyNet(seed=1)), 3, clip_norm=2.0)
    e_prev = np.array([[30.0, 0, 0, 0, 0, 0, 4.0],        # cutoff 6 -> (6, .., 4): norm 7.2
                       [0.5, 0.5, 0, 0, 0, 0, 0],
                       [9.0, 9.0, 9.0, 0, 0, 0, 0]], np.float32)
    carried = steps._carried(e_prev.copy(), 6.0, np.array([1, 1, 0], np.float32))
    expected_first = np.array([6.0, 0, 0, 0, 0, 0, 4.0]) * 2.0 / np.hypot(6.0, 4.0)
    np.testing.assert_allclose(carried[0], expected_first, rtol=1e-6)
    np.testing.assert_array_equal(carried[1], e_prev[1])
    assert not carried[2].any()


def test_dropout_masks_the_readouts_and_their_errors():
    """-dropout in -batch training: about P of the readout units of each position are
    dropped; the output layer sees the kept ones scaled by 1 / (1 - P), and the errors
    flowing back are the errors of that input, masked and scaled the same way."""
    rate, positions = 0.4, 200
    tiny = TinyNet(seed=2, direct=0)
    rng = np.random.default_rng(3)
    readouts = rng.uniform(0.1, 0.9, (positions, 7)).astype(np.float32)
    targets = rng.integers(0, 23, positions).astype(np.int32)
    hist = np.zeros((positions, 10), np.int32)
    steps = batch_layers.LayerSteps(network(tiny), 4, dropout=rate, mask_seed=11)
    _, errors = steps.train_outputs(readouts, targets, hist, 0.0, 0.0, 0.0, 0.0)
    kept = errors != 0
    assert abs(1 - kept.mean() - rate) < 0.05
    reference = network(tiny)
    _, plain = reference.output_spec.train_block(reference, readouts * kept / (1 - rate),
                                                 targets, hist, 0.0, 0.0, 0.0, 0.0, 4)
    np.testing.assert_allclose(errors, plain * kept / (1 - rate), rtol=1e-5, atol=1e-7)
    again = batch_layers.LayerSteps(network(tiny), 4, dropout=rate, mask_seed=11)
    np.testing.assert_array_equal(again.train_outputs(readouts, targets, hist, 0.0, 0.0, 0.0,
                                                      0.0)[1], errors)


def test_threads_report_their_summed_progress_and_stop_together():
    """-batch with -threads: on_progress sees the threads' summed words; when it raises
    (a stopped run), every thread stops at its next report and that error comes out."""
    seen, reports = [], [0, 0]

    class Stop(Exception):
        pass

    def on_progress(done, total):
        seen.append((done, total))
        if done >= 600:
            raise Stop()

    def train(streams, part, progress):
        for words in range(100, 1100, 100):
            reports[part] += 1
            progress(words, 1000)
        return -1.0

    parts = [SimpleNamespace(tokens=1000)] * 2
    with pytest.raises(Stop):
        batch_train._in_threads(parts, train, on_progress)
    assert all(total == 2000 for _, total in seen) and seen[-1][0] >= 600
    assert sum(reports) <= 8 and all(reports)          # nobody ran to the end
    assert batch_train._in_threads(parts, train, lambda d, t: None) == -2.0
