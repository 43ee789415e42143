"""The layer registry: every hidden and output layer the toolkit knows, by name.

A layer is three things:

* a kernel module in kernels/ that defines the layer's namedtuple (its weights
  and constants) and its per-token kernels, and adds them to
  kernels.hidden.KERNELS (forward, update_direct, update_bptt) or
  kernels.output.KERNELS (word_log10_prob, train_word, distribution);
* a spec here (base.HiddenSpec or base.OutputSpec): names, weights, shapes,
  initialisation from rnnlm's draws, hot rows for Hogwild threads, scratch,
  load checks, batched and CUDA forms (or a one-line refusal), export to
  rnnlm 0.4b's format (or a refusal);
* tests: the registry-wide ones (tests/test_layers.py: a whole SGD step
  against finite differences, probabilities sum to one, NumPy twin, save/load)
  run every hidden x output pair, and fail until the new layer's NumPy twin
  is in their table.

Recipe for a new layer (kernels/gru.py and layers/gru.py are a worked example):

1. kernels/mylayer.py: ``MyLayer = namedtuple(...)``, ``MyScratch`` (with xin,
   err, e_prev and grad_U), and its arithmetic as a cell (kernels/cell.py): step
   and back-propagation on a given input contribution, clear and apply of its
   gradient sums, registered with ``cell.CELLS.register(MyLayer,
   cell.CELLS.with_input_matrix(step, back, clear, apply), readout=...)``, which also
   gives it kernels.hidden's word-level kernels and makes it stackable
   (-layers, kernels/stack.py); a layer whose input rows are not one ``U``
   matrix writes its own add_input/input_dot/apply_input (kernels/scrn.py);
2. rnnlm_cli/layers/mylayer.py: ``class MySpec(HiddenSpec)`` with its names
   (``("mylayer",)``), help, weights, hot rows, draw_count/initialise, from_arrays,
   scratch; state_size when the state is not -hidden long (SCRN's hidden +
   context units), readout_size and a readout kernel when the output layer
   reads only part of it (LSTM's h, not its cells); ``inputs`` when its input
   rows are not in ``U``; batch_forward and batch_backward (one step of many
   rows from given input contributions, and its backpropagation, in NumPy: they
   give it batched scoring for nbest-rescore and -batch training), and cuda only
   if kernels/cuda has its kernels (otherwise --device cuda refuses it in one line);
3. add ``MySpec()`` to HIDDEN_SPECS below;
4. the NumPy twin in tests/naive.py and an entry in tests/test_layers.py's table.

Nothing else changes: -hidden-type gets the new choice from here, and
Network, Model, the trainers, the scorers, interop and the CUDA backend ask
the spec.  An output layer is the same with kernels.output and OUTPUT_SPECS
(a flag of its own, like -hs, is its spec's ``shortcut``).  A layer with
options of its own (a size, a constant) adds them as ModelConfig fields in
config.py, where every option and default lives.
"""
from __future__ import annotations

from .base import HiddenSpec, OutputSpec
from .class_softmax import ClassSoftmaxSpec
from .elman import ElmanSpec
from .gru import GruSpec
from .hsoftmax import FasterHierarchicalSoftmaxSpec, HierarchicalSoftmaxSpec
from .lstm import LstmSpec
from .scrn import ScrnSpec
from .softmax import SoftmaxSpec
from .stack import StackSpec

HIDDEN_SPECS = (ElmanSpec(), GruSpec(), LstmSpec(), ScrnSpec())
OUTPUT_SPECS = (ClassSoftmaxSpec(), HierarchicalSoftmaxSpec(), FasterHierarchicalSoftmaxSpec(),
                SoftmaxSpec())

HIDDEN = {name: spec for spec in HIDDEN_SPECS for name in spec.names}
OUTPUT = {name: spec for spec in OUTPUT_SPECS for name in spec.names}
HIDDEN_NAMES = tuple(HIDDEN)
OUTPUT_NAMES = tuple(OUTPUT)
# rnnlm 0.4b's layers, the defaults of a new model and what its model files hold
DEFAULT_HIDDEN = HIDDEN_NAMES[0]
DEFAULT_OUTPUT = OUTPUT_NAMES[0]


def hidden_spec(name: str) -> HiddenSpec:
    return HIDDEN[name]


def hidden_spec_for(config) -> HiddenSpec:
    """The hidden spec of a model configuration: its -hidden-type, stacked when -layers
    asks for more than one."""
    spec = hidden_spec(config.hidden_type)
    return StackSpec(spec, config.layers) if config.layers > 1 else spec


def output_spec(name: str) -> OutputSpec:
    return OUTPUT[name]


def spec_of(layer):
    """The spec of a layer namedtuple (hidden or output)."""
    if type(layer).__name__ == "Stack":
        return StackSpec(spec_of(layer.layers[0]), len(layer.layers))
    for spec in (*HIDDEN_SPECS, *OUTPUT_SPECS):
        if type(layer) is spec.layer_type:
            return spec
    raise TypeError(f"not a registered layer: {type(layer).__name__}")


def faster_rnnlm_specs(kind: str, nce: bool):
    """(hidden spec, output spec) of a faster-rnnlm model with hidden type ``kind`` and an
    NCE or tree output; the hidden spec is None when no layer holds that type."""
    hidden = next((spec for spec in HIDDEN_SPECS if kind in spec.faster_rnnlm_types), None)
    output = "nce" if nce else "tree"
    return hidden, next(spec for spec in OUTPUT_SPECS if spec.faster_rnnlm_output == output)


def nce_output_name() -> str:
    """The output layer -nce trains (faster-rnnlm's NCE models load as it too)."""
    return next(spec.names[0] for spec in OUTPUT_SPECS if spec.faster_rnnlm_output == "nce")


def shortcuts() -> dict[str, str]:
    """Flags that select an output layer by themselves (-hs): flag -> layer name."""
    return {spec.shortcut: spec.names[0] for spec in OUTPUT_SPECS if spec.shortcut}
