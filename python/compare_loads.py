"""Loads pairs of pickles and says whether each pair holds the same objects.

Used by brine's differential tests: for each line "ORIGINAL<TAB>CANDIDATE" on stdin it loads
both files with this interpreter's pickle module (encoding='latin1' on Python 3) and prints
"ok", or "diff <reason>", or "error <exception>", one line per pair.

"The same objects" means the same types, values and states, with the same sharing and cycles
among mutable objects: a list referenced twice in one must be one list referenced twice in the
other. Runs on Python 2.7 and 3.x, stdlib only; fixtures/generate is put on sys.path so that
the fixture classes import.
"""
import math
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "generate"))
import brine_fixtures  # noqa: E402,F401  (registers its classes and extension codes)

PY2 = sys.version_info[0] == 2
MUTABLE = (list, dict, set, bytearray)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if PY2:
        return pickle.loads(data)
    return pickle.loads(data, encoding="latin1")


class Differ(Exception):
    pass


class Comparer(object):
    def __init__(self):
        self.a_to_b = {}
        self.b_to_a = {}
        self.keep = []

    def same(self, a, b, path):
        # Python 2's int and long are two types, and brine keeps which one a Python 2 pickle
        # wrote: `type(a) is not type(b)` below holds them to it.
        if type(a) is not type(b):
            raise Differ("%s: %s vs %s" % (path, type(a).__name__, type(b).__name__))
        has_identity = isinstance(a, MUTABLE) or hasattr(a, "__dict__") or hasattr(type(a), "__slots__")
        if has_identity and not isinstance(a, type):
            seen_a = self.a_to_b.get(id(a))
            seen_b = self.b_to_a.get(id(b))
            if seen_a is not None or seen_b is not None:
                if seen_a is not b or seen_b is not a:
                    raise Differ("%s: sharing differs" % path)
                return
            self.a_to_b[id(a)] = b
            self.b_to_a[id(b)] = a
            self.keep.append((a, b))
        if isinstance(a, float):
            if math.isnan(a) and math.isnan(b):
                return  # the sign of a NaN is not kept by protocol 0's text, in CPython either
            if a != b or math.copysign(1, a) != math.copysign(1, b):
                raise Differ("%s: %r vs %r" % (path, a, b))
            return
        if isinstance(a, (tuple, list)):
            if len(a) != len(b):
                raise Differ("%s: lengths %d vs %d" % (path, len(a), len(b)))
            for i, (x, y) in enumerate(zip(a, b)):
                self.same(x, y, "%s[%d]" % (path, i))
        elif isinstance(a, dict):
            if list(a.keys()) != list(b.keys()):
                raise Differ("%s: keys differ" % path)
            for k in a:
                self.same(a[k], b[k], "%s[%r]" % (path, k))
            if hasattr(a, "default_factory"):
                self.same(a.default_factory, b.default_factory, path + ".default_factory")
        elif isinstance(a, (set, frozenset)):
            if a != b:
                raise Differ("%s: sets differ" % path)
        elif has_identity and not isinstance(a, type) and not callable(a):
            if hasattr(a, "__dict__"):
                self.same(vars(a), vars(b), path + ".__dict__")
        else:
            try:
                equal = a == b
            except Exception:
                equal = False
            # Values that are not equal to themselves (Decimal('NaN')) compare by repr.
            if not equal and a is not b and repr(a) != repr(b):
                raise Differ("%s: %r vs %r" % (path, a, b))
        for slot in getattr(type(a), "__slots__", ()):
            if isinstance(slot, str) and hasattr(a, slot):
                self.same(getattr(a, slot), getattr(b, slot), "%s.%s" % (path, slot))


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        original, candidate = line.split("\t")
        try:
            a = load(original)
        except Exception as exc:
            out.write("error original: %s: %s\n" % (type(exc).__name__, exc))
            continue
        try:
            b = load(candidate)
            Comparer().same(a, b, "obj")
            out.write("ok\n")
        except Differ as exc:
            out.write("diff %s\n" % exc)
        except Exception as exc:
            out.write("error %s: %s\n" % (type(exc).__name__, str(exc).replace("\n", " ")))
        out.flush()


if __name__ == "__main__":
    main()
