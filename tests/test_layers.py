"""Every layer of the registry (rnnlm_cli.layers), hidden x output, against its NumPy
twin: scores, a whole SGD step by finite differences, probabilities summing to one,
and save/load.  A new layer is picked up here once TWINS below knows its twin."""
import numpy as np
import pytest
from numba import njit

import naive
import naive_faster
import naive_gated
from rnnlm_cli import batch_layers, layers
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.kernels import hidden as hidden_kernels, regularise
from rnnlm_cli.model import Model
from rnnlm_cli.vocab import Vocabulary

WORDS = ["</s>"] + [f"w{i}" for i in range(1, 30)]
LN10 = np.log(10.0)


def elman_twin(layer, prev_word, h_prev):
    return naive.hidden_forward(layer.U.astype(np.float64), layer.W, prev_word, h_prev,
                                layer.kind)


def gru_twin(layer, prev_word, h_prev):
    return naive_gated.gru_forward(layer.U, layer.W, prev_word, h_prev)


def lstm_twin(layer, prev_word, h_prev):
    return naive_gated.lstm_forward(layer.U, layer.W, layer.b, prev_word, h_prev)


def scrn_twin(layer, prev_word, h_prev):
    return naive_gated.scrn_forward(layer.A, layer.R, layer.P, layer.B, prev_word, h_prev)


def class_twin(layer, s, target, d, hist, order):
    return naive.log10_prob(s, layer.Oc, layer.Ow, layer.class_start, layer.word_class, target,
                            d, hist, order)


def tree_twin(layer, s, target, d, hist, order):
    return naive.tree_log10_prob(s, layer.On, layer.path_start, layer.path_nodes,
                                 layer.path_codes, target, d, hist, order)


def faster_tree_twin(layer, s, target, d, hist, order):
    return naive_faster.faster_tree_log10_prob(s, layer, target, d, hist, order)


def stack_twin(layer, prev_word, h_prev):
    """-layers N: the first layer's twin on the word, each above on the readout below
    (its input rows times that readout stand in for one word's row)."""
    return layered_twin(layers.spec_of(layer.layers[0]), layer.layers, prev_word, h_prev)


def layered_twin(base, stacked, prev_word, h_prev, masks=None):
    """The twin of layers ``stacked`` of spec ``base``, one on the other; ``masks``, when
    given, makes the dropout masks (placement, size) -> (size,) of the word's input
    contribution (regularise.INPUT) and of the readout layer k reads (INPUT + k)."""
    size = len(h_prev) // len(stacked)
    states = []
    for k, one in enumerate(stacked):
        word = prev_word if k == 0 else 0
        if k > 0:
            below = read_out(base, states[-1])
            if masks:
                below = below * masks(regularise.INPUT + k, len(below))
            one = with_input_row(base, one, {name: below @ getattr(one, name).astype(np.float64)
                                             for name in base.inputs})
        elif masks and prev_word >= 0:
            one = with_input_row(base, one, {name: getattr(one, name)[prev_word]
                                             for name in base.inputs},
                                 masks(regularise.INPUT, input_width(base, one)))
            word = 0
        states.append(twin(base)(one, word, h_prev[k * size:(k + 1) * size]))
    return np.concatenate(states)


def input_width(spec, layer):
    return sum(getattr(layer, name).shape[1] for name in spec.inputs)


def with_input_row(spec, layer, rows, mask=1.0):
    """The layer with one input row (word 0): ``rows`` (name -> values) times ``mask``,
    which spans the input weights side by side (the cells' input layout)."""
    mask = np.broadcast_to(mask, input_width(spec, layer))
    first, replaced = 0, {}
    for name in spec.inputs:
        width = getattr(layer, name).shape[1]
        replaced[name] = (rows[name] * mask[first:first + width])[None].astype(np.float64)
        first += width
    return layer._replace(**replaced)


def train_twin(spec, layer, prev_word, h_prev, key, rate):
    """The twin of a training step with -dropout ``rate``'s masks of mask key ``key``."""
    if rate == 0:
        return twin(spec)(layer, prev_word, h_prev)
    stacked = type(spec).__name__ == "StackSpec"
    return layered_twin(spec.base if stacked else spec, layer.layers if stacked else (layer,),
                        prev_word, h_prev,
                        lambda placement, size: dropout_mask(key, rate, size, placement))


def read_stack(spec, state):
    return read_out(spec.base, state[-len(state) // spec.count:])


# spec class -> twin: hidden (layer, prev_word, h_prev) -> s; output (layer, s, target, d,
# hist, order) -> log10 P.  READS: the part of a hidden state the output layer reads
# where it is not all of it (LSTM: h, not the cells; a stack: its top layer's).
TWINS = {"ElmanSpec": elman_twin, "GruSpec": gru_twin, "LstmSpec": lstm_twin,
         "ScrnSpec": scrn_twin, "StackSpec": stack_twin,
         "ClassSoftmaxSpec": class_twin,
         "HierarchicalSoftmaxSpec": tree_twin,
         "FasterHierarchicalSoftmaxSpec": faster_tree_twin,
         "SoftmaxSpec": naive_faster.softmax_twin}
READS = {"LstmSpec": lambda spec, s: s[:len(s) // 2], "StackSpec": read_stack}
# the output layers read from faster-rnnlm models: two hidden types cover them
PAIRS = [(hidden, output) for hidden in layers.HIDDEN_NAMES for output in layers.OUTPUT_NAMES
         if output not in ("hs-faster", "softmax") or hidden in ("sigmoid", "gru")]
# every hidden type stacked two high (-layers 2), under the class softmax
TYPES = [spec.names[0] for spec in layers.HIDDEN_SPECS]
STACKED = [(hidden, 1) for hidden in TYPES] + [(hidden, 2) for hidden in TYPES]


def twin(spec):
    return TWINS[type(spec).__name__]


def read_out(spec, state):
    return READS.get(type(spec).__name__, lambda spec, s: s)(spec, state)


def test_every_registered_layer_has_a_twin():
    for spec in (*layers.HIDDEN_SPECS, *layers.OUTPUT_SPECS):
        assert type(spec).__name__ in TWINS, f"no NumPy twin for {type(spec).__name__}"


def small_model(hidden, output, seed=3, stacked=1):
    counts = np.array([40] + [int(60 / k) + 1 for k in range(1, len(WORDS))])
    vocab, _ = Vocabulary.from_counts(WORDS, counts, 6)
    config = ModelConfig(hidden=6, output=output, hidden_type=hidden, classes=6, direct=0.003,
                         layers=stacked, scrn_context=4 if hidden == "scrn" else 0)
    model = Model.create(config, TrainConfig(rand_seed=seed), vocab)
    rng = np.random.default_rng(seed)
    for array in model.network.weights().values():     # away from rnnlm's tiny start
        array[...] = rng.normal(0, 0.5, array.shape).astype(np.float32)
    model.network.d[...] = rng.normal(0, 0.3, model.network.d.shape).astype(np.float32)
    return model


def twin_log10_prob(net, prev_word, h_prev, target, hist, weights=None, key=0, rate=0.0):
    """log10 P(target) after prev_word from h_prev, by the twins (weights: overrides;
    key, rate: the token's -dropout masks, kernels.regularise)."""
    weights = weights or {}
    spec = net.hidden_spec
    hidden = spec.with_weights(net.hidden, {k: v for k, v in weights.items() if k in spec.weights})
    output = net.output._replace(**{k: v for k, v in weights.items() if k in net.output._fields})
    s = read_out(spec, train_twin(spec, hidden, prev_word, h_prev, key, rate))
    s = s * (dropout_mask(key, rate, len(s)) if rate else 1.0)
    return twin(net.output_spec)(output, s, target, weights.get("d", net.d), hist,
                                 net.maxent_order)


def stream_start(net, prev_word, rng):
    ws = net.workspace()
    h_prev = rng.uniform(0.05, 0.95, net.hidden_size).astype(np.float32)
    ws.start(h_prev)
    ws.hist[:4] = [prev_word, 5, 9, 2]
    return ws, h_prev, list(ws.hist)


@pytest.mark.parametrize("hidden, output", PAIRS)
def test_scores_equal_the_numpy_twin(hidden, output):
    net = small_model(hidden, output).network
    rng = np.random.default_rng(1)
    for prev_word, target in [(3, 7), (0, 0), (12, 29), (-1, 4)]:
        ws, h_prev, hist = stream_start(net, prev_word, rng)
        (got,) = net.score(np.array([target], np.int32), ws)
        assert got == pytest.approx(twin_log10_prob(net, prev_word, h_prev, target, hist),
                                    abs=2e-5)


@pytest.mark.parametrize("hidden, output, stacked",
                         [(*pair, 1) for pair in PAIRS] + [("lstm", "hs", 2)])
def test_next_word_probabilities_sum_to_one(hidden, output, stacked):
    net = small_model(hidden, output, stacked=stacked).network
    ws, _, _ = stream_start(net, 6, np.random.default_rng(2))
    p = net.distribution(ws)
    assert p.shape == (len(WORDS),) and np.all(p > 0)
    assert p.sum() == pytest.approx(1.0, abs=1e-5)


def dropout_mask(key, rate, size, placement=regularise.OUTPUT):
    """The kept units of a placement at a token with mask key ``key``, scaled by
    1 / (1 - rate)."""
    kept = np.array([regularise.keeps(key, unit, rate, placement) for unit in range(size)])
    assert rate == 0 or 0 < kept.sum() < size, "a mask that tests nothing"
    return kept / (1.0 - rate)


@pytest.mark.parametrize("rate", [0.0, 0.4])
@pytest.mark.parametrize("hidden, output, stacked",
                         [(*pair, 1) for pair in PAIRS] + [
                             # every type's stack is also checked over 4 BPTT steps below;
                             # two compile-heavy ones here only with -m slow
                             pytest.param(h, "class", 2, marks=[pytest.mark.slow] * (
                                 h in ("gru", "scrn"))) for h in TYPES])
def test_one_sgd_step_is_alpha_times_the_gradient(hidden, output, stacked, rate):
    """One token of training (no BPTT, no L2, no clipping) moves every weight by
    alpha * d ln P / d weight, the derivative taken by finite differences of the twins;
    with -dropout, of ln P through that token's masks (fixed: the first token of a
    pass has mask key 1 + the pass's seed): the word's input contribution, between
    stacked layers and before the output layer."""
    alpha, prev_word, target, seed = 0.5, 4, 11, 7 << 40
    net = small_model(hidden, output, seed=5, stacked=stacked).network
    ws, h_prev, hist = stream_start(net, prev_word, np.random.default_rng(3))
    before = {name: array.astype(np.float64) for name, array in net.weights().items()}
    net.train(np.array([target], np.int32), ws, alpha, 0.0, 0.0, 10, dropout=rate,
              mask_seed=seed)
    rng = np.random.default_rng(4)
    for name, after in net.weights().items():
        if name == "h_init":
            continue
        changed = np.argwhere(after != before[name])
        assert changed.size, f"{name} was not updated"
        indices = [tuple(i) for i in changed[rng.permutation(len(changed))[:8]]]

        def ln_p(array, name=name):
            weights = {**before, name: array}       # the point the step started from
            return LN10 * twin_log10_prob(net, prev_word, h_prev, target, hist, weights,
                                          1 + seed, rate)
        numeric = naive.numeric_gradient(ln_p, before[name], indices)
        update = np.array([(after[i] - before[name][i]) / alpha for i in indices])
        np.testing.assert_allclose(update, numeric, rtol=2e-3, atol=2e-4, err_msg=name)


@pytest.mark.parametrize("hidden, output, stacked",
                         [(*pair, 1) for pair in PAIRS] + [("scrn", "hs", 3)])
def test_save_and_load_keep_every_array_and_score(tmp_path, hidden, output, stacked):
    model = small_model(hidden, output, stacked=stacked)
    path = str(tmp_path / "m.rnn")
    model.save(path)
    loaded = Model.load(path)
    assert type(loaded.network.hidden) is type(model.network.hidden)
    assert type(loaded.network.output) is type(model.network.output)
    for name, array in model.network.weights().items():
        np.testing.assert_array_equal(loaded.network.weights()[name], array, err_msg=name)
    tokens = np.array([3, 9, 0, 14, 2, 0], np.int32)
    scores = [m.network.score(tokens, m.network.workspace()) for m in (model, loaded)]
    np.testing.assert_array_equal(*scores)


@njit
def _unfold(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, rate,
            work):
    hidden_kernels.update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev,
                               alpha, 0.0, 0.0, 0.0, rate, work)


def assert_moved_by_the_gradient(weights, before, J, alpha, rng):
    """Every weight array moved, and by alpha * d J / d weight at up to ten of its
    changed entries (finite differences of J on the arrays ``before``)."""
    for name, after in weights.items():
        changed = np.argwhere(after != before[name])
        assert changed.size, f"{name} was not updated"
        indices = [tuple(i) for i in changed[rng.permutation(len(changed))[:10]]]
        numeric = naive.numeric_gradient(lambda a, name=name: J({**before, name: a}),
                                         before[name], indices)
        update = np.array([(after[i] - before[name][i]) / alpha for i in indices])
        np.testing.assert_allclose(update, numeric, rtol=2e-3, atol=2e-4, err_msg=name)


@pytest.mark.parametrize("rate", [0.0, 0.4])
@pytest.mark.parametrize("hidden, stacked", STACKED)
def test_bptt_over_several_steps_is_alpha_times_the_gradient(hidden, stacked, rate):
    """Four tokens unfolded at once: every weight moves by alpha * d J / d weight, where
    J = sum_k e_k . h_k over the window, h_k chained by the NumPy twin from the state
    before it, e_k the output errors the ring holds (finite differences).  Stacked,
    the errors sit on the top layer's readout, as the output layer leaves them.  With
    -dropout each step's input masks are those of its mask key in the ring."""
    net = small_model(hidden, "class", seed=8, stacked=stacked).network
    layer, spec, steps, alpha = net.hidden, net.hidden_spec, 4, 0.5
    rng = np.random.default_rng(9)
    words = [7, -1, 3, 12]                          # an OOV input among them
    h0 = rng.uniform(0.05, 0.95, net.hidden_size)
    top = np.zeros(net.hidden_size, bool)
    top[-net.hidden_size // stacked:] = True
    errors = [rng.normal(0, 1, net.hidden_size) * (top if stacked > 1 else 1) for _ in words]

    keys = [(5 << 32) + t for t in range(len(words))]

    def J(weights):
        replaced = spec.with_weights(layer, weights)
        total, h = 0.0, h0
        for word, key, error in zip(words, keys, errors):
            h = train_twin(spec, replaced, word, h, key, rate)
            total += error @ h
        return total

    states, h = [h0], h0
    for word, key in zip(words, keys):
        h = train_twin(spec, layer, word, h, key, rate)
        states.append(h)
    slots = steps + 1                               # slot t holds token t; slot 0 the start
    ring_word = np.array([0, *words], np.int32)
    ring_ac = np.array(states, np.float32)
    ring_er = np.array([np.zeros(net.hidden_size), *errors], np.float32)
    before = {name: array.astype(np.float64) for name, array in spec.weight_arrays(layer).items()}
    _unfold(layer, ring_word, np.array([0, *keys], np.int64), ring_ac, ring_er, slots - 1, steps,
            ring_ac[-2], alpha, rate, spec.scratch(layer, steps))
    assert_moved_by_the_gradient(spec.weight_arrays(layer), before, J, alpha, rng)
    assert not ring_er.any()                        # the errors are consumed


@pytest.mark.parametrize("hidden, stacked", STACKED)
def test_batched_states_equal_step_by_step(hidden, stacked):
    """The batched form (nbest-rescore's, on a prefix tree) against the kernel's forward:
    nodes branching from the same parent and branches ending at different levels."""
    net = small_model(hidden, "class", seed=2, stacked=stacked).network
    inputs = [np.array([0], np.int32), np.array([3, 9, -1], np.int32),
              np.array([4, 14, 2, 5], np.int32), np.array([0, 7], np.int32)]
    parents = [np.array([0]), np.array([0, 0, 0]), np.array([0, 0, 1, 2]), np.array([3, 1])]
    start = np.random.default_rng(1).uniform(0.1, 0.9, net.hidden_size).astype(np.float32)
    states = net.hidden_spec.batch_states(net.hidden, start, inputs, parents, False)
    above = [start]
    for level, (words, ups) in enumerate(zip(inputs, parents)):
        here = [net.hidden_step(int(word), above[up]) for word, up in zip(words, ups)]
        for node, h in enumerate(here):
            np.testing.assert_allclose(states[level][node], read_out(net.hidden_spec, h),
                                       rtol=1e-5, atol=1e-6)
        above = here


@pytest.mark.parametrize("rate", [0.0, 0.4])
@pytest.mark.parametrize("hidden, stacked", STACKED)
def test_batched_unfold_is_alpha_times_the_gradient(hidden, stacked, rate):
    """-batch training's hidden part (batch_layers.LayerSteps through the spec's
    batch_forward/batch_backward): three streams over four steps, readout errors at
    some steps only, moved every weight by alpha * d J / d weight, where
    J = sum over steps and streams of e . readout, chained by the NumPy twin.  With
    -dropout, through the masks the steps drew (recorded in the order drawn: each
    step's input contributions', then each upper layer's)."""
    net = small_model(hidden, "class", seed=8, stacked=stacked).network
    layer, spec, alpha = net.hidden, net.hidden_spec, 0.5
    rng = np.random.default_rng(10)
    words = np.array([[7, 2, 0], [-1, 7, 5], [3, 3, 11], [12, -1, 4]], np.int32)   # (T, B)
    start = rng.uniform(0.05, 0.95, (3, net.hidden_size)).astype(np.float32)
    width = len(read_out(spec, start[0]))
    errors = [rng.normal(0, 1, (3, width)).astype(np.float32) if t != 2 else None
              for t in range(len(words))]

    steps = batch_layers.LayerSteps(net, 3, dropout=rate, mask_seed=6)
    drawn = []

    def recorded(shape, draw=steps._dropout_mask):
        drawn.append(draw(shape))
        return drawn[-1]
    steps._dropout_mask = recorded
    base = spec.base if stacked > 1 else spec

    def J(weights):
        replaced = spec.with_weights(layer, weights)
        replaced_layers = replaced.layers if stacked > 1 else (replaced,)
        total = 0.0
        for b in range(3):
            h = start[b].astype(np.float64)
            for t, word in enumerate(words[:, b]):
                step_masks = drawn[t * stacked:(t + 1) * stacked]
                masks = (lambda placement, size: step_masks[placement - 1][b]) if rate else None
                h = layered_twin(base, replaced_layers, int(word), h, masks)
                if errors[t] is not None:
                    total += errors[t][b] @ read_out(spec, h)
        return total

    before = {name: array.astype(np.float64) for name, array in spec.weight_arrays(layer).items()}
    window, _, _ = steps.forward_block(start, words, independent=False)
    assert len(drawn) == (len(words) * stacked if rate else 0)
    steps.backward(window, errors, True, 0.0, alpha, 0.0)
    assert_moved_by_the_gradient(spec.weight_arrays(layer), before, J, alpha, rng)
