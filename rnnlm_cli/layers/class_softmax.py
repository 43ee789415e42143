"""rnnlm 0.4b's class-factored softmax output layer (kernels/class_softmax.py).

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from .base import OutputSpec, all_rows, check_shapes, require


class ClassSoftmaxSpec(OutputSpec):
    title = "class softmax"
    names = ("class",)
    help = "class (class-based softmax, rnnlm 0.4b)"
    weights = ("Oc", "Ow")
    hot = {"Oc": None}       # every token rewrites all class rows

    @property
    def layer_type(self):
        from ..kernels.class_softmax import ClassSoftmax
        return ClassSoftmax

    def draw_count(self, config, vocab, width: int) -> int:
        return (len(vocab) + max(config.classes, vocab.n_classes)) * width

    def initialise(self, config, vocab, draws, width: int):
        """rnnlm draws its output matrix unit by unit over [words, requested classes]."""
        size_v, size_c = len(vocab), vocab.n_classes
        outputs = draws.reshape(-1, width)
        return self.layer_type(outputs[size_v:size_v + size_c].copy(), outputs[:size_v].copy(),
                               vocab.word_class, vocab.class_start)

    def from_arrays(self, path, config, vocab, arrays, width: int):
        require(path, arrays, self.weights)
        check_shapes(path, arrays, {"Oc": (len(vocab.class_start) - 1, width),
                                    "Ow": (len(vocab), width)})
        return self.layer_type(arrays["Oc"], arrays["Ow"], vocab.word_class, vocab.class_start)

    def vocab_size(self, layer) -> int:
        return layer.Ow.shape[0]

    def scratch_sizes(self, layer) -> tuple[int, int]:
        """Lengths of p_class and p_word (kernels.output.OutputScratch)."""
        import numpy as np
        return layer.Oc.shape[0], int(np.max(np.diff(layer.class_start)))

    def describe(self, vocab) -> str:
        return f"{vocab.n_classes} classes"

    def batch_log10_probs(self, net, S, target, hist, rows=None):
        """log10 P(target[n] | S[rows[n]], hist[n]): all class logits in one BLAS product,
        then per position the softmaxes of its class and of the words of its target's
        class (one Numba pass, kernels/batch.py class_log10_probs)."""
        import numpy as np
        from ..kernels import batch
        layer = net.output
        logp = np.empty(target.shape[0])
        batch.class_log10_probs(S @ layer.Oc.T, S, all_rows(S, rows), target, layer.Ow,
                                layer.word_class, layer.class_start, net.d, net.maxent_order,
                                hist, logp, net.fast_exp)
        return logp

    cuda = True

    def draw_words(self, net, S, hist, uniforms):
        """The class from one BLAS product for all positions, then the word from the drawn
        class's rows only (kernels/batch.py draw_class_words)."""
        import numpy as np
        from ..kernels import batch
        layer = net.output
        out = np.empty(S.shape[0], np.int32)
        batch.draw_class_words(S @ layer.Oc.T, S, layer.Ow, layer.class_start, net.d,
                               net.maxent_order, hist, uniforms, out)
        return out

    def cuda_device(self, layer):
        from ..kernels.cuda.class_softmax import ClassSoftmaxDevice
        return ClassSoftmaxDevice(layer)

    def to_rnnlm04(self, layer):
        """rnnlm 0.4b's output matrix syn1: word rows, then class rows."""
        import numpy as np
        return np.concatenate([layer.Ow, layer.Oc], axis=0)

    def from_rnnlm04(self, syn1, vocab):
        import numpy as np
        size_v = len(vocab)
        return self.layer_type(np.ascontiguousarray(syn1[size_v:]),
                               np.ascontiguousarray(syn1[:size_v]), vocab.word_class,
                               vocab.class_start)
