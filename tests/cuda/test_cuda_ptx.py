"""Every CUDA kernel compiles to PTX for a real GPU (sm_80), with no GPU needed.

The simulator runs the kernels as Python and would accept code that real CUDA
rejects; compiling with NVVM catches that.  NVVM comes with the test extra
(`nvidia-cuda-nvcc-cu12`, found in site-packages) or with a CUDA toolkit named by
CUDA_HOME.  The test skips, saying why, only where neither exists: NVIDIA ships
the package for Linux x86-64/aarch64 and Windows only.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("compile_ptx.py")


def _has_nvvm(home) -> bool:
    return bool(home) and bool(list(Path(home).glob("nvvm/lib*/*nvvm*")))


def nvvm_home():
    """CUDA_HOME when it holds NVVM, else the pip package's folder, else None."""
    home = os.environ.get("CUDA_HOME", "")
    if _has_nvvm(home):
        return home
    spec = importlib.util.find_spec("nvidia.cuda_nvcc") if importlib.util.find_spec(
        "nvidia") else None
    package = next(iter(spec.submodule_search_locations), "") if spec else ""
    return package if _has_nvvm(package) else None


@pytest.mark.skipif(nvvm_home() is None,
                    reason="NVVM not found: nvidia-cuda-nvcc-cu12 is not installed (no wheel "
                           "for this platform?) and CUDA_HOME names no CUDA toolkit")
def test_kernels_compile_for_a_real_gpu():
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", CUDA_HOME=nvvm_home())
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
