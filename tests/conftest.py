import os
import sys

# numba.cuda code runs in Numba's CUDA simulator unless the caller says otherwise
# (NUMBA_ENABLE_CUDASIM=0 on a machine with a GPU); read when numba is first imported.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

SHARED = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "shared"))


def shared_path(*parts):
    """Path under ../shared, or skip the test when that data is not present."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(f"{path} not available")
    return path


class TinyNet:
    """Random small network arrays in float32 with contiguous classes."""

    def __init__(self, seed=0, vocab=23, hidden=7, class_sizes=(1, 3, 5, 6, 8), direct=4000,
                 order=3, scale=0.5):
        rng = np.random.default_rng(seed)
        assert sum(class_sizes) == vocab
        self.word_class = np.repeat(np.arange(len(class_sizes)), class_sizes).astype(np.int32)
        self.class_start = np.concatenate([[0], np.cumsum(class_sizes)]).astype(np.int32)
        f32 = lambda *shape: (rng.standard_normal(shape) * scale).astype(np.float32)
        self.U, self.W = f32(vocab, hidden), f32(hidden, hidden)
        self.Oc, self.Ow = f32(len(class_sizes), hidden), f32(vocab, hidden)
        self.d = f32(direct) if direct else np.zeros(0, np.float32)
        self.order = order if direct else 0
        self.rng = rng

    def class_layer(self):
        """The class softmax over copies of Oc/Ow (kernels may update them)."""
        from rnnlm_cli.kernels.class_softmax import ClassSoftmax
        return ClassSoftmax(self.Oc.copy(), self.Ow.copy(), self.word_class, self.class_start)

    def hidden_state(self):
        return self.rng.uniform(0.05, 0.95, self.W.shape[0]).astype(np.float32)


@pytest.fixture
def tiny():
    return TinyNet()
