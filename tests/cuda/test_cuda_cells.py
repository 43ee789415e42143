"""The hidden layers' device cells (kernels/cuda/cells.py) against their specs' NumPy
steps (batch_forward/batch_backward), the device mini-batch trainer of the gated
layers (batch_device.CellSteps) against the CPU one (batch_layers.LayerSteps), and batched
scoring of gated models on the device, in Numba's simulator unless a GPU is there."""
import numpy as np
import pytest

from rnnlm_cli import batch, batch_layers, batch_train
from test_layers import small_model

cuda = pytest.importorskip("numba.cuda")
if not cuda.is_available():
    pytest.skip("no CUDA device and the simulator is off", allow_module_level=True)
from rnnlm_cli import batch_device  # noqa: E402

TYPES = ["sigmoid", "gru", "lstm", "scrn"]


@pytest.mark.parametrize("hidden", TYPES)
def test_a_step_and_its_backpropagation_match_the_spec(hidden):
    net = small_model(hidden, "class", seed=4).network
    spec, layer = net.hidden_spec, net.hidden
    rng = np.random.default_rng(5)
    words = np.array([3, -1, 12, 0], np.int32)
    state = rng.uniform(0.05, 0.95, (4, net.hidden_size)).astype(np.float32)
    x = spec.word_contributions(layer, words)
    new, readout, cache = spec.batch_forward(layer, x, state)
    err = rng.normal(0, 1, new.shape).astype(np.float32)
    grads: dict = {}
    d_x, e_prev = spec.batch_backward(layer, x, state, cache, None, err.copy(), grads)

    cell = spec.cuda_cell(layer)
    words_dev, state_dev = cuda.to_device(words), cuda.to_device(state)
    new_dev = cuda.device_array(new.shape, np.float32)
    cache_dev = cell.forward(words_dev, state_dev, new_dev)
    np.testing.assert_allclose(new_dev.copy_to_host(), new, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cell.readout(new_dev).copy_to_host(), readout, atol=1e-6)
    device_grads = cell.zero_grads()
    d_x_dev, e_prev_dev = cell.backward(words_dev, state_dev, new_dev, cache_dev,
                                        cuda.to_device(err), device_grads)
    np.testing.assert_allclose(d_x_dev.copy_to_host(), d_x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(e_prev_dev.copy_to_host(), e_prev, rtol=1e-4, atol=1e-5)
    assert set(device_grads) == set(grads)
    for name, gradient in grads.items():
        np.testing.assert_allclose(device_grads[name].copy_to_host().reshape(gradient.shape),
                                   gradient, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("hidden, independent", [
    # slow in the simulator (25 s to a minute each); the step checks above cover their
    # kernels
    pytest.param("lstm", True, marks=pytest.mark.slow),
    pytest.param("gru", False, marks=pytest.mark.slow),
    pytest.param("scrn", False, marks=pytest.mark.slow)])
def test_minibatch_epoch_of_a_gated_layer_on_the_gpu_follows_the_cpu(hidden, independent):
    """As test_cuda_kernels' Elman check: the GPU applies a block's output updates
    together, the CPU in order, so with a small rate they differ by second-order terms."""
    rng = np.random.default_rng(6)
    tokens = rng.integers(1, 30, 12).astype(np.int32)
    tokens[[3, 5, 8, 11]] = 0
    streams = batch_train.Streams(tokens, 2, independent)
    results = []
    for make in (lambda net: batch_layers.LayerSteps(net, 2), batch_device.CellSteps):
        net = small_model(hidden, "class", seed=7).network
        net.independent = independent
        logp = batch_train.training_pass(net, streams, make(net), 0.001, 1e-6, 15.0, bptt=2,
                                         block=3, on_progress=lambda *a: None)
        results.append((logp, net.weights()))
    (cpu_logp, cpu_w), (gpu_logp, gpu_w) = results
    assert gpu_logp == pytest.approx(cpu_logp, abs=0.02)
    start = small_model(hidden, "class", seed=7).network.weights()
    for name in cpu_w:
        moved = np.abs(cpu_w[name] - start[name]).max()
        assert moved > 0 or name == "h_init", name
        np.testing.assert_allclose(gpu_w[name], cpu_w[name], atol=max(1e-5, 0.02 * moved),
                                   err_msg=name)


@pytest.mark.parametrize("hidden", ["lstm", *(pytest.param(h, marks=pytest.mark.slow)
                                             for h in ("gru", "scrn"))])
def test_batched_scores_of_a_gated_model_match_the_cpu(hidden):
    net = small_model(hidden, "hs", seed=2).network
    rng = np.random.default_rng(3)
    sentences = [rng.integers(1, 30, n).astype(np.int32) for n in (3, 0, 5)]
    start = np.full(net.hidden_size, 0.3, np.float32)
    cpu, _ = batch.score_sentences_flat(net, sentences, start)
    gpu, _ = batch.score_sentences_flat(net, sentences, start, device="cuda")
    np.testing.assert_array_equal(np.isnan(cpu), np.isnan(gpu))
    np.testing.assert_allclose(gpu[~np.isnan(cpu)], cpu[~np.isnan(cpu)], atol=1e-4)
