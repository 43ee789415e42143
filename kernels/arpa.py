"""Scanning the n-gram lines of an ARPA section from raw bytes.

Each line is ``log10p w1 .. wk [log10bow]`` separated by spaces or tabs.  Words
are identified by 64-bit hashes: h(word) is FNV-1a over its bytes, and an
n-gram's hash chains them, H(w1..wk) = combine(H(w1..wk-1), h(wk)), so the
context hash of a k-gram equals the full hash of its (k-1)-word prefix.

Numbers are parsed exactly when the decimal mantissa has at most 15 digits and
the decimal exponent is within 22 (one correctly rounded multiply or divide);
other numbers are flagged for the caller to parse.
"""
import numpy as np

from ._jit import kernel

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)
CHAIN_SEED = np.uint64(0x9E3779B97F4A7C15)

OK, BAD_FIELDS = 0, 1
_POWERS = np.array([10.0 ** i for i in range(23)])


@kernel
def combine(h, word_hash):
    """Chain an n-gram hash with the next word's hash (order-sensitive)."""
    h ^= word_hash + CHAIN_SEED + (h << np.uint64(6)) + (h >> np.uint64(2))
    return h * FNV_PRIME


@kernel
def _is_space(c):
    return c == 32 or c == 9 or c == 13


@kernel
def parse_number(buf, start, end):
    """(value, exact) of the decimal number in buf[start:end]."""
    i = start
    negative = False
    if i < end and (buf[i] == 45 or buf[i] == 43):
        negative = buf[i] == 45
        i += 1
    mantissa = np.int64(0)
    digits = 0          # significant digits
    exponent = 0
    seen_digit = False
    fraction = False
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            seen_digit = True
            if mantissa > 0 or c > 48:
                digits += 1
            if digits <= 15:
                mantissa = mantissa * 10 + (c - 48)
                if fraction:
                    exponent -= 1
            elif not fraction:
                exponent += 1
        elif c == 46 and not fraction:
            fraction = True
        else:
            break
        i += 1
    if i < end and (buf[i] == 101 or buf[i] == 69):
        i += 1
        sign = 1
        if i < end and (buf[i] == 45 or buf[i] == 43):
            sign = -1 if buf[i] == 45 else 1
            i += 1
        if i >= end:
            return 0.0, False
        value = 0
        while i < end and 48 <= buf[i] <= 57 and value < 10000:
            value = value * 10 + (buf[i] - 48)
            i += 1
        exponent += sign * value
    if i != end or not seen_digit or digits > 15:
        return 0.0, False
    result = float(mantissa)
    if mantissa != 0:
        if 0 <= exponent <= 22:
            result = result * _POWERS[exponent]
        elif -22 <= exponent < 0:
            result = result / _POWERS[-exponent]
        else:
            return 0.0, False
    return (-result if negative else result), True


@kernel
def scan_section(buf, start, end, order, first_line, probs, bows, exact, context_hash,
                 word_hash, full_hash, line_of, offset_of):
    """Parse the lines in buf[start:end] into the output arrays (one row per n-gram).

    bows[row] is NaN when the line has no backoff weight.  exact[row] bit 0 /
    bit 1 is clear when the probability / weight must be re-parsed by the
    caller.  Returns (rows, status, line number of the first bad line).
    """
    row = 0
    line = first_line
    i = start
    while i < end:
        j = i
        while j < end and buf[j] != 10:
            j += 1
        # fields of buf[i:j]
        k = i
        field = 0
        h = CHAIN_SEED
        flags = 3
        bow_value = np.nan
        prob_value = 0.0
        last_word = np.uint64(0)
        context = np.uint64(0)
        while True:
            while k < j and _is_space(buf[k]):
                k += 1
            if k >= j:
                break
            f = k
            while k < j and not _is_space(buf[k]):
                k += 1
            if field == 0:
                prob_value, ok = parse_number(buf, f, k)
                if not ok:
                    flags &= 2
            elif field <= order:
                w = FNV_OFFSET
                for b in range(f, k):
                    w = (w ^ np.uint64(buf[b])) * FNV_PRIME
                context = h
                h = combine(h, w)
                last_word = w
            elif field == order + 1:
                bow_value, ok = parse_number(buf, f, k)
                if not ok:
                    flags &= 1
            field += 1
        if field > 0:
            if field != order + 1 and field != order + 2:
                return row, BAD_FIELDS, line
            probs[row] = prob_value
            bows[row] = bow_value if field == order + 2 else np.nan
            exact[row] = flags if field == order + 2 else flags | 2
            context_hash[row] = context
            word_hash[row] = last_word
            full_hash[row] = h
            line_of[row] = line
            offset_of[row] = i
            row += 1
        line += 1
        i = j + 1
    return row, OK, line


@kernel
def word_hash_of(data):
    """FNV-1a hash of one word's UTF-8 bytes (the vocabulary side of scan_section)."""
    w = FNV_OFFSET
    for b in range(data.shape[0]):
        w = (w ^ np.uint64(data[b])) * FNV_PRIME
    return w
