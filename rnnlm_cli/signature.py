"""Perplexity signatures: what a reported number depends on, in one short line.

Like sacrebleu's signatures: two perplexities of the same text are comparable
when their signatures agree.  A signature lists ``key:value`` fields joined by
``|`` -- a digest of each model's content, the options that change the number,
and the tool version, e.g.::

    model:3f2a9c1b0d|exp:exact|indep:no|dyn:0|version:0.1.0

Digests are of the content, not of the file: an RNN model and its conversion to
rnnlm 0.4b's format share one; an ARPA file and its .gz share one.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from .version import __version__

DIGEST_CHARS = 10


def digest_bytes(data) -> str:
    """The short digest of a byte string (or any buffer)."""
    return hashlib.sha256(data).hexdigest()[:DIGEST_CHARS]


# Model options added after version 0.1.0, with their defaults: they enter the digest
# only when set, so that a model's signature stays the same across versions.
LATER_OPTIONS = {"scrn_context": 0, "layers": 1, "sentence_start": "rnnlm", "nce": 0,
                 "nce_lnz": 9.0, "nce_unigram_power": 1.0}


def rnn_model_digest(model) -> str:
    """Digest of everything in an RNN model that scoring reads: weights, vocabulary,
    word classes and counts (the Huffman tree comes from the counts), architecture."""
    from .config import config_to_dict

    config = {name: value for name, value in config_to_dict(model.config).items()
              if not (name in LATER_OPTIONS and value == LATER_OPTIONS[name])}
    hasher = hashlib.sha256()
    hasher.update(json.dumps({"config": config,
                              "vocabulary": list(model.vocab.words)},
                             ensure_ascii=False, sort_keys=True).encode("utf-8"))
    arrays = dict(model.network.weights(), counts=model.vocab.counts,
                  word_class=model.vocab.word_class)
    for name in sorted(arrays):
        data = np.ascontiguousarray(arrays[name])
        hasher.update(f"{name}:{data.dtype.str}:{data.shape}".encode())
        hasher.update(memoryview(data).cast("B"))
    return hasher.hexdigest()[:DIGEST_CHARS]


def rnn_fields(model, independent: bool, dynamic: float = 0.0) -> list[tuple[str, str]]:
    """Fields of an RNN perplexity: the model and how it was run over the text; a model
    validated on sentences held out of its training text says how many (heldout)."""
    held_out = model.state.held_out_sentences
    return [("model", rnn_model_digest(model)),
            ("exp", "rnnlm" if model.network.fast_exp else "exact"),
            ("indep", _yes_no(independent)),
            ("dyn", f"{dynamic:g}"),
            *([("heldout", str(held_out))] if held_out else []),
            *([("norm", "no")] if model.network.unnormalised else [])]


def ngram_fields(model, unk: bool) -> list[tuple[str, str]]:
    """Fields of an n-gram perplexity (the model as read: cut to the order used)."""
    return [("lm", model.digest), ("order", str(model.order)), ("unk", _yes_no(unk))]


def signature(*groups: list[tuple[str, str]]) -> str:
    """The signature line: the given fields in order, then the tool version."""
    fields = [field for group in groups for field in group] + [("version", __version__)]
    return "|".join(f"{key}:{value}" for key, value in fields)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
