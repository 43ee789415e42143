"""The class softmax on the device: the host side of kernels/cuda/output.py's class_*
kernels (the layer spec's ``cuda_device``)."""
import numpy as np
from numba import cuda

from . import linalg, output
from .layer import DeviceLayer

TPB = output.TPB


class ClassSoftmaxDevice(DeviceLayer):
    """Device copies of a ClassSoftmax's arrays and the three training/scoring steps."""

    spans = "class_start"
    weights = ("Oc", "Ow")

    def forward(self, S, targets, hist, d, order, logp, errors: bool):
        """logp of every position; returns the error scratch for the steps below."""
        L, positions = self.arrays, S.shape[0]
        words = cuda.device_array((positions, max(self.scratch_width, 1)), np.float32)
        classes = cuda.device_array((positions, L["Oc"].shape[0]), np.float32)
        output.class_forward[positions, TPB](S, targets, hist, L["Oc"], L["Ow"],
                                             L["word_class"], L["class_start"], d, order,
                                             logp, classes, words, errors)
        return classes, words

    def hidden_errors(self, targets, scratch, cutoff, keeps, E):
        L = self.arrays
        classes, words = scratch
        output.class_hidden_errors[targets.shape[0], TPB](
            targets, L["Ow"], L["word_class"], L["class_start"], words, cutoff, E)
        linalg.gemm(classes, L["Oc"], E, beta=1.0)
        linalg.clip_mask(E, cutoff, keeps)

    def update(self, S, targets, hist, scratch, d, order, alpha, l2, decay):
        L, positions = self.arrays, S.shape[0]
        classes, words = scratch
        output.class_update[positions, TPB](S, targets, hist, L["Ow"], L["word_class"],
                                            L["class_start"], d, order, classes, words,
                                            np.float32(alpha), np.float32(l2), np.float32(decay))
        linalg.gemm(classes, S, L["Oc"], alpha, 1.0 - l2 * positions, trans_a=True)
