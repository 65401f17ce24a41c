"""Times the whole `brine convert` process against CPython's in-process `pickle.loads` +
`pickle.dumps` of the same file.

Run through `cargo xtask bench-convert`, which builds the `brine` binary (release) and runs
this with CPython 3.11.7. For each workload every run starts fresh processes, brine's and
CPython's in turn, so that a change of the machine's load falls on both:

- `brine convert -p P FILE -o /dev/null`: wall clock from the fork to the exit, CPU time
  (user + system), minor page faults and peak resident memory of that one process
  (`os.wait4`'s rusage);
- `python timeconvert.py child FILE P`: a fresh CPython reads the file, then times one
  `pickle.loads` + `pickle.dumps(obj, P)` with `time.perf_counter_ns` ("in-process, first
  call", the same work brine's process does once) and then the best of a few more calls in
  the same process ("in-process, warm", the interpreter's memory already grown); the whole
  process's wall clock, CPU and faults are measured from outside, as brine's.

Prints a Markdown table on stdout (the one in docs/performance.md), progress on stderr.
"""

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def child(args):
    import bench_classes  # noqa: F401  (the instance workloads name it)

    with open(args.file, "rb") as f:
        data = f.read()
    start = time.perf_counter_ns()
    out = pickle.dumps(pickle.loads(data), args.protocol)
    first = time.perf_counter_ns() - start
    del out
    warm = None
    for _ in range(args.warm):
        start = time.perf_counter_ns()
        out = pickle.dumps(pickle.loads(data), args.protocol)
        elapsed = time.perf_counter_ns() - start
        del out
        warm = elapsed if warm is None else min(warm, elapsed)
    print(first, warm if warm is not None else first)


def run_measured(argv):
    """Runs argv with stdout captured; returns (stdout, wall ns, cpu ns, minor faults, rss kb)."""
    start = time.perf_counter_ns()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter_ns() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with {proc.returncode}: {' '.join(argv)}")
    cpu = round((usage.ru_utime + usage.ru_stime) * 1e9)
    return out, wall, cpu, usage.ru_minflt, usage.ru_maxrss


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


def bench(args):
    results = []
    for row in read_manifest(args.data):
        label = f"{row['workload']}.p{row['protocol']}"
        size = int(row["size"])
        if row["buffers"] != "-" or size < args.min_size or args.filter not in label:
            continue
        path = os.path.join(args.data, row["file"])
        protocol = int(row["protocol"])
        brine = [args.brine, "convert", "-p", str(protocol), path, "-o", os.devnull]
        python = [sys.executable, os.path.abspath(__file__), "child", path, str(protocol),
                  "--warm", str(args.warm)]
        samples = {}
        for _ in range(args.runs):
            _, wall, cpu, faults, rss = run_measured(brine)
            for key, value in (("brine_wall_ns", wall), ("brine_cpu_ns", cpu),
                               ("brine_faults", faults), ("brine_rss_kb", rss)):
                samples.setdefault(key, []).append(value)
            out, wall, cpu, faults, rss = run_measured(python)
            first, warm = map(int, out.split())
            for key, value in (("py_first_ns", first), ("py_warm_ns", warm),
                               ("py_wall_ns", wall), ("py_cpu_ns", cpu),
                               ("py_faults", faults), ("py_rss_kb", rss)):
                samples.setdefault(key, []).append(value)
        results.append((label, size, {key: (statistics.median(v), min(v), max(v))
                                      for key, v in samples.items()}))
        print(f"timeconvert: {label} done", file=sys.stderr, flush=True)
    print_table(results, args)


def fmt_ms(ns):
    return f"{ns / 1e6:.1f} ms"


def fmt_size(n):
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def print_table(results, args):
    print(f"Each cell is the median of {args.runs} runs; in each run brine's process and "
          f"CPython's ran one after the other. Spread is the largest (max - min) / median of "
          f"the row's three timings.\n")
    print("| workload | size | brine process | brine CPU | brine faults | brine max RSS | "
          "CPython loads+dumps, first call | warm | CPython process | CPython faults | "
          "CPython max RSS | brine ÷ CPython first call | ÷ warm | spread |")
    print("|" + " --- |" * 14)
    for label, size, m in results:
        wall, first, warm = m["brine_wall_ns"][0], m["py_first_ns"][0], m["py_warm_ns"][0]
        spread = max((hi - lo) / med for med, lo, hi in
                     (m["brine_wall_ns"], m["py_first_ns"], m["py_warm_ns"]))
        print(f"| {label} | {fmt_size(size)} | {fmt_ms(wall)} | {fmt_ms(m['brine_cpu_ns'][0])} "
              f"| {m['brine_faults'][0]:,.0f} | {fmt_size(m['brine_rss_kb'][0] * 1024)} "
              f"| {fmt_ms(first)} | {fmt_ms(warm)} | {fmt_ms(m['py_wall_ns'][0])} "
              f"| {m['py_faults'][0]:,.0f} | {fmt_size(m['py_rss_kb'][0] * 1024)} "
              f"| {first / wall:.2f}× | {warm / wall:.2f}× | {spread * 100:.0f}% |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--data", required=True)
    b.add_argument("--brine", required=True, help="the brine binary")
    b.add_argument("--runs", type=int, default=11)
    b.add_argument("--warm", type=int, default=3, help="further calls in the CPython child")
    b.add_argument("--filter", default="", help="labels containing this text")
    b.add_argument("--min-size", type=int, default=1_000_000, help="smallest pickle, bytes")
    c = sub.add_parser("child")
    c.add_argument("file")
    c.add_argument("protocol", type=int)
    c.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    if args.command == "bench":
        bench(args)
    else:
        child(args)


if __name__ == "__main__":
    main()
