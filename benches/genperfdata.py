"""Generates the brine benchmark workloads: pickles written by the pinned CPython.

Run through `cargo xtask bench-data`, which picks CPython 3.11.7 and sets PYTHONHASHSEED=0.
Every workload is built from seeded random generators, so two runs write identical files.

Writes into the output folder (benches/data/, not committed):

- `<workload>.p<N>.pickle` for each workload and protocol;
- `<workload>.p<N>.buffer<K>.bin` for each out-of-band buffer (protocol 5);
- `manifest.tsv`: the interpreter, this script's hash, and one row per pickle.
"""

import argparse
import array
import datetime
import hashlib
import os
import pickle
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_classes  # noqa: E402

PROTOCOLS = (2, 5)


# The pyperformance `pickle` benchmarks (bm_pickle/run_benchmark.py): the same objects,
# built the same way (its DICT, TUPLE, DICT_GROUP, LIST and MICRO_DICT).

PYPERF_DICT = {
    "ads_flags": 0,
    "age": 18,
    "birthday": datetime.date(1980, 5, 7),
    "bulletin_count": 0,
    "comment_count": 0,
    "country": "BR",
    "encrypted_id": "G9urXXAJwjE",
    "favorite_count": 9,
    "first_name": "",
    "flags": 412317970704,
    "friend_count": 0,
    "gender": "m",
    "gender_for_display": "Male",
    "id": 302935349,
    "is_custom_profile_icon": 0,
    "last_name": "",
    "locale_preference": "pt_BR",
    "member": 0,
    "tags": ["a", "b", "c", "d", "e", "f", "g"],
    "profile_foo_id": 827119638,
    "secure_encrypted_id": "Z_xxx2dYx3t4YAdnmfgyKw",
    "session_number": 2,
    "signup_id": "201-19225-223",
    "status": "A",
    "theme": 1,
    "time_created": 1225237014,
    "time_updated": 1233134493,
    "unread_message_count": 0,
    "user_group": "0",
    "username": "collinwinter",
    "play_count": 9,
    "view_count": 7,
    "zip": "",
}

PYPERF_TUPLE = (
    [
        265867233, 265868503, 265252341, 265243910, 265879514,
        266219766, 266021701, 265843726, 265592821, 265246784,
        265853180, 45526486, 265463699, 265848143, 265863062,
        265392591, 265877490, 265823665, 265828884, 265753032,
    ],
    60,
)


def pyperf_mutate_dict(orig_dict, random_source):
    new_dict = dict(orig_dict)
    for key, value in new_dict.items():
        rand_val = random_source.random() * sys.maxsize
        if isinstance(key, (int, bytes, str)):
            new_dict[key] = type(key)(rand_val)
    return new_dict


def pyperf_pickle():
    """The `pickle`/`unpickle` benchmark's three objects, in one tuple."""
    random_source = random.Random(5)
    group = [pyperf_mutate_dict(PYPERF_DICT, random_source) for _ in range(3)]
    return (PYPERF_DICT, PYPERF_TUPLE, group)


def pyperf_list():
    """The `pickle_list`/`unpickle_list` benchmark's object."""
    return [[list(range(10)), list(range(10))] for _ in range(10)]


def pyperf_dict():
    """The `pickle_dict` benchmark's object."""
    return dict((key, dict.fromkeys(range(10))) for key in range(100))


# The bulk workloads.

def floats_1m():
    rng = random.Random(1)
    return [rng.uniform(-1e6, 1e6) for _ in range(1_000_000)]


def ints_1m():
    """Small ints: BININT1 and BININT2 (0 <= n < 65536)."""
    rng = random.Random(2)
    return [rng.randrange(1 << 16) for _ in range(1_000_000)]


SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ri", "so", "ta", "vu", "ze", "é", "ü", "ñ", "中"]


def strs_200k():
    """Short distinct str: 5 to 17 characters (12 on average), two thirds with a non-ASCII one."""
    rng = random.Random(3)
    return [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 6))) + f"-{i}"
        for i in range(200_000)
    ]


def bytes_100mb():
    """One bytes object of 100,000,000 random bytes."""
    return random.Random(4).randbytes(100_000_000)


CITIES = ["Lisboa", "Porto", "Recife", "São Paulo", "Zürich", "Kyoto", "Lagos", "Lima"]


def records_100k():
    """100,000 dicts of 10 str-keyed fields (shared keys, some shared values)."""
    rng = random.Random(6)
    return [
        {
            "id": i,
            "name": f"user{i}",
            "email": f"user{i}@example.com",
            "age": rng.randrange(18, 90),
            "score": rng.random() * 100.0,
            "active": rng.random() < 0.5,
            "city": rng.choice(CITIES),
            "created": 1_600_000_000 + 37 * i,
            "balance": round(rng.uniform(-1000.0, 1000.0), 2),
            "note": None if rng.random() < 0.7 else f"note {rng.randrange(1000)}",
        }
        for i in range(100_000)
    ]


def instances_50k():
    """50,000 instances of a plain class, each with a small `__dict__`."""
    rng = random.Random(7)
    return [
        bench_classes.Record(i, f"rec{i}", rng.random(), i % 3 == 0, [i % 7, i % 11])
        for i in range(50_000)
    ]


def tree_shared():
    """A binary tree 17 levels deep (131,071 lists), every node referring to one of 1,000
    shared tag strings and one of 64 shared dicts: 262,142 references to shared objects."""
    tags = [f"tag-{i}" for i in range(1000)]
    metas = [{"kind": k, "weight": k / 4} for k in range(64)]
    counter = iter(range(1 << 20))

    def node(depth):
        ident = next(counter)
        item = [ident, tags[ident % 1000], metas[ident % 64]]
        if depth > 1:
            item.append(node(depth - 1))
            item.append(node(depth - 1))
        return item

    return node(17)


def oob_array():
    """An array of 8,388,608 float64 (64 MiB) whose data goes out-of-band."""
    rng = random.Random(8)
    data = array.array("d", (rng.random() for _ in range(8 * 1024 * 1024)))
    return bench_classes.Array("d", (len(data),), data.tobytes())


WORKLOADS = [
    ("pyperf_pickle", pyperf_pickle, PROTOCOLS),
    ("pyperf_list", pyperf_list, PROTOCOLS),
    ("pyperf_dict", pyperf_dict, PROTOCOLS),
    ("floats_1m", floats_1m, PROTOCOLS),
    ("ints_1m", ints_1m, PROTOCOLS),
    ("strs_200k", strs_200k, PROTOCOLS),
    ("bytes_100mb", bytes_100mb, PROTOCOLS),
    ("records_100k", records_100k, PROTOCOLS),
    ("instances_50k", instances_50k, PROTOCOLS),
    ("tree_shared", tree_shared, PROTOCOLS),
    ("oob_array", oob_array, (5,)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the output folder")
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("genperfdata.py: run with PYTHONHASHSEED=0 (cargo xtask bench-data does)")
    sys.setrecursionlimit(10_000)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.abspath(__file__), "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_classes.py"), "rb") as f:
        classes_hash = hashlib.sha256(f.read()).hexdigest()
    rows = []
    for name, build, protocols in WORKLOADS:
        obj = build()
        for protocol in protocols:
            stem = f"{name}.p{protocol}"
            buffers = []
            data = pickle.dumps(obj, protocol, buffer_callback=buffers.append if protocol >= 5 else None)
            buffer_files = []
            for index, buffer in enumerate(buffers):
                buffer_file = f"{stem}.buffer{index}.bin"
                with open(os.path.join(args.out, buffer_file), "wb") as f:
                    f.write(buffer.raw())
                buffer_files.append(buffer_file)
            file = f"{stem}.pickle"
            with open(os.path.join(args.out, file), "wb") as f:
                f.write(data)
            rows.append(
                (
                    name,
                    str(protocol),
                    file,
                    str(len(data)),
                    str(sum(len(buffer.raw()) for buffer in buffers)),
                    ",".join(buffer_files) or "-",
                    hashlib.sha256(data).hexdigest(),
                )
            )
            print(f"{file}: {len(data):,} bytes", file=sys.stderr)
        del obj
    version = ".".join(map(str, sys.version_info[:3]))
    with open(os.path.join(args.out, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write("# generated by `cargo xtask bench-data`; do not edit\n")
        f.write(f"# python\t{version}\n")
        f.write(f"# genperfdata.py\t{script_hash}\n")
        f.write(f"# bench_classes.py\t{classes_hash}\n")
        f.write("workload\tprotocol\tfile\tsize\tbuffer_size\tbuffers\tsha256\n")
        for row in rows:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
