"""Runs brine and the public pickle scanners over the scan corpus and prints the comparison
table of docs/security.md (Markdown) on stdout.

Run by `cargo xtask scan-compare`, which makes a throwaway virtual environment of the pinned
CPython 3.11.7, installs the scanners at the versions of SCANNER_PINS (xtask/src/fixtures.rs)
and runs this script in it with the pins on its command line:

    python scan_compare.py --brine target/release/brine --corpus fixtures/scan \
        --pin picklescan==1.0.5 --pin modelscan==0.8.8 --pin fickling==0.1.12

Expectations come from fixtures/scan/manifest.tsv, which the corpus generator wrote. A
hostile file (fixtures/scan/hostile/) counts as caught when a tool flags it (for brine: a
dangerous verdict, or, for the one file expected inconclusive, anything but clean; suspicious
counts as caught only with --strict); a benign file (fixtures/scan/benign/) flagged is a false
alarm. A tool that fails on a file counts it as an error: caught for a hostile file only if
the tool says so, never clean. Nothing here loads a pickle: every tool is a static scanner.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from importlib import metadata


def manifest(corpus):
    rows = []
    with open(os.path.join(corpus, "manifest.tsv")) as f:
        for line in f:
            if line.startswith("#") or line.startswith("file\t"):
                continue
            file, expect, technique, _ = line.rstrip("\n").split("\t")
            rows.append((file, expect, technique))
    return rows


def brine(binary, corpus, rows, strict):
    paths = [os.path.join(corpus, file) for file, _, _ in rows]
    start = time.perf_counter()
    args = [binary, "scan", "--format", "json"] + (["--strict"] if strict else []) + paths
    out = subprocess.run(args, capture_output=True, check=False).stdout
    elapsed = time.perf_counter() - start
    verdicts = {f["path"]: f["verdict"] for f in json.loads(out)["files"]}
    flagged = {}
    for (file, _, _), path in zip(rows, paths):
        verdict = verdicts[path]
        if strict and verdict == "suspicious":
            verdict = "dangerous"
        flagged[file] = ("flag" if verdict == "dangerous" else
                         "error" if verdict == "inconclusive" else "clean")
    return flagged, elapsed


def picklescan(path):
    from picklescan.scanner import scan_file_path
    result = scan_file_path(path)
    if result.infected_files or result.issues_count:
        return "flag"
    return "error" if result.scan_err else "clean"


def modelscan(path):
    from modelscan.modelscan import ModelScan
    result = ModelScan().scan(path)
    if result.get("summary", {}).get("total_issues", 0):
        return "flag"
    return "error" if result.get("errors") else "clean"


def fickling(path):
    import zipfile

    import fickling as fk
    from fickling.analysis import Severity
    if zipfile.is_zipfile(path):
        results = list(fk.scan_zip_archive(path, graceful=True).values())
    else:
        results = [fk.scan_file(path, graceful=True)]
    if any(result.severity.value > Severity.LIKELY_SAFE.value for result in results):
        return "flag"
    return "error" if not results or any(result.errors for result in results) else "clean"


def run_tool(scan, corpus, rows):
    flagged = {}
    start = time.perf_counter()
    for file, _, _ in rows:
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                flagged[file] = scan(os.path.join(corpus, file))
        except Exception:
            flagged[file] = "error"
    return flagged, time.perf_counter() - start


def summarize(name, flagged, elapsed, rows):
    hostile = [(f, e) for f, e, _ in rows if f.startswith("hostile/")]
    benign = [(f, e) for f, e, _ in rows if f.startswith("benign/")]
    caught = sum(1 for f, e in hostile if flagged[f] == "flag" or (e == "inconclusive" and flagged[f] == "error"))
    errors = sum(1 for f, _ in hostile + benign if flagged[f] == "error")
    alarms = sum(1 for f, _ in benign if flagged[f] == "flag")
    missed = [f for f, e in hostile if not (flagged[f] == "flag" or (e == "inconclusive" and flagged[f] == "error"))]
    return (f"| {name} | {caught}/{len(hostile)} ({100 * caught / len(hostile):.1f}%) | {len(missed)} "
            f"| {alarms}/{len(benign)} ({100 * alarms / len(benign):.1f}%) | {errors} | {elapsed:.2f} s |"), missed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--pin", action="append", default=[])
    parser.add_argument("--missed", action="store_true", help="list each tool's missed files")
    args = parser.parse_args()
    for pin in args.pin:
        package, version = pin.split("==")
        installed = metadata.version(package)
        if installed != version:
            sys.exit(f"{package} {installed} installed, {version} pinned")
    rows = manifest(args.corpus)
    results = [("brine", *brine(args.brine, args.corpus, rows, False)),
               ("brine --strict", *brine(args.brine, args.corpus, rows, True))]
    for name, scan in (("picklescan", picklescan), ("modelscan", modelscan), ("fickling", fickling)):
        version = metadata.version(name)
        results.append((f"{name} {version}", *run_tool(scan, args.corpus, rows)))
    print("| tool | hostile caught | missed | benign false alarms | errors | time |")
    print("|---|---|---|---|---|---|")
    missed_by = {}
    for name, flagged, elapsed in results:
        line, missed = summarize(name, flagged, elapsed, rows)
        missed_by[name] = missed
        print(line)
    if args.missed:
        for name, missed in missed_by.items():
            print(f"\n{name} missed: {', '.join(missed) or 'none'}")


if __name__ == "__main__":
    main()
