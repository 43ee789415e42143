"""Discounting methods (the "discount" stage), as SRILM defines them.

Each method is estimated from the counts of one order and then applied per
n-gram: ``discount(c, total, observed)`` is the factor d with
p = d*c/total, and ``lower_order_weight(total, observed, n2plus, n3plus)``
the interpolation weight of the lower order (0 for backoff-only methods).
A discount of 0 removes the n-gram (counts below the minimum count).
Counts-of-counts use every n-gram of the order whose last word is an event.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError

PROB_EPSILON = 3e-6
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)   # KenLM's --discount_fallback defaults


class DiscountError(ConfigError):
    """The counts do not allow estimating the discounts (tiny or artificial data)."""


def counts_of_counts(counts: np.ndarray, last_word_is_event: np.ndarray, up_to: int) -> np.ndarray:
    """n[c] for c = 0..up_to over the n-grams whose last word is an event."""
    values = counts[last_word_is_event]
    return np.bincount(values[values <= up_to], minlength=up_to + 1)[:up_to + 1]


class Discount:
    """Base: no discounting; ``notes`` collects warnings for the caller to show."""

    interpolate = False
    min_count = 1

    def __init__(self):
        self.notes: list[str] = []

    def counts_of_counts_needed(self) -> int:
        """The largest count c whose count-of-counts n[c] the estimate reads (0: none)."""
        return 0

    def estimate(self, counts: np.ndarray, events: np.ndarray, order: int):
        """Estimate the parameters from the order's counts (events: last word is an event)."""
        self.estimate_from(counts_of_counts(counts, events, self.counts_of_counts_needed()),
                           order)

    def estimate_from(self, n: np.ndarray, order: int):
        """Estimate the parameters from the order's counts-of-counts n[0..needed]
        (partitioned estimation sums them over the partitions first)."""

    def nodiscount(self) -> bool:
        return False

    def discount(self, count, total, observed):
        raise NotImplementedError

    def lower_order_weight(self, total, observed, n2plus, n3plus):
        return np.zeros(np.shape(total))

    def _below_min(self, count):
        return count < self.min_count

    def _guarded(self, count, d):
        """d where the n-gram is kept; 1 for zero counts, 0 (removed) below the minimum."""
        return np.where(count <= 0, 1.0, np.where(self._below_min(count), 0.0, d))

    def _subtracting(self, count, subtract):
        """Absolute discounting: d = (c - D) / c, with D constant or per n-gram."""
        return self._guarded(count, (count - subtract) / np.maximum(count, 1))


class GoodTuring(Discount):
    """Katz/Good-Turing: d(c) = ((c+1) n_{c+1} / (c n_c) - A) / (1 - A) for c <= max."""

    def __init__(self, min_count: int, max_count: int):
        super().__init__()
        self.min_count, self.max_count = min_count, max_count
        self.coefficients = np.ones(max(max_count, 0) + 1)

    def counts_of_counts_needed(self):
        return self.max_count + 1

    def estimate_from(self, n, order):
        n = n.astype(np.float64)
        if n[1] == 0:
            self.notes.append(f"warning: no singleton counts for order {order}")
            self.max_count = 0
        while self.max_count > 0 and n[self.max_count + 1] == 0:
            self.notes.append(f"warning: count of count {self.max_count + 1} is zero "
                              f"for order {order} "
                 "-- lowering maxcount")
            self.max_count -= 1
        self.coefficients = np.ones(self.max_count + 1)
        if self.max_count <= 0:
            return
        common = (self.max_count + 1) * n[self.max_count + 1] / n[1]
        for c in range(1, self.max_count + 1):
            if n[c] == 0:
                continue
            plain = (c + 1) * n[c + 1] / (c * n[c])
            with np.errstate(divide="ignore", invalid="ignore"):   # checked just below
                coefficient = (plain - common) / (1.0 - common)
            if not np.isfinite(coefficient) or coefficient <= PROB_EPSILON or plain > 1.0:
                self.notes.append(f"warning: discount coeff {c} is out of range: {coefficient}")
                coefficient = 1.0
            self.coefficients[c] = coefficient

    def nodiscount(self):
        return self.min_count <= 1 and self.max_count <= 0

    def discount(self, count, total, observed):
        table = np.ones(self.max_count + 2)
        table[1:self.max_count + 1] = self.coefficients[1:]
        d = table[np.clip(count, 0, self.max_count + 1).astype(np.int64)]
        return self._guarded(count, np.where(count > self.max_count, 1.0, d))


class WittenBell(Discount):
    """d = total / (total + observed); lower-order weight observed / (total + observed)."""

    def __init__(self, min_count: int):
        super().__init__()
        self.min_count = min_count

    def discount(self, count, total, observed):
        return self._guarded(count, total / (total + observed))

    def lower_order_weight(self, total, observed, n2plus, n3plus):
        return observed / (total + observed)


class ConstDiscount(Discount):
    """Absolute discounting: d = (c - D) / c; lower-order weight D * observed / total."""

    def __init__(self, value: float, min_count: int):
        super().__init__()
        self.value, self.min_count = min(max(value, 0.0), 1.0), min_count

    def nodiscount(self):
        return self.min_count <= 1 and self.value == 0.0

    def discount(self, count, total, observed):
        return self._subtracting(count, self.value)

    def lower_order_weight(self, total, observed, n2plus, n3plus):
        return self.value * observed / total


class KneserNey(Discount):
    """Original Kneser-Ney: one discount D = n1 / (n1 + 2 n2) per order."""

    uses_continuation_counts = True

    def __init__(self, min_count: int, fallback: bool = False):
        super().__init__()
        self.min_count, self.fallback = min_count, fallback
        self.d1 = 0.0

    def counts_of_counts_needed(self):
        return 2

    def estimate_from(self, n, order):
        if n[1] == 0 or n[2] == 0:
            self._fail(order, "one of required KneserNey count-of-counts is zero", n[1:3])
            self.d1 = FALLBACK_DISCOUNTS[0]
            return
        self.d1 = n[1] / (n[1] + 2.0 * n[2])

    def _fail(self, order, reason, n):
        message = (f"cannot estimate Kneser-Ney discounts for order {order}: {reason} "
                   f"(count-of-counts n1.. = {', '.join(str(int(x)) for x in n)}; usually the "
                   "data is too small or artificial) -- use -wbdiscount, a lower -order, or "
                   "-discount-fallback")
        if not self.fallback:
            raise DiscountError(message)
        self.notes.append(f"warning: {message}; using fallback discounts "
             f"{' '.join(str(d) for d in FALLBACK_DISCOUNTS)}")

    def discount(self, count, total, observed):
        return self._subtracting(count, self.d1)

    def lower_order_weight(self, total, observed, n2plus, n3plus):
        return self.d1 * observed / total


class ModifiedKneserNey(KneserNey):
    """Chen & Goodman: D1, D2, D3+ from n1..n4 of the (continuation) counts."""

    def __init__(self, min_count: int, fallback: bool = False):
        super().__init__(min_count, fallback)
        self.d2 = self.d3 = 0.0

    def counts_of_counts_needed(self):
        return 4

    def estimate_from(self, n, order):
        n = n.astype(np.float64)
        if np.any(n[1:5] == 0):
            self._fail(order, "one of required modified KneserNey count-of-counts is zero",
                       n[1:5])
            self.d1, self.d2, self.d3 = FALLBACK_DISCOUNTS
            return
        y = n[1] / (n[1] + 2 * n[2])
        self.d1 = 1 - 2 * y * n[2] / n[1]
        self.d2 = 2 - 3 * y * n[3] / n[2]
        self.d3 = 3 - 4 * y * n[4] / n[3]
        if min(self.d1, self.d2, self.d3) < 0:
            self._fail(order, "one of modified KneserNey discounts is negative", n[1:5])
            self.d1, self.d2, self.d3 = FALLBACK_DISCOUNTS

    def discount(self, count, total, observed):
        return self._subtracting(
            count, np.where(count == 1, self.d1, np.where(count == 2, self.d2, self.d3)))

    def lower_order_weight(self, total, observed, n2plus, n3plus):
        return (self.d1 * (observed - n2plus) + self.d2 * (n2plus - n3plus)
                + self.d3 * n3plus) / total

