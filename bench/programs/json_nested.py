"""JSON: json.dumps (compact, indented + sorted, ensure_ascii off) and json.loads of nested
documents, with round-trip checks. Resembles pyperformance's json_dumps and json_loads."""

import json
import random

SEED = 42
RECORDS = 400
ROUNDS = 9

TAGS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
CITIES = ["Oslo", "Lyon", "Krak\u00f3w", "S\u00e3o Paulo", "Z\u00fcrich", "T\u014dky\u014d",
          "Reykjav\u00edk", "\u0627\u0644\u0642\u0627\u0647\u0631\u0629"]


def make_record(rng, i):
    return {
        "id": i,
        "name": "user%05d" % rng.randrange(100000),
        "active": rng.random() < 0.7,
        "score": round(rng.uniform(-1000.0, 1000.0), 3),
        "ratio": rng.random(),
        "tags": rng.sample(TAGS, rng.randint(0, 5)),
        "address": {
            "city": rng.choice(CITIES),
            "zip": "%05d" % rng.randrange(100000),
            "geo": [rng.uniform(-90, 90), rng.uniform(-180, 180)],
        },
        "history": [
            {"t": rng.randrange(10 ** 9), "kind": rng.choice(["login", "buy", "view"]),
             "amount": rng.randrange(-500, 5000) / 100, "note": None if rng.random() < 0.5
             else "note \"%d\"\twith\\escapes\n" % rng.randrange(1000)}
            for _ in range(rng.randint(1, 8))
        ],
        "big": rng.getrandbits(80),
    }


def make_document(rng, n):
    return {"version": 3, "generator": "weft-bench",
            "records": [make_record(rng, i) for i in range(n)],
            "index": {str(i): [i, i * i, -i] for i in range(0, n, 3)}}


def bench():
    rng = random.Random(SEED)
    doc = make_document(rng, RECORDS)
    sizes = []
    for _ in range(ROUNDS):
        compact = json.dumps(doc, separators=(",", ":"))
        pretty = json.dumps(doc, indent=2, sort_keys=True)
        ascii_off = json.dumps(doc, ensure_ascii=False)
        back = json.loads(compact)
        assert back == doc
        assert json.loads(pretty) == back
        assert json.loads(ascii_off) == back
        # Loads of many small documents: per-call overhead rather than bulk parsing.
        small = [json.loads(json.dumps(r)) for r in doc["records"]]
        assert small == doc["records"]
        sizes.append((len(compact), len(pretty), len(ascii_off)))
    assert sizes == [(233665, 433854, 255571)] * ROUNDS, sizes
