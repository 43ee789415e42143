"""The hidden layer as a strategy: one interface, chosen by the layer's type at compile
time, as kernels.output does for the output layer.

A hidden layer is a namedtuple (its weights and constants) defined in its own
kernel module (``elman.Elman``: rnnlm 0.4b's recurrent layer), which adds
its implementations of the functions below to ``KERNELS``: plain Python
functions with the generic function's signature, which the overloads here
compile with the project's options (JIT_OPTIONS) in place of the generic one.  The span kernels
(kernels.sgd) call the generic functions; Numba resolves each call to the
layer's own kernel when it compiles the span kernel for that layer type.

``work`` is the layer's own scratch namedtuple (its spec in rnnlm_cli.layers
makes it for a BPTT depth).  The BPTT history is a ring buffer of ``slots`` time
steps kept by the span kernel: ``ring_ac`` (slots, H) hidden activations,
``ring_er`` (slots, H) output-derived hidden errors, ``ring_word`` (slots,) the
input word of each step, ``ring_key`` (slots,) its dropout mask key; ``head`` is the
newest slot.

Training takes -dropout's ``rate`` and mask keys (kernels.regularise): the input
contributions of the first layer, and in a stack the readout each layer reads from
the one below, are dropped with the step's key (rate 0: nothing is dropped, and the
arithmetic is exactly that of scoring's forward).
"""
from numba.extending import overload

from ._jit import JIT_OPTIONS
from .dispatch import LayerKernels

# layer type -> its Implementations; each layer's kernel module adds itself
KERNELS = LayerKernels("hidden", "forward train_forward update_direct update_bptt readout")
Implementations = KERNELS.Implementations


def forward(layer, prev_word, h_prev, s, work, fast):
    """s = the new hidden state from the previous word (id, -1 for OOV) and h_prev.

    ``fast``: rnnlm 0.4b's approximate exponential.
    """


def train_forward(layer, prev_word, h_prev, s, work, fast, key, rate):
    """forward with the step's dropout masks (mask key ``key``, a fraction ``rate``)."""


def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate):
    """One-step backprop of the hidden errors e_hidden (d ln P / d s) of a train_forward
    step; no BPTT.

    e_hidden may be overwritten.
    """


def update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
                cutoff, clip, rate, work):
    """Unfold ``steps`` train_forward steps back from ``head``, apply the update, clear
    ring_er.

    The error carried to the step before is clipped to +-cutoff element-wise, then
    to an L2 norm of ``clip`` (each 0: no clipping).
    """


def readout(layer, s):
    """The part of the state s (or of its error) that the output layer reads: all of it,
    or the leading units of a state that also carries memory (LSTM's cells)."""


@overload(forward, jit_options=JIT_OPTIONS)
def _forward(layer, prev_word, h_prev, s, work, fast):
    return KERNELS.of(layer).forward


@overload(train_forward, jit_options=JIT_OPTIONS)
def _train_forward(layer, prev_word, h_prev, s, work, fast, key, rate):
    return KERNELS.of(layer).train_forward


@overload(update_direct, jit_options=JIT_OPTIONS)
def _update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate):
    return KERNELS.of(layer).update_direct


@overload(readout, jit_options=JIT_OPTIONS)
def _readout(layer, s):
    return KERNELS.of(layer).readout


@overload(update_bptt, jit_options=JIT_OPTIONS)
def _update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
                 cutoff, clip, rate, work):
    return KERNELS.of(layer).update_bptt
