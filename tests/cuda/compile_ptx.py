"""Compile every CUDA kernel to PTX for sm_80 with NVVM (no GPU needed); exit status =
number of kernels that failed or have no signature here.  Run by test_cuda_ptx.py with
the simulator off."""
import importlib
import pkgutil
import types

import numba.cuda.dispatcher
from numba import cuda, types as T

from rnnlm_cli.kernels.cuda import cells, linalg, output, rnn

COMPUTE_CAPABILITY = (8, 0)
# Calls to device functions ask the driver for the compute capability; answer for it.
numba.cuda.dispatcher.get_current_device = \
    lambda: types.SimpleNamespace(compute_capability=COMPUTE_CAPABILITY)

f2, f1, f64 = T.float32[:, ::1], T.float32[::1], T.float64[::1]
i2, i1, i8, b1 = T.int32[:, ::1], T.int32[::1], T.int8[::1], T.boolean[::1]
f32, i64, flag = T.float32, T.int64, T.boolean
view = T.float32[:, :]          # a column slice of a matrix (the cells' x, d_x parts)

SIGNATURES = {
    linalg._gemm: (f2, f2, f2, f32, f32, flag, flag),
    linalg._scale_add: (f2, f2, f32, f32),
    linalg._clip_mask: (f2, f32, f1),
    rnn._add_inputs_and_activate: (f2, f2, i1, i64),
    rnn._times_derivative: (f2, f2, i64),
    rnn._add_rows: (f2, i1, f2, f32),
    rnn._fill_rows: (f2, b1, f32),
    output.class_forward: (f2, i1, i2, f2, f2, i1, i1, f1, i64, f64, f2, f2, flag),
    output.class_hidden_errors: (i1, f2, i1, i1, f2, f32, f2),
    output.class_update: (f2, i1, i2, f2, i1, i1, f1, i64, f2, f2, f32, f32, f32),
    output.tree_forward: (f2, i1, i2, f2, i1, i1, i8, f1, i64, f64, f2, flag),
    output.tree_hidden_errors: (i1, f2, i1, i1, f2, f32, f2),
    output.tree_update: (f2, i1, i2, f2, i1, i1, f1, i64, f2, f32, f32, f32),
    cells._fill: (f2, f32),
    cells._copy: (view, view),
    cells._gather_rows: (f2, i1, view),
    cells._gru_gates: (f2,) * 5,
    cells._gru_out: (f2,) * 6,
    cells._gru_back_candidate: (f2,) * 4,
    cells._gru_back_gates: (f2,) * 7,
    cells._lstm_step: (f2, f2, f1, f2, f2, f2, f2),
    cells._lstm_back: (f2,) * 6,
    cells._scrn_context: (f2, f2, f2, i64),
    cells._scrn_hidden: (f2, f2, f2),
    cells._scrn_delta: (f2, f2, f2, i64),
    cells._scrn_context_back: (view, f2, f2, i64),
}



def global_kernels():
    """Every kernel (not device function) defined in rnnlm_cli.kernels.cuda."""
    package = importlib.import_module("rnnlm_cli.kernels.cuda")
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (hasattr(value, "targetoptions") and not value.targetoptions.get("device")
                    and value.py_func.__module__ == module.__name__):
                yield value


failed = 0
for kernel in global_kernels():
    if kernel not in SIGNATURES:
        failed += 1
        print(f"{kernel.py_func.__name__}: no signature listed in {__file__}")
for kernel, signature in SIGNATURES.items():
    try:
        cuda.compile_ptx(kernel.py_func, signature, cc=COMPUTE_CAPABILITY)
    except Exception as exc:            # report every kernel, then fail
        failed += 1
        print(f"{kernel.py_func.__name__}: {exc}")
raise SystemExit(failed)
