"""Hierarchical softmax over a binary Huffman tree (faster-rnnlm's; kernels/hsoftmax.py).

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from ..errors import ModelFileError
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
        layer = self.layer_type(*(arrays[name] for name in (*self.weights, *TREE_ARRAYS)))
        _check_tree(path, layer, size_v)
        return layer

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
