"""Kneser-Ney count adjustment (the "adjust" stage).

Input   counts of order k and k+1 (``OrderTable``), the non-event mask.
Output  counts of order k replaced in place by continuation counts:
        c'(w2..wk) = number of distinct words w1 with c(w1 w2..wk) > 0,
        except n-grams that start with a non-event (<s>): nothing precedes
        them, so they keep their raw counts.  The highest order stays raw.
"""
from __future__ import annotations

import numpy as np

from .counts import NgramCounts


def continuation_counts(counts: NgramCounts, k: int):
    """Replace the order-k counts by continuation counts from order k+1 (SRILM/KenLM)."""
    if k >= counts.order:
        return
    lower, upper = counts.tables[k - 1], counts.tables[k]
    nonevent = counts.vocab.nonevent_mask()
    first_word = counts.words_of(k)[:, 0]
    keep_raw = nonevent[first_word]
    seen = upper.count > 0
    extended = np.bincount(upper.suffix[seen], minlength=len(lower)).astype(np.int64)
    lower.count = np.where(keep_raw, lower.count, extended)
