"""The full softmax over the vocabulary with faster-rnnlm's maxent hashing
(kernels/softmax.py): what faster-rnnlm's NCE models load as.  Trained here with the
exact gradient, O(V H) per word: for small vocabularies and for going on training an
imported model.

NumPy and the kernels are imported inside the methods (see elman.py).
"""
from __future__ import annotations

from ..errors import ModelFileError
from .base import (OutputSpec, check_shapes, faster_rnnlm_modulus, require,
                   valid_faster_rnnlm_modulus)

SHAPE_ARRAYS = ("lnz", "hash_mod", "noise_state")
NOISE_TABLE_CELLS = 1e8     # faster-rnnlm's unigram table: every word keeps at least
NOISE_MIN_CELLS = 5         # this many of its cells (additive smoothing)
BLOCK_LOGITS = 1 << 22      # logits computed at once when scoring in matrix products


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
        """NCE's noise state starts from the training seed (kernels/softmax.py)."""
        import numpy as np
        return self.layer(draws.reshape(-1, width).copy(), config.nce_lnz, config, vocab.counts,
                          np.array([int(draws.shape[0])], np.uint64))

    def layer(self, rows, lnz: float, config, counts, noise_state):
        """The layer over word rows (V, H) with maxent hashed as faster-rnnlm hashes and
        -nce's noise distribution over ``counts``."""
        import numpy as np
        cdf, lnq = noise_distribution(counts, config.nce_unigram_power)
        return self.layer_type(rows, np.array([lnz], np.float32),
                               faster_rnnlm_modulus(self.title, config.direct_size, rows.shape[0]),
                               np.zeros(1, np.int8), cdf, lnq,
                               np.array([config.nce], np.int64), noise_state)

    def from_faster_rnnlm(self, stored, config):
        """The output of a faster-rnnlm NCE model (formats/faster_rnnlm.py)."""
        import numpy as np
        return self.layer(np.array(stored.output_rows), stored.nce_lnz, config, stored.counts,
                          np.zeros(1, np.uint64))

    def from_arrays(self, path, config, vocab, arrays, width: int):
        import numpy as np
        require(path, arrays, (*self.weights, *SHAPE_ARRAYS))
        check_shapes(path, arrays, {"Ow": (len(vocab), width), "lnz": (1,)})
        state = arrays["noise_state"]
        if not valid_faster_rnnlm_modulus(arrays["hash_mod"], config.direct_size, len(vocab)) \
                or state.shape != (1,) or state.dtype != np.uint64:
            raise ModelFileError(f"{path}: corrupt model, bad softmax layer arrays")
        layer = self.layer(arrays["Ow"], float(arrays["lnz"][0]), config, vocab.counts,
                           np.array(state))
        return layer._replace(lnz=arrays["lnz"])

    def stored_arrays(self, layer) -> dict:
        return {"Ow": layer.Ow, "lnz": layer.lnz, "hash_mod": layer.hash_mod,
                "noise_state": layer.noise_state}

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

    scores_in_matrices = True    # Network.score reads a stream's states, then scores here

    def batch_log10_probs(self, net, S, target, hist, rows=None):
        """log10 P(target[n] | S[rows[n]], hist[n]): the logits of a block of rows in one BLAS
        product, the maxent features added, then log-sum-exp per row (one Numba pass)."""
        import numpy as np
        from ..kernels.softmax import add_maxent_rows, log10_softmax_rows
        layer = net.output
        if rows is not None:
            S = S[rows]
        if self.unnormalised(layer):
            return super().batch_log10_probs(net, S, target, hist)
        rows = max(1, BLOCK_LOGITS // layer.Ow.shape[0])
        logp = np.empty(S.shape[0])
        for first in range(0, S.shape[0], rows):
            block = slice(first, first + rows)
            Z = S[block] @ layer.Ow.T
            add_maxent_rows(Z, net.d, net.maxent_order, hist[block], layer.hash_mod[0])
            log10_softmax_rows(Z, np.ascontiguousarray(target[block]), logp[block])
        return logp


    def train_block(self, net, S, targets, hist, alpha, l2, maxent_decay, cutoff,
                    streams: int):
        """NCE on a mini-batch block.  The B streams of a step share that step's K noise
        words, so their K rows, gathered once, serve the whole step: the noise logits,
        the hidden errors and the rows' gradients are batched matrix products (BLAS);
        the targets' rows are row-wise dot products.  The exact gradient (no -nce) goes
        row by row."""
        import numpy as np
        from ..kernels.class_softmax import clip
        from ..kernels.softmax import add_to_rows, draw_noise_rows, nce_block_errors
        layer = net.output
        count = int(layer.samples[0])
        if count == 0:
            return super().train_block(net, S, targets, hist, alpha, l2, maxent_decay, cutoff,
                                       streams)
        steps, width = S.shape[0] // streams, S.shape[1]
        S3 = S.reshape(steps, streams, width)
        words = targets.reshape(steps, streams)
        noise = np.empty((steps, count), np.int64)
        draw_noise_rows(layer, noise)
        W_noise = layer.Ow[noise]                                   # (T, K, H)
        W_target = layer.Ow[np.maximum(words, 0)]                   # (T, B, H)
        Z_noise = np.matmul(S3, W_noise.transpose(0, 2, 1))
        z_target = np.einsum("tbh,tbh->tb", S3, W_target)
        g_target = np.empty(words.shape, np.float32)
        G_noise = np.empty_like(Z_noise)
        total = nce_block_errors(layer, z_target, Z_noise, words, noise, net.d,
                                 net.maxent_order, hist, np.float32(alpha),
                                 np.float32(maxent_decay), g_target, G_noise)
        errors = (np.matmul(G_noise, W_noise) + g_target[:, :, None] * W_target).reshape(
            -1, width)
        clip(errors.reshape(-1), cutoff)
        rate, decay = np.float32(alpha), np.float32(l2)
        add_to_rows(layer.Ow, noise.reshape(-1),
                    np.matmul(G_noise.transpose(0, 2, 1), S3).reshape(-1, width), rate, decay)
        add_to_rows(layer.Ow, np.where(words >= 0, words, -1).reshape(-1),
                    (g_target[:, :, None] * S3).reshape(-1, width), rate, decay)
        return total, errors


def noise_distribution(counts, power: float):
    """(cdf, ln q) of NCE's noise: q(w) proportional to count(w)^power plus the additive
    share that gives every word at least NOISE_MIN_CELLS of faster-rnnlm's table."""
    import numpy as np
    quasi = np.asarray(counts, np.float64) ** power
    size_v, total = quasi.shape[0], float(quasi.sum())
    if NOISE_MIN_CELLS * size_v < NOISE_TABLE_CELLS:
        quasi += max(0.0, (NOISE_MIN_CELLS * total - quasi.min() * NOISE_TABLE_CELLS)
                     / (NOISE_TABLE_CELLS - NOISE_MIN_CELLS * size_v))
    q = quasi / quasi.sum()
    cdf = np.cumsum(q)
    cdf[-1] = 1.0
    with np.errstate(divide="ignore"):
        return cdf, np.log(q)
