"""Converting between our models and rnnlm 0.4b model files.

Imported models score with rnnlm's approximate exponential by default (its
numbers are reproduced); ours keep the exact one.  rnnlm 0.4b's files hold the
default layers of a ModelConfig (rnnlm's own); export asks each layer's spec
for its part of the old format, and a layer the format cannot hold is refused
with one line.
"""
from __future__ import annotations

import numpy as np

from . import layers
from .config import ModelConfig, TrainConfig
from .formats import rnnlm04
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


def load_model(path: str, exp: str = "auto") -> Model:
    """Our model file or an rnnlm 0.4b one (detected); exp: auto, exact or rnnlm."""
    if rnnlm04.looks_like(path):
        model = from_rnnlm04(rnnlm04.read(path))
    else:
        model = Model.load(path)
    if exp != "auto":
        model.network = model.network.with_exp(exp == "rnnlm")
    return model
