"""Writes the inputs of `cargo xtask bench-scan` (into target/bench-scan/, never committed).

Run by CPython 3.11.7 without third-party packages: torch is not installed, so checkpoints
are written in torch.save's zip layout (torch/serialization.py `_save`,
caffe2/serialize/inline_container.cc: stored members, data aligned to 64 bytes) with stand-in
classes registered under torch's names so that the pickler writes torch's globals.

- `checkpoint_<size>.pt`: a state dict of float32 tensors of 1024 x 1024 (4 MiB each) as a
  torch.save zip: 64 of them for 256m, 256 for 1g, 1024 for 4g. Their bytes are one seeded
  random MiB, repeated.
- `tree/`: 10,000 small pickles (dicts, lists, a state-dict-like record, protocols 0-5) in
  100 folders.

Usage: gen_scan_data.py OUT_DIR [256m 1g 4g ...]
"""

import collections
import io
import os
import pickle
import random
import struct
import sys
import types
import zipfile

SIZES = {"256m": 64, "1g": 256, "4g": 1024}
TENSOR_BYTES = 4 << 20


def stand_in_module(name):
    if name not in sys.modules:
        sys.modules[name] = types.ModuleType(name)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(stand_in_module(parent), child, sys.modules[name])
    return sys.modules[name]


def stand_in_class(module_name, name):
    cls = type(name, (), {"__module__": module_name, "__qualname__": name})
    setattr(stand_in_module(module_name), name, cls)
    return cls


def stand_in_function(module_name, name):
    def function(*args):
        raise RuntimeError("a stand-in is never called")

    function.__module__, function.__qualname__, function.__name__ = module_name, name, name
    setattr(stand_in_module(module_name), name, function)
    return function


FloatStorage = stand_in_class("torch", "FloatStorage")
rebuild_tensor_v2 = stand_in_function("torch._utils", "_rebuild_tensor_v2")


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        stride = (self.shape[1], 1)
        return (rebuild_tensor_v2,
                (self.storage, 0, self.shape, stride, False, collections.OrderedDict()))


def persistent_id(obj):
    if isinstance(obj, Storage):
        return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
    return None


def checkpoint(path, count):
    block = random.Random(0).randbytes(1 << 20)
    payload = block * (TENSOR_BYTES // len(block))
    state = collections.OrderedDict()
    for i in range(count):
        state[f"layers.{i}.weight"] = Tensor(Storage(str(i), TENSOR_BYTES // 4), (1024, 1024))
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=2)
    pickler.persistent_id = persistent_id
    pickler.dump({"model": state, "epoch": 3})
    members = [("archive/data.pkl", out.getvalue()), ("archive/byteorder", b"little")]
    members += [(f"archive/data/{i}", None) for i in range(count)]
    members += [("archive/version", b"3\n")]
    with open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            header_end = f.tell() + 30 + len(name.encode())
            # The zip64 extra field zipfile adds for a large member comes after this one.
            padding = (-(header_end + 4)) % 64
            info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
            archive.writestr(info, payload if data is None else data)


def tree(path):
    rng = random.Random(1)
    for i in range(10_000):
        folder = os.path.join(path, f"{i // 100:02d}")
        os.makedirs(folder, exist_ok=True)
        kind = i % 4
        if kind == 0:
            value = {f"k{j}": rng.random() for j in range(20)}
        elif kind == 1:
            value = [rng.randrange(1 << 40) for _ in range(50)]
        elif kind == 2:
            value = {"name": f"run{i}", "tags": ["a", "b"], "epoch": i, "lr": 0.1}
        else:
            value = collections.OrderedDict((f"layer{j}.bias", [0.0] * 8) for j in range(8))
        with open(os.path.join(folder, f"{i}.pkl"), "wb") as f:
            pickle.dump(value, f, protocol=i % 6)


def main():
    out, sizes = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    for size in sizes:
        path = os.path.join(out, f"checkpoint_{size}.pt")
        if not os.path.exists(path):
            checkpoint(path + ".part", SIZES[size])
            os.replace(path + ".part", path)
    tree_dir = os.path.join(out, "tree")
    if not os.path.exists(os.path.join(tree_dir, "99", "9999.pkl")):
        tree(tree_dir)


if __name__ == "__main__":
    main()
