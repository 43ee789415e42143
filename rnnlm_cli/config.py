"""Model and training configuration: every default and range check lives here.

Field metadata drives the command line (rnnlm_cli.options): ``flag`` is the
option name (``-flag`` and ``--flag``), ``help`` and ``unit`` its help text.
Defaults are rnnlm 0.4b's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Optional

from . import layers
from .errors import ConfigError

MAX_DIRECT_ORDER = 20
HIDDEN_TYPES = layers.HIDDEN_NAMES
OUTPUT_LAYERS = layers.OUTPUT_NAMES
DEFAULT_LAMBDA = 0.75       # rnnlm's weight of the RNN in a linear interpolation
SENTENCE_STARTS = ("rnnlm", "zero")
AVERAGE_MODES = ("off", "epoch")
NCE_OUTPUT = layers.nce_output_name()
NCE_BPTT = 4        # what -nce implies without -bptt (see with_nce_defaults)
# what --output hs (-hs) implies for each option not typed (see with_hs_defaults)
HS_MODEL_DEFAULTS = {"bptt": 4, "bptt_block": 10}
HS_TRAIN_DEFAULTS = {"average": "epoch"}


def option(default, help, flag=None, unit="", choices=None, aliases=()):
    return field(default=default, metadata={"help": help, "flag": flag, "unit": unit,
                                            "choices": choices, "aliases": aliases})


def option_names(spec) -> tuple[str, ...]:
    """The command-line names of a config field, without dashes: its flag, then aliases."""
    flag = spec.metadata.get("flag") or spec.name.replace("_", "-")
    return (flag, *spec.metadata.get("aliases", ()))


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of an RNNME model (stored in the model file)."""

    hidden: int = option(30, "hidden layer size", unit="units")
    output: str = option(layers.DEFAULT_OUTPUT, "output layer: " + " or ".join(
        spec.help for spec in layers.OUTPUT_SPECS) + "".join(
        f"; -{flag} is short for --output {name}" for flag, name in layers.shortcuts().items())
        + "; hs implies " + " ".join(
            f"-{name.replace('_', '-')} {value}"
            for name, value in {**HS_MODEL_DEFAULTS, **HS_TRAIN_DEFAULTS}.items())
        + " for those not given", choices=OUTPUT_LAYERS)
    classes: int = option(100, "number of output classes of the class softmax (capped at the "
                          "classes the frequency binning fills)", flag="class")
    old_classes: bool = option(False, "assign classes by linear frequency share "
                               "(rnnlm's old rule) instead of the square-root rule")
    direct: float = option(0.0, "size of the hashed maxent (direct n-gram) weight array; "
                           "0 disables it", unit="millions of weights")
    direct_order: int = option(3, "n-gram order of the maxent features, counting the "
                               "bias as order 1", unit=f"1..{MAX_DIRECT_ORDER}")
    bptt: int = option(0, "steps of backpropagation through time (0 = plain backprop)",
                       unit="steps")
    bptt_block: int = option(10, "apply BPTT updates every this many words", unit="words")
    independent: bool = option(False, "reset the hidden state and histories at every "
                               "sentence end (train and test must agree)")
    hidden_type: str = option(layers.DEFAULT_HIDDEN, "hidden unit type: " + "; ".join(
        spec.help for spec in layers.HIDDEN_SPECS), choices=HIDDEN_TYPES)
    diagonal_initialization: float = option(0.0, "start the recurrent matrix at this value "
                                            "times the identity (0: rnnlm's random start)")
    layers: int = option(1, "hidden layers of -hidden-type stacked, each above the first "
                         "reading the one below (faster-rnnlm's --hidden-count)", unit="layers",
                         aliases=("hidden-count",))
    scrn_context: int = option(0, "units of the slowly changing context layer of "
                               "-hidden-type scrn (0: 40)", unit="units")
    nce: int = option(0, "noise samples per word: train the full softmax output "
                      "(--output softmax, which -nce selects) by noise-contrastive "
                      "estimation, faster-rnnlm's -nce; 0 trains it with the exact gradient; "
                      f"implies -bptt {NCE_BPTT} unless -bptt is given",
                      unit="samples")
    nce_lnz: float = option(9.0, "the fixed ln Z of -nce: training makes exp(z - lnZ) "
                            "self-normalised (faster-rnnlm's -nce-lnz)")
    nce_unigram_power: float = option(1.0, "-nce draws noise words with probability "
                                      "proportional to count^p (smoothed so that every word "
                                      "keeps a share, as faster-rnnlm's unigram table)")
    sentence_start: str = option(SENTENCE_STARTS[0], "how an -independent sentence starts: "
                                 "rnnlm (hidden state all 1.0, the maxent history all </s>) or "
                                 "zero (faster-rnnlm's: hidden state 0, maxent n-grams stop at "
                                 "the sentence start)", choices=SENTENCE_STARTS)

    def __post_init__(self):
        _check(self.hidden >= 1, "-hidden must be at least 1")
        _check(self.output in OUTPUT_LAYERS, f"--output must be one of {', '.join(OUTPUT_LAYERS)}")
        _check(self.classes >= 1, "-class must be at least 1")
        _check(self.direct >= 0, "-direct must not be negative")
        _check(1 <= self.direct_order <= MAX_DIRECT_ORDER,
               f"-direct-order must be between 1 and {MAX_DIRECT_ORDER}")
        _check(self.bptt >= 0, "-bptt must not be negative")
        _check(self.bptt_block >= 1, "-bptt-block must be at least 1")
        _check(self.hidden_type in HIDDEN_TYPES,
               f"-hidden-type must be one of {', '.join(HIDDEN_TYPES)}")
        _check(self.diagonal_initialization >= 0, "-diagonal-initialization must not be negative")
        _check(self.layers >= 1, "-layers must be at least 1")
        _check(self.scrn_context >= 0, "-scrn-context must not be negative")
        _check(self.scrn_context == 0 or self.hidden_type == "scrn",
               "-scrn-context goes with -hidden-type scrn")
        _check(self.nce >= 0, "-nce must not be negative")
        _check(self.nce_unigram_power >= 0, "-nce-unigram-power must not be negative")
        if self.nce > 0:
            _check(self.output in (layers.DEFAULT_OUTPUT, NCE_OUTPUT),
                   f"-nce trains the {NCE_OUTPUT} output; it does not go with --output "
                   f"{self.output}")
            object.__setattr__(self, "output", NCE_OUTPUT)
        _check(self.sentence_start in SENTENCE_STARTS,
               f"-sentence-start must be one of {', '.join(SENTENCE_STARTS)}")

    @property
    def direct_size(self) -> int:
        """Number of maxent weights (even, so both halves have the same size)."""
        return int(round(self.direct * 1_000_000)) // 2 * 2

    @property
    def bptt_steps(self) -> int:
        """Time steps unfolded at each block update (rnnlm: bptt + block - 1)."""
        return self.bptt + self.bptt_block - 1 if self.bptt > 0 else 0


@dataclass(frozen=True)
class TrainConfig:
    """How to train (stored in the model file for the record and for resuming)."""

    alpha: float = option(0.1, "starting learning rate")
    beta: float = option(1e-7, "L2 regularisation")
    min_improvement: float = option(
        1.003, "relative validation log-likelihood gain below which the learning rate "
        "starts halving (and, the second time, training stops); 0 never halves", unit="factor")
    retry: int = option(2, "stop once the validation gain has fallen below "
                        "-min-improvement this many times, the first of which starts the "
                        "rate halving (2 = rnnlm's rule; faster-rnnlm's --retry)",
                        unit="times")
    max_iter: int = option(0, "stop after this many epochs (0 = no limit)", unit="epochs")
    one_iter: bool = option(False, "train exactly one epoch with no validation")
    valid_fraction: float = option(
        0.0, "without -valid: hold out every k-th training sentence (k = 1/this, at most "
        "10,000 sentences) as validation text; 0 = 0.02 unless -max-iter or -one-iter is "
        "given, then none", unit="fraction")
    gradient_cutoff: float = option(15.0, "clip back-propagated error values to "
                                    "+-this (0 = no clipping)")
    clip_norm: float = option(0.0, "also scale every back-propagated hidden error vector "
                              "down to at most this L2 norm (0 = no clipping)")
    dropout: float = option(0.0, "in training, drop this fraction of the hidden units the "
                            "output layer reads, a fresh mask per word, the kept ones scaled "
                            "by 1/(1-P) so that scoring is unchanged (0 = none)",
                            unit="fraction")
    rand_seed: int = option(1, "seed of the weight initialisation")
    threads: int = option(1, "training threads: each trains its own part of the text on the "
                          "shared weights without locks (Hogwild); above 1 results are not "
                          "bit-reproducible", unit="threads")
    checkpoint_every: int = option(0, "also write a resumable checkpoint into the model file "
                                   "every this many training words (0: only at the end of "
                                   "each epoch); rnnlm's -anti-kasparek is the same option",
                                   unit="words", aliases=("anti-kasparek",))
    average: str = option("off", "epoch: each epoch ends with the mean of the weights "
                          "sampled 50 times along it (averaged SGD): that is "
                          "validated, saved and scored, while training goes on from the last "
                          "weights; -hs implies it", choices=AVERAGE_MODES)
    batch: int = option(1, "mini-batch training: this many streams of the text advance "
                        "together and the recurrent weights get one update per block of "
                        "-bptt-block tokens of all streams (matrix-matrix work, for GPUs with "
                        "--device cuda and for large hidden layers on CPU); a different "
                        "algorithm from rnnlm's per-word SGD, see rnnlm-train(1); 1 = per-word "
                        "SGD", unit="streams")

    def __post_init__(self):
        _check(self.alpha > 0, "-alpha must be positive")
        _check(self.beta >= 0, "-beta must not be negative")
        _check(self.min_improvement >= 0, "-min-improvement must not be negative")
        _check(self.max_iter >= 0, "-max-iter must not be negative")
        _check(self.retry >= 1, "-retry must be at least 1")
        _check(0 <= self.valid_fraction <= 0.5, "-valid-fraction must be between 0 and 0.5")
        _check(self.gradient_cutoff >= 0, "-gradient-cutoff must not be negative")
        _check(self.clip_norm >= 0, "-clip-norm must not be negative")
        _check(0 <= self.dropout < 1, "-dropout must be at least 0 and below 1")
        _check(self.threads >= 1, "-threads must be at least 1")
        _check(self.batch >= 1, "-batch must be at least 1")
        _check(self.checkpoint_every >= 0, "-checkpoint-every must not be negative")
        _check(self.rand_seed >= 0, "-rand-seed must not be negative")


@dataclass(frozen=True)
class EvalConfig:
    """How a text is scored (rnnlm eval's options; defaults written once, here)."""

    independent: Optional[bool] = None    # None: as the model was trained
    dynamic: float = 0.0                  # learning rate of dynamic evaluation, 0 = off
    lam: float = DEFAULT_LAMBDA           # weight of the RNN against the other LM
    single_sums: bool = False             # rnnlm 0.4b's float32 totals (drop-in mode)
    device: str = "cpu"


@dataclass
class RescoreOptions:
    """How N-best lists are rescored (nbest-rescore's options; rnnlm_cli.nbest)."""

    carry_over: bool = False
    oov_penalty: float = -5.0            # log10 score of a word unknown to both models
    lam: float = DEFAULT_LAMBDA
    ngram: Optional[object] = None       # ngram.model.BackoffModel
    other_probs: Optional[object] = None  # rnnlm's -lm-prob: one probability per token
    batch_hypotheses: int = 256
    threads: int = 1
    device: str = "cpu"                  # cuda: batches scored on the GPU (independent mode)


@dataclass(frozen=True)
class SampleConfig:
    """How text is sampled (rnnlm sample's options)."""

    count: int = 10                      # sentences
    seed: int = 1
    temperature: float = 1.0
    prefix: str = ""
    max_length: int = 200                # words; a longer sentence is cut
    independent: Optional[bool] = None   # None: as the model was trained


def check_training_options(model_config: ModelConfig, train_config: TrainConfig,
                           valid_path: Optional[str], device: str, fast_exp: bool):
    """The checks of a training run that need no file (the configs check themselves):
    they run before any input is read or the kernels are loaded."""
    if device == "cuda" and fast_exp:
        raise ConfigError("-exp rnnlm is CPU-only; --device cuda trains with the exact "
                          "exponential")
    if valid_path and train_config.valid_fraction:
        raise ConfigError("give -valid FILE or -valid-fraction F, not both")
    hidden = layers.hidden_spec_for(model_config)
    minibatch = train_config.batch > 1 or device == "cuda"
    if device == "cuda" and train_config.threads > 1:
        raise ConfigError("--device cuda trains on one thread; -threads is for the CPU")
    if device == "cuda" and (train_config.dropout or train_config.clip_norm):
        raise ConfigError("-dropout and -clip-norm: the GPU trainer has neither; they train "
                          "on the CPU (per word, or -batch B)")
    if minibatch and model_config.sentence_start != SENTENCE_STARTS[0]:
        raise ConfigError("-sentence-start zero belongs to the per-word trainer; the "
                          "mini-batch trainer (-batch, --device cuda) starts sentences as rnnlm")
    if device == "cuda" and not hidden.cuda:
        hidden.not_supported("--device cuda")
    output = layers.output_spec(model_config.output)
    if device == "cuda" and not output.cuda:
        output.not_supported("--device cuda")


def with_nce_defaults(config: ModelConfig, bptt_given: bool) -> ModelConfig:
    """-nce without -bptt trains with -bptt 4 (at the default -bptt-block 10).

    NCE's gradient reaches the hidden layer through K+1 output rows instead of the
    whole vocabulary, and unfolding a few steps back recovers what plain backprop
    loses: PTB, -hidden 100 -nce 20, test perplexity 144.35 with it, 152.10 without,
    in less time (fewer epochs).  An explicit -bptt, 0 included, is kept."""
    if config.nce > 0 and not bptt_given:
        return replace(config, bptt=NCE_BPTT)
    return config


def with_implied_defaults(model_config: ModelConfig, train_config: TrainConfig,
                          typed: frozenset) -> tuple[ModelConfig, TrainConfig]:
    """The configs with what -nce and -hs imply for the options not ``typed`` (the
    config field names the caller set): the command's and the Python API's."""
    model_config = with_nce_defaults(model_config, bptt_given="bptt" in typed)
    return with_hs_defaults(model_config, train_config, typed)


def with_hs_defaults(model_config: ModelConfig, train_config: TrainConfig,
                     typed: frozenset) -> tuple[ModelConfig, TrainConfig]:
    """--output hs (-hs) trains with its own defaults for the options not ``typed``
    (HS_MODEL_DEFAULTS, HS_TRAIN_DEFAULTS); the class softmax keeps rnnlm's.

    Under rnnlm's schedule alone (no BPTT, rate 0.1, halving below a 0.3% gain) the tree
    stops early (PTB hidden 100: test PPL 185.8; with BPTT 172.6; with a rate of 0.05
    and halving below 0.1%, 165.58 after 20 epochs).  With BPTT and each epoch's mean
    weights (-average epoch, averaging.py) the same schedule reaches about 168 in 10
    epochs (README, *Train*)."""
    if model_config.output != "hs":
        return model_config, train_config
    return (replace(model_config, **{name: value for name, value in HS_MODEL_DEFAULTS.items()
                                     if name not in typed}),
            replace(train_config, **{name: value for name, value in HS_TRAIN_DEFAULTS.items()
                                     if name not in typed}))


def _check(condition: bool, message: str):
    if not condition:
        raise ConfigError(message)


def config_from_dict(cls, values: dict):
    """Rebuild a config from a stored dict, ignoring keys this version does not know."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in known})


def config_to_dict(config) -> dict:
    return asdict(config)
