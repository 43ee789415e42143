"""numba.cuda versions of the kernels, for many streams at once on a GPU.

Imported only with ``--device cuda`` (rnnlm_cli/device.py checks first): nothing here
is loaded on the CPU path, so start-up there does not pay for CUDA.  The
arithmetic follows the CPU kernels (same clamps, hashes and update rules) with
the exact exponential; tests compare both under NUMBA_ENABLE_CUDASIM=1.  backend.py is
the host side (device arrays, launches) that rnnlm_cli calls; each output layer's own
host side (class_softmax.py, hsoftmax.py, on layer.py's DeviceLayer) is what its spec's
``cuda_device`` returns.
"""


def gpu_available() -> bool:
    """True when numba.cuda reaches a GPU (or its simulator); loads numba.cuda."""
    from numba import cuda
    return cuda.is_available()
