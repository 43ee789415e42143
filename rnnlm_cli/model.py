"""An RNNME language model: configuration, vocabulary, weights and training record.

``Model.save``/``Model.load`` map it onto the container in formats/model_file.py;
the header carries the full configuration, training state and vocabulary so a
model file is self-describing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import layers
from .config import ModelConfig, TrainConfig, config_from_dict, config_to_dict
from .errors import ModelFileError
from .formats import model_file
from .layers.base import check_shapes, require
from .network import CORE_WEIGHTS, Network
from .version import __version__
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
    low_gains: int = 0            # epochs whose validation gain fell below -min-improvement
    finished: bool = False
    train_file: str = ""
    valid_file: str = ""
    held_out_every: int = 0       # without -valid: every k-th training sentence validates
    held_out_sentences: int = 0
    train_words: int = 0
    train_logp: float = 0.0       # log10 P of the last training pass (rnnlm's header keeps it)
    history: list = field(default_factory=list)


@dataclass
class Checkpoint:
    """A training pass stopped between words: where each stream through the text
    stood (token positions: one, or one per -threads range), the log10 P so far,
    the streams' states (Workspace.state) and the weights a rejected epoch goes
    back to (the snapshot of the schedule)."""

    positions: list
    words: int          # tokens of the pass trained so far (all streams)
    logp: float
    streams: list
    snapshot: dict
    average: Optional[dict] = None      # -average epoch: the partial mean (averaging.py)


CHECKPOINT_PREFIX = "checkpoint."
ITERATE_PREFIX = "iterate."


@dataclass
class Model:
    config: ModelConfig
    train_config: TrainConfig
    vocab: Vocabulary
    network: Network
    state: TrainingState
    checkpoint: Optional[Checkpoint] = None     # a mid-epoch checkpoint travels in the file
    iterate: Optional[dict] = None      # -average epoch: the weights training goes on from

    @classmethod
    def create(cls, config: ModelConfig, train_config: TrainConfig, vocab: Vocabulary,
               fast_exp: bool = False):
        """A new model at rnnlm's initial weights; ``fast_exp``: train and score with
        rnnlm 0.4b's approximate exponential (stored in the file)."""
        network = Network.initialise(config, vocab, train_config.rand_seed, fast_exp)
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
        net = self.network
        arrays = {**net.hidden_spec.stored_arrays(net.hidden),
                  **{name: getattr(net, name) for name in CORE_WEIGHTS},
                  **net.output_spec.stored_arrays(net.output)}
        arrays["counts"] = self.vocab.counts
        arrays["word_class"] = self.vocab.word_class
        if self.checkpoint is not None:
            meta["checkpoint"] = {"positions": [int(p) for p in self.checkpoint.positions],
                                  "words": int(self.checkpoint.words),
                                  "logp": self.checkpoint.logp}
            parts = {f"stream{i}": stream for i, stream in enumerate(self.checkpoint.streams)}
            parts["snapshot"] = self.checkpoint.snapshot
            average = self.checkpoint.average
            if average is not None:
                meta["checkpoint"]["average"] = {"count": average["count"],
                                                 "done": average["done"]}
                parts["average"] = average["sums"]
            for part, named in parts.items():
                arrays.update({f"{CHECKPOINT_PREFIX}{part}.{name}": array
                               for name, array in named.items()})
        if self.iterate is not None:
            arrays.update({f"{ITERATE_PREFIX}{name}": array for name, array in self.iterate.items()})
        model_file.write(path, meta, arrays)

    @classmethod
    def load(cls, path: str) -> "Model":
        meta, arrays = model_file.read(path)
        if meta.get("kind") != MODEL_KIND:
            raise ModelFileError(f"{path}: not an RNNME model (kind {meta.get('kind')!r})")
        if meta.get("version", 0) > MODEL_VERSION:
            raise ModelFileError(f"{path}: written by a newer rnnlm (model version "
                                 f"{meta['version']}); please upgrade")
        require(path, arrays, (*CORE_WEIGHTS, "counts", "word_class"))
        try:
            config = config_from_dict(ModelConfig, meta["config"])
            train_config = config_from_dict(TrainConfig, meta["train_config"])
            vocab = Vocabulary(list(meta["vocabulary"]), arrays["counts"], arrays["word_class"],
                               meta.get("classes"))
            state = TrainingState(**meta["training"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: corrupt model header ({exc})") from None
        hidden_spec = layers.hidden_spec_for(config)
        check_shapes(path, arrays, {"d": (config.direct_size,),
                                    "h_init": (hidden_spec.state_size(config),)})
        network = Network(
            hidden=hidden_spec.from_arrays(path, config, vocab, arrays),
            output=layers.output_spec(config.output).from_arrays(
                path, config, vocab, arrays, hidden_spec.readout_size(config)),
            **{name: arrays[name] for name in CORE_WEIGHTS}, direct_order=config.direct_order,
            independent=config.independent, fast_exp=bool(meta.get("fast_exp")),
            sentence_start=config.sentence_start)
        iterate = {name[len(ITERATE_PREFIX):]: np.array(array) for name, array in arrays.items()
                   if name.startswith(ITERATE_PREFIX)}
        weights = network.weights()
        for name, array in iterate.items():
            if name not in weights or weights[name].shape != array.shape:
                raise ModelFileError(f"{path}: corrupt model file ({ITERATE_PREFIX}{name} does "
                                     "not match the weights)")
        return cls(config, train_config, vocab, network, state, _checkpoint(path, meta, arrays),
                   iterate or None)


def _checkpoint(path: str, meta: dict, arrays: dict) -> Optional[Checkpoint]:
    """The mid-epoch checkpoint stored with the model, if any (files of model
    version 1 hold one stream as "position" and "stream")."""
    if "checkpoint" not in meta:
        return None
    parts = {}
    for name, array in arrays.items():
        if name.startswith(CHECKPOINT_PREFIX):
            part, _, field_name = name[len(CHECKPOINT_PREFIX):].partition(".")
            parts.setdefault("stream0" if part == "stream" else part, {})[field_name] = \
                np.array(array)
    try:
        header = meta["checkpoint"]
        positions = [int(p) for p in header.get("positions", [header.get("position")])]
        streams = [parts[f"stream{i}"] for i in range(len(positions))]
        average = header.get("average")
        if average is not None:
            average = {"sums": parts["average"], "count": int(average["count"]),
                       "done": int(average["done"])}
        return Checkpoint(positions, int(header.get("words", positions[0])),
                          float(header["logp"]), streams, parts["snapshot"], average)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: corrupt checkpoint header ({exc})") from None
