"""Dense row-major matrix-vector loops shared by the per-word kernels, four rows at a time.

At hidden sizes around 100 these loops are bound by loads and stores, not by
arithmetic: one row per pass reloads (and, for sums into a vector, re-stores) the
vector once per row; four rows per pass do that a quarter as often.  At hidden 100:
a BPTT unfold and update of 13 steps 1.27-1.38x faster (25 -> 18-20 us), a 100 x 100
product with a vector 584 -> 495 ns.  The float32 sums are taken in another order than
one row per pass, which moves results in their last bits.
"""
import numpy as np

from ._jit import kernel


@kernel
def rows_dot(rows, first, count, x, out):
    """out[k] = rows[first + k] . x for k < count."""
    k = 0
    while k + 4 <= count:
        r0, r1, r2, r3 = rows[first + k], rows[first + k + 1], rows[first + k + 2], \
            rows[first + k + 3]
        a0 = a1 = a2 = a3 = np.float32(0.0)
        for j in range(x.shape[0]):
            v = x[j]
            a0 += r0[j] * v
            a1 += r1[j] * v
            a2 += r2[j] * v
            a3 += r3[j] * v
        out[k], out[k + 1], out[k + 2], out[k + 3] = a0, a1, a2, a3
        k += 4
    while k < count:
        row = rows[first + k]
        acc = np.float32(0.0)
        for j in range(x.shape[0]):
            acc += row[j] * x[j]
        out[k] = acc
        k += 1


@kernel
def add_weighted_rows(out, rows, weights, count):
    """out += sum over k < count of weights[k] * rows[k]."""
    k = 0
    while k + 4 <= count:
        r0, r1, r2, r3 = rows[k], rows[k + 1], rows[k + 2], rows[k + 3]
        w0, w1, w2, w3 = weights[k], weights[k + 1], weights[k + 2], weights[k + 3]
        for j in range(out.shape[0]):
            out[j] += w0 * r0[j] + w1 * r1[j] + w2 * r2[j] + w3 * r3[j]
        k += 4
    while k < count:
        row, w = rows[k], weights[k]
        for j in range(out.shape[0]):
            out[j] += w * row[j]
        k += 1


@kernel
def backprop_rows(rows, first, count, errors, s, alpha, l2, e_hidden):
    """e_hidden += sum_k errors[k] * rows[first+k] (old weights), then update those rows:
    rows[first+k] += alpha*errors[k]*s - rows[first+k]*l2."""
    alpha = np.float32(alpha)
    l2 = np.float32(l2)
    k = 0
    while k + 4 <= count:
        r0, r1, r2, r3 = rows[first + k], rows[first + k + 1], rows[first + k + 2], \
            rows[first + k + 3]
        e0, e1, e2, e3 = errors[k], errors[k + 1], errors[k + 2], errors[k + 3]
        t0, t1, t2, t3 = alpha * e0, alpha * e1, alpha * e2, alpha * e3
        for j in range(s.shape[0]):
            w0, w1, w2, w3 = r0[j], r1[j], r2[j], r3[j]
            e_hidden[j] += e0 * w0 + e1 * w1 + e2 * w2 + e3 * w3
            x = s[j]
            r0[j] = w0 + t0 * x - w0 * l2
            r1[j] = w1 + t1 * x - w1 * l2
            r2[j] = w2 + t2 * x - w2 * l2
            r3[j] = w3 + t3 * x - w3 * l2
        k += 4
    while k < count:
        row, err = rows[first + k], errors[k]
        step = alpha * err
        for j in range(s.shape[0]):
            w = row[j]
            e_hidden[j] += err * w
            row[j] = w + step * s[j] - w * l2
        k += 1


@kernel
def add_outer_products(W, G, X, count, total, l2):
    """W += sum over k < count of outer(G[k], X[k]) - W * l2 (the recurrent matrix's BPTT
    update from the steps' scaled errors G and inputs X), row by row through ``total``
    (scratch, W's row length), four steps per pass."""
    l2 = np.float32(l2)
    for i in range(W.shape[0]):
        total[:] = 0.0
        k = 0
        while k + 4 <= count:
            x0, x1, x2, x3 = X[k], X[k + 1], X[k + 2], X[k + 3]
            g0, g1, g2, g3 = G[k, i], G[k + 1, i], G[k + 2, i], G[k + 3, i]
            for j in range(total.shape[0]):
                total[j] += g0 * x0[j] + g1 * x1[j] + g2 * x2[j] + g3 * x3[j]
            k += 4
        while k < count:
            x, g = X[k], G[k, i]
            for j in range(total.shape[0]):
                total[j] += g * x[j]
            k += 1
        row = W[i]
        for j in range(total.shape[0]):
            row[j] += total[j] - row[j] * l2
