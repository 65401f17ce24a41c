"""The Python side of `examples/ratio.rs`: the same settings on the same pickle files, through
CPython's gzip, bz2 and lzma modules and the PyPI packages zstandard and lz4.

    $(pyenv root)/versions/3.11.7/bin/python crates/brine-compress/benches/python_ratio.py \
        target/workload/records.pkl target/workload/floats.pkl

Speeds are MB/s (10^6 bytes) of uncompressed pickle; each is the best of several runs lasting
at least half a second in all. Codecs whose package is missing are left out.
"""

import bz2
import gzip
import importlib
import io
import lzma
import os
import sys
import time


def optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


zstandard = optional("zstandard")
lz4frame = optional("lz4.frame")

SETTINGS = [
    ("gzip", 1), ("gzip", 6), ("gzip", 9), ("bz2", 1), ("bz2", 9),
    ("xz", 0), ("xz", 6), ("xz", 9), ("zstd", 3), ("zstd", 19), ("lz4", 0),
]


def codec_fns(codec, level):
    if codec == "gzip":
        return (lambda d: gzip.compress(d, compresslevel=level, mtime=0)), gzip.decompress
    if codec == "bz2":
        return (lambda d: bz2.compress(d, level)), bz2.decompress
    if codec == "xz":
        return (lambda d: lzma.compress(d, preset=level)), lzma.decompress
    if codec == "zstd" and zstandard:
        return (lambda d: zstandard.ZstdCompressor(level=level).compress(d),
                lambda d: zstandard.ZstdDecompressor().decompress(d))
    if codec == "lz4" and lz4frame:
        return (lambda d: lz4frame.compress(d, compression_level=level)), lz4frame.decompress
    return None


def best_of(f, arg):
    started, best, runs = time.perf_counter(), float("inf"), 0
    while True:
        start = time.perf_counter()
        result = f(arg)
        best = min(best, time.perf_counter() - start)
        runs += 1
        if runs >= 10 or (runs >= 2 and time.perf_counter() - started > 0.5):
            return result, best


def main():
    print("| workload | codec:level | compressed | ratio | compress MB/s | decompress MB/s |")
    print("|---|---|---:|---:|---:|---:|")
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            data = f.read()
        workload = f"{os.path.basename(path)} ({len(data) / 1e6:.1f} MB)"
        for codec, level in SETTINGS:
            fns = codec_fns(codec, level)
            if fns is None:
                continue
            compressed, ctime = best_of(fns[0], data)
            restored, dtime = best_of(fns[1], compressed)
            assert restored == data
            print(f"| {workload} | {codec}:{level} | {len(compressed)} | "
                  f"{len(data) / len(compressed):.2f} | {len(data) / 1e6 / ctime:.1f} | "
                  f"{len(data) / 1e6 / dtime:.1f} |")


if __name__ == "__main__":
    main()
