"""Counting over packed integer n-gram keys.

An n-gram of order k is packed as ``prefix_id * V + word`` (int64), where
prefix_id indexes the (k-1)-gram table; sorting such keys groups n-grams by
context, which is the order every estimation stage reads them in.
"""
import numpy as np

from ._jit import kernel


@kernel
def count_sorted_runs(sorted_keys):
    """Run-length encode sorted keys.

    Returns (unique keys, run counts, run index of every sorted position).
    """
    n = sorted_keys.shape[0]
    run_of = np.empty(n, dtype=np.int64)
    unique = np.empty(n, dtype=np.int64)
    counts = np.empty(n, dtype=np.int64)
    runs = -1
    for i in range(n):
        if i == 0 or sorted_keys[i] != sorted_keys[i - 1]:
            runs += 1
            unique[runs] = sorted_keys[i]
            counts[runs] = 0
        counts[runs] += 1
        run_of[i] = runs
    return unique[:runs + 1].copy(), counts[:runs + 1].copy(), run_of


@kernel
def extend_ids(prev_ids, words, sentence_start, length, vocab_size, keys):
    """Keys of the n-grams of order ``length`` ending at each position.

    prev_ids[p] is the id of the (length-1)-gram ending at p (-1 if none);
    the n-gram ending at p is valid when it starts inside p's sentence.
    keys[p] = prev_ids[p-1] * V + words[p], or -1.  Returns the number of
    valid keys.
    """
    valid = 0
    keys[0] = -1
    for p in range(1, words.shape[0]):
        if p - length + 1 >= sentence_start[p] and prev_ids[p - 1] >= 0:
            keys[p] = prev_ids[p - 1] * vocab_size + words[p]
            valid += 1
        else:
            keys[p] = -1
    return valid
