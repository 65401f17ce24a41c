"""Prints the test-vector section of docs/envelope.md, computed by python/brine_envelope.py.

    python python/tests/gen_vectors.py > /tmp/vectors.md

The vectors come from the Python implementation so that the Rust tests, which sign the same
inputs and compare bytes, check one implementation against the other rather than against its
own output. Output is deterministic: fixed keys, fixed clocks, no randomness.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import brine_envelope as be  # noqa: E402

# pickle.dumps((1, 2), protocol=4), written out so the vectors do not depend on the Python.
PICKLE = bytes.fromhex("80049507000000000000004b014b028694 2e".replace(" ", ""))

VECTORS = [
    # (secret, key id or None for the fingerprint, algorithm, context, issued-at, payload)
    (bytes(range(16)), b"k1", be.HMAC_SHA256, None, None, b""),
    (bytes(range(32)), None, be.HMAC_SHA256, b"cache", 1700000000, PICKLE),
    (bytes(range(64, 128)), b"2024-06", be.HMAC_SHA512, b"model-weights", 1718000000,
     b"hello, brine"),
    (bytes([0xA5] * 20), b"\x00bin\xff", be.HMAC_SHA512, None, 1, b"\x00" * 3),
]


def show(value):
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return value.hex() if value else "(empty)"


def vector_block(number, secret, key_id, algorithm, context, issued_at, payload):
    key = be.Key(secret, key_id=key_id, algorithm=algorithm)
    envelope = be.sign(key, payload, context=context, timestamp=issued_at is not None,
                       clock=lambda: issued_at)
    lines = [
        "vector:    %d" % number,
        "secret:    %s" % secret.hex(),
        "key-id:    %s" % key.key_id.hex(),
        "algorithm: %s" % algorithm,
        "context:   %s" % show(context),
        "issued-at: %s" % show(issued_at),
        "payload:   %s" % show(payload),
        "envelope:  %s" % envelope.hex(),
    ]
    return key, envelope, lines


def breakdown(envelope):
    """Vector 2, field by field."""
    def spaced(raw):
        return " ".join("%02x" % b for b in bytearray(raw))

    fields = [
        (8, 'magic "\\x89BRSIG\\r\\n"'),
        (1, "version 1"),
        (1, "algorithm 0x01: hmac-sha256"),
        (1, "flags 0x03: issued-at (0x01) | context (0x02)"),
        (1, "key id length: 16"),
        (16, None),
        (2, "context length: 5"),
        (5, None),
        (8, "issued-at: 1700000000 (2023-11-14T22:13:20Z)"),
        (8, "payload length: 18"),
        (18, "payload: pickle.dumps((1, 2), protocol=4)"),
        (32, "tag: HMAC-SHA256(secret, all %d bytes above)" % (len(envelope) - 32)),
    ]
    lines = ["```text"]
    pos = 0
    for size, label in fields:
        raw = envelope[pos:pos + size]
        if label is None:
            label = '"%s"' % raw.decode("ascii")
            label = ("key id " if size == 16 else "context ") + label
        # Long fields wrap at 16 bytes; the label goes on the first line.
        for i in range(0, len(raw), 16):
            chunk = spaced(raw[i:i + 16])
            lines.append("%-48s %s" % (chunk, label if i == 0 else ""))
        pos += size
    assert pos == len(envelope)
    lines.append("```")
    lines.append("")
    return [line.rstrip() for line in lines]


def flip(envelope, index, mask=0x01):
    data = bytearray(envelope)
    data[index] ^= mask
    return bytes(data)


def expect_refused(key, envelope, error, **verify_kwargs):
    try:
        be.verify(be.Keyring(key), envelope, **verify_kwargs)
    except error:
        return
    raise AssertionError("expected %s" % error.__name__)


def main():
    out = []
    keys = {}
    for number, spec in enumerate(VECTORS, 1):
        key, envelope, lines = vector_block(number, *spec)
        keys[number] = (key, envelope, spec)
        out.append("```brine-vector")
        out.extend(lines)
        out.append("```")
        out.append("")

    out.extend(breakdown(keys[2][1]))

    # Refusals: each names the vector whose key and verify options it uses, and what differs.
    key2, env2, spec2 = keys[2]
    key3, env3, spec3 = keys[3]
    rejects = []
    rejects.append(("bad-tag", 2, flip(env2, len(env2) - 1), {}, be.BadTag))
    rejects.append(("altered-payload", 2, flip(env2, len(env2) - 33), {}, be.BadTag))
    rejects.append(("truncated", 2, env2[:-1], {}, be.Truncated))
    rejects.append(("trailing-bytes", 2, env2 + b"\x00", {}, be.TrailingBytes))
    rejects.append(("not-an-envelope", 2, PICKLE, {}, be.NotAnEnvelope))
    rejects.append(("unknown-version", 2, flip(env2, 8, 0x03), {}, be.UnknownVersion))
    rejects.append(("unknown-algorithm", 2, flip(env2, 9, 0x07), {}, be.UnknownAlgorithm))
    # The algorithm byte of vector 3 changed from 0x02 (hmac-sha512) to 0x01 (hmac-sha256).
    rejects.append(("downgrade", 3, flip(env3, 9, 0x03), {}, be.AlgorithmMismatch))
    rejects.append(("min-algorithm", 2, env2, {"min-algorithm": be.HMAC_SHA512}, be.Downgrade))
    rejects.append(("context-mismatch", 2, env2, {"context": b"session"}, be.ContextMismatch))
    rejects.append(("context-missing", 2, env2, {"context": None}, be.ContextMismatch))
    rejects.append(("expired", 3, env3, {"now": 1718000000 + 3601, "max-age": 3600}, be.Expired))
    rejects.append(("issued-in-future", 3, env3, {"now": 1718000000 - 301}, be.IssuedInFuture))
    rejects.append(("missing-issued-at", 1, keys[1][1], {"max-age": 3600}, be.MissingIssuedAt))
    rejects.append(("oversize", 2, env2, {"max-payload-len": len(PICKLE) - 1}, be.Oversize))
    other_key = be.Key(bytes(range(1, 33)), key_id=key2.key_id)
    rejects.append(("wrong-key", 2, be.sign(other_key, PICKLE, context=b"cache",
                                           clock=lambda: 1700000000), {}, be.BadTag))

    for name, base, envelope, overrides, error in rejects:
        key, _, spec = keys[base]
        kwargs = {"context": spec[3], "clock": (lambda: spec[4] if spec[4] is not None else 0)}
        if "context" in overrides:
            kwargs["context"] = overrides["context"]
        if "now" in overrides:
            now = overrides["now"]
            kwargs["clock"] = lambda now=now: now
        if "max-age" in overrides:
            kwargs["max_age"] = overrides["max-age"]
        if "min-algorithm" in overrides:
            kwargs["min_algorithm"] = overrides["min-algorithm"]
        if "max-payload-len" in overrides:
            kwargs["max_payload_len"] = overrides["max-payload-len"]
        expect_refused(key, envelope, error, **kwargs)
        out.append("```brine-reject")
        out.append("reject:    %s" % name)
        out.append("key-of:    %d" % base)
        for field in ("context", "now", "max-age", "min-algorithm", "max-payload-len"):
            if field in overrides:
                out.append("%s %s" % ((field + ":").ljust(10), show(overrides[field])
                                      if field == "context" else overrides[field]))
        out.append("envelope:  %s" % envelope.hex())
        out.append("expect:    %s" % error.__name__)
        out.append("```")
        out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
