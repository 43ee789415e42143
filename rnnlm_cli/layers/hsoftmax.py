"""Hierarchical softmax over a binary Huffman tree (faster-rnnlm's; kernels/hsoftmax.py).

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from ..errors import ConfigError, ModelFileError
from .base import OutputSpec, check_shapes, require

TREE_ARRAYS = ("path_start", "path_nodes", "path_codes")
HOT_NODES = 256     # the nodes nearest the root: nearly every word's path passes them


class HierarchicalSoftmaxSpec(OutputSpec):
    title = "hierarchical softmax"
    names = ("hs",)
    help = ("hs (hierarchical softmax over a binary Huffman tree, faster-rnnlm; O(log V) per "
            "word, for large vocabularies and fast training)")
    shortcut = "hs"          # -hs is short for --output hs
    weights = ("On",)
    hot = {"On": HOT_NODES}

    @property
    def layer_type(self):
        from ..kernels.hsoftmax import HierarchicalSoftmax
        return HierarchicalSoftmax

    def draw_count(self, config, vocab, width: int) -> int:
        return (len(vocab) - 1) * width

    def initialise(self, config, vocab, draws, width: int):
        """The node rows are drawn as rnnlm draws its output rows."""
        from ..huffman import huffman_paths
        return self.layer_type(draws.reshape(-1, width).copy(),
                                   *huffman_paths(vocab.counts))

    def from_arrays(self, path, config, vocab, arrays, width: int):
        require(path, arrays, (*self.weights, *TREE_ARRAYS))
        size_v = len(vocab)
        check_shapes(path, arrays, {"On": (max(size_v - 1, 0), width)})
        layer = self.layer_from_parts(arrays)
        _check_tree(path, layer, size_v)
        return layer

    def layer_from_parts(self, arrays):
        return self.layer_type(*(arrays[name] for name in (*self.weights, *TREE_ARRAYS)))

    def stored_arrays(self, layer) -> dict:
        return {name: getattr(layer, name) for name in (*self.weights, *TREE_ARRAYS)}

    def vocab_size(self, layer) -> int:
        return layer.path_start.shape[0] - 1

    def scratch_sizes(self, layer) -> tuple[int, int]:
        """p_class holds a probability per node; p_word is unused."""
        return max(layer.On.shape[0], 1), 1

    def batch_log10_probs(self, net, S, target, hist):
        """log10 P(target[n] | S[n], hist[n]), the tree walked row by row."""
        import numpy as np
        from ..kernels import batch
        logp = np.empty(S.shape[0])
        batch.rows_log10_probs(S, net.output, target, net.d, net.maxent_order, hist,
                               self.scratch(net.output), logp, net.fast_exp)
        return logp

    def cuda_device(self, layer):
        from ..kernels.cuda.hsoftmax import HierarchicalSoftmaxDevice
        return HierarchicalSoftmaxDevice(layer)


def _check_tree(path: str, layer, size_v: int):
    """The paths must index existing nodes, or the kernels would read out of bounds."""
    import numpy as np
    starts, nodes = layer.path_start, layer.path_nodes
    valid = (starts.dtype == nodes.dtype == np.int32 and layer.path_codes.dtype == np.int8
             and starts.shape == (size_v + 1,) and starts[0] == 0 and np.all(np.diff(starts) >= 0)
             and starts[-1] == nodes.shape[0] == layer.path_codes.shape[0]
             and (nodes.size == 0 or (nodes.min() >= 0 and nodes.max() < layer.On.shape[0])))
    if not valid:
        raise ModelFileError(f"{path}: corrupt model, inconsistent hierarchical softmax tree")


class FasterHierarchicalSoftmaxSpec(HierarchicalSoftmaxSpec):
    """faster-rnnlm's hierarchical softmax: its tree (built from the counts by its rule) and
    its maxent hashing and scoring; what faster-rnnlm models load as, and trainable too."""

    title = "hierarchical softmax (faster-rnnlm's)"
    names = ("hs-faster",)
    help = ("hs-faster (hierarchical softmax with faster-rnnlm's tree and maxent hashing; "
            "imported faster-rnnlm models use it)")
    shortcut = None

    @property
    def layer_type(self):
        from ..kernels.hsoftmax import FasterHierarchicalSoftmax
        return FasterHierarchicalSoftmax

    def initialise(self, config, vocab, draws, width: int):
        from ..huffman import faster_rnnlm_paths
        return self.layer_type(draws.reshape(-1, width).copy(),
                               *faster_rnnlm_paths(vocab.counts),
                               self.hash_modulus(config.direct_size, len(vocab)))

    @staticmethod
    def hash_modulus(direct_size: int, size_v: int):
        """faster-rnnlm hashes modulo the maxent size less V (every node's feature then fits)."""
        import numpy as np
        if 0 < direct_size <= size_v:
            raise ConfigError(f"the {FasterHierarchicalSoftmaxSpec.title} needs more maxent "
                              f"weights than words ({size_v}); raise -direct")
        return np.array([max(direct_size - size_v, 0)], np.int64)

    def from_arrays(self, path, config, vocab, arrays, width: int):
        require(path, arrays, ("hash_mod",))
        layer = super().from_arrays(path, config, vocab, arrays, width)
        import numpy as np
        modulus = layer.hash_mod
        fits = modulus.shape == (1,) and modulus.dtype == np.int64 and (
            modulus[0] == 0 if config.direct_size == 0
            else 0 < modulus[0] <= config.direct_size - len(vocab))
        if not fits:
            raise ModelFileError(f"{path}: corrupt model, bad maxent hash modulus")
        return layer

    def stored_arrays(self, layer) -> dict:
        return {**super().stored_arrays(layer), "hash_mod": layer.hash_mod}

    def layer_from_parts(self, arrays):
        return self.layer_type(*(arrays[name] for name in (*self.weights, *TREE_ARRAYS,
                                                            "hash_mod")))

    def from_faster_rnnlm(self, stored, config):
        """The layer of a faster-rnnlm model (formats/faster_rnnlm.py): its node rows, the
        tree rebuilt from its counts."""
        import numpy as np
        from ..huffman import faster_rnnlm_paths
        size_v = len(stored.words)
        return self.layer_type(np.array(stored.output_rows[:size_v - 1]),
                               *faster_rnnlm_paths(stored.counts),
                               self.hash_modulus(config.direct_size, size_v))

    def cuda_device(self, layer):
        self.not_supported("--device cuda")
