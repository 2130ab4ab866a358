"""Big-integer arithmetic: digits of pi from an unbounded spigot (big *, +, //), cross-checked
against two arctan-series formulas. Resembles pyperformance's pidigits."""

SPIGOT_DIGITS = 2400
SERIES_DIGITS = 4000    # below the default 4300-digit limit of int -> str conversion


def spigot_pi(count):
    """The first `count` decimal digits of pi (Gibbons' streaming algorithm, as a generator)."""
    q, r, t, k, n, l = 1, 0, 1, 1, 3, 3
    produced = 0
    while produced < count:
        if 4 * q + r - t < n * t:
            yield n
            produced += 1
            q, r, n = 10 * q, 10 * (r - n * t), (10 * (3 * q + r)) // t - 10 * n
        else:
            q, r, t, k, n, l = (q * k, (2 * q + r) * l, t * l, k + 1,
                                (q * (7 * k + 2) + r * l) // (t * l), l + 2)


def arctan_inv(x, one):
    """arctan(1/x) scaled by `one`, by its alternating series."""
    total = term = one // x
    x2 = x * x
    divisor = 1
    sign = -1
    while term:
        term //= x2
        divisor += 2
        total += sign * (term // divisor)
        sign = -sign
    return total


def series_pi(digits, formula):
    """pi to `digits` digits as a string (a few guard digits dropped) from sum(c * arctan(1/x))."""
    guard = 12
    one = 10 ** (digits + guard)
    pi = 4 * sum(coef * arctan_inv(x, one) for coef, x in formula)
    return str(pi // 10 ** guard)[:digits]


MACHIN = ((4, 5), (-1, 239))
GAUSS = ((12, 18), (8, 57), (-5, 239))


def bench():
    spigot = "".join(map(str, spigot_pi(SPIGOT_DIGITS)))
    machin = series_pi(SERIES_DIGITS, MACHIN)
    gauss = series_pi(SERIES_DIGITS, GAUSS)
    assert spigot.startswith("31415926535897932384626433832795028841971693993751"), spigot[:50]
    assert machin == gauss, "the two series disagree"
    assert machin.startswith(spigot), "the spigot and the series disagree"
    assert sum(map(int, machin)) == 18197, sum(map(int, machin))
