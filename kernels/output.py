"""The output layer as a strategy: one interface, chosen by the layer's type at compile time.

A layer is a namedtuple of arrays: ``class_softmax.ClassSoftmax`` (rnnlm 0.4b's
class-factored softmax) or ``hsoftmax.HierarchicalSoftmax`` (Huffman-tree
softmax).  The span kernels (kernels.sgd) call the generic functions below;
Numba resolves each call to the layer's own kernel when it compiles the span
kernel for that layer type, so the choice costs nothing per token.  Maxent
scores are added by each layer from the shared hashed weight array ``d``.

``work`` is an OutputScratch of per-stream buffers: int64 (MAX_ORDER,) hash
and cursor arrays, and float32 p_class / p_word (class softmax: (C,) and the
largest class; hierarchical softmax: (V-1,) node probabilities and unused).
"""
from collections import namedtuple

from numba import types
from numba.extending import overload

from ._jit import JIT_OPTIONS
from . import class_softmax, hsoftmax
from .class_softmax import ClassSoftmax
from .hsoftmax import HierarchicalSoftmax

OutputScratch = namedtuple("OutputScratch", "class_hash word_hash scratch p_class p_word")


def _is(layer, layer_class) -> bool:
    return isinstance(layer, types.BaseNamedTuple) and layer.instance_class is layer_class


def _unsupported(layer):
    raise TypeError(f"not an output layer: {layer}")


def word_log10_prob(layer, word, s, d, order, hist, work, fast):
    """log10 P(word | hidden state s, word history hist); word >= 0."""


def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step of the output layer and maxent on ``word``; returns log10 P before it.

    e_hidden (H,) receives d ln P / d s (clipped to +-cutoff); l2 is the decay of
    the output rows at this step, maxent_decay that of the maxent weights.
    """


def distribution(layer, s, d, order, hist, work, out, fast):
    """out[v] = P(v | s, hist) for every word v."""


@overload(word_log10_prob, jit_options=JIT_OPTIONS)
def _word_log10_prob(layer, word, s, d, order, hist, work, fast):
    if _is(layer, ClassSoftmax):
        return lambda layer, word, s, d, order, hist, work, fast: \
            class_softmax.word_log10_prob(layer, word, s, d, order, hist, work, fast)
    if _is(layer, HierarchicalSoftmax):
        return lambda layer, word, s, d, order, hist, work, fast: \
            hsoftmax.word_log10_prob(layer, word, s, d, order, hist, work, fast)
    _unsupported(layer)


@overload(train_word, jit_options=JIT_OPTIONS)
def _train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff,
                e_hidden, fast):
    if _is(layer, ClassSoftmax):
        return lambda layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, \
            e_hidden, fast: class_softmax.train_word(layer, word, s, d, order, hist, work,
                                                     alpha, l2, maxent_decay, cutoff,
                                                     e_hidden, fast)
    if _is(layer, HierarchicalSoftmax):
        return lambda layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, \
            e_hidden, fast: hsoftmax.train_word(layer, word, s, d, order, hist, work, alpha,
                                                l2, maxent_decay, cutoff, e_hidden, fast)
    _unsupported(layer)


@overload(distribution, jit_options=JIT_OPTIONS)
def _distribution(layer, s, d, order, hist, work, out, fast):
    if _is(layer, ClassSoftmax):
        return lambda layer, s, d, order, hist, work, out, fast: \
            class_softmax.distribution(layer, s, d, order, hist, work, out, fast)
    if _is(layer, HierarchicalSoftmax):
        return lambda layer, s, d, order, hist, work, out, fast: \
            hsoftmax.distribution(layer, s, d, order, hist, work, out, fast)
    _unsupported(layer)
