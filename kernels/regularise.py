"""Training-only regularisers of the per-word trainer (kernels.sgd), shared by every
hidden and output layer: dropout on the non-recurrent connections and error clipping
by norm.

Dropout has three placements, each with its own masks: the readout the output
layer reads (OUTPUT), the input contribution of the previous word to the first
hidden layer (its "embedding", INPUT), and the readout of layer k that layer k + 1
of a stack reads (placement INPUT + k).

Dropout masks are not drawn from a generator but hashed from a key (the stream's
word counter plus a seed for the epoch and stream) and the unit's index (a
SplitMix64 finaliser): the same token of the same epoch always gets the same
mask, so a resumed run drops exactly the units the uninterrupted run would have
dropped (bit-exact resume needs no generator state in the checkpoint), and a
test can recompute the mask of any step (``keeps``).
A placement's units hash as indices placement * UNITS_PER_PLACEMENT + unit.
Kept units are scaled by 1 / (1 - rate) ("inverted" dropout), so the expected
input of every layer is unchanged and scoring needs no rescaling.
"""
import math

import numpy as np

from ._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_UNIFORM_SCALE = 1.0 / float(1 << 53)

OUTPUT, INPUT = 0, 1
UNITS_PER_PLACEMENT = 1 << 24


@kernel
def _hashed(key, index):
    """53 random bits hashed from (key, index): no generator state."""
    x = np.uint64(key) * _GOLDEN + np.uint64(index + 1) * _MIX_1
    x = (x ^ (x >> np.uint64(30))) * _MIX_1
    x = (x ^ (x >> np.uint64(27))) * _MIX_2
    x = x ^ (x >> np.uint64(31))
    return x >> np.uint64(11)


@kernel
def uniform(key, index):
    """A uniform number in [0, 1) hashed from (key, index)."""
    return float(_hashed(key, index)) * _UNIFORM_SCALE


@kernel
def keeps(key, unit, rate, placement=OUTPUT):
    """Whether unit ``unit`` of a placement is kept at the token of mask key ``key``
    when a fraction ``rate`` of units is dropped."""
    return uniform(key, placement * UNITS_PER_PLACEMENT + unit) >= rate


@kernel
def _kept_scale(key, index, threshold, scale):
    """keeps as a factor: ``scale`` or 0, with the comparison done on the hashed bits
    (uniform >= rate exactly when the bits reach ``threshold``, _threshold's), and
    without a branch, which the random masks would mispredict."""
    return scale if _hashed(key, index) >= threshold else np.float32(0.0)


@kernel
def _threshold(rate):
    return np.uint64(math.ceil(rate * float(1 << 53)))


@kernel
def drop_units(source, dropped, key, placement, rate):
    """dropped = source with this token's dropped units zeroed and the kept ones scaled
    by 1 / (1 - rate) (at rate 0: source as it is).  ``dropped`` must not be ``source``
    (drop_in_place is for that)."""
    if rate <= 0.0:
        dropped[:] = source
        return
    scale, threshold = np.float32(1.0 / (1.0 - rate)), _threshold(rate)
    first = placement * UNITS_PER_PLACEMENT
    for k in range(source.shape[0]):
        dropped[k] = source[k] * _kept_scale(key, first + k, threshold, scale)


@kernel
def drop_in_place(values, key, placement, rate):
    """drop_units onto itself: also the error of a dropped vector carried back to the
    undropped one (the same mask and scale).  Nothing at rate 0."""
    if rate <= 0.0:
        return
    scale, threshold = np.float32(1.0 / (1.0 - rate)), _threshold(rate)
    first = placement * UNITS_PER_PLACEMENT
    for k in range(values.shape[0]):
        values[k] *= _kept_scale(key, first + k, threshold, scale)


@kernel
def clip_norm(errors, limit):
    """Scale ``errors`` down to an L2 norm of at most ``limit`` (0: no clipping)."""
    if limit <= 0.0:
        return
    total = 0.0
    for k in range(errors.shape[0]):
        total += float(errors[k]) * float(errors[k])
    norm = math.sqrt(total)
    if norm > limit:
        factor = np.float32(limit / norm)
        for k in range(errors.shape[0]):
            errors[k] *= factor
