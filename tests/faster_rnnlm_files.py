"""Writing faster-rnnlm model files for tests, in the layout rnnlm-formats(5) describes
(our own writer: random weights, any hidden type, layer count and header version)."""
import struct

import numpy as np

from rnnlm_cli.formats.faster_rnnlm import GRU_MATRICES, GRU_TYPES, GRU_VECTORS


def write_model(path, words, counts, hidden, layer_type="sigmoid", layer_count=1,
                hash_size=0, maxent_order=0, version=6, seed=0, scale=0.6, arity=2,
                nce=False, lnz=9.0):
    """The vocabulary at ``path`` and the weights at ``path``.nnet; returns the arrays."""
    rng = np.random.default_rng(seed)
    f32 = lambda *shape: (rng.standard_normal(shape) * scale).astype("<f4")
    with open(path, "w") as f:
        f.write("".join(f"{w} {c}\n" for w, c in zip(words, counts)))
    size_v = len(words)
    arrays = {"embeddings": f32(size_v, hidden), "output": f32(size_v, hidden)}
    gru = layer_type in GRU_TYPES
    matrices = [GRU_MATRICES if gru else ("recurrent",) if k == 0 else ("recurrent", "input")
                for k in range(layer_count)]
    vectors = [GRU_VECTORS if gru else () for _ in range(layer_count)]
    layers = [{name: f32(hidden, hidden) for name in matrices[k]} for k in range(layer_count)]
    for k in range(layer_count):
        layers[k].update({name: f32(hidden) for name in vectors[k]})
    maxent = f32(hash_size) * 0.5
    maxent[rng.random(hash_size) < 0.2] = 0.0          # never-trained features
    with open(path + ".nnet", "wb") as f:
        f.write(struct.pack("<qqi", hidden + 10000 * version, hash_size, maxent_order))
        if version >= 2:
            f.write(struct.pack("<?f", nce, lnz))
        if version >= 3:
            f.write(struct.pack("<?", False))
        if version >= 4:
            f.write(layer_type.encode().ljust(64, b"\0"))
        if version >= 5:
            f.write(struct.pack("<i", layer_count))
        if version >= 6:
            f.write(struct.pack("<i", arity))
        f.write(arrays["embeddings"].tobytes() + arrays["output"].tobytes())
        for k in range(layer_count):
            f.write(b"".join(layers[k][name].tobytes() for name in matrices[k]))
        for k in range(layer_count):
            f.write(b"".join(layers[k][name].tobytes() for name in vectors[k]))
        f.write(maxent.tobytes())
    return arrays, layers, maxent
