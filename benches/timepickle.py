"""Times CPython's C pickle (`_pickle`) on the brine benchmark workloads.

Run through `cargo xtask bench-python`, which also times brine and serde-pickle on the same
files and prints one table. Prints tab-separated rows on stdout:

    impl  op  workload  protocol  size  median_ns  min_ns  max_ns  iterations  note

`memory FILE [BUFFER...]` instead loads one pickle and prints the process's resident memory
(kB) before reading it, after reading it, after `pickle.loads`, and the peak (VmHWM); then
it loads it again under `tracemalloc` and prints the peak of the memory Python's allocators
handed out during that `pickle.loads` (bytes): what CPython's objects take, the input not
counted.
"""

import argparse
import gc
import os
import pickle
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_classes  # noqa: E402,F401  (the instance and array workloads name it)


def read_manifest(data_dir):
    rows = []
    with open(os.path.join(data_dir, "manifest.tsv"), encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if header is None:
                header = fields
                continue
            rows.append(dict(zip(header, fields)))
    return rows


def read_buffers(data_dir, row):
    if row["buffers"] == "-":
        return []
    out = []
    for name in row["buffers"].split(","):
        with open(os.path.join(data_dir, name), "rb") as f:
            out.append(f.read())
    return out


def measure(func, runs, min_time):
    """Median, min and max of `runs` timings (ns per call), each run repeating `func` for at
    least `min_time` seconds."""
    func()
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 4:
            break
        iterations *= 2
    iterations = max(1, round(iterations * min_time / elapsed))
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            func()
        samples.append((time.perf_counter_ns() - start) / iterations)
    return statistics.median(samples), min(samples), max(samples), iterations


def time_all(args):
    for row in read_manifest(args.data):
        stem = f"{row['workload']}.p{row['protocol']}"
        if args.filter not in stem or args.label not in ("", stem):
            continue
        with open(os.path.join(args.data, row["file"]), "rb") as f:
            data = f.read()
        buffers = read_buffers(args.data, row)
        protocol = int(row["protocol"])
        size = len(data) + sum(len(buffer) for buffer in buffers)

        def decode():
            return pickle.loads(data, buffers=buffers)

        obj = decode()
        if buffers:
            def encode():
                out_of_band = []
                return pickle.dumps(obj, protocol, buffer_callback=out_of_band.append)
        else:
            def encode():
                return pickle.dumps(obj, protocol)

        note = "" if encode() == data else "dumps differs from the file"
        for op, func in (("decode", decode), ("encode", encode)):
            median, low, high, iterations = measure(func, args.runs, args.min_time)
            print(
                "\t".join(
                    map(
                        str,
                        ("cpython", op, row["workload"], protocol, size,
                         round(median), round(low), round(high), iterations, note),
                    )
                ),
                flush=True,
            )
        del obj


def status_kb(key):
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def memory(args):
    before = status_kb("VmRSS")
    with open(args.file, "rb") as f:
        data = f.read()
    buffers = []
    for name in args.buffers:
        with open(name, "rb") as f:
            buffers.append(f.read())
    after_read = status_kb("VmRSS")
    obj = pickle.loads(data, buffers=buffers)
    after_load = status_kb("VmRSS")
    peak = status_kb("VmHWM")
    del obj
    gc.collect()
    import tracemalloc

    tracemalloc.start()
    obj = pickle.loads(data, buffers=buffers)
    objects = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del obj
    print(before, after_read, after_load, peak, objects, sep="\t")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    timing = sub.add_parser("time")
    timing.add_argument("--data", required=True)
    timing.add_argument("--runs", type=int, default=7)
    timing.add_argument("--min-time", type=float, default=0.1)
    timing.add_argument("--filter", default="", help="labels containing this text")
    timing.add_argument("--label", default="", help="only the workload with this label")
    mem = sub.add_parser("memory")
    mem.add_argument("file")
    mem.add_argument("buffers", nargs="*")
    args = parser.parse_args()
    gc.collect()
    if args.command == "time":
        time_all(args)
    else:
        memory(args)


if __name__ == "__main__":
    main()
