"""Classes of the brine benchmark workloads.

`genperfdata.py` pickles instances of these, and `timepickle.py` imports them to load
and dump the same files with CPython, so this module must be importable as
`bench_classes` (the benches/ folder on sys.path).
"""

import pickle


class Record:
    """A plain class: instances pickle as NEWOBJ of the class plus BUILD of `__dict__`."""

    def __init__(self, ident, name, score, active, tags):
        self.ident = ident
        self.name = name
        self.score = score
        self.active = active
        self.tags = tags


class Array:
    """A flat typed array whose data goes out-of-band at protocol 5, as NumPy arrays do.

    `data` is any buffer (bytes, bytearray, memoryview); it is never copied.
    """

    def __init__(self, typecode, shape, data):
        self.typecode = typecode
        self.shape = shape
        self.data = data

    def __reduce_ex__(self, protocol):
        if protocol >= 5:
            return rebuild_array, (self.typecode, self.shape, pickle.PickleBuffer(self.data))
        return rebuild_array, (self.typecode, self.shape, bytes(self.data))


def rebuild_array(typecode, shape, data):
    """The reconstructor `Array.__reduce_ex__` names: keeps the buffer as it comes."""
    return Array(typecode, shape, memoryview(data))
