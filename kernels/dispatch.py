"""Tables of layer kernels for compile-time dispatch (kernels.hidden, kernels.output).

A layer's kernel module adds its namedtuple type with its implementations;
the generic functions' overloads look the type up when Numba compiles a caller,
so the choice costs nothing per token.
"""
from collections import namedtuple

from numba import types


class LayerKernels(dict):
    """Layer type (a namedtuple class) -> its Implementations of one interface."""

    def __init__(self, interface: str, functions: str):
        super().__init__()
        self.interface = interface
        self.Implementations = namedtuple("Implementations", functions)

    def of(self, layer):
        """The kernels of the layer type ``layer`` (a Numba type, at compile time)."""
        if isinstance(layer, types.BaseNamedTuple) and layer.instance_class in self:
            return self[layer.instance_class]
        raise TypeError(f"not a {self.interface} layer: {layer}")
