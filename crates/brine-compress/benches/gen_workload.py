"""Writes the pickle workloads that `examples/ratio.rs` measures.

Run with the reference interpreter, CPython 3.11.7:

    $(pyenv root)/versions/3.11.7/bin/python crates/brine-compress/benches/gen_workload.py OUTDIR

It writes OUTDIR/records.pkl (100,000 dicts of 10 str-keyed fields) and OUTDIR/floats.pkl
(a list of 1,000,000 floats), both at pickle.DEFAULT_PROTOCOL (4 on 3.11), from a fixed seed,
so every run writes the same bytes.
"""

import os
import pickle
import random
import sys

CITIES = ["Lisbon", "Oslo", "Lagos", "Lima", "Osaka", "Quito", "Perth", "Tunis", "Riga", "Pune"]
TAGS = ["admin", "beta", "staff", "trial", "vip", "eu", "us", "apac"]


def records(rng):
    return [
        {
            "id": i,
            "name": f"user{rng.randrange(10**6):06d}",
            "email": f"user{i}@example.org",
            "age": rng.randrange(18, 90),
            "score": rng.random() * 100,
            "active": rng.random() < 0.7,
            "city": rng.choice(CITIES),
            "created": f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
            "tags": rng.sample(TAGS, rng.randrange(0, 4)),
            "balance": round(rng.uniform(-1000, 10000), 2),
        }
        for i in range(100_000)
    ]


def floats(rng):
    return [rng.gauss(0, 1) for _ in range(1_000_000)]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(outdir, exist_ok=True)
    for name, make in [("records", records), ("floats", floats)]:
        data = pickle.dumps(make(random.Random(20240601)), protocol=pickle.DEFAULT_PROTOCOL)
        path = os.path.join(outdir, f"{name}.pkl")
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes, protocol {pickle.DEFAULT_PROTOCOL}, {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
