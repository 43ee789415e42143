"""The hierarchical softmax on the device: the host side of kernels/cuda/output.py's
tree_* kernels (the layer spec's ``cuda_device``)."""
import numpy as np
from numba import cuda

from . import output
from .layer import DeviceLayer

TPB = output.TPB


class HierarchicalSoftmaxDevice(DeviceLayer):
    """Device copies of a HierarchicalSoftmax's arrays and the three steps."""

    spans = "path_start"
    weights = ("On",)

    def forward(self, S, targets, hist, d, order, logp, errors: bool):
        """logp of every position; returns the error scratch for the steps below."""
        L, positions = self.arrays, S.shape[0]
        wide = cuda.device_array((positions, max(self.scratch_width, 1)), np.float32)
        output.tree_forward[positions, TPB](S, targets, hist, L["On"], L["path_start"],
                                            L["path_nodes"], L["path_codes"], d, order, logp,
                                            wide, errors)
        return (wide,)

    def hidden_errors(self, targets, scratch, cutoff, keeps, E):
        L = self.arrays
        output.tree_hidden_errors[targets.shape[0], TPB](
            targets, L["On"], L["path_start"], L["path_nodes"], scratch[0], cutoff, E)

    def update(self, S, targets, hist, scratch, d, order, alpha, l2, decay):
        L, positions = self.arrays, S.shape[0]
        output.tree_update[positions, TPB](S, targets, hist, L["On"], L["path_start"],
                                           L["path_nodes"], d, order, scratch[0],
                                           np.float32(alpha), np.float32(l2), np.float32(decay))
