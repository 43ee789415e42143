"""Every CUDA kernel compiles to PTX for a real GPU (sm_80), where NVVM is present.

The simulator runs the kernels as Python and would accept code that real CUDA
rejects; compiling with NVVM catches that without a GPU.  NVVM comes with the
CUDA toolkit or `pip install nvidia-cuda-nvcc-cu12`; point CUDA_HOME at it
(the folder holding nvvm/).  Skipped when it cannot be found.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("compile_ptx.py")


def _nvvm_home():
    home = os.environ.get("CUDA_HOME", "")
    return home if home and list(Path(home).glob("nvvm/lib*/libnvvm*")) else None


@pytest.mark.skipif(_nvvm_home() is None, reason="NVVM not found (set CUDA_HOME)")
def test_kernels_compile_for_a_real_gpu():
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
