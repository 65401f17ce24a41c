#!/usr/bin/env python3
"""Describe what Python loads from a pickle, in the JSON format of `brine json` (docs/json.md).

    python describe_pickle.py FILE...      one line of JSON per file
    python describe_pickle.py -            the same, for the paths listed on stdin

Each pickle is loaded by CPython's own unpickler, as
``pickle.loads(data, encoding='latin1')`` does (with a persistent_load hook that keeps
persistent ids), and the live objects are written in the same tagged JSON that
`brine json` writes from its interpretation of the pickle, byte for byte. A file Python cannot
load gives a line starting with ``!``: ``!error: <exception>``.

The differential test in crates/brine-cli/tests runs this under the pinned CPython 3.11.7 on
every fixture and compares the lines with `brine json`.

Objects brine interprets are described from what they are (a set, a datetime, a deque).
Any other object is described by the reduction the pickler used for it,
``obj.__reduce_ex__(protocol)`` with the pickle's protocol, read the way brine reads the
pickled reduction: ``copyreg.__newobj__`` and friends make an instance, anything else a call.

The script uses the standard library only. It imports ``brine_fixtures`` from
fixtures/generate, which registers the fixtures' copyreg extension codes; it registers
nothing else.
"""

import base64
import collections
import copyreg
import datetime
import decimal
import fractions
import io
import os
import pickle
import struct
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "fixtures", "generate"))

import brine_fixtures  # noqa: E402,F401  (registers the extension codes)

#: Integers of smaller magnitude are plain JSON numbers.
MAX_PLAIN_INT = (1 << 53) - 1
#: How deep sets may nest in the items of a set being ordered.
MAX_SET_NESTING = 64


class PersistentId:
    """What a persistent id loads as: the id itself, kept."""

    def __init__(self, pid):
        self.pid = pid


class Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` with a persistent_load that keeps persistent ids."""

    def persistent_load(self, pid):
        return PersistentId(pid)


def load(data):
    return Unpickler(io.BytesIO(data), encoding="latin1").load()


def protocol_of(data):
    """The protocol the pickle declares (0 when it has no PROTO: protocols 0 and 1 reduce
    objects the same way)."""
    if len(data) >= 2 and data[0] == 0x80:
        return data[1]
    return 0


# -- Reading an object the way brine reads the pickle -----------------------------------------

GLOBAL_TYPES = (
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
)

KNOWN = (
    bytearray,
    tuple,
    list,
    dict,
    set,
    frozenset,
    complex,
    collections.OrderedDict,
    collections.defaultdict,
    collections.Counter,
    collections.deque,
    datetime.date,
    datetime.time,
    datetime.datetime,
    datetime.timedelta,
    decimal.Decimal,
    fractions.Fraction,
    range,
    slice,
)


def has_identity(obj):
    """Mirrors brine's rule: str, bytes, globals, () and time zones are values."""
    if obj is None or type(obj) in (bool, int, float, str, bytes, datetime.timezone):
        return False
    if type(obj) is tuple:
        return len(obj) > 0
    if isinstance(obj, GLOBAL_TYPES):
        return False
    return True


class Describer:
    """Turns live objects into brine's JSON text."""

    def __init__(self, protocol):
        self.protocol = protocol
        # Reductions are computed once per object and kept alive, so that ids stay valid.
        self.reductions = {}
        self.orders = {}
        self.in_progress = set()
        self.nesting = 0

    # The shape of an object: a list of parts, each a str (literal JSON) or ("value", obj).

    def reduction(self, obj):
        """The object as brine's Object: (kind, callable, fields), from its reduction."""
        key = id(obj)
        if key in self.reductions:
            return self.reductions[key][1]
        rv = obj.__reduce_ex__(self.protocol)
        if isinstance(rv, str):
            module = getattr(obj, "__module__", None) or pickle.whichmodule(obj, rv)
            result = ("global", (module, rv))
            self.reductions[key] = (obj, result, rv)
            return result
        rv = tuple(rv) + (None,) * (5 - len(rv))
        func, args, state, listitems, dictitems = rv
        args = tuple(args)
        kind, callable_, call_args, kwargs = "call", func, list(args), []
        list_items = list(listitems) if listitems is not None else []
        dict_items = list(dictitems) if dictitems is not None else []
        if func is copyreg.__newobj__:
            kind, callable_, call_args = "instance", args[0], list(args[1:])
        elif func is copyreg.__newobj_ex__:
            cls, new_args, new_kwargs = args
            kind, callable_, call_args = "instance", cls, list(new_args)
            kwargs = list(new_kwargs.items())
        elif func is copyreg._reconstructor:
            cls, base, base_state = args
            if base is object and base_state is None:
                kind, callable_, call_args = "instance", cls, []
            elif base is tuple:
                kind, callable_, call_args = "instance", cls, list(base_state)
            elif base is list:
                kind, callable_, call_args = "instance", cls, []
                list_items = list(base_state) + list_items
            elif base is dict:
                kind, callable_, call_args = "instance", cls, []
                dict_items = list(base_state.items()) + dict_items
            elif base in (int, float, complex, str, bytes):
                kind, callable_, call_args = "instance", cls, [base_state]
        fields = {
            "args": call_args,
            "kwargs": kwargs,
            "state": [],
            "slots": [],
            "setstate": None,
            "has_setstate": False,
            "listitems": list_items,
            "dictitems": dict_items,
        }
        if state is not None:
            if type(state) is dict:
                fields["state"] = list(state.items())
            elif (
                type(state) is tuple
                and len(state) == 2
                and (state[0] is None or type(state[0]) is dict)
                and (state[1] is None or type(state[1]) is dict)
            ):
                fields["state"] = list((state[0] or {}).items())
                fields["slots"] = list((state[1] or {}).items())
            else:
                fields["setstate"] = state
                fields["has_setstate"] = True
        result = (kind, callable_, fields)
        self.reductions[key] = (obj, result, rv)
        return result

    def is_natural(self, obj):
        """Whether brine describes the object by what it is (not by its reduction)."""
        kind = type(obj)
        if kind in (collections.OrderedDict, collections.defaultdict, collections.deque):
            # With instance attributes the pickle is a call with state, as brine reads it.
            return not getattr(obj, "__dict__", None)
        return kind in KNOWN

    def children(self, obj):
        """The objects a node refers to, in writing order (for counting references)."""
        kind = type(obj)
        if not has_identity(obj):
            return []
        if isinstance(obj, PersistentId):
            return [obj.pid]
        if self.is_natural(obj):
            if kind in (list, tuple, set, frozenset, collections.deque):
                return list(obj)
            if kind in (dict, collections.OrderedDict, collections.Counter):
                return [x for pair in obj.items() for x in pair]
            if kind is collections.defaultdict:
                return [obj.default_factory] + [x for pair in obj.items() for x in pair]
            if kind in (datetime.time, datetime.datetime):
                return [obj.tzinfo]
            if kind is range:
                return []
            if kind is slice:
                return [obj.start, obj.stop, obj.step]
            return []
        reduced = self.reduction(obj)
        if reduced[0] == "global":
            return []
        _, callable_, fields = reduced
        out = [callable_] + list(fields["args"])
        for name in ("kwargs", "state", "slots"):
            out += [x for pair in fields[name] for x in pair]
        if fields["has_setstate"]:
            out.append(fields["setstate"])
        out += fields["listitems"]
        out += [x for pair in fields["dictitems"] for x in pair]
        return out

    def render(self, root):
        """The JSON text of `root`, with its own ids."""
        counts = {}
        stack = [root]
        while stack:
            obj = stack.pop()
            if has_identity(obj):
                counts[id(obj)] = counts.get(id(obj), 0) + 1
                if counts[id(obj)] > 1:
                    continue
            stack.extend(self.children(obj))
        writer = Writer(self, counts)
        writer.value(root)
        return "".join(writer.out)

    def set_order(self, obj):
        key = id(obj)
        items = list(obj)
        if key in self.orders:
            return [items[i] for i in self.orders[key][1]]
        if key in self.in_progress:
            return items
        if self.nesting >= MAX_SET_NESTING:
            raise ValueError("sets nested too deep")
        self.in_progress.add(key)
        self.nesting += 1
        try:
            keys = [self.sort_key(item) for item in items]
        finally:
            self.nesting -= 1
            self.in_progress.discard(key)
        order = sorted(range(len(items)), key=lambda i: keys[i])
        self.orders[key] = (obj, order)
        return [items[i] for i in order]

    def sort_key(self, item):
        kind = type(item)
        if item is None:
            return (0,)
        if kind is bool:
            return (1, item)
        if kind is int:
            return (2, item)
        if kind is float:
            bits = struct.unpack("<q", struct.pack("<d", item))[0]
            if bits < 0:
                bits ^= 0x7FFFFFFFFFFFFFFF
            return (3, bits)
        if kind is str:
            return (4, item)
        if kind is bytes:
            return (5, item)
        # Compared as UTF-8 bytes, as brine compares them.
        return (6, self.render(item).encode("utf-8"))


class Writer:
    def __init__(self, describer, counts):
        self.d = describer
        self.counts = counts
        self.ids = {}
        self.out = []
        self.keep = []

    def value(self, obj):
        out = self.out
        kind = type(obj)
        if obj is None:
            out.append("null")
        elif kind is bool:
            out.append("true" if obj else "false")
        elif kind is int:
            if abs(obj) <= MAX_PLAIN_INT:
                out.append(str(obj))
            else:
                out.append('{"$int":"%d"}' % obj)
        elif kind is float:
            out.append(float_text(obj))
        elif kind is str:
            out.append(str_text(obj))
        elif kind is bytes:
            out.append('{"$bytes":"%s"}' % b64(obj))
        elif isinstance(obj, GLOBAL_TYPES):
            self.global_(module_of(obj), qualname_of(obj))
        elif kind is datetime.timezone:
            offset, *name = obj.__getinitargs__()
            out.append('{"$timezone":[%d,%d,%d]' % (offset.days, offset.seconds, offset.microseconds))
            if name:
                out.append(',"name":' + str_text(name[0]))
            out.append("}")
        elif kind is tuple and not obj:
            out.append('{"$tuple":[]}')
        else:
            self.node(obj)

    def global_(self, module, name):
        self.out.append('{"$global":[%s,%s]}' % (str_text(module), str_text(name)))

    def open(self, tag, label):
        self.out.append("{")
        if label is not None:
            self.out.append('"$id":%d,' % label)
        self.out.append('"$%s":' % tag)

    def node(self, obj):
        out = self.out
        key = id(obj)
        if key in self.ids:
            out.append('{"$ref":%d}' % self.ids[key])
            return
        d = self.d
        if not isinstance(obj, PersistentId) and not d.is_natural(obj):
            reduced = d.reduction(obj)
            if reduced[0] == "global":
                # An object pickled by name (its reduction is a str) is a global: no id.
                self.global_(*reduced[1])
                return
        label = None
        if self.counts.get(key, 0) > 1:
            label = len(self.ids) + 1
            self.ids[key] = label
            self.keep.append(obj)
        kind = type(obj)
        if isinstance(obj, PersistentId):
            self.open("persistent_id", label)
            self.value(obj.pid)
            out.append("}")
        elif not d.is_natural(obj):
            what, callable_, fields = d.reduction(obj)
            self.open(what, label)
            self.value(callable_)
            if fields["args"]:
                out.append(',"args":')
                self.array(fields["args"])
            for name in ("kwargs", "state"):
                if fields[name]:
                    out.append(',"%s":' % name)
                    self.dict_body(fields[name])
            if fields["slots"]:
                # Slot attributes have no order: with plain names, sorted by name.
                slots = fields["slots"]
                if plain_keys(slots):
                    slots = sorted(slots, key=lambda pair: pair[0])
                out.append(',"slots":')
                self.dict_body(slots)
            if fields["has_setstate"]:
                out.append(',"setstate":')
                self.value(fields["setstate"])
            if fields["listitems"]:
                out.append(',"listitems":')
                self.array(fields["listitems"])
            if fields["dictitems"]:
                out.append(',"dictitems":')
                self.dict_body(fields["dictitems"])
            out.append("}")
        elif kind is bytearray:
            self.open("bytearray", label)
            out.append('"%s"}' % b64(bytes(obj)))
        elif kind is tuple:
            self.open("tuple", label)
            self.array(obj)
            out.append("}")
        elif kind is list:
            if label is None:
                self.array(obj)
            else:
                self.open("list", label)
                self.array(obj)
                out.append("}")
        elif kind is dict:
            pairs = list(obj.items())
            if label is not None or not plain_keys(pairs):
                self.open("dict", label)
                self.dict_body(pairs)
                out.append("}")
            else:
                self.dict_body(pairs)
        elif kind in (set, frozenset):
            self.open(kind.__name__, label)
            self.array(d.set_order(obj))
            out.append("}")
        elif kind is complex:
            self.open("complex", label)
            out.append("[%s,%s]}" % (float_text(obj.real), float_text(obj.imag)))
        elif kind in (collections.OrderedDict, collections.Counter):
            self.open(kind.__name__.lower(), label)
            self.dict_body(list(obj.items()))
            out.append("}")
        elif kind is collections.defaultdict:
            self.open("defaultdict", label)
            self.value(obj.default_factory)
            out.append(',"items":')
            self.dict_body(list(obj.items()))
            out.append("}")
        elif kind is collections.deque:
            self.open("deque", label)
            self.array(list(obj))
            if obj.maxlen is not None:
                out.append(',"maxlen":%d' % obj.maxlen)
            out.append("}")
        elif kind is datetime.date:
            self.open("date", label)
            out.append('"%04d-%02d-%02d"}' % (obj.year, obj.month, obj.day))
        elif kind is datetime.time:
            self.open("time", label)
            out.append('"%s"' % clock(obj))
            self.time_fields(obj)
        elif kind is datetime.datetime:
            self.open("datetime", label)
            out.append('"%04d-%02d-%02dT%s"' % (obj.year, obj.month, obj.day, clock(obj)))
            self.time_fields(obj)
        elif kind is datetime.timedelta:
            self.open("timedelta", label)
            out.append("[%d,%d,%d]}" % (obj.days, obj.seconds, obj.microseconds))
        elif kind is decimal.Decimal:
            self.open("decimal", label)
            out.append(str_text(str(obj)) + "}")
        elif kind is fractions.Fraction:
            self.open("fraction", label)
            out.append('"%d/%d"}' % (obj.numerator, obj.denominator))
        elif kind in (range, slice):
            self.open(kind.__name__, label)
            self.array([obj.start, obj.stop, obj.step])
            out.append("}")
        else:
            raise TypeError("cannot describe %r" % kind)

    def time_fields(self, obj):
        if obj.tzinfo is not None:
            self.out.append(',"tzinfo":')
            self.value(obj.tzinfo)
        if obj.fold:
            self.out.append(',"fold":1')
        self.out.append("}")

    def array(self, items):
        self.out.append("[")
        for idx, item in enumerate(items):
            if idx:
                self.out.append(",")
            self.value(item)
        self.out.append("]")

    def dict_body(self, pairs):
        plain = plain_keys(pairs)
        self.out.append("{" if plain else "[")
        for idx, (key, value) in enumerate(pairs):
            if idx:
                self.out.append(",")
            if plain:
                self.out.append(str_text(key) + ":")
                self.value(value)
            else:
                self.out.append("[")
                self.value(key)
                self.out.append(",")
                self.value(value)
                self.out.append("]")
        self.out.append("}" if plain else "]")


def plain_keys(pairs):
    seen = set()
    for key, _ in pairs:
        if type(key) is not str or key.startswith("$") or key in seen or has_surrogate(key):
            return False
        seen.add(key)
    return True


def has_surrogate(text):
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def module_of(obj):
    module = getattr(obj, "__module__", None)
    if module is None:
        module = pickle.whichmodule(obj, qualname_of(obj))
    return module


def qualname_of(obj):
    return getattr(obj, "__qualname__", None) or obj.__name__


def clock(obj):
    return "%02d:%02d:%02d.%06d" % (obj.hour, obj.minute, obj.second, obj.microsecond)


def float_text(value):
    if value != value:
        return '{"$float":"nan"}'
    if value in (float("inf"), float("-inf")):
        return '{"$float":"%s"}' % repr(value)
    return repr(value)


ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def str_text(text):
    if has_surrogate(text):
        return '{"$str":[%s]}' % ",".join(str(ord(ch)) for ch in text)
    out = ['"']
    for ch in text:
        if ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def b64(data):
    return base64.b64encode(data).decode("ascii")


def describe(data):
    """The JSON text for the pickle `data`, or raises what loading or describing raised."""
    obj = load(data)
    return Describer(protocol_of(data)).render(obj)


def main(argv):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    sys.setrecursionlimit(20000)
    paths = argv
    if paths == ["-"]:
        paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not paths:
        sys.stderr.write("usage: describe_pickle.py FILE... | -\n")
        return 2
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
            line = describe(data)
        except Exception as exc:  # noqa: BLE001  (reported per file)
            line = "!error: %s: %s" % (type(exc).__name__, str(exc).replace("\n", " "))
        out.write(line + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
