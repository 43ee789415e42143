"""An RNNME language model: configuration, vocabulary, weights and training record.

``Model.save``/``Model.load`` map it onto the container in formats/model_file.py;
the header carries the full configuration, training state and vocabulary so a
model file is self-describing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import __version__
from .config import (HIDDEN_TYPES, ModelConfig, TrainConfig, config_from_dict,
                     config_to_dict)
from .errors import ModelFileError
from .formats import model_file
from .network import WEIGHT_NAMES, Network
from .vocab import Vocabulary

MODEL_KIND = "rnnlm-rnnme"
MODEL_VERSION = 1


@dataclass
class TrainingState:
    """Where training stands: enough to report on it and to resume it."""

    epochs_done: int = 0
    alpha: float = 0.0
    best_valid_logp: float = -1e8
    halving: bool = False
    finished: bool = False
    train_file: str = ""
    valid_file: str = ""
    train_words: int = 0
    train_logp: float = 0.0       # log10 P of the last training pass (rnnlm's header keeps it)
    history: list = field(default_factory=list)


@dataclass
class Model:
    config: ModelConfig
    train_config: TrainConfig
    vocab: Vocabulary
    network: Network
    state: TrainingState

    @classmethod
    def create(cls, config: ModelConfig, train_config: TrainConfig, vocab: Vocabulary):
        network = Network.initialise(config, vocab, train_config.rand_seed)
        state = TrainingState(alpha=train_config.alpha)
        return cls(config, train_config, vocab, network, state)

    def save(self, path: str):
        meta = {
            "kind": MODEL_KIND,
            "version": MODEL_VERSION,
            "written_by": f"rnnlm {__version__}",
            "config": config_to_dict(self.config),
            "train_config": config_to_dict(self.train_config),
            "training": vars(self.state),
            "vocabulary": self.vocab.words,
            "classes": self.vocab.n_classes,
            "fast_exp": bool(self.network.fast_exp),
        }
        arrays = dict(self.network.weights())
        arrays["counts"] = self.vocab.counts
        arrays["word_class"] = self.vocab.word_class
        model_file.write(path, meta, arrays)

    @classmethod
    def load(cls, path: str) -> "Model":
        meta, arrays = model_file.read(path)
        if meta.get("kind") != MODEL_KIND:
            raise ModelFileError(f"{path}: not an RNNME model (kind {meta.get('kind')!r})")
        if meta.get("version", 0) > MODEL_VERSION:
            raise ModelFileError(f"{path}: written by a newer rnnlm (model version "
                                 f"{meta['version']}); please upgrade")
        missing = [n for n in (*WEIGHT_NAMES, "counts", "word_class") if n not in arrays]
        if missing:
            raise ModelFileError(f"{path}: corrupt model, arrays missing: {', '.join(missing)}")
        try:
            config = config_from_dict(ModelConfig, meta["config"])
            train_config = config_from_dict(TrainConfig, meta["train_config"])
            vocab = Vocabulary(list(meta["vocabulary"]), arrays["counts"], arrays["word_class"],
                               meta.get("classes"))
            state = TrainingState(**meta["training"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: corrupt model header ({exc})") from None
        weights = {name: arrays[name] for name in WEIGHT_NAMES}
        network = Network(**weights, word_class=vocab.word_class,
                          class_start=vocab.class_start, direct_order=config.direct_order,
                          independent=config.independent, fast_exp=bool(meta.get("fast_exp")),
                          kind=HIDDEN_TYPES.index(config.hidden_type))
        _check_shapes(path, network, len(vocab), config)
        return cls(config, train_config, vocab, network, state)


def _check_shapes(path: str, net: Network, size_v: int, config: ModelConfig):
    size_h, size_c = config.hidden, len(net.class_start) - 1
    expected = {"U": (size_v, size_h), "W": (size_h, size_h), "Oc": (size_c, size_h),
                "Ow": (size_v, size_h), "d": (config.direct_size,), "h_init": (size_h,)}
    for name, shape in expected.items():
        array = getattr(net, name)
        if array.shape != shape or array.dtype != np.float32:
            raise ModelFileError(f"{path}: corrupt model, array {name} has shape "
                                 f"{array.shape}, expected {shape}")
