"""Unicode: NFC/NFD/NFKC/NFKD normalization, casefold and case mapping, unicodedata lookups and
codec round trips over mixed-script non-ASCII text. No direct pyperformance counterpart."""

import random
import unicodedata

SEED = 99
LINES = 1200
ROUNDS = 5

# Non-ASCII literals are written as escapes so the file is plain ASCII.
WORDS = [
    # Latin with diacritics, ligatures and compatibility characters
    "caf\u00e9", "na\u00efve", "Stra\u00dfe", "\u00c5ngstr\u00f6m", "fa\u00e7ade",
    "cr\u00e8me br\u00fbl\u00e9e", "\ufb01anc\u00e9", "\u216b", "\u2460\u2461\u2462",
    "\uff21\uff22\uff23\uff11\uff12\uff13", "\u01c5emal", "e\u0301te\u0301", "\u0130stanbul",
    "\u0149", "\ufb00", "\u01c4", "\u00df", "\u00b5", "\u2126", "\u212a",
    # Greek, Cyrillic
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
    "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
    "\u03c8\u03c5\u03c7\u03ae", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u043c\u0438\u0440",
    "\u0401\u043b\u043a\u0430",
    # CJK, Hangul, half-width katakana, Arabic, Hebrew
    "\u65e5\u672c\u8a9e", "\u4e2d\u6587\u5b57\u7b26", "\ud55c\uad6d\uc5b4",
    "\uff76\uff80\uff76\uff85", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\u05e9\u05dc\u05d5\u05dd",
    # Emoji: a plain one, one with a skin-tone modifier, a flag
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f1eb\U0001f1f7",
    "plain", "ascii", "text",
]
CODECS = [
    ("utf-8", "strict"), ("utf-16", "strict"), ("utf-32-le", "strict"), ("utf-16-be", "strict"),
    ("latin-1", "replace"), ("cp1252", "xmlcharrefreplace"), ("cp1251", "backslashreplace"),
    ("iso8859-7", "ignore"), ("ascii", "namereplace"), ("mac-roman", "replace"),
]


def make_lines(rng, n):
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(n)]


def normalize_all(lines):
    sizes = [0, 0, 0, 0]
    changed = 0
    for line in lines:
        for k, form in enumerate(("NFC", "NFD", "NFKC", "NFKD")):
            out = unicodedata.normalize(form, line)
            sizes[k] += len(out)
            if out != line:
                changed += 1
        assert unicodedata.normalize("NFC", unicodedata.normalize("NFD", line)) == \
            unicodedata.normalize("NFC", line)
    return tuple(sizes), changed


def case_maps(lines):
    total = 0
    equal_folded = 0
    for line in lines:
        folded = line.casefold()
        total += (len(folded) + len(line.upper()) + len(line.lower()) + len(line.title())
                  + len(line.swapcase()))
        if folded == line.upper().casefold():
            equal_folded += 1
    return total, equal_folded


def codec_round_trips(lines):
    encoded_bytes = 0
    exact = 0
    for line in lines:
        for codec, errors in CODECS:
            data = line.encode(codec, errors)
            encoded_bytes += len(data)
            back = data.decode(codec, "replace")
            if back == line:
                exact += 1
    return encoded_bytes, exact


def char_stats(lines, categories):
    wide = combining = 0
    for ch in "".join(lines):
        cat = unicodedata.category(ch)
        categories[cat] = categories.get(cat, 0) + 1
        if unicodedata.east_asian_width(ch) in "WF":
            wide += 1
        if unicodedata.combining(ch):
            combining += 1
    return wide, combining


def bench():
    rng = random.Random(SEED)
    rows = []
    categories = {}
    for _ in range(ROUNDS):
        lines = make_lines(rng, LINES)
        text = "\n".join(lines)
        sizes, changed = normalize_all(lines)
        rows.append((len(text), len(text.encode("utf-8"))) + sizes + (changed,)
                    + case_maps(lines) + codec_round_trips(lines) + char_stats(lines, categories)
                    + (sum(w.isalpha() for w in text.split()), sum(c.isdigit() for c in text),
                       sum(c.isnumeric() for c in text)))
    names = sorted({unicodedata.name(ch, "?") for ch in "".join(WORDS)})
    totals = tuple(map(sum, zip(*rows)))
    assert totals == (231761, 389847, 223374, 246993, 231569, 257502, 19570, 1155163, 6000,
                      7726743, 24065, 22700, 2392, 37747, 7335, 8523), totals
    assert sorted(categories.items()) == [
        ("Ll", 114366), ("Lo", 29480), ("Lt", 1117), ("Lu", 23796), ("Mn", 2392), ("Nd", 3639),
        ("Nl", 1188), ("No", 3696), ("Sk", 1195), ("So", 4768), ("Zs", 40129)], categories
    assert (len(names), names[0], names[-1]) == (103, "ARABIC LETTER AIN", "THUMBS UP SIGN"), names

