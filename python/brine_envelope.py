"""The brine signing envelope, in Python: HMAC-signed bytes that are checked before use.

This is the second implementation of the format specified in docs/envelope.md (the first is
the Rust crate brine-sign). It needs only the standard library (hmac, hashlib, struct) and runs
on Python 3.6 and later.

    >>> ring = Keyring(Key(bytes(range(32)), key_id=b"k1"))
    >>> envelope = sign(ring.signing_key, b"payload", context=b"cache")
    >>> verify(ring, envelope, context=b"cache").payload
    b'payload'

``verify`` returns the payload only inside a ``Verified`` object, after the tag, the context
and the age have been checked; every refusal is an ``EnvelopeError`` subclass. The payload is
never parsed, decompressed or unpickled here: pass ``Verified.payload`` to ``pickle.loads``
yourself, and only that.
"""

import hashlib
import hmac
import shutil
import struct
import tempfile
import time

__all__ = [
    "MAGIC", "VERSION", "HMAC_SHA256", "HMAC_SHA512",
    "Key", "Keyring", "Verified",
    "sign", "sign_stream", "verify", "verify_stream",
    "EnvelopeError", "NotAnEnvelope", "UnknownVersion", "UnknownAlgorithm",
    "UnknownAlgorithmName", "MalformedHeader", "UnknownKeyId", "BadTag", "Truncated",
    "TrailingBytes", "Downgrade", "AlgorithmMismatch", "ContextMismatch", "Expired",
    "IssuedInFuture", "MissingIssuedAt", "Oversize", "ContextTooLong", "InvalidKey",
    "DuplicateKeyId", "KeyFileError",
]

MAGIC = b"\x89BRSIG\r\n"
VERSION = 1

#: Algorithm names, as in key files; ordered by strength.
HMAC_SHA256 = "hmac-sha256"
HMAC_SHA512 = "hmac-sha512"

# name -> (id byte, hashlib constructor, tag length, strength rank)
_ALGORITHMS = {
    HMAC_SHA256: (0x01, hashlib.sha256, 32, 1),
    HMAC_SHA512: (0x02, hashlib.sha512, 64, 2),
}
_ALGORITHM_BY_ID = {spec[0]: name for name, spec in _ALGORITHMS.items()}

_FLAG_ISSUED_AT = 0x01
_FLAG_CONTEXT = 0x02
_MAX_CONTEXT_LEN = 0xFFFF
_MIN_SECRET_LEN = 16
_CHUNK = 64 * 1024


# --- errors ------------------------------------------------------------------------------

class EnvelopeError(ValueError):
    """Base class of every refusal and every misuse this module reports."""


class NotAnEnvelope(EnvelopeError):
    """The input does not start with MAGIC."""


class UnknownVersion(EnvelopeError):
    """The version byte names a version this module does not implement."""


class UnknownAlgorithm(EnvelopeError):
    """The algorithm byte names no known algorithm."""


class UnknownAlgorithmName(EnvelopeError):
    """An algorithm name (key file, argument) is not hmac-sha256 or hmac-sha512."""


class MalformedHeader(EnvelopeError):
    """The header breaks a rule of the format (reserved flags, empty key id or context)."""


class UnknownKeyId(EnvelopeError):
    """The envelope names a key id the keyring does not hold."""


class BadTag(EnvelopeError):
    """The tag does not match: wrong key or altered bytes."""


class Truncated(EnvelopeError):
    """The input ends before the envelope does."""


class TrailingBytes(EnvelopeError):
    """Bytes follow the tag."""


class Downgrade(EnvelopeError):
    """The envelope's algorithm is weaker than the verifier's minimum."""


class AlgorithmMismatch(EnvelopeError):
    """The envelope's algorithm is not the one its key is bound to."""


class ContextMismatch(EnvelopeError):
    """The envelope is authentic but bound to another context than the one expected."""


class Expired(EnvelopeError):
    """The envelope is older than the maximum age."""


class IssuedInFuture(EnvelopeError):
    """The issued-at time is ahead of the clock by more than the allowed skew."""


class MissingIssuedAt(EnvelopeError):
    """A maximum age is set but the envelope records no issued-at time."""


class Oversize(EnvelopeError):
    """The payload is longer than the verifier's limit."""


class ContextTooLong(EnvelopeError):
    """A context is longer than 65535 bytes."""


class InvalidKey(EnvelopeError):
    """A key's secret or id breaks a rule."""


class DuplicateKeyId(EnvelopeError):
    """Two keys of one keyring have the same id."""


class KeyFileError(EnvelopeError):
    """A key file does not follow the key-file format."""


# --- keys ----------------------------------------------------------------------------------

def _as_bytes(value, what):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("%s must be bytes or str, not %s" % (what, type(value).__name__))


def _show(raw):
    """Bytes for an error message, escaped like Rust's escape_ascii (close enough to read)."""
    return repr(bytes(raw))[2:-1]


def _algorithm_name(name):
    lowered = name.lower() if isinstance(name, str) else name
    if lowered not in _ALGORITHMS:
        raise UnknownAlgorithmName(
            "unknown algorithm name `%s`: expected hmac-sha256 or hmac-sha512" % (name,))
    return lowered


def fingerprint(secret):
    """The default key id of a secret: 16 hex digits of SHA-256("brine-sign key id v1\\0" + secret)."""
    digest = hashlib.sha256(b"brine-sign key id v1\x00" + bytes(secret)).hexdigest()
    return digest[:16].encode("ascii")


class Key(object):
    """A secret HMAC key with its id and the one algorithm it is bound to.

    ``repr`` shows the id and algorithm, never the secret. Without ``key_id`` the id is the
    secret's fingerprint, so signer and verifier agree on it without naming the key.
    """

    __slots__ = ("_secret", "key_id", "algorithm")

    def __init__(self, secret, key_id=None, algorithm=HMAC_SHA256):
        secret = _as_bytes(secret, "secret")
        if len(secret) < _MIN_SECRET_LEN:
            raise InvalidKey("invalid key: the secret is %d bytes, at least %d are required"
                             % (len(secret), _MIN_SECRET_LEN))
        key_id = fingerprint(secret) if key_id is None else _as_bytes(key_id, "key_id")
        if not 1 <= len(key_id) <= 255:
            raise InvalidKey("invalid key: the key id is %d bytes, it must be 1 to 255"
                             % len(key_id))
        self._secret = secret
        self.key_id = key_id
        self.algorithm = _algorithm_name(algorithm)

    def __repr__(self):
        return "Key(key_id=%r, algorithm=%r, secret=<redacted>)" % (self.key_id, self.algorithm)

    def _mac(self):
        return hmac.new(self._secret, digestmod=_ALGORITHMS[self.algorithm][1])


class Keyring(object):
    """The keys a verifier accepts; one of them (``signing_key``) signs.

    Rotation: the new key signs, the old keys stay in the ring and keep verifying old envelopes.
    """

    def __init__(self, signing_key, *keys):
        self._keys = []
        for key in (signing_key,) + keys:
            self.add(key)

    @property
    def signing_key(self):
        """The key new envelopes should be signed with."""
        return self._keys[0]

    def add(self, key):
        """Adds a key that verifies (the first key added is the signing key)."""
        if not isinstance(key, Key):
            raise TypeError("a keyring holds Key objects, not %s" % type(key).__name__)
        if self.get(key.key_id) is not None:
            raise DuplicateKeyId("duplicate key id `%s` in the keyring" % _show(key.key_id))
        self._keys.append(key)

    def get(self, key_id):
        """The key with this id, or None."""
        key_id = _as_bytes(key_id, "key_id")
        for key in self._keys:
            if key.key_id == key_id:
                return key
        return None

    def signer(self, key_id=None):
        """The key named ``key_id``, or the signing key when it is None."""
        if key_id is None:
            return self.signing_key
        key = self.get(key_id)
        if key is None:
            raise UnknownKeyId("unknown key id `%s`" % _show(_as_bytes(key_id, "key_id")))
        return key

    def __iter__(self):
        return iter(list(self._keys))

    def __len__(self):
        return len(self._keys)

    def __repr__(self):
        return "Keyring(%s)" % ", ".join(repr(key) for key in self._keys)

    @classmethod
    def from_key_file(cls, data):
        """Parses a key file (docs/envelope.md, "Key files"); the last key is the signing key."""
        data = _as_bytes(data, "key file")
        keys = []
        for idx, line in enumerate(data.split(b"\n")):
            line_no = idx + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if idx == 0 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            line = line.strip(b" \t\r\n\x0b\x0c")
            if not line or line.startswith(b"#"):
                continue
            try:
                key = _parse_key_line(line)
            except EnvelopeError as err:
                raise KeyFileError("key file line %d: %s" % (line_no, err))
            if any(other.key_id == key.key_id for other in keys):
                raise KeyFileError("key file line %d: duplicate key id `%s`"
                                   % (line_no, _show(key.key_id)))
            keys.append(key)
        if not keys:
            raise KeyFileError("key file line 0: the key file holds no key")
        return cls(keys[-1], *keys[:-1])


def _parse_key_line(line):
    key_id = None
    algorithm = HMAC_SHA256
    secret_hex = None
    for field in line.split():
        if field.startswith(b"id="):
            key_id = field[3:]
            if any(not 0x21 <= b <= 0x7E for b in bytearray(key_id)):
                raise EnvelopeError("a key id in a key file is printable ASCII without spaces")
        elif field.startswith(b"alg="):
            try:
                name = field[4:].decode("ascii")
            except UnicodeDecodeError:
                raise EnvelopeError("the algorithm name is not ASCII")
            algorithm = _algorithm_name(name)
        elif b"=" in field:
            raise EnvelopeError("unknown field `%s`: expected id=, alg= or the secret in hex"
                                % _show(field.split(b"=", 1)[0]))
        elif secret_hex is not None:
            raise EnvelopeError("more than one secret on the line")
        else:
            secret_hex = field
    if secret_hex is None:
        raise EnvelopeError("no secret on the line")
    try:
        if len(secret_hex) % 2 or any(c not in b"0123456789abcdefABCDEF"
                                      for c in bytearray(secret_hex)):
            raise ValueError
        secret = bytes.fromhex(secret_hex.decode("ascii"))
    except ValueError:
        raise EnvelopeError("the secret is not hex text (key files hold hex, e.g. from "
                            "`openssl rand -hex 32`)")
    return Key(secret, key_id=key_id, algorithm=algorithm)


# --- the header -----------------------------------------------------------------------------

class Verified(object):
    """An envelope that passed every check: its payload and its authenticated header fields.

    Only ``verify`` makes these. ``issued_at`` is whole seconds since the Unix epoch, or None.
    """

    __slots__ = ("payload", "key_id", "algorithm", "context", "issued_at", "payload_len")

    def __init__(self, payload, header):
        self.payload = payload
        self.key_id = header.key_id
        self.algorithm = header.algorithm
        self.context = header.context
        self.issued_at = header.issued_at
        self.payload_len = header.payload_len

    def __repr__(self):
        return ("Verified(key_id=%r, algorithm=%r, context=%r, issued_at=%r, payload_len=%d)"
                % (self.key_id, self.algorithm, self.context, self.issued_at, self.payload_len))


class _Header(object):
    __slots__ = ("algorithm", "key_id", "context", "issued_at", "payload_len")

    def __init__(self, algorithm, key_id, context, issued_at, payload_len):
        self.algorithm = algorithm
        self.key_id = key_id
        self.context = context
        self.issued_at = issued_at
        self.payload_len = payload_len

    def encode(self):
        flags = 0
        if self.issued_at is not None:
            flags |= _FLAG_ISSUED_AT
        if self.context is not None:
            flags |= _FLAG_CONTEXT
        parts = [MAGIC, struct.pack(">BBBB", VERSION, _ALGORITHMS[self.algorithm][0], flags,
                                    len(self.key_id)), self.key_id]
        if self.context is not None:
            parts.append(struct.pack(">H", len(self.context)))
            parts.append(self.context)
        if self.issued_at is not None:
            parts.append(struct.pack(">Q", self.issued_at))
        parts.append(struct.pack(">Q", self.payload_len))
        return b"".join(parts)


def _read_exact(stream, n):
    """Up to n bytes; fewer only at end of input."""
    chunks = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_header(stream):
    """(header, raw header bytes) from a binary stream, reading exactly the header."""
    raw = bytearray()

    def take(n):
        got = _read_exact(stream, n)
        raw.extend(got)
        if len(got) < n:
            raise Truncated("truncated envelope: the input ends inside the header")
        return got

    magic = _read_exact(stream, len(MAGIC))
    raw.extend(magic)
    if not magic or magic != MAGIC[:len(magic)]:
        raise NotAnEnvelope(
            "not a brine envelope: the input does not start with the envelope magic bytes")
    if len(magic) < len(MAGIC):
        raise Truncated("truncated envelope: the input ends inside the header")
    version = take(1)[0]
    if version != VERSION:
        raise UnknownVersion("unknown envelope version %d" % version)
    alg_id = take(1)[0]
    if alg_id not in _ALGORITHM_BY_ID:
        raise UnknownAlgorithm("unknown algorithm id 0x%02x" % alg_id)
    flags = take(1)[0]
    if flags & ~(_FLAG_ISSUED_AT | _FLAG_CONTEXT) & 0xFF:
        raise MalformedHeader("malformed envelope header: reserved flag bits are set")
    key_id_len = take(1)[0]
    if key_id_len == 0:
        raise MalformedHeader("malformed envelope header: the key id is empty")
    key_id = take(key_id_len)
    context = None
    if flags & _FLAG_CONTEXT:
        (context_len,) = struct.unpack(">H", take(2))
        if context_len == 0:
            raise MalformedHeader("malformed envelope header: the context flag is set but "
                                  "the context is empty")
        context = take(context_len)
    issued_at = None
    if flags & _FLAG_ISSUED_AT:
        (issued_at,) = struct.unpack(">Q", take(8))
    (payload_len,) = struct.unpack(">Q", take(8))
    header = _Header(_ALGORITHM_BY_ID[alg_id], key_id, context, issued_at, payload_len)
    return header, bytes(raw)


# --- signing --------------------------------------------------------------------------------

def _make_header(key, payload_len, context, timestamp, clock):
    if not isinstance(key, Key):
        raise TypeError("sign needs a Key, not %s" % type(key).__name__)
    context = _as_bytes(context, "context") if context is not None else None
    if not context:
        context = None
    elif len(context) > _MAX_CONTEXT_LEN:
        raise ContextTooLong("context too long: %d bytes, the limit is 65535" % len(context))
    issued_at = None
    if timestamp:
        now = clock()
        if now < 0:
            raise EnvelopeError("the clock reads a time before the unix epoch")
        issued_at = int(now)
    return _Header(key.algorithm, key.key_id, context, issued_at, payload_len)


def sign(key, payload, context=None, timestamp=True, clock=time.time):
    """Signs ``payload`` (bytes) with ``key`` and returns the envelope (bytes).

    ``context`` (bytes or str, 1 to 65535 bytes) binds the envelope to a purpose; ``timestamp``
    records the issued-at time read from ``clock`` (a function returning Unix seconds).
    """
    payload = _as_bytes(payload, "payload")
    header = _make_header(key, len(payload), context, timestamp, clock).encode()
    mac = key._mac()
    mac.update(header)
    mac.update(payload)
    return header + payload + mac.digest()


def sign_stream(key, src, dst, context=None, timestamp=True, clock=time.time,
                spool_memory_limit=16 << 20):
    """Signs everything the binary file ``src`` yields, writing the envelope to ``dst``.

    The input is spooled (in memory, then in a temporary file) because the header carries
    the payload length. Returns the payload length.
    """
    with tempfile.SpooledTemporaryFile(max_size=spool_memory_limit) as spool:
        length = 0
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            spool.write(chunk)
            length += len(chunk)
        header = _make_header(key, length, context, timestamp, clock).encode()
        mac = key._mac()
        mac.update(header)
        dst.write(header)
        spool.seek(0)
        while True:
            chunk = spool.read(_CHUNK)
            if not chunk:
                break
            mac.update(chunk)
            dst.write(chunk)
        dst.write(mac.digest())
    return length


# --- verification ---------------------------------------------------------------------------

def _check_policy(keyring, header, min_algorithm, max_payload_len):
    min_algorithm = _algorithm_name(min_algorithm)
    if _ALGORITHMS[header.algorithm][3] < _ALGORITHMS[min_algorithm][3]:
        raise Downgrade("algorithm downgrade: the envelope uses %s but at least %s is required"
                        % (header.algorithm, min_algorithm))
    key = keyring.get(header.key_id)
    if key is None:
        raise UnknownKeyId("unknown key id `%s`" % _show(header.key_id))
    if key.algorithm != header.algorithm:
        raise AlgorithmMismatch("algorithm mismatch: key `%s` is bound to %s but the envelope "
                                "uses %s" % (_show(header.key_id), key.algorithm,
                                             header.algorithm))
    if header.payload_len > max_payload_len:
        raise Oversize("oversize payload: %d bytes, the limit is %d"
                       % (header.payload_len, max_payload_len))
    return key


def _check_claims(header, context, max_age, max_future_skew, clock):
    expected = _as_bytes(context, "context") if context is not None else None
    if not expected:
        expected = None
    if expected != header.context:
        def show(ctx):
            return "no context" if ctx is None else "context `%s`" % _show(ctx)
        raise ContextMismatch("context mismatch: expected %s, the envelope is bound to %s"
                              % (show(expected), show(header.context)))
    if header.issued_at is None and max_age is None:
        return
    now = clock()
    if now < 0:
        raise EnvelopeError("the clock reads a time before the unix epoch")
    now = int(now)
    if header.issued_at is not None:
        skew = int(max_future_skew)
        if header.issued_at > now + skew:
            raise IssuedInFuture("envelope issued in the future: %d s ahead of the clock, the "
                                 "allowed skew is %d s" % (header.issued_at - now, skew))
    if max_age is not None:
        if header.issued_at is None:
            raise MissingIssuedAt("envelope has no issued-at time but a maximum age is set")
        age = max(0, now - header.issued_at)
        if age > int(max_age):
            raise Expired("expired envelope: issued %d s ago, the maximum age is %d s"
                          % (age, int(max_age)))


class _SliceReader(object):
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def read(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk


def verify(keyring, envelope, context=None, max_age=None, max_future_skew=300,
           clock=time.time, min_algorithm=HMAC_SHA256, max_payload_len=1 << 30):
    """Checks ``envelope`` (bytes, exactly one envelope) and returns a ``Verified``.

    ``context`` must equal the envelope's context (None accepts only envelopes without one);
    ``max_age`` and ``max_future_skew`` are seconds, compared with ``clock()``. Raises an
    ``EnvelopeError`` subclass for every refusal.
    """
    if isinstance(keyring, Key):
        keyring = Keyring(keyring)
    envelope = _as_bytes(envelope, "envelope")
    reader = _SliceReader(envelope)
    header, raw = _read_header(reader)
    key = _check_policy(keyring, header, min_algorithm, max_payload_len)
    rest = len(envelope) - reader.pos
    tag_len = _ALGORITHMS[header.algorithm][2]
    if rest < header.payload_len:
        raise Truncated("truncated envelope: the input ends inside the payload")
    if rest < header.payload_len + tag_len:
        raise Truncated("truncated envelope: the input ends inside the tag")
    if rest > header.payload_len + tag_len:
        raise TrailingBytes("trailing bytes after the envelope's tag")
    payload_end = reader.pos + header.payload_len
    payload = envelope[reader.pos:payload_end]
    mac = key._mac()
    mac.update(raw)
    mac.update(payload)
    if not hmac.compare_digest(mac.digest(), envelope[payload_end:]):
        raise BadTag("bad tag: wrong key or altered bytes")
    _check_claims(header, context, max_age, max_future_skew, clock)
    return Verified(payload, header)


def verify_stream(keyring, src, dst, context=None, max_age=None, max_future_skew=300,
                  clock=time.time, min_algorithm=HMAC_SHA256, max_payload_len=1 << 30,
                  spool_memory_limit=16 << 20):
    """Checks the envelope the binary file ``src`` yields; only then copies its payload to ``dst``.

    The payload is spooled (memory, then a temporary file) while the MAC runs, and nothing is
    written to ``dst`` before the tag, the context and the age have been checked. ``src`` must
    end after the tag. Returns a ``Verified`` whose ``payload`` is None.
    """
    if isinstance(keyring, Key):
        keyring = Keyring(keyring)
    header, raw = _read_header(src)
    key = _check_policy(keyring, header, min_algorithm, max_payload_len)
    mac = key._mac()
    mac.update(raw)
    with tempfile.SpooledTemporaryFile(max_size=spool_memory_limit) as spool:
        remaining = header.payload_len
        while remaining > 0:
            chunk = src.read(min(_CHUNK, remaining))
            if not chunk:
                raise Truncated("truncated envelope: the input ends inside the payload")
            mac.update(chunk)
            spool.write(chunk)
            remaining -= len(chunk)
        tag_len = _ALGORITHMS[header.algorithm][2]
        tag = _read_exact(src, tag_len)
        if len(tag) < tag_len:
            raise Truncated("truncated envelope: the input ends inside the tag")
        if _read_exact(src, 1):
            raise TrailingBytes("trailing bytes after the envelope's tag")
        if not hmac.compare_digest(mac.digest(), tag):
            raise BadTag("bad tag: wrong key or altered bytes")
        _check_claims(header, context, max_age, max_future_skew, clock)
        spool.seek(0)
        shutil.copyfileobj(spool, dst, _CHUNK)
    return Verified(None, header)
