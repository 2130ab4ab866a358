"""Regular expressions over generated log text: compiled patterns with finditer, findall,
subn with a callback and split. Resembles pyperformance's regex_effbot / regex_v8."""

import random
import re

SEED = 2024
LINES = 2200
ROUNDS = 4

LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]
HOSTS = ["api.example.com", "db-01.internal", "cache.local", "10.0.3.17", "edge-7.cdn.example.net"]
PATHS = ["/", "/login", "/api/v2/items", "/api/v2/items/{id}", "/static/app.{h}.js",
         "/search?q={q}"]
WORDS = ["timeout", "retry", "connected", "user", "request", "failed", "ok", "slow", "cache",
         "miss"]


def make_log(rng, n):
    lines = []
    for i in range(n):
        ts = "2024-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
            rng.randint(1, 12), rng.randint(1, 28), rng.randrange(24), rng.randrange(60),
            rng.randrange(60), rng.randrange(1000))
        path = rng.choice(PATHS).format(id=rng.randrange(10 ** 6), h="%08x" % rng.getrandbits(32),
                                        q="+".join(rng.sample(WORDS, 2)))
        msg = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7)))
        email = "%s.%s@%s" % (rng.choice(WORDS), rng.randrange(100), rng.choice(HOSTS[:3]))
        fmt = "%s [%s] host=%s method=%s path=%s status=%d took=%.1fms user=<%s> msg=\"%s\""
        lines.append(fmt % (
            ts, rng.choice(LEVELS), rng.choice(HOSTS), rng.choice(["GET", "POST", "PUT", "DELETE"]),
            path, rng.choice([200, 200, 200, 201, 301, 404, 500, 503]), rng.uniform(0.1, 900.0),
            email, msg))
    return "\n".join(lines)


LINE_RE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(?P<level>[A-Z]+)\] host=(?P<host>\S+) "
    r"method=(?P<method>GET|POST|PUT|DELETE) path=(?P<path>\S+) status=(?P<status>\d{3}) "
    r"took=(?P<took>\d+\.\d)ms user=<(?P<user>[^>]*)> msg=\"(?P<msg>[^\"]*)\"$", re.M)
EMAIL_RE = re.compile(r"\b([a-z]+)\.(\d+)@([a-z0-9.-]+\.[a-z]{2,})\b")
IPV4_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
HEX_RE = re.compile(r"\.([0-9a-f]{8})\.js")
WORD_RE = re.compile(r"\b(?:time\w*|retr(?:y|ies)|fail(?:ed|ure)?)\b", re.I)
SPLIT_RE = re.compile(r"[\s=<>\"\[\]]+")
SLOW_RE = re.compile(r"took=([5-9]\d\d|\d{4,})\.\dms")


def redact(match):
    return "%s.***@%s" % (match.group(1)[0], match.group(3).upper())


def bench():
    text = make_log(random.Random(SEED), LINES)
    results = []
    for _ in range(ROUNDS):
        levels = {}
        status_sum = 0
        for m in LINE_RE.finditer(text):
            levels[m.group("level")] = levels.get(m.group("level"), 0) + 1
            status_sum += int(m["status"])
        emails = EMAIL_RE.findall(text)
        ips = IPV4_RE.findall(text)
        numbers = NUMBER_RE.findall(text)
        hexes = HEX_RE.findall(text)
        words = WORD_RE.findall(text)
        slow = len(SLOW_RE.findall(text))
        redacted, n_redacted = EMAIL_RE.subn(redact, text)
        squashed = re.sub(r"\d+", "#", redacted)
        tokens = SPLIT_RE.split(squashed)
        errors = [ln for ln in text.splitlines()
                  if re.search(r"\[(?:ERROR|WARNING)\].*status=5\d\d", ln)]
        results.append((sorted(levels.items()), status_sum, len(emails), len(ips), len(numbers),
                        len(hexes), len(words), slow, n_redacted, len(squashed), len(tokens),
                        len(errors)))
    expected = ([("DEBUG", 534), ("ERROR", 552), ("INFO", 571), ("WARNING", 543)], 687074, 2200,
                415, 9169, 351, 3838, 949, 2200, 340093, 43194, 279)
    assert results == [expected] * ROUNDS, results
