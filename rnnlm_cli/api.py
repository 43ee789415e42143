"""The Python API: what the ``rnnlm`` command does, as calls (KenLM / TheanoLM style).

    import rnnlm_cli
    model = rnnlm_cli.train(train="train.txt", valid="valid.txt", hidden=100, direct=2)
    model.perplexity("test.txt").ppl          # the number ``rnnlm eval`` prints
    model.score(["the cat sat", ["a", "dog"]])  # log10 P of each word and </s>
    model.rescore([["the cat sat", "the cat sad"]])
    model.rescore_lattice("lattices.slf")[0].hypotheses[0].words
    model.sample(3, seed=7)
    rnnlm_cli.load("model.rnn")               # ours, or rnnlm 0.4b text / binary files

Every call runs the same library code as the command line, so the numbers are
the same (tests/test_api.py checks it).  Log probabilities are base 10, as rnnlm
prints them; a word outside the vocabulary scores NaN (it is skipped in the
perplexity, as rnnlm does).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import fields
from typing import Callable, Iterable, Optional, Union

import numpy as np

from . import model as stored
from .config import (EvalConfig, ModelConfig, RescoreOptions, SampleConfig, TrainConfig,
                     option_names, with_implied_defaults)
from .corpus import read_text
from .errors import ConfigError
from .evaluation import ArpaProbabilities, Evaluation, FileProbabilities, evaluate
from .formats.nbest import Hypothesis, NbestList
from .interop import load_model
from .nbest import Rescorer
from .sample import sample_lines
from .score import PerplexityReport
from .trainer import TrainingEvents, train_file

Sentences = Iterable[Union[str, list]]

__all__ = ["load", "train", "Model", "PerplexityReport", "RescoreOptions"]


class Model(stored.Model):
    """A trained model (rnnlm_cli.model.Model) with the library's scoring calls."""

    @classmethod
    def of(cls, model: stored.Model) -> "Model":
        return cls(**{spec.name: getattr(model, spec.name) for spec in fields(model)})

    def perplexity(self, text: Union[str, Sentences], *,
                   independent: Optional[bool] = EvalConfig.independent,
                   dynamic: float = EvalConfig.dynamic, lm: Optional[str] = None,
                   lm_prob: Optional[str] = None, lam: float = EvalConfig.lam, order: int = 0,
                   unk: bool = False) -> Evaluation:
        """``rnnlm eval`` of a text file (a path) or of sentences: the Evaluation whose
        ``as_dict()`` is eval's JSON and ``ppl`` its final perplexity.

        ``lm`` (an ARPA file) or ``lm_prob`` (rnnlm's probability file) is
        interpolated with weight ``lam`` for the RNN; ``dynamic`` > 0 keeps
        training this model in memory on the text (rnnlm's -dynamic).
        """
        if lm and lm_prob:
            raise ConfigError("give one of lm or lm_prob")
        config = EvalConfig(independent=independent, dynamic=dynamic, lam=lam)
        with _text_file(text) as path:
            other = None
            if lm:
                from .ngram.arpa import read_arpa
                other = ArpaProbabilities(read_arpa(lm, order, unk), path, order, unk)
            elif lm_prob:
                other = FileProbabilities(lm_prob)
            corpus = read_text(path, self.vocab)
            if not isinstance(text, str):
                corpus.path = "<sentences>"
            return evaluate(self, corpus, config, other)

    def score(self, sentences: Sentences, independent: Optional[bool] = None) -> list:
        """log10 P of every token of each sentence (its words, then </s>), as
        ``rnnlm eval -debug 2`` scores the same lines; NaN for unknown words."""
        sentences = list(sentences)
        if not sentences:
            return []
        result = self.perplexity(sentences, independent=independent)
        ends = np.flatnonzero(result.tokens == 0) + 1
        return np.split(result.scores, ends)[:len(sentences)]

    def rescore(self, nbest_lists: Iterable, *, lm: Optional[str] = None,
                lam: float = RescoreOptions.lam,
                oov_penalty: float = RescoreOptions.oov_penalty,
                carry_over: bool = RescoreOptions.carry_over,
                threads: int = RescoreOptions.threads) -> list:
        """``rnnlm nbest-rescore``'s scores: for each list (NbestList objects, or lists of
        hypotheses as strings or token lists), the log10 score of each hypothesis.
        ``threads`` > 1 scores in that many forked worker processes (threads where the
        platform has no fork)."""
        ngram = None
        if lm:
            from .ngram.arpa import read_arpa
            ngram = read_arpa(lm)
        options = RescoreOptions(carry_over=carry_over, oov_penalty=oov_penalty, lam=lam,
                                 ngram=ngram, threads=threads)
        lists = (_nbest_list(i, hyps) for i, hyps in enumerate(nbest_lists))
        return [scores for _, scores in Rescorer(self, options).rescore(lists)]

    def rescore_lattice(self, lattices, *, words: Optional[str] = None, fmt: str = "auto",
                        lm: Optional[str] = None, lam: float = RescoreOptions.lam,
                        oov_penalty: float = RescoreOptions.oov_penalty, expand: bool = False,
                        **options) -> list:
        """``rnnlm lattice-rescore``: a Rescored result (best-first hypotheses, and the
        expanded lattice when ``expand``) for each lattice of a file (a path; Kaldi
        lattices need ``words``, a words.txt) or of rnnlm_cli.lattice.Lattice objects.
        Other options are LatticeOptions': ac_scale, lm_scale, word_penalty,
        old_lm_weight, recombination_order, beam, max_tokens, nbest_size."""
        from .formats import lattices as lattice_formats
        from .formats.lattice_kaldi import read_symbols
        from .lattice import Lattice
        from .lattice_search import LatticeOptions, rescore_lattices
        if isinstance(lattices, str):
            symbols = read_symbols(words) if words else None
            lattices = lattice_formats.read([lattices], fmt, symbols)
        elif isinstance(lattices, Lattice):
            lattices = [lattices]
        ngram = None
        if lm:
            from .ngram.arpa import read_arpa
            ngram = read_arpa(lm)
        settings = LatticeOptions(rescore=RescoreOptions(oov_penalty=oov_penalty, lam=lam,
                                                         ngram=ngram), **options)
        return list(rescore_lattices(self, lattices, settings, expand))

    def sample(self, n: int = SampleConfig.count, **options) -> list:
        """``rnnlm sample``: ``n`` sentences as strings (the first continues ``prefix``);
        options as SampleConfig's: seed, temperature, prefix, max_length, independent."""
        return list(sample_lines(self, SampleConfig(count=n, **options)))


def load(path: str, exp: str = "auto") -> Model:
    """A model file: ours, rnnlm 0.4b's text or binary format, or faster-rnnlm's (NAME
    with NAME.nnet beside it), detected.

    ``exp``: auto (the model's own exponential), exact, or rnnlm (rnnlm 0.4b's
    approximation, which reproduces its numbers).
    """
    return Model.of(load_model(path, exp))


def train(train: str, valid: Optional[str] = None, model: Optional[str] = None, *,
          exp: str = "exact", device: str = "cpu",
          on_epoch: Optional[Callable] = None, **options) -> Model:
    """``rnnlm train`` as a call: returns the trained Model.

    Options take the command line's names, ``-`` written ``_`` (hidden=100,
    bptt_block=10, direct_order=3, hs=True, rand_seed=7; ``class`` also as
    ``classes``).  ``model`` is the file to write (and to resume, as the command
    does); without it the model is trained in a temporary file and only
    returned.  ``on_epoch`` receives each epoch's report (training.EpochReport).
    Without ``valid`` part of the training text validates, as the command holds it
    out (valid_fraction=F sets how much; max_iter=N instead fixes the epochs).  What
    -nce and -hs imply for the options not given applies here as well.
    """
    model_config, train_config, given = _configs(options)
    events = TrainingEvents(epoch_done=on_epoch or (lambda report: None))
    with contextlib.ExitStack() as stack:
        if model is None:
            model = os.path.join(stack.enter_context(tempfile.TemporaryDirectory()), "model")
        trained = train_file(model, train, valid, model_config, train_config,
                             fast_exp=exp == "rnnlm", device=device, events=events,
                             given=given)
    return Model.of(trained)


def _configs(options: dict) -> tuple[ModelConfig, TrainConfig, frozenset]:
    """The config dataclasses from command-line option names (unknown names refused),
    and the ModelConfig fields the options set."""
    from . import layers
    values = {ModelConfig: {}, TrainConfig: {}}
    names = {}
    for config_class in values:
        for spec in fields(config_class):
            for name in (spec.name, *option_names(spec)):
                names[name.replace("-", "_")] = (config_class, spec.name)
    shortcuts = layers.shortcuts()
    for name, value in options.items():
        if name in shortcuts:
            if value:
                values[ModelConfig]["output"] = shortcuts[name]
            continue
        if name not in names:
            raise ConfigError(f"unknown training option {name!r}")
        config_class, field_name = names[name]
        values[config_class][field_name] = value
    model_config, train_config = with_implied_defaults(
        ModelConfig(**values[ModelConfig]), TrainConfig(**values[TrainConfig]),
        frozenset(values[ModelConfig]) | frozenset(values[TrainConfig]))
    return model_config, train_config, frozenset(values[ModelConfig])


@contextlib.contextmanager
def _text_file(text: Union[str, Sentences]):
    """A path to the text: the path itself, or a temporary file of the sentences."""
    if isinstance(text, str):
        yield text
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as handle:
        handle.writelines(_line(sentence) + "\n" for sentence in text)
        handle.flush()
        yield handle.name


def _line(sentence: Union[str, list]) -> str:
    return sentence if isinstance(sentence, str) else " ".join(sentence)


def _nbest_list(index: int, hyps) -> NbestList:
    if isinstance(hyps, NbestList):
        return hyps
    return NbestList(str(index), [Hypothesis(f"{index}-{k + 1}", _line(h).split())
                                  for k, h in enumerate(hyps)])
