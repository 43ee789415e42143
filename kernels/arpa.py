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
_POWERS = np.array([10.0 ** i for i in range(23)])      # exact in double


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


# ------------------------------------------------------------------ writing

_INT_POW10 = np.array([10 ** i for i in range(19)], dtype=np.int64)


@kernel
def _put_int(out, pos, value, width):
    """Write ``value`` with at least ``width`` digits at out[pos:]; return the new pos."""
    n = 1
    rest = value // 10
    while rest > 0:
        n += 1
        rest //= 10
    n = max(n, width)
    for i in range(n - 1, -1, -1):
        out[pos + i] = 48 + value % 10
        value //= 10
    return pos + n


@kernel
def _times_pow10(value, power):
    """value * 10**power (value / 10**-power for a negative power), from a table of the
    exact powers where it has them."""
    if 0 <= power < 23:
        return value * _POWERS[power]
    if -23 < power < 0:
        return value / _POWERS[-power]
    return value * 10.0 ** power if power >= 0 else value / 10.0 ** (-power)


@kernel
def format_g7(value, out, pos):
    """printf("%.7g") of ``value`` into out[pos:]; returns the new pos, or -1 when the
    value lies too close to a rounding tie to decide in double precision."""
    if value == 0.0:
        out[pos] = 48
        return pos + 1
    if value < 0:
        out[pos] = 45
        pos += 1
        value = -value
    exponent = int(np.floor(np.log10(value)))
    scaled = _times_pow10(value, 6 - exponent)
    if scaled < 1e6:              # log10 rounding put the exponent one too high
        exponent -= 1
        scaled *= 10.0
    elif scaled >= 1e7:
        exponent += 1
        scaled /= 10.0
    whole = np.floor(scaled)
    fraction = scaled - whole
    if abs(fraction - 0.5) < 1e-6:
        return -1
    digits = np.int64(whole) + (1 if fraction > 0.5 else 0)
    if digits == 10_000_000:
        digits = 1_000_000
        exponent += 1
    # strip trailing zeros of the 7 significant digits
    significant = 7
    while significant > 1 and digits % 10 == 0:
        digits //= 10
        significant -= 1
    if exponent < -4 or exponent >= 7:
        lead = digits // _INT_POW10[significant - 1]
        pos = _put_int(out, pos, lead, 1)
        if significant > 1:
            out[pos] = 46
            pos = _put_int(out, pos + 1, digits - lead * _INT_POW10[significant - 1],
                           significant - 1)
        out[pos] = 101
        out[pos + 1] = 45 if exponent < 0 else 43
        return _put_int(out, pos + 2, abs(exponent), 2)
    if exponent >= 0:
        integer_digits = exponent + 1
        if significant <= integer_digits:
            return _put_int(out, pos, digits * _INT_POW10[integer_digits - significant], 1)
        head = digits // _INT_POW10[significant - integer_digits]
        pos = _put_int(out, pos, head, 1)
        out[pos] = 46
        return _put_int(out, pos + 1, digits - head * _INT_POW10[significant - integer_digits],
                        significant - integer_digits)
    out[pos] = 48
    out[pos + 1] = 46
    pos += 2
    for _ in range(-exponent - 1):
        out[pos] = 48
        pos += 1
    return _put_int(out, pos, digits, significant)


@kernel
def write_ngram_lines(out, pos, first_row, probs, bows, has_bow, words, word_bytes, word_start,
                      fallback, fallback_bytes, fallback_start):
    """Assemble ``log10p<TAB>w1 .. wk[<TAB>log10bow]`` lines into ``out``, from row
    ``first_row`` on, writing at byte ``pos``.

    words (n, k) are word ids into the UTF-8 pool word_bytes/word_start; -inf is
    written -99.  Values whose %.7g the kernel cannot decide (near-ties, about one
    in 10^5) are looked up in the fallback pool (caller-formatted, keyed by position
    in the sorted ``fallback``).  Returns (bytes written, -1) when done, or, when a
    row holds such a value missing from the pool, (where that row starts, the row):
    the caller formats it and resumes there.
    """
    n, k = words.shape
    for row in range(first_row, n):
        row_start = pos
        for which in range(2):
            if which == 1:
                if not has_bow[row]:
                    break
                out[pos] = 9
                pos += 1
                value = bows[row]
            else:
                value = probs[row]
            if value == -np.inf:
                out[pos] = 45
                out[pos + 1] = 57
                out[pos + 2] = 57
                pos += 3
            else:
                end = format_g7(value, out, pos)
                if end < 0:
                    at = np.searchsorted(fallback, value)
                    if at >= fallback.shape[0] or fallback[at] != value:
                        return row_start, row
                    for b in range(fallback_start[at], fallback_start[at + 1]):
                        out[pos] = fallback_bytes[b]
                        pos += 1
                else:
                    pos = end
            if which == 0:
                out[pos] = 9
                pos += 1
                for j in range(k):
                    if j > 0:
                        out[pos] = 32
                        pos += 1
                    w = words[row, j]
                    for b in range(word_start[w], word_start[w + 1]):
                        out[pos] = word_bytes[b]
                        pos += 1
        out[pos] = 10
        pos += 1
    return pos, -1
