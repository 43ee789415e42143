"""Slow float64 NumPy twins of the gated hidden layers (kernels/gru.py, lstm.py,
scrn.py): one step each, on the layer's whole state."""
import numpy as np

from naive import sigmoid


def gru_forward(U, W, prev_word, h_prev):
    """The GRU step in float64: U (V, 3H) [z | r | c] inputs, W (3H, H) stacked."""
    size = W.shape[1]
    W = W.astype(np.float64)
    h = np.asarray(h_prev, np.float64)
    x = U[prev_word].astype(np.float64) if prev_word >= 0 else np.zeros(3 * size)
    z = sigmoid(np.clip(W[:size] @ h + x[:size], -50, 50))
    r = sigmoid(np.clip(W[size:2 * size] @ h + x[size:2 * size], -50, 50))
    c = np.tanh(np.clip(W[2 * size:] @ (r * h) + x[2 * size:], -50, 50))
    return (1 - z) * h + z * c


def lstm_forward(U, W, b, prev_word, state):
    """The LSTM step in float64 on the state [h, c]; returns the new [h, c]."""
    size = W.shape[1]
    state = np.asarray(state, np.float64)
    h, c = state[:size], state[size:]
    x = U[prev_word].astype(np.float64) if prev_word >= 0 else np.zeros(4 * size)
    pre = np.clip(W.astype(np.float64) @ h + x + b, -50, 50)
    i, f, o = (sigmoid(pre[k * size:(k + 1) * size]) for k in range(3))
    c = f * c + i * np.tanh(pre[3 * size:])
    return np.concatenate([o * np.tanh(c), c])


def scrn_forward(A, R, P, B, prev_word, state, decay=0.95):
    """The SCRN step in float64 on the state [h, c]; returns the new [h, c]."""
    size_h = R.shape[0]
    state = np.asarray(state, np.float64)
    h, c = state[:size_h], state[size_h:]
    c = decay * c + ((1 - decay) * B[prev_word].astype(np.float64) if prev_word >= 0 else 0)
    pre = R.astype(np.float64) @ h + P.astype(np.float64) @ c
    if prev_word >= 0:
        pre = pre + A[prev_word]
    return np.concatenate([sigmoid(np.clip(pre, -50, 50)), c])
