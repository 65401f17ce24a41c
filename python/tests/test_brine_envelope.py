"""Tests of python/brine_envelope.py (stdlib unittest; Python 3.6 and later).

    python -m unittest discover -s python/tests

The Rust test suite of crates/brine-sign runs these too, and checks the two implementations
against each other.
"""

import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

import brine_envelope as be  # noqa: E402
import gen_vectors  # noqa: E402

SPEC = os.path.join(HERE, "..", "..", "docs", "envelope.md")
T0 = 1700000000


def key(key_id=b"k1", algorithm=be.HMAC_SHA256, seed=1):
    return be.Key(bytes((i * 31 + seed) & 0xFF for i in range(32)), key_id=key_id,
                  algorithm=algorithm)


def at(now):
    return lambda: now


def verify_both(ring, envelope, **kwargs):
    """verify and verify_stream must agree; returns the payload or raises the common error."""
    out = io.BytesIO()
    try:
        payload = be.verify(ring, envelope, **kwargs).payload
    except be.EnvelopeError as err:
        with self_check_raises(type(err)):
            be.verify_stream(ring, io.BytesIO(envelope), out, **kwargs)
        assert out.getvalue() == b"", "verify_stream released bytes of a refused envelope"
        raise
    be.verify_stream(ring, io.BytesIO(envelope), out, **kwargs)
    assert out.getvalue() == payload
    return payload


class self_check_raises(object):
    def __init__(self, error):
        self.error = error

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError("expected %s" % self.error.__name__)
        if kind is not self.error:
            raise AssertionError("expected %s, got %s" % (self.error.__name__, kind.__name__))
        return True


def blocks(tag):
    with open(SPEC, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() == "```" + tag:
            fields = {}
            i += 1
            while not lines[i].startswith("```"):
                name, value = lines[i].split(":", 1)
                fields[name.strip()] = value.strip()
                i += 1
            out.append(fields)
        i += 1
    return out


def unhex(text):
    return b"" if text == "(empty)" else bytes.fromhex(text)


class Vectors(unittest.TestCase):
    def test_docs_hold_the_current_generator_output(self):
        saved = sys.stdout
        sys.stdout = io.StringIO()
        try:
            gen_vectors.main()
            generated = sys.stdout.getvalue()
        finally:
            sys.stdout = saved
        with open(SPEC, encoding="utf-8") as f:
            spec = f.read()
        self.assertTrue(spec.rstrip("\n").endswith(generated.rstrip("\n")),
                        "docs/envelope.md is stale: rerun python/tests/gen_vectors.py")

    def test_vectors_verify(self):
        vectors = blocks("brine-vector")
        self.assertEqual(len(vectors), 4)
        for v in vectors:
            k = be.Key(unhex(v["secret"]), key_id=unhex(v["key-id"]), algorithm=v["algorithm"])
            context = None if v["context"] == "-" else unhex(v["context"])
            now = 0 if v["issued-at"] == "-" else int(v["issued-at"])
            payload = verify_both(be.Keyring(k), unhex(v["envelope"]), context=context,
                                  clock=at(now))
            self.assertEqual(payload, unhex(v["payload"]))


class RoundTrip(unittest.TestCase):
    def test_sign_and_verify_every_way(self):
        for algorithm in (be.HMAC_SHA256, be.HMAC_SHA512):
            k = key(algorithm=algorithm)
            for context in (None, b"ctx", "text-ctx"):
                for payload in (b"", b"\x80\x04N.", bytes(range(256)) * 300):
                    envelope = be.sign(k, payload, context=context, clock=at(T0))
                    streamed = io.BytesIO()
                    n = be.sign_stream(k, io.BytesIO(payload), streamed, context=context,
                                       clock=at(T0), spool_memory_limit=100)
                    self.assertEqual(n, len(payload))
                    self.assertEqual(streamed.getvalue(), envelope)
                    self.assertEqual(verify_both(be.Keyring(k), envelope, context=context,
                                                 clock=at(T0)), payload)
                    v = be.verify(k, envelope, context=context, clock=at(T0))
                    self.assertEqual((v.key_id, v.algorithm, v.issued_at, v.payload_len),
                                     (b"k1", algorithm, T0, len(payload)))

    def test_rotation(self):
        old, new = key(b"2023", seed=1), key(b"2024", be.HMAC_SHA512, seed=2)
        old_envelope = be.sign(old, b"old", clock=at(T0))
        ring = be.Keyring(new, old)
        new_envelope = be.sign(ring.signing_key, b"new", clock=at(T0))
        self.assertEqual(verify_both(ring, old_envelope, clock=at(T0)), b"old")
        self.assertEqual(be.verify(ring, new_envelope, clock=at(T0)).key_id, b"2024")
        with self.assertRaises(be.UnknownKeyId):
            verify_both(be.Keyring(new), old_envelope, clock=at(T0))
        with self.assertRaises(be.DuplicateKeyId):
            ring.add(key(b"2023", seed=3))
        self.assertIs(ring.signer(b"2023"), old)
        with self.assertRaises(be.UnknownKeyId):
            ring.signer("nope")

    def test_context(self):
        k = key()
        envelope = be.sign(k, b"p", context=b"model-weights", clock=at(T0))
        for other in (b"session", b"model-weight", None):
            with self.assertRaises(be.ContextMismatch):
                verify_both(be.Keyring(k), envelope, context=other, clock=at(T0))
        plain = be.sign(k, b"p", clock=at(T0))
        self.assertEqual(be.sign(k, b"p", context=b"", clock=at(T0)), plain)
        self.assertEqual(verify_both(be.Keyring(k), plain, context=b"", clock=at(T0)), b"p")
        with self.assertRaises(be.ContextTooLong):
            be.sign(k, b"p", context=b"c" * 65536)

    def test_age(self):
        k = key()
        ring = be.Keyring(k)
        envelope = be.sign(k, b"p", clock=at(T0))
        self.assertEqual(verify_both(ring, envelope, max_age=3600, clock=at(T0 + 3600)), b"p")
        with self.assertRaises(be.Expired):
            verify_both(ring, envelope, max_age=3600, clock=at(T0 + 3601))
        self.assertEqual(verify_both(ring, envelope, clock=at(T0 - 300)), b"p")
        with self.assertRaises(be.IssuedInFuture):
            verify_both(ring, envelope, clock=at(T0 - 301))
        undated = be.sign(k, b"p", timestamp=False)
        with self.assertRaises(be.MissingIssuedAt):
            verify_both(ring, undated, max_age=3600, clock=at(T0))

    def test_downgrade(self):
        strong = key(algorithm=be.HMAC_SHA512)
        envelope = bytearray(be.sign(strong, b"p", clock=at(T0)))
        envelope[9] = 0x01
        with self.assertRaises(be.AlgorithmMismatch):
            verify_both(be.Keyring(strong), bytes(envelope), clock=at(T0))
        weak = key()
        with self.assertRaises(be.Downgrade):
            verify_both(be.Keyring(weak), be.sign(weak, b"p", clock=at(T0)), clock=at(T0),
                        min_algorithm=be.HMAC_SHA512)

    def test_oversize_and_trailing(self):
        k = key()
        envelope = be.sign(k, b"12345", clock=at(T0))
        with self.assertRaises(be.Oversize):
            verify_both(be.Keyring(k), envelope, clock=at(T0), max_payload_len=4)
        with self.assertRaises(be.TrailingBytes):
            verify_both(be.Keyring(k), envelope + b"\x00", clock=at(T0))


class Tamper(unittest.TestCase):
    def test_every_bit_flip_and_truncation_is_refused(self):
        for algorithm in (be.HMAC_SHA256, be.HMAC_SHA512):
            k = key(algorithm=algorithm)
            ring = be.Keyring(k)
            envelope = be.sign(k, b"\x80\x04\x95payload.", context=b"ctx", clock=at(T0))
            for i in range(len(envelope)):
                for bit in range(8):
                    flipped = bytearray(envelope)
                    flipped[i] ^= 1 << bit
                    with self.assertRaises(be.EnvelopeError, msg="byte %d bit %d" % (i, bit)):
                        verify_both(ring, bytes(flipped), context=b"ctx", clock=at(T0))
            for n in range(len(envelope)):
                with self.assertRaises(be.EnvelopeError, msg="truncated to %d" % n):
                    verify_both(ring, envelope[:n], context=b"ctx", clock=at(T0))


class Keys(unittest.TestCase):
    def test_repr_hides_the_secret(self):
        k = be.Key(b"super-secret-key-material-0123456789", key_id="k1")
        self.assertNotIn("super", repr(k))
        self.assertNotIn("super", repr(be.Keyring(k)))
        self.assertIn("redacted", repr(k))

    def test_key_rules(self):
        with self.assertRaises(be.InvalidKey):
            be.Key(b"short")
        with self.assertRaises(be.InvalidKey):
            be.Key(b"x" * 16, key_id=b"")
        with self.assertRaises(be.InvalidKey):
            be.Key(b"x" * 16, key_id=b"i" * 256)
        with self.assertRaises(be.UnknownAlgorithmName):
            be.Key(b"x" * 16, algorithm="md5")
        self.assertEqual(be.Key(bytes(range(16))).key_id, b"a4e60f51e032bece")

    def test_key_file(self):
        ring = be.Keyring.from_key_file(
            b"# comment\nid=old 000102030405060708090a0b0c0d0e0f\n"
            b"id=new alg=hmac-sha512 101112131415161718191a1b1c1d1e1f\n")
        self.assertEqual(ring.signing_key.key_id, b"new")
        self.assertEqual(ring.signing_key.algorithm, be.HMAC_SHA512)
        self.assertEqual([k.key_id for k in ring], [b"new", b"old"])
        for bad in (b"", b"# nothing\n", b"zz", b"id=a 0011", b"key=00", b"00 11",
                    b"id=a 000102030405060708090a0b0c0d0e0f\nid=a 000102030405060708090a0b0c0d0e0f"):
            with self.assertRaises(be.KeyFileError):
                be.Keyring.from_key_file(bad)
        try:
            be.Keyring.from_key_file(b"\n\nsecretpassword")
        except be.KeyFileError as err:
            self.assertIn("line 3", str(err))
            self.assertNotIn("secretpassword", str(err))


if __name__ == "__main__":
    unittest.main()
