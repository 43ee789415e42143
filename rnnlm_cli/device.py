"""--device cuda: the check that a GPU is there, and what scoring on it implies.

numba.cuda is loaded only when cuda is asked for, so the CPU path starts as
fast as before (the option itself is options.device_option).
"""
from __future__ import annotations

from .errors import RnnlmError


class DeviceError(RnnlmError):
    """--device cuda without a usable GPU, or with an unsupported mode."""


def require_cuda():
    """Fail with one line unless numba.cuda can reach a GPU (or its simulator)."""
    from .kernels.cuda import gpu_available
    try:
        usable = gpu_available()
    except Exception as exc:        # numba built without CUDA support, broken toolkit
        raise DeviceError(f"--device cuda: numba's CUDA support cannot be loaded ({exc})")
    if not usable:
        raise DeviceError("--device cuda: no usable CUDA GPU (no NVIDIA driver or no device "
                          "found); use --device cpu")


def scoring_exp(device: str, exp: str) -> str:
    """The -exp a scoring command loads its model with on ``device`` (GPU checked).

    The CUDA kernels use the exact exponential: an explicit -exp rnnlm is refused,
    and a model that would score with rnnlm's approximation by default
    (imported rnnlm 0.4b files) is scored with the exact one.
    """
    if device != "cuda":
        return exp
    require_cuda()
    if exp == "rnnlm":
        raise DeviceError("-exp rnnlm (rnnlm 0.4b's approximate exponential) is CPU-only; "
                          "use --device cpu or -exp exact")
    return "exact"
