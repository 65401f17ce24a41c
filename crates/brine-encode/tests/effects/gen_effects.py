# Writes the CPython 3.11.7 pickles that tests/effects.rs re-encodes and compares: objects
# whose pickles make calls they then pop (a state setter, the first attempt at a set its own
# items refer back to), and globals named by extension codes.
# Run from this folder: $(pyenv root)/versions/3.11.7/bin/python gen_effects.py
import pickle, copyreg, collections, sys
assert sys.version_info[:3] == (3, 11, 7)

def setter(obj, state):
    obj.__dict__.update(state)

class WithSetter:
    def __init__(self):
        self.a = 1
    def __reduce__(self):
        return (WithSetter.__new__, (WithSetter,), {'a': self.a}, None, None, setter)

class Plain:
    pass

class Hashed:
    def __hash__(self):
        return 1

class Reduced:
    # The same REDUCE at every protocol, so that one object's pickles at two protocols
    # differ only where the protocols do.
    def __reduce__(self):
        return (Reduced, (), self.__dict__)

class K:
    # As pickletester's K: the constructor's argument may be the set that holds it.
    def __init__(self, value):
        self.value = value
    def __reduce__(self):
        return (K, (self.value,))

import __main__
for cls in (WithSetter, Plain, Hashed, Reduced, K):
    cls.__module__ = 'm'
setter.__module__ = 'm'
# m.py holds the classes a loader needs too; the others are set on it here.
import m
from m import NewEx
m.WithSetter = WithSetter; m.Plain = Plain; m.Hashed = Hashed; m.setter = setter
m.Reduced = Reduced; m.K = K

cases = []
for p in range(6):
    cases.append((f"state_setter_p{p}", "a __reduce__ with a state setter (6-tuple)", pickle.dumps(WithSetter(), p)))
c = Plain(); fs = frozenset([c]); c.s = fs
for p in range(6):
    cases.append((f"frozenset_through_instance_p{p}", "c = Plain(); s = frozenset([c]); c.s = s", pickle.dumps(fs, p)))
h = Hashed(); st = {h}; h.s = st
for p in range(6):
    cases.append((f"set_through_instance_p{p}", "h = Hashed(); s = {h}; h.s = s", pickle.dumps(st, p)))
r = Reduced(); st = {r}; r.s = st
for p in range(6):
    cases.append((f"set_through_reduce_p{p}", "r = Reduced(); s = {r}; r.s = s", pickle.dumps(st, p)))
r = Reduced(); fs = frozenset([r]); r.s = fs
for p in range(6):
    cases.append((f"frozenset_through_reduce_p{p}", "r = Reduced(); s = frozenset([r]); r.s = s", pickle.dumps(fs, p)))
# A set holding an object whose constructor's arguments hold the set: below protocol 4 a set
# is a call, made only after its items, so CPython's pickler recurses without end.
st = set(); st.add(K(st))
for p in range(6):
    if p < 4:
        try:
            pickle.dumps(st, p)
        except RecursionError:
            continue
        raise AssertionError(f"protocol {p} wrote a set its item's arguments hold")
    cases.append((f"set_through_arguments_p{p}", "s = set(); s.add(K(s)) (protocols 0-3: RecursionError)", pickle.dumps(st, p)))
# The same for a frozenset: a frozenset is made after its items at every protocol.
k = K(None); fs = frozenset([k]); k.value = fs
for p in range(6):
    try:
        pickle.dumps(fs, p)
    except RecursionError:
        continue
    raise AssertionError(f"protocol {p} wrote a frozenset its item's arguments hold")
# An object whose arguments and keyword arguments hold it (the fuzz input
# fuzz/regressions/roundtrip-prelude-alternation.bin with str keys): x's arguments hold y,
# whose keyword arguments, also its state, hold x; x's keyword arguments hold x. Each save of
# x or y before it is memoized is an attempt the pickler pops for the memoized object.
x = NewEx.__new__(NewEx); y = NewEx.__new__(NewEx)
d = {'k': x}
y.kwargs = d; y.state = d
x.args = (1, NewEx, 2, y); x.kwargs = {'k': x}
# At protocols 2 and 3 the partial holds copies of the arguments and keyword arguments,
# which are new objects at each attempt, so CPython's pickler recurses without end.
WHAT = "x = NewEx(1, NewEx, 2, y, k=x), y = NewEx(k=d) with state d = {'k': x} (protocols 2-3: RecursionError)"
for p in range(6):
    if p in (2, 3):
        try:
            pickle.dumps(x, p)
        except RecursionError:
            continue
        raise AssertionError(f"protocol {p} wrote an object its partial's arguments hold")
    cases.append((f"newobj_ex_through_arguments_p{p}", WHAT, pickle.dumps(x, p)))
copyreg.add_extension('collections', 'OrderedDict', 240)
copyreg.add_extension('collections', 'Counter', 0x1234)
copyreg.add_extension('collections', 'deque', 0x12345678)
v = [collections.OrderedDict(a=1), collections.Counter('aab'), collections.deque([1])]
for p in range(2, 6):
    cases.append((f"extension_codes_p{p}", "[OrderedDict(a=1), Counter('aab'), deque([1])] with codes 240, 0x1234, 0x12345678", pickle.dumps(v, p)))

import os
for name, what, data in cases:
    with open(name + ".pickle", "wb") as f:
        f.write(data)
with open("README.md", "w") as f:
    f.write("# CPython 3.11.7 pickles with popped calls and extension codes\n\n")
    f.write("Written by `gen_effects.py` (run it here with the pinned 3.11.7); do not edit.\n\n")
    f.write("| file | object |\n|---|---|\n")
    for name, what, data in cases:
        f.write(f"| `{name}.pickle` | {what} |\n")
