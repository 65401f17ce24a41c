"""Lists a torch.save zip checkpoint's tensors without torch, as `brine checkpoint ls` does:
the best pure-Python path (zipfile, and a restricted pickle.Unpickler that imports nothing:
its find_class hands back inert stand-ins for torch's rebuild function and storage classes,
and refuses every other global but collections.OrderedDict; persistent ids are recorded,
never loaded). Prints `name<TAB>dtype<TAB>[shape]<TAB>bytes`, one line per tensor.

Usage: list_checkpoint.py FILE
"""

import collections
import pickle
import sys
import zipfile

DTYPES = {"FloatStorage": ("torch.float32", 4), "DoubleStorage": ("torch.float64", 8),
          "HalfStorage": ("torch.float16", 2), "BFloat16Storage": ("torch.bfloat16", 2),
          "LongStorage": ("torch.int64", 8), "IntStorage": ("torch.int32", 4),
          "ShortStorage": ("torch.int16", 2), "CharStorage": ("torch.int8", 1),
          "ByteStorage": ("torch.uint8", 1), "BoolStorage": ("torch.bool", 1)}


class StorageType:
    def __init__(self, name):
        self.name = name


class Tensor:
    def __init__(self, storage, offset, size, stride, *rest):
        self.storage, self.shape = storage, size


def rebuild_tensor_v2(*args):
    return Tensor(*args)


class Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if module == "torch" and name in DTYPES:
            return StorageType(name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")

    def persistent_load(self, pid):
        kind, storage_type, key, location, numel = pid[:5]
        if kind != "storage" or not isinstance(storage_type, StorageType):
            raise pickle.UnpicklingError(f"persistent id {pid!r}")
        return (storage_type.name, key)


def tensors(value, name, out):
    if isinstance(value, Tensor):
        out.append((name, value))
    elif isinstance(value, dict):
        for key, child in value.items():
            tensors(child, f"{name}.{key}" if name else str(key), out)
    elif isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            tensors(child, f"{name}.{i}" if name else str(i), out)


def main():
    with zipfile.ZipFile(sys.argv[1]) as archive:
        names = archive.namelist()
        pickle_name = next(n for n in names if n.endswith("/data.pkl") and n.count("/") == 1)
        prefix = pickle_name[: -len("data.pkl")]
        with archive.open(pickle_name) as f:
            obj = Restricted(f).load()
        found = []
        tensors(obj, "", found)
        present = set(names)
        lines = []
        for name, tensor in found:
            storage_type, key = tensor.storage
            if f"{prefix}data/{key}" not in present:
                raise SystemExit(f"{name}: storage {key} is not in the checkpoint")
            dtype, size = DTYPES[storage_type]
            count = 1
            for dim in tensor.shape:
                count *= dim
            lines.append(f"{name}\t{dtype}\t[{', '.join(map(str, tensor.shape))}]\t{count * size}")
        sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
