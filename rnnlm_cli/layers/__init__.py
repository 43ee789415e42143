"""The layer registry: every hidden and output layer the toolkit knows, by name.

A layer is three things:

* a kernel module in kernels/ that defines the layer's namedtuple (its weights
  and constants) and its per-token kernels, and registers them with
  kernels.hidden.register (forward, update_direct, update_bptt) or
  kernels.output.register (word_log10_prob, train_word, distribution);
* a spec here (base.HiddenSpec or base.OutputSpec): names, weights, shapes,
  initialisation from rnnlm's draws, hot rows for Hogwild threads, scratch,
  load checks, batched and CUDA forms (or a one-line refusal), export to
  rnnlm 0.4b's format (or a refusal);
* tests: the registry-wide ones (tests/test_layers.py: gradient check,
  probabilities sum to one, NumPy twin, save/load) pick a new entry up by
  itself once tests/naive.py has its twin.

Recipe for a new layer (say a GRU hidden layer):

1. kernels/gru.py: ``Gru = namedtuple(...)``, ``GruScratch``, the three
   kernels of kernels.hidden's interface, ``hidden.register(Gru, ...)``;
2. rnnlm_cli/layers/gru.py: ``class GruSpec(HiddenSpec)`` with its names
   (``("gru",)``), weights, hot rows, draw_count/initialise, from_arrays,
   scratch; batch_states and minibatch only if it has batched kernels;
3. add ``GruSpec()`` to HIDDEN_SPECS below;
4. the NumPy twin in tests/naive.py and an entry in tests/test_layers.py's table.

Nothing else changes: -hidden-type gets the new choice from here, and
Network, Model, the trainers, the scorers, interop and the CUDA backend ask
the spec.  An output layer is the same with kernels.output and OUTPUT_SPECS.
"""
from __future__ import annotations

from .base import HiddenSpec, OutputSpec
from .class_softmax import ClassSoftmaxSpec
from .elman import ElmanSpec
from .hsoftmax import HierarchicalSoftmaxSpec

HIDDEN_SPECS = (ElmanSpec(),)
OUTPUT_SPECS = (ClassSoftmaxSpec(), HierarchicalSoftmaxSpec())

HIDDEN = {name: spec for spec in HIDDEN_SPECS for name in spec.names}
OUTPUT = {name: spec for spec in OUTPUT_SPECS for name in spec.names}
HIDDEN_NAMES = tuple(HIDDEN)
OUTPUT_NAMES = tuple(OUTPUT)
# rnnlm 0.4b's layers, the defaults of a new model and what its model files hold
DEFAULT_HIDDEN = HIDDEN_NAMES[0]
DEFAULT_OUTPUT = OUTPUT_NAMES[0]



def hidden_spec(name: str) -> HiddenSpec:
    return HIDDEN[name]


def output_spec(name: str) -> OutputSpec:
    return OUTPUT[name]


def spec_of(layer):
    """The spec of a layer namedtuple (hidden or output)."""
    for spec in (*HIDDEN_SPECS, *OUTPUT_SPECS):
        if type(layer) is spec.layer_type:
            return spec
    raise TypeError(f"not a registered layer: {type(layer).__name__}")


def shortcuts() -> dict[str, str]:
    """Flags that select an output layer by themselves (-hs): flag -> layer name."""
    return {spec.shortcut: spec.names[0] for spec in OUTPUT_SPECS if spec.shortcut}
