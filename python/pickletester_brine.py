"""CPython's own pickle test suite (Lib/test/pickletester.py) with every pickle passing through brine.

Run by the reference CPython (3.11.7), which installs test.pickletester:

    python pickletester_brine.py --brine target/debug/brine [-k NAME]

The abstract test classes are subclassed as Lib/test/test_pickle.py subclasses them, but:

- loads(data) is CPython's pickle.loads of brine's re-encoding of data at data's own protocol,
  so a pickle brine refuses fails the test with the exception CPython raises for that kind of
  error (ERRORS below);
- dumps(obj, proto) is brine's re-encoding, at proto, of what CPython's pickle.dumps wrote, so
  the tests' assertions on opcodes, framing and bytes check brine's encoder.

Every conversion goes through one `brine convert --batch` process (the request format is in
crates/brine-cli/src/batch.rs). The tests that cannot go through a byte stream are in SKIPS,
each with its reason. One line per test goes to stdout, `RESULT <outcome> <test id>`, then the
counts as `passed N failed N skipped N`; the failures' tracebacks go to stderr.
"""
import argparse
import io
import pickle
import pickletools
import struct
import subprocess
import sys
import threading
import traceback
import unittest

from test import pickletester
from test.pickletester import (
    AbstractDispatchTableTests,
    AbstractHookTests,
    AbstractCustomPicklerClass,
    AbstractIdentityPersistentPicklerTests,
    AbstractPersistentPicklerTests,
    AbstractPickleModuleTests,
    AbstractPickleTests,
    AbstractPicklerUnpicklerObjectTests,
    AbstractUnpickleTests,
    BigmemPickleTests,
)

# The tests that do not go through brine, by test id (`Class.test`, or `Class.*` for a whole
# class), each with the reason. The only list of skips: the Rust test checks that exactly these
# are skipped.
OUT_OF_BAND = "out-of-band buffers (buffer_callback / buffers=) are Python objects beside the byte stream"
THIRTY_TWO_BIT = "32-bit builds only (requires_32b): CPython skips it on 64-bit"
SKIPS = {
    "BrinePickleTests.test_oob_buffers": OUT_OF_BAND,
    "BrinePickleTests.test_oob_buffers_writable_to_readonly": OUT_OF_BAND,
    "BrinePickleTests.test_buffers_error": OUT_OF_BAND,
    "BrinePickleTests.test_buffer_callback_error": OUT_OF_BAND,
    "BrinePickleTests.test_buffers_numpy":
        OUT_OF_BAND + " (and numpy is not installed with CPython)",
    # requires_32b: CPython itself runs these only where sys.maxsize < 2**32.
    "BrinePickleTests.test_large_32b_binbytes8": THIRTY_TWO_BIT,
    "BrinePickleTests.test_large_32b_binunicode8": THIRTY_TWO_BIT,
    "BrinePickleTests.test_large_32b_bytearray8": THIRTY_TWO_BIT,
    "BrinePickleTests.test_negative_32b_binbytes": THIRTY_TWO_BIT,
    "BrinePickleTests.test_negative_32b_binput": THIRTY_TWO_BIT,
    "BrinePickleTests.test_negative_32b_binunicode": THIRTY_TWO_BIT,
    "BrinePickleTests.test_framed_write_sizes_with_delayed_writer":
        "counts the write() calls a Pickler makes on a file object",
    "BrinePickleTests.test_evil_pickler_mutating_collection":
        "a Pickler subclass's persistent_id mutating the object being pickled: Pickler "
        "object behaviour, no stream comes out",
    "BrinePickleModuleTests.*":
        "the pickle module's API: dump/load on file objects, Pickler/Unpickler constructors "
        "and their argument checking",
    "BrinePicklerUnpicklerObjectTests.*":
        "Pickler/Unpickler object state: clear_memo, reuse of one Pickler, fast mode, memo "
        "copies",
    "BrineDispatchTableTests.*":
        "a Pickler's dispatch_table, with the test's own dumps and pickle.loads: no pickle "
        "passes through the test's dumps/loads",
    "BrineHookTests.*":
        "a Pickler's reducer_override, with pickle.loads called directly: no pickle passes "
        "through the test's dumps/loads",
    "BrineBigmemTests.*":
        "2 to 8 GiB objects (CPython's own run skips them without -M)",
}

# What CPython raises for each kind of load error brine reports (crates/brine-cli/src/batch.rs
# names them), where pickletester checks the class.
ERRORS = {
    # As the C unpickler: input that ends between two opcodes is EOFError ("Ran out of
    # input"), input that ends inside one is "pickle data was truncated".
    "Lex.NoStop": EOFError,
    "Lex.Truncated": pickle.UnpicklingError,
    "Lex.MissingNewline": pickle.UnpicklingError,
    "Lex.UnknownOpcode": pickle.UnpicklingError,
    "Lex.NegativeLength": pickle.UnpicklingError,
    "Lex.LengthOverflow": OverflowError,
    "Lex.StringNotQuoted": pickle.UnpicklingError,
    "Lex.Escape": ValueError,
    "Lex.InvalidUtf8": UnicodeDecodeError,
    "Lex.InvalidInt": ValueError,
    "Lex.InvalidFloat": ValueError,
    "Lex.FloatOverflow": OverflowError,
    "UnsupportedProtocol": ValueError,
    "StackUnderflow": pickle.UnpicklingError,
    "MarkNotFound": pickle.UnpicklingError,
    "MemoKeyMissing": pickle.UnpicklingError,
    "NegativeMemoKey": ValueError,
    "FrameMismatch": pickle.UnpicklingError,
    "BadPersistentId": pickle.UnpicklingError,
    "ExtensionCodeNotPositive": pickle.UnpicklingError,
    "UnregisteredExtension": ValueError,
    "NoBuffers": pickle.UnpicklingError,
    "NotEnoughBuffers": pickle.UnpicklingError,
    "NotABuffer": pickle.UnpicklingError,
    "BadGlobalName": pickle.UnpicklingError,
    "StackGlobalNotStr": pickle.UnpicklingError,
    "ExpectedTuple": TypeError,
    "ExpectedDict": TypeError,
    "OddItemCount": pickle.UnpicklingError,
    "CannotMutate": AttributeError,
    "StringDecode": UnicodeDecodeError,
    "UnknownEncoding": LookupError,
    "UnknownErrorHandler": LookupError,
}


class Brine:
    """One `brine convert --batch` process, shared by every test (and thread)."""

    def __init__(self, path):
        self.proc = subprocess.Popen(
            [path, "convert", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.lock = threading.Lock()
        self.count = 0

    def convert(self, data, protocol, encoding="ASCII", errors="strict", fix_imports=True):
        """brine's re-encoding of data at protocol, or (kind, message) of its refusal."""
        data = bytes(data)
        encoding, errors = encoding.encode("utf-8"), errors.encode("utf-8")
        request = (
            bytes([protocol, 1 if fix_imports else 0, len(encoding)]) + encoding
            + bytes([len(errors)]) + errors
            + struct.pack("<I", len(data)) + data
        )
        with self.lock:
            self.count += 1
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
            head = self.proc.stdout.read(5)
            if len(head) != 5:
                raise RuntimeError("brine convert --batch exited (code %s)" % self.proc.wait())
            status, length = head[0], struct.unpack("<I", head[1:])[0]
            payload = self.proc.stdout.read(length)
        if status == 0:
            return payload, None
        kind, _, message = payload.decode("utf-8", "replace").partition("\n")
        return None, (kind, message)

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait()


BRINE = None


def own_protocol(data):
    """The protocol data was written at: PROTO's, else the highest of the opcodes it uses."""
    data = bytes(data)
    if len(data) >= 2 and data[0] == pickle.PROTO[0]:
        # Above 5 brine refuses the pickle while decoding, before the protocol is used.
        return min(data[1], pickle.HIGHEST_PROTOCOL)
    proto = 0
    try:
        for op, _, _ in pickletools.genops(data):
            proto = max(proto, op.proto)
    except Exception:
        # A malformed pickle: brine is to refuse it; the protocol does not matter.
        pass
    return proto


def load_error(kind, message):
    cls = ERRORS.get(kind, pickle.UnpicklingError)
    text = "brine: %s (%s)" % (message, kind)
    if cls is UnicodeDecodeError:
        return UnicodeDecodeError("brine", b"", 0, 0, text)
    return cls(text)


def through_brine_for_loading(data, encoding="ASCII", errors="strict", fix_imports=True):
    out, err = BRINE.convert(data, own_protocol(data), encoding, errors, fix_imports)
    if err is not None:
        raise load_error(*err)
    return out


def brine_loads(data, **kwds):
    converted = through_brine_for_loading(
        data,
        kwds.get("encoding", "ASCII"),
        kwds.get("errors", "strict"),
        kwds.get("fix_imports", True),
    )
    return pickle.loads(converted, **kwds)


def effective_protocol(protocol):
    if protocol is None:
        return pickle.DEFAULT_PROTOCOL
    if protocol < 0:
        return pickle.HIGHEST_PROTOCOL
    return protocol


def through_brine_for_dumping(data, protocol, fix_imports=True):
    out, err = BRINE.convert(data, effective_protocol(protocol), fix_imports=fix_imports)
    if err is not None:
        raise pickle.PicklingError("brine refused what CPython dumped: %s (%s)" % (err[1], err[0]))
    return out


def brine_dumps(obj, protocol=None, **kwargs):
    data = pickle.dumps(obj, protocol, **kwargs)
    return through_brine_for_dumping(data, protocol, kwargs.get("fix_imports", True))


class BrinePickleTests(AbstractPickleTests, AbstractUnpickleTests, unittest.TestCase):
    # As test_pickle's InMemoryPickleTests: the C pickle module behind brine.
    bad_stack_errors = (pickle.UnpicklingError, IndexError)
    truncated_errors = (pickle.UnpicklingError, EOFError, AttributeError, ValueError,
                        struct.error, IndexError, ImportError)

    def dumps(self, arg, protocol=None, **kwargs):
        return brine_dumps(arg, protocol, **kwargs)

    def loads(self, buf, **kwds):
        return brine_loads(buf, **kwds)


class PersistentThroughBrine:
    """test_pickle's PersistentPicklerUnpicklerMixin, with brine between Pickler and Unpickler."""

    def dumps(self, arg, proto=None):
        class PersPickler(pickle.Pickler):
            def persistent_id(subself, obj):
                return self.persistent_id(obj)
        f = io.BytesIO()
        PersPickler(f, proto).dump(arg)
        return through_brine_for_dumping(f.getvalue(), proto)

    def loads(self, buf, **kwds):
        class PersUnpickler(pickle.Unpickler):
            def persistent_load(subself, obj):
                return self.persistent_load(obj)
        converted = through_brine_for_loading(
            buf,
            kwds.get("encoding", "ASCII"),
            kwds.get("errors", "strict"),
            kwds.get("fix_imports", True),
        )
        return PersUnpickler(io.BytesIO(converted), **kwds).load()


class BrinePersPicklerTests(AbstractPersistentPicklerTests, PersistentThroughBrine,
                            unittest.TestCase):
    pass


class BrineIdPersPicklerTests(AbstractIdentityPersistentPicklerTests, PersistentThroughBrine,
                              unittest.TestCase):
    pass


# The classes below are skipped whole (SKIPS); they are here so that every test of
# pickletester is accounted for.
class BrinePickleModuleTests(AbstractPickleModuleTests, unittest.TestCase):
    from _pickle import dump, dumps, load, loads, Pickler, Unpickler


class BrinePicklerUnpicklerObjectTests(AbstractPicklerUnpicklerObjectTests, unittest.TestCase):
    pickler_class = pickle.Pickler
    unpickler_class = pickle.Unpickler


class BrineDispatchTableTests(AbstractDispatchTableTests, unittest.TestCase):
    pickler_class = pickle.Pickler

    def get_dispatch_table(self):
        return pickle.dispatch_table.copy()


class BrineHookTests(AbstractHookTests, unittest.TestCase):
    class CustomPicklerClass(pickle.Pickler, AbstractCustomPicklerClass):
        pass
    pickler_class = CustomPicklerClass


class BrineBigmemTests(BigmemPickleTests, unittest.TestCase):
    def dumps(self, arg, protocol=None, **kwargs):
        return brine_dumps(arg, protocol, **kwargs)

    def loads(self, buf, **kwds):
        return brine_loads(buf, **kwds)


CLASSES = [
    BrinePickleTests,
    BrinePersPicklerTests,
    BrineIdPersPicklerTests,
    BrinePickleModuleTests,
    BrinePicklerUnpicklerObjectTests,
    BrineDispatchTableTests,
    BrineHookTests,
    BrineBigmemTests,
]


def skip_reason(test_id):
    cls = test_id.split(".")[0]
    return SKIPS.get(test_id) or SKIPS.get(cls + ".*")


class Result(unittest.TestResult):
    """Each test's outcome by id; a test with a failed subtest has failed."""

    def __init__(self):
        super().__init__()
        self.outcomes = {}
        self.tracebacks = {}

    @staticmethod
    def test_id(test):
        test = getattr(test, "test_case", test)
        return "%s.%s" % (type(test).__name__, test._testMethodName)

    def record(self, test, outcome, err=None):
        test_id = self.test_id(test)
        if self.outcomes.get(test_id) != "failed":
            self.outcomes[test_id] = outcome
        if err is not None:
            text = "".join(traceback.format_exception(*err))
            self.tracebacks.setdefault(test_id, []).append(text)

    def addSuccess(self, test):
        self.outcomes.setdefault(self.test_id(test), "passed")

    def addFailure(self, test, err):
        self.record(test, "failed", err)

    def addError(self, test, err):
        self.record(test, "failed", err)

    def addSkip(self, test, reason):
        self.record(test, "skipped")

    def addExpectedFailure(self, test, err):
        self.record(test, "passed")

    def addUnexpectedSuccess(self, test):
        self.record(test, "failed")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self.record(subtest, "failed", err)


def main():
    global BRINE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brine", required=True, help="the brine binary")
    parser.add_argument("-k", dest="only", action="append", default=[],
                        help="run only the tests whose id contains this (repeatable)")
    args = parser.parse_args()
    BRINE = Brine(args.brine)

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    skipped = {}
    for cls in CLASSES:
        for name in loader.getTestCaseNames(cls):
            test_id = "%s.%s" % (cls.__name__, name)
            if args.only and not any(part in test_id for part in args.only):
                continue
            reason = skip_reason(test_id)
            if reason:
                skipped[test_id] = reason
            else:
                suite.addTest(cls(name))
    result = Result()
    suite.run(result)
    code = BRINE.close()

    for test_id, reason in skipped.items():
        result.outcomes[test_id] = "skipped"
    for test_id in sorted(result.outcomes):
        print("RESULT %s %s" % (result.outcomes[test_id], test_id))
    for test_id in sorted(result.tracebacks):
        if result.outcomes[test_id] == "failed":
            sys.stderr.write("==== %s\n" % test_id)
            for text in result.tracebacks[test_id][:3]:
                sys.stderr.write(text[-3000:])
    counts = {k: 0 for k in ("passed", "failed", "skipped")}
    for outcome in result.outcomes.values():
        counts[outcome] += 1
    print("passed %(passed)d failed %(failed)d skipped %(skipped)d" % counts)
    print("conversions %d" % BRINE.count)
    if code != 0:
        print("brine convert --batch exited with code %d" % code)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
