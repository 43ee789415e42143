"""The full softmax over the vocabulary with faster-rnnlm's maxent hashing
(kernels/softmax.py): what faster-rnnlm's NCE models load as.  Trained here with the
exact gradient, O(V H) per word: for small vocabularies and for going on training an
imported model.

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from ..errors import ConfigError, ModelFileError
from .base import OutputSpec, check_shapes, require

DEFAULT_LNZ = 9.0       # faster-rnnlm's -nce-lnz
SHAPE_ARRAYS = ("lnz", "hash_mod")


class SoftmaxSpec(OutputSpec):
    title = "full softmax"
    names = ("softmax",)
    help = ("softmax (full softmax over the vocabulary, O(V H) per word, with faster-rnnlm's "
            "maxent hashing; faster-rnnlm's NCE models load as it)")
    weights = ("Ow",)
    hot = {"Ow": None}       # every token rewrites every row
    faster_rnnlm_output = "nce"
    self_normalised = True

    @property
    def layer_type(self):
        from ..kernels.softmax import Softmax
        return Softmax

    def draw_count(self, config, vocab, width: int) -> int:
        return len(vocab) * width

    def initialise(self, config, vocab, draws, width: int):
        return self.layer(draws.reshape(-1, width).copy(), DEFAULT_LNZ, config.direct_size)

    def layer(self, rows, lnz: float, direct_size: int):
        """The layer over word rows (V, H) with maxent hashed as faster-rnnlm hashes."""
        import numpy as np
        size_v = rows.shape[0]
        if 0 < direct_size <= size_v:
            raise ConfigError(f"the {self.title} needs more maxent weights than words "
                              f"({size_v}); raise -direct")
        return self.layer_type(rows, np.array([lnz], np.float32),
                               np.array([max(direct_size - size_v, 0)], np.int64),
                               np.zeros(1, np.int8))

    def from_faster_rnnlm(self, stored, config):
        """The output of a faster-rnnlm NCE model (formats/faster_rnnlm.py)."""
        import numpy as np
        return self.layer(np.array(stored.output_rows), stored.nce_lnz, config.direct_size)

    def from_arrays(self, path, config, vocab, arrays, width: int):
        import numpy as np
        require(path, arrays, (*self.weights, *SHAPE_ARRAYS))
        check_shapes(path, arrays, {"Ow": (len(vocab), width), "lnz": (1,)})
        modulus = arrays["hash_mod"]
        if modulus.shape != (1,) or modulus.dtype != np.int64 or not (
                modulus[0] == 0 if config.direct_size == 0
                else 0 < modulus[0] <= config.direct_size - len(vocab)):
            raise ModelFileError(f"{path}: corrupt model, bad maxent hash modulus")
        return self.layer_type(arrays["Ow"], arrays["lnz"], modulus, np.zeros(1, np.int8))

    def stored_arrays(self, layer) -> dict:
        return {"Ow": layer.Ow, "lnz": layer.lnz, "hash_mod": layer.hash_mod}

    def scoring(self, layer, unnormalised: bool):
        """The layer scoring exactly normalised, or self-normalised exp(z - lnZ)."""
        import numpy as np
        return layer._replace(unnormalised=np.array([int(unnormalised)], np.int8))

    def unnormalised(self, layer) -> bool:
        return bool(layer.unnormalised[0])

    def vocab_size(self, layer) -> int:
        return layer.Ow.shape[0]

    def scratch_sizes(self, layer) -> tuple[int, int]:
        return 1, 1
