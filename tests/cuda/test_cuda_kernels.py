"""The CUDA backend against the CPU kernels, on tiny inputs (Numba's simulator
unless NUMBA_ENABLE_CUDASIM=0 and a GPU is present)."""
import numpy as np
import pytest

from conftest import TinyNet
from rnnlm_cli import batch, batch_layers, batch_train
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.huffman import huffman_paths
from rnnlm_cli.kernels.hsoftmax import HierarchicalSoftmax
from rnnlm_cli.model import Model, TrainingState
from rnnlm_cli.kernels.elman import Elman
from rnnlm_cli.network import Network
from rnnlm_cli.vocab import Vocabulary

cuda = pytest.importorskip("numba.cuda")
if not cuda.is_available():
    pytest.skip("no CUDA device and the simulator is off", allow_module_level=True)
from rnnlm_cli.kernels.cuda import backend as cuda_backend  # noqa: E402
from rnnlm_cli.kernels.cuda import linalg               # noqa: E402

V = 23


def network(output, independent=False, direct=4000, seed=3):
    net = TinyNet(seed=seed, direct=direct, scale=0.6)
    if output == "hs":
        counts = np.arange(V, 0, -1) * 7 % 31 + 1
        tree = huffman_paths(counts)
        On = (net.rng.standard_normal((V - 1, 7)) * 0.6).astype(np.float32)
        layer = HierarchicalSoftmax(On, *tree)
    else:
        layer = net.class_layer()
    return Network(hidden=Elman(net.U, net.W * np.float32(0.5), 0), output=layer, d=net.d,
                   h_init=np.full(7, 0.1, np.float32), direct_order=net.order,
                   independent=independent)


def sentences(seed, count=5, longest=6):
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(count):
        s = rng.integers(1, V, rng.integers(0, longest + 1)).astype(np.int32)
        if s.size > 2:
            s[1] = -1                                   # an OOV in the history
        result.append(s)
    return result


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_matches_numpy(trans_a, trans_b):
    rng = np.random.default_rng(0)
    m, k, n = 19, 21, 5
    A = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    B = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    C = rng.standard_normal((m, n)).astype(np.float32)
    expected = 0.5 * (A.T if trans_a else A) @ (B.T if trans_b else B) + 2.0 * C
    out = cuda.to_device(C)
    linalg.gemm(cuda.to_device(A), cuda.to_device(B), out, 0.5, 2.0, trans_a, trans_b)
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("output", ["class", "hs"])
# without maxent only with -m slow: the maxent runs cover the same kernels and more
@pytest.mark.parametrize("direct", [pytest.param(0, marks=pytest.mark.slow), 4000])
def test_batched_scores_match_the_cpu(output, direct):
    net = network(output, direct=direct)
    sents = sentences(1, count=3, longest=4)
    start = np.full(7, 0.3, np.float32)
    cpu, offsets = batch.score_sentences_flat(net, sents, start)
    gpu, offsets_gpu = batch.score_sentences_flat(net, sents, start, device="cuda")
    np.testing.assert_array_equal(offsets, offsets_gpu)
    np.testing.assert_array_equal(np.isnan(cpu), np.isnan(gpu))
    np.testing.assert_allclose(gpu[~np.isnan(cpu)], cpu[~np.isnan(cpu)], atol=1e-4)


def positions(net, count=4, seed=2):
    rng = np.random.default_rng(seed)
    S = rng.uniform(0.05, 0.95, (count, 7)).astype(np.float32)
    targets = rng.integers(0, V, count).astype(np.int32)
    targets[-1] = -2 if count > 1 else targets[-1]      # padding: skipped
    hist = rng.integers(-1, V, (count, 20)).astype(np.int32)
    return S, targets, hist


@pytest.mark.parametrize("output", ["class", "hs"])
def test_output_errors_match_the_cpu_before_updates(output):
    """With alpha 0 nothing moves: log10 P and hidden errors of all positions agree."""
    net = network(output)
    S, targets, hist = positions(net, count=5)
    cpu_logp, cpu_E = batch_train.CpuOps(net).train_outputs(S, targets, hist, 0.0, 0.0, 0.0,
                                                             15.0)
    ops = cuda_backend.CudaOps(net)
    ops.begin()
    gpu_logp, gpu_E = ops.train_outputs(*map(ops.asarray, (S, targets, hist)), 0.0, 0.0, 0.0,
                                        15.0)
    assert gpu_logp == pytest.approx(cpu_logp, abs=1e-4)
    np.testing.assert_allclose(gpu_E.copy_to_host(), cpu_E, atol=1e-5)


@pytest.mark.parametrize("output", ["class", "hs"])
def test_output_update_of_one_position_matches_the_cpu(output):
    net_cpu, net_gpu = network(output), network(output)
    S, targets, hist = positions(net_cpu, count=1, seed=5)
    batch_train.CpuOps(net_cpu).train_outputs(S, targets, hist, 0.3, 0.01, 0.002, 15.0)
    ops = cuda_backend.CudaOps(net_gpu)
    ops.begin()
    ops.train_outputs(*map(ops.asarray, (S, targets, hist)), 0.3, 0.01, 0.002, 15.0)
    ops.end()
    for name, array in net_cpu.weights().items():
        np.testing.assert_allclose(net_gpu.weights()[name], array, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("output, independent", [("class", False), ("hs", True)])
def test_minibatch_epoch_on_the_gpu_follows_the_cpu(output, independent):
    """The same algorithm on both backends; within a block the GPU applies the
    output updates of all positions together, the CPU one after the other, so
    with a small learning rate the weights differ by second-order terms only
    (the log-probabilities by first-order ones: the CPU scores later positions
    of a block after the earlier ones' updates)."""
    tokens = np.concatenate([np.append(s, 0) for s in sentences(7, count=5, longest=3)])
    streams = batch_train.Streams(tokens, 3, independent)
    results = []
    for ops_class in (batch_train.CpuOps, cuda_backend.CudaOps):
        net = network(output, independent)
        logp = batch_train.training_pass(net, streams, batch_layers.ElmanSteps(net, ops_class(net)),
                                         0.001, 1e-6, 15.0,
                                         bptt=2, block=3, on_progress=lambda *a: None)
        results.append((logp, net.weights()))
    (cpu_logp, cpu_w), (gpu_logp, gpu_w) = results
    assert gpu_logp == pytest.approx(cpu_logp, abs=0.02)
    start = network(output, independent).weights()
    for name in cpu_w:
        moved = np.abs(cpu_w[name] - start[name]).max()
        assert moved > 0 or name == "h_init"
        np.testing.assert_allclose(gpu_w[name], cpu_w[name], atol=max(1e-5, 0.02 * moved),
                                   err_msg=name)
