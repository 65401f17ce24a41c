"""Instances as CPython pickles them, for brine-serde's streaming path against its graph path.

Prints one line per case, tab-separated:

    name.pN[.optimized]  pickle-hex

for every protocol CPython can write the value at, and again through ``pickletools.optimize``.
The cases are instances of plain classes (which the streaming path reads), and the forms it
hands to the graph path: slots, ``__getstate__``, ``__reduce__``, namedtuples, dict and list
subclasses, standard library values, shared instances, classes as values.
"""

import collections, dataclasses, datetime, decimal, enum, pickle, pickletools, sys

class Plain:
    def __init__(self, a, b):
        self.a = a
        self.b = b

class Other:
    def __init__(self, **kw):
        self.__dict__.update(kw)

class Empty:
    pass

class Slots:
    __slots__ = ("x", "y")
    def __init__(self, x, y):
        self.x = x
        self.y = y

class GetState:
    def __init__(self, v):
        self.v = v
    def __getstate__(self):
        return (self.v, "state")
    def __setstate__(self, state):
        self.v = state[0]

class Reduce:
    def __reduce__(self):
        return (Reduce, ())

class Outer:
    class Inner:
        def __init__(self, value):
            self.value = value

class DictSub(dict):
    pass

class ListSub(list):
    pass

@dataclasses.dataclass
class Data:
    ident: int
    name: str
    score: float
    active: bool
    tags: list

class Color(enum.Enum):
    RED = 1

Pair = collections.namedtuple("Pair", "left right")

def with_int_key():
    e = Empty()
    e.__dict__[1] = "one"
    return e

shared = Plain(1, "s")
many = [Plain(i, "r%d" % i) if i % 3 else Other(ident=i, tags=[i, i + 1]) for i in range(300)]
dict_sub = DictSub(k=1)
dict_sub.attr = 2
cases = {
    "plain": Plain(1, "two"),
    "plain_list": [Plain(i, "n%d" % i) for i in range(5)],
    "many": many,
    "nested": Other(child=Plain(2, "x"), items=[Plain(3, "y"), Empty()], note=None),
    "dict_of_instances": {"a": Plain(1, "a"), "b": Other(z=1.5)},
    "empty": Empty(),
    "empty_list": [Empty(), Empty(), 3],
    "empty_then_dict": [Empty(), {}],
    "empty_then_dict_items": [Empty(), {"k": 1}],
    "dataclass": [Data(i, "rec%d" % i, i / 7, i % 3 == 0, [i, 0]) for i in range(4)],
    "unicode_attrs": Other(**{"n\u00e9": "\u00e9t\u00e9", "k": "\U0001f600"}),
    "int_key": with_int_key(),
    "shared_instance": [shared, shared],
    "shared_class_str": [Other(Plain="Plain"), Plain(0, "Plain")],
    "slots": Slots(1, "why"),
    "getstate": GetState(5),
    "reduce": Reduce(),
    "nested_class": Outer.Inner(7),
    "namedtuple": Pair(1, "r"),
    "dict_sub": dict_sub,
    "list_sub": ListSub([1, 2]),
    "ordered": collections.OrderedDict(a=1),
    "date": Other(when=datetime.date(2024, 1, 2)),
    "decimal": Other(amount=decimal.Decimal("1.5")),
    "enum": Other(color=Color.RED),
    "class_itself": Plain,
    "class_in_list": [Plain, Plain(1, "p")],
}
for name, value in cases.items():
    for protocol in range(6):
        try:
            data = pickle.dumps(value, protocol)
        except Exception:
            continue
        print("%s.p%d\t%s" % (name, protocol, data.hex()))
        print("%s.p%d.optimized\t%s" % (name, protocol, pickletools.optimize(data).hex()))
