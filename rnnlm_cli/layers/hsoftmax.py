"""Hierarchical softmax over a binary Huffman tree (faster-rnnlm's; kernels/hsoftmax.py).

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from ..errors import ModelFileError
from .base import (OutputSpec, check_shapes, faster_rnnlm_modulus, require,
                   valid_faster_rnnlm_modulus)

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
        _check_tree(path, layer, size_v, self.rows_per_node(layer))
        return layer

    def layer_from_parts(self, arrays):
        return self.layer_type(*(arrays[name] for name in (*self.weights, *TREE_ARRAYS)))

    def rows_per_node(self, layer) -> int:
        return 1

    def stored_arrays(self, layer) -> dict:
        return {name: getattr(layer, name) for name in (*self.weights, *TREE_ARRAYS)}

    def vocab_size(self, layer) -> int:
        return layer.path_start.shape[0] - 1

    def scratch_sizes(self, layer) -> tuple[int, int]:
        """p_class holds a probability per node; p_word is unused."""
        return max(layer.On.shape[0], 1), 1

    cuda = True

    def cuda_device(self, layer):
        from ..kernels.cuda.hsoftmax import HierarchicalSoftmaxDevice
        return HierarchicalSoftmaxDevice(layer)


def _check_tree(path: str, layer, size_v: int, rows_per_node: int):
    """The paths must index existing nodes, or the kernels would read out of bounds."""
    import numpy as np
    starts, nodes = layer.path_start, layer.path_nodes
    valid = (starts.dtype == nodes.dtype == np.int32 and layer.path_codes.dtype == np.int8
             and starts.shape == (size_v + 1,) and starts[0] == 0 and np.all(np.diff(starts) >= 0)
             and starts[-1] == nodes.shape[0] == layer.path_codes.shape[0]
             and (nodes.size == 0 or (nodes.min() >= 0
                                      and nodes.max() < layer.On.shape[0] // rows_per_node
                                      and 0 <= layer.path_codes.min()
                                      and layer.path_codes.max() <= rows_per_node)))
    if not valid:
        raise ModelFileError(f"{path}: corrupt model, inconsistent hierarchical softmax tree")


class FasterHierarchicalSoftmaxSpec(HierarchicalSoftmaxSpec):
    """faster-rnnlm's hierarchical softmax (kernels/faster_tree.py): its k-ary tree built
    from the counts by its rule, its maxent hashing and scoring; what faster-rnnlm models
    load as, and trainable too (binary when trained here)."""

    title = "hierarchical softmax (faster-rnnlm's)"
    names = ("hs-faster",)
    help = ("hs-faster (hierarchical softmax with faster-rnnlm's tree and maxent hashing; "
            "imported faster-rnnlm models use it)")
    shortcut = None
    faster_rnnlm_output = "tree"
    SHAPE_ARRAYS = ("hash_mod", "arity")

    @property
    def layer_type(self):
        from ..kernels.faster_tree import FasterTree
        return FasterTree

    def initialise(self, config, vocab, draws, width: int):
        return self.tree(draws.reshape(-1, width).copy(), vocab.counts, config.direct_size, 2)

    def tree(self, rows, counts, direct_size: int, arity: int):
        """The layer of node rows over faster-rnnlm's tree for ``counts``."""
        import numpy as np
        from ..huffman import faster_rnnlm_paths
        return self.layer_type(rows, *faster_rnnlm_paths(counts, arity),
                               faster_rnnlm_modulus(self.title, direct_size, len(counts)),
                               np.array([arity], np.int64))

    def from_faster_rnnlm(self, stored, config):
        """The layer of a faster-rnnlm model (formats/faster_rnnlm.py): its node rows, the
        tree rebuilt from its counts."""
        import numpy as np
        size_v = len(stored.words)
        if (size_v - 1) % (stored.arity - 1):
            raise ModelFileError(f"corrupt faster-rnnlm model: {size_v} words do not make a "
                                 f"full tree of arity {stored.arity}")
        return self.tree(np.array(stored.output_rows[:size_v - 1]), stored.counts,
                         config.direct_size, stored.arity)

    def layer_from_parts(self, arrays):
        return self.layer_type(*(arrays[name] for name in (*self.weights, *TREE_ARRAYS,
                                                            *self.SHAPE_ARRAYS)))

    def from_arrays(self, path, config, vocab, arrays, width: int):
        require(path, arrays, self.SHAPE_ARRAYS)
        import numpy as np
        arity = arrays["arity"]
        fits = arity.shape == (1,) and arity.dtype == np.int64 and 2 <= arity[0] <= 127 and \
            valid_faster_rnnlm_modulus(arrays["hash_mod"], config.direct_size, len(vocab))
        if not fits:
            raise ModelFileError(f"{path}: corrupt model, bad faster-rnnlm tree shape")
        return super().from_arrays(path, config, vocab, arrays, width)

    def stored_arrays(self, layer) -> dict:
        return {**super().stored_arrays(layer), "hash_mod": layer.hash_mod,
                "arity": layer.arity}

    def rows_per_node(self, layer) -> int:
        return int(layer.arity[0]) - 1

    def scratch_sizes(self, layer) -> tuple[int, int]:
        """p_class holds a node's branch probabilities."""
        return max(int(layer.arity[0]), 1), 1

    cuda = False

    def cuda_device(self, layer):
        self.not_supported("--device cuda")
