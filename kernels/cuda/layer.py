"""What the host side of every output layer on the device shares: its arrays on
the device, the width of its per-position error scratch, and the weights brought
back after training."""
import numpy as np
from numba import cuda


class DeviceLayer:
    """Device copies of a layer namedtuple's arrays; ``weights`` name the trained ones,
    ``spans`` the offsets array whose largest span (a class, a tree path) sizes the
    per-position error scratch."""

    weights = ()
    spans = ""

    def __init__(self, layer):
        self.arrays = {name: cuda.to_device(np.ascontiguousarray(array))
                       for name, array in layer._asdict().items()}
        self.scratch_width = int(np.max(np.diff(getattr(layer, self.spans))))

    def download(self, layer):
        for name in self.weights:
            self.arrays[name].copy_to_host(getattr(layer, name))
