"""Converting between our models and other tools' model files: rnnlm 0.4b's (both ways)
and faster-rnnlm's (import).

Imported rnnlm 0.4b models score with rnnlm's approximate exponential by default
(its numbers are reproduced); ours keep the exact one.  rnnlm 0.4b's files hold the
default layers of a ModelConfig (rnnlm's own); export asks each layer's spec
for its part of the old format, and a layer the format cannot hold is refused
with one line.

A faster-rnnlm model becomes the same network in our layers: its embeddings are
the first layer's word input rows (times the GRU's input matrices, plus its
biases, when it has them), its tree the hs-faster output layer, its maxent our
maxent array, and its sentences -independent with -sentence-start zero; an NCE
output becomes the full softmax over the same rows.  What our layers cannot hold
(reversed sentences, biased GRUs above the first layer) is refused with one line.
"""
from __future__ import annotations

import numpy as np

from . import collector, layers
from .config import ModelConfig, TrainConfig
from .errors import ModelFileError
from .formats import faster_rnnlm, rnnlm04
from .model import Model, TrainingState
from .network import Network
from .vocab import Vocabulary


def from_rnnlm04(old: rnnlm04.Rnnlm04Model) -> Model:
    h = old.header
    size_v, size_h = h["vocab"], h["hidden"]
    config = ModelConfig(hidden=size_h, classes=h["classes"], old_classes=bool(h["old_classes"]),
                         direct=h["direct"] / 1e6, direct_order=h["direct_order"],
                         bptt=max(h["bptt"] - 1, 0), bptt_block=max(h["bptt_block"], 1),
                         independent=bool(h["independent"]))
    train_config = TrainConfig(alpha=h["start_alpha"] or 0.1)
    vocab = Vocabulary(old.words, old.counts, old.classes, h["classes"])
    hidden = layers.hidden_spec(config.hidden_type).from_rnnlm04(old.syn0, size_v)
    network = Network(hidden=hidden,
                      output=layers.output_spec(config.output).from_rnnlm04(old.syn1, vocab),
                      d=np.ascontiguousarray(old.direct), h_init=old.hidden.copy(),
                      direct_order=h["direct_order"], independent=bool(h["independent"]),
                      fast_exp=True)
    state = TrainingState(epochs_done=h["iter"], alpha=h["alpha"], best_valid_logp=h["llogp"],
                          halving=bool(h["alpha_divide"]), finished=False,
                          train_file=h.get("train_file", ""), valid_file=h.get("valid_file", ""),
                          train_words=h["train_words"], train_logp=h["train_logp"])
    return Model(config, train_config, vocab, network, state)


def to_rnnlm04(model: Model) -> rnnlm04.Rnnlm04Model:
    net, config, state = model.network, model.config, model.state
    syn0 = net.hidden_spec.to_rnnlm04(net.hidden)
    syn1 = net.output_spec.to_rnnlm04(net.output)
    size_v, size_h = len(model.vocab), config.hidden
    size_c = syn1.shape[0] - size_v
    header = {
        "train_file": state.train_file, "valid_file": state.valid_file,
        "llogp": state.best_valid_logp, "iter": state.epochs_done, "train_position": 0,
        "train_logp": state.train_logp, "anti_k": 0, "train_words": state.train_words,
        "layer0": size_v + size_h, "hidden": size_h, "compression": 0,
        "layer2": size_v + size_c, "direct": net.d.shape[0], "direct_order": config.direct_order,
        "bptt": config.bptt + 1 if config.bptt > 0 else 0, "bptt_block": config.bptt_block,
        "vocab": size_v, "classes": size_c, "old_classes": int(config.old_classes),
        "independent": int(net.independent), "start_alpha": model.train_config.alpha,
        "alpha": state.alpha, "alpha_divide": int(state.halving)}
    return rnnlm04.Rnnlm04Model(
        header, list(model.vocab.words), model.vocab.counts, model.vocab.word_class,
        net.h_init, syn0, syn1, net.d)


def save_rnnlm04(model: Model, path: str, binary: bool) -> None:
    """Write ``model`` as an rnnlm 0.4b model file (text, or binary)."""
    rnnlm04.write(path, to_rnnlm04(model), binary)


def from_faster_rnnlm(path: str, old: faster_rnnlm.FasterRnnlmModel) -> Model:
    _check_faster_rnnlm(path, old)
    hidden_spec, output_spec = layers.faster_rnnlm_specs(old.layer_type, old.nce)
    size_v = len(old.words)
    kind = old.layer_type if old.layer_type in hidden_spec.names else hidden_spec.names[0]
    config = ModelConfig(hidden=old.hidden, hidden_type=kind,
                         layers=old.layer_count, output=output_spec.names[0], classes=1,
                         direct=(old.hash_size + 1) / 1e6 if old.hash_size else 0.0,
                         direct_order=max(old.maxent_order, 1), independent=True,
                         sentence_start="zero")
    vocab = Vocabulary(list(old.words), old.counts, np.zeros(size_v, np.int32), 1)
    arrays = {}
    for k, weights in enumerate(old.layers):
        inputs = old.embeddings if k == 0 else np.eye(old.hidden, dtype=np.float32)
        try:
            ours = hidden_spec.from_faster_rnnlm(old.layer_type, weights, inputs, k == 0)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        arrays.update({name if k == 0 else f"{name}_{k + 1}": np.array(
            array, dtype=np.float32, order="C") for name, array in ours.items()})
    stack_spec = layers.hidden_spec_for(config)
    d = old.maxent_into(config.direct_size)
    try:
        output = output_spec.from_faster_rnnlm(old, config)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    network = Network(hidden=stack_spec.from_arrays(path, config, vocab, arrays),
                      output=output, d=d,
                      h_init=np.zeros(stack_spec.state_size(config), np.float32),
                      direct_order=config.direct_order, independent=True,
                      sentence_start="zero")
    return Model(config, TrainConfig(), vocab, network, TrainingState(finished=True))


def _check_faster_rnnlm(path: str, old: faster_rnnlm.FasterRnnlmModel):
    """One line for what our layers cannot hold yet."""
    if old.reverse:      # (hidden types no layer holds are refused by the reader)
        raise ModelFileError(f"{path}: faster-rnnlm model not supported: it predicts "
                             "sentences reversed (-reverse-sentence 1)")


def load_model(path: str, exp: str = "auto") -> Model:
    """Our model file, an rnnlm 0.4b one or a faster-rnnlm one (detected); exp: auto,
    exact or rnnlm."""
    if faster_rnnlm.looks_like(path):
        model = from_faster_rnnlm(path, faster_rnnlm.read(path))
    elif rnnlm04.looks_like(path):
        model = from_rnnlm04(rnnlm04.read(path))
    else:
        model = Model.load(path)
    if exp != "auto":
        model.network = model.network.with_exp(exp == "rnnlm")
    collector.resume()
    return model
