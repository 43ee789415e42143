"""Dense building blocks: a tiled matrix product and element-wise loops.

gemm computes C = alpha * op(A) @ op(B) + beta * C for float32 matrices, op
transposing when asked, in TILE x TILE blocks staged through shared memory so
that each input element is read from global memory once per tile.
"""
import math

from numba import config, cuda, float32

# The simulator runs every thread of a block as a Python thread: smaller blocks there.
TILE = 8 if config.ENABLE_CUDASIM else 16
THREADS = 32 if config.ENABLE_CUDASIM else 256


@cuda.jit
def _gemm(A, B, C, alpha, beta, trans_a, trans_b):
    rows, cols = C.shape
    inner = A.shape[0] if trans_a else A.shape[1]
    tile_a = cuda.shared.array((TILE, TILE), float32)
    tile_b = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    acc = float32(0.0)
    for base in range(0, inner, TILE):
        k = base + tx
        if row < rows and k < inner:
            tile_a[ty, tx] = A[k, row] if trans_a else A[row, k]
        else:
            tile_a[ty, tx] = 0.0
        k = base + ty
        if col < cols and k < inner:
            tile_b[ty, tx] = B[col, k] if trans_b else B[k, col]
        else:
            tile_b[ty, tx] = 0.0
        cuda.syncthreads()
        for j in range(TILE):
            acc += tile_a[ty, j] * tile_b[j, tx]
        cuda.syncthreads()
    if row < rows and col < cols:
        if beta == 0.0:
            C[row, col] = alpha * acc
        else:
            C[row, col] = alpha * acc + beta * C[row, col]


def gemm(A, B, C, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
    """C = alpha * op(A) @ op(B) + beta * C on device arrays (launches one kernel)."""
    rows, cols = C.shape
    grid = (math.ceil(cols / TILE), math.ceil(rows / TILE))
    _gemm[grid, (TILE, TILE)](A, B, C, float32(alpha), float32(beta), trans_a, trans_b)


@cuda.jit(device=True)
def clamp(v, low, high):
    """min(max(v, low), high) with comparisons only (no min/max overloads on the device)."""
    if v < low:
        return low
    if v > high:
        return high
    return v


@cuda.jit(device=True)
def larger(a, b):
    return a if a > b else b


def grid_1d(count, threads=THREADS):
    """(blocks, threads) covering ``count`` elements."""
    return max(1, math.ceil(count / threads)), threads


@cuda.jit
def _scale_add(X, Y, a, b):
    """X = a * X + b * Y element-wise (2-D)."""
    n = cuda.grid(1)
    cols = X.shape[1]
    if n < X.shape[0] * cols:
        r, c = n // cols, n % cols
        X[r, c] = a * X[r, c] + b * Y[r, c]


def scale_add(X, Y, a, b):
    """X = a * X + b * Y on device matrices of one shape."""
    blocks, threads = grid_1d(X.shape[0] * X.shape[1])
    _scale_add[blocks, threads](X, Y, float32(a), float32(b))


@cuda.jit
def _clip_mask(X, limit, keeps):
    """X[r] = clip(X[r], +-limit) * keeps[r] (limit <= 0: no clipping)."""
    n = cuda.grid(1)
    cols = X.shape[1]
    if n < X.shape[0] * cols:
        r, c = n // cols, n % cols
        v = X[r, c]
        if limit > 0.0:
            v = clamp(v, -limit, limit)
        X[r, c] = v * keeps[r]


def clip_mask(X, limit, keeps):
    blocks, threads = grid_1d(X.shape[0] * X.shape[1])
    _clip_mask[blocks, threads](X, float32(limit), keeps)
