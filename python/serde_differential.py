"""Differential checks for brine-serde: what Rust wrote, CPython loads as the expected objects.

Reads cases from stdin, one per line, tab-separated:

    name  protocol  mode  pickle-hex  expected-expression

``expected-expression`` is evaluated with ``bf`` (brine_fixtures), ``collections`` and ``math``
in scope.
Every mode loads the pickle with ``pickle.loads`` and compares the result with the expected
object strictly: the same types all the way down (``1`` is not ``1.0`` nor ``True``), dicts in
the same order, nan equal to nan.
Modes:

- ``value``: only that.
- ``bytes``: also ``pickle.dumps(expected, protocol) == pickle``, byte for byte.
- ``instance``: the result is an instance of the expected object's class (same ``__module__``
  and ``__qualname__``), with the same attributes (``vars()``, and ``__slots__``).
- ``instance-bytes``: ``instance``, and the bytes as for ``bytes``.
- ``bytes-fast``, ``instance-bytes-fast``: as ``bytes`` and ``instance-bytes``, the bytes
  compared with what a ``pickle.Pickler`` with ``fast = True`` (no memo) writes.

Prints one line per case, ``ok NAME`` or ``FAIL NAME: why``, then a summary line.
Exits non-zero when a case fails.
"""

import collections
import io
import math
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "generate"))

import brine_fixtures as bf  # noqa: E402


def strict_equal(got, want):
    """Whether got and want are equal with the same types, recursively; nan equals nan."""
    if type(got) is not type(want):
        return False
    if isinstance(want, float):
        if math.isnan(want):
            return math.isnan(got)
        return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    if isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(strict_equal(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return len(got) == len(want) and all(
            strict_equal(gk, wk) and strict_equal(gv, wv)
            for (gk, gv), (wk, wv) in zip(got.items(), want.items())
        )
    if isinstance(want, (set, frozenset)):
        return got == want and sorted(map(repr, got)) == sorted(map(repr, want))
    if hasattr(want, "__dict__") or hasattr(type(want), "__slots__"):
        return same_instance(got, want) is None
    return got == want


def attributes(obj):
    """An instance's attributes: its __dict__, then its slots that are set."""
    attrs = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(obj, slot):
                attrs[slot] = getattr(obj, slot)
    return attrs


def same_instance(got, want):
    """None when got is an instance of want's class with the same attributes, else why not."""
    got_cls, want_cls = type(got), type(want)
    if (got_cls.__module__, got_cls.__qualname__) != (want_cls.__module__, want_cls.__qualname__):
        return "class %s.%s, expected %s.%s" % (
            got_cls.__module__,
            got_cls.__qualname__,
            want_cls.__module__,
            want_cls.__qualname__,
        )
    if got_cls is not want_cls:
        return "a different class object of the same name"
    if isinstance(want, tuple) and not strict_equal(tuple(got), tuple(want)):
        return "items %r, expected %r" % (tuple(got), tuple(want))
    got_attrs, want_attrs = attributes(got), attributes(want)
    if not strict_equal(got_attrs, want_attrs):
        return "attributes %r, expected %r" % (got_attrs, want_attrs)
    return None


def check(protocol, mode, data, expected):
    """None when the case holds, else why not."""
    got = pickle.loads(data)
    if mode.startswith("instance"):
        why = same_instance(got, expected)
        if why is not None:
            return why
    elif not strict_equal(got, expected):
        return "loaded %r, expected %r" % (got, expected)
    if mode.endswith("bytes-fast"):
        out = io.BytesIO()
        pickler = pickle.Pickler(out, protocol)
        pickler.fast = True
        pickler.dump(expected)
        want = out.getvalue()
        if want != data:
            return "bytes differ from fast mode's:\n  rust   %r\n  python %r" % (data, want)
    elif mode.endswith("bytes"):
        want = pickle.dumps(expected, protocol=protocol)
        if want != data:
            return "bytes differ:\n  rust   %r\n  python %r" % (data, want)
    return None


def main():
    scope = {"bf": bf, "collections": collections, "math": math}
    n_ok = n_failed = 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        name, protocol, mode, data, expression = line.split("\t", 4)
        try:
            expected = eval(expression, scope)
            why = check(int(protocol), mode, bytes.fromhex(data), expected)
        except Exception as exc:  # a failing case, reported as such
            why = "%s: %s" % (type(exc).__name__, exc)
        if why is None:
            n_ok += 1
            print("ok %s" % name)
        else:
            n_failed += 1
            print("FAIL %s: %s" % (name, why))
    print("checks: %d ok, %d failing" % (n_ok, n_failed))
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
