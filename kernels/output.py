"""The output layer as a strategy: one interface, chosen by the layer's type at compile time.

A layer is a namedtuple of arrays defined in its own kernel module
(``class_softmax.ClassSoftmax``: rnnlm 0.4b's class-factored softmax;
``hsoftmax.HierarchicalSoftmax``: Huffman-tree softmax; ``faster_tree.FasterTree``:
faster-rnnlm's k-ary tree), which adds its
implementations of the three functions below to ``KERNELS``.  The span
kernels (kernels.sgd) call the generic functions; Numba resolves each call to
the layer's own kernel when it compiles the span kernel for that layer type,
so the choice costs nothing per token.  Maxent scores are added by each layer
from the shared hashed weight array ``d``.

``work`` is the layer's per-stream scratch, made by its spec (rnnlm_cli.layers):
for the class and tree softmax an OutputScratch of int64 (MAX_ORDER,) hash and
cursor arrays and float32 p_class / p_word buffers.
"""
from collections import namedtuple

from numba.extending import overload

from ._jit import JIT_OPTIONS
from .dispatch import LayerKernels

OutputScratch = namedtuple("OutputScratch", "class_hash word_hash scratch p_class p_word")
# layer type -> its Implementations; each layer's kernel module adds itself
KERNELS = LayerKernels("output", "word_log10_prob train_word distribution")
Implementations = KERNELS.Implementations


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


# Each implementation calls the chosen layer's kernel of the same name.

@overload(word_log10_prob, jit_options=JIT_OPTIONS)
def _word_log10_prob(layer, word, s, d, order, hist, work, fast):
    impl = KERNELS.of(layer).word_log10_prob
    return lambda layer, word, s, d, order, hist, work, fast: \
        impl(layer, word, s, d, order, hist, work, fast)


@overload(train_word, jit_options=JIT_OPTIONS)
def _train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff,
                e_hidden, fast):
    impl = KERNELS.of(layer).train_word
    return lambda layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, \
        e_hidden, fast: impl(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay,
                             cutoff, e_hidden, fast)


@overload(distribution, jit_options=JIT_OPTIONS)
def _distribution(layer, s, d, order, hist, work, out, fast):
    impl = KERNELS.of(layer).distribution
    return lambda layer, s, d, order, hist, work, out, fast: \
        impl(layer, s, d, order, hist, work, out, fast)
