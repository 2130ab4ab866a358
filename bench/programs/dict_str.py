"""Dicts and str methods: word and bigram counts over generated text, split/join, formatting and
string building. No direct pyperformance counterpart."""

import random

SEED = 1234
SENTENCES = 5000
ROUNDS = 5

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "du", "fi", "go", "ha", "je"]


def make_vocabulary(rng, size):
    words = []
    seen = set()
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def make_text(rng, vocab, sentences):
    lines = []
    for _ in range(sentences):
        n = rng.randint(4, 14)
        # Zipf-like: low indices are much more frequent.
        words = [vocab[int(len(vocab) * rng.random() ** 3)] for _ in range(n)]
        words[0] = words[0].capitalize()
        lines.append(" ".join(words) + rng.choice([".", "!", "?", ";"]))
    return "\n".join(lines)


def count_words(text):
    counts = {}
    for line in text.splitlines():
        for word in line.split():
            word = word.strip(".!?;,").lower()
            if word:
                counts[word] = counts.get(word, 0) + 1
    return counts


def bigrams(text):
    pairs = {}
    for line in text.split("\n"):
        words = line.rstrip(".!?;").lower().split(" ")
        for a, b in zip(words, words[1:]):
            key = a + "_" + b
            if key in pairs:
                pairs[key] += 1
            else:
                pairs[key] = 1
    return pairs


def render_report(counts, limit):
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    out = []
    for rank, (word, n) in enumerate(top, 1):
        out.append(f"{rank:>4}. {word:<16}|{n:>6}|{word.upper()[::-1]}|{'#' * (n // 50)}")
    return "\n".join(out)


def transform(text):
    # A chain of str methods and concatenations producing a new string.
    parts = []
    for i, line in enumerate(text.splitlines()):
        if i % 3 == 0:
            line = line.replace("ka", "KA").replace("lo", "L0")
        elif i % 3 == 1:
            line = line.title()
        else:
            line = "-".join(line.split(" ")).swapcase()
        if line.startswith(("Ka", "KA", "ka")) or line.endswith("?"):
            line = line.center(len(line) + 4, "*")
        parts.append(line)
    joined = "|".join(parts)
    return len(joined), joined.count("KA"), joined.find("L0L0"), sum(map(len, joined.split("|")))


def invert(counts):
    by_count = {}
    for word, n in counts.items():
        by_count.setdefault(n, []).append(word)
    return {n: sorted(ws) for n, ws in by_count.items()}


def bench():
    rng = random.Random(SEED)
    vocab = make_vocabulary(rng, 600)
    results = []
    for _ in range(ROUNDS):
        text = make_text(rng, vocab, SENTENCES)
        counts = count_words(text)
        pairs = bigrams(text)
        report = render_report(counts, 100)
        inverted = invert(counts)
        results.append((len(text), sum(counts.values()), len(counts), len(pairs),
                        max(pairs.values()), len(report), len(inverted)) + transform(text))
    totals = tuple(map(sum, zip(*results)))
    assert totals == (1593564, 224949, 3000, 132086, 2820, 21084, 707,
                      1620652, 46214, 38385, 1595657), totals
