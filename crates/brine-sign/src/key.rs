//! Keys, keyrings and the key-file format.
//!
//! A [`Key`] is a secret with an id and the one algorithm it is bound to. A [`Keyring`] holds
//! the key that signs and the older keys that still verify, so keys rotate without breaking
//! envelopes signed before the rotation.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::format::{Algorithm, MAX_KEY_ID_LEN};

/// A secret HMAC key with its id and the algorithm it is bound to.
///
/// The id travels in every envelope the key signs, so a verifier knows which key to check
/// with. The algorithm is the one the key signs with and the only one it verifies, so an
/// envelope whose algorithm byte was changed is refused before its tag is even checked.
///
/// `Debug` prints the id and the algorithm, never the secret. The secret is zeroized when the
/// key is dropped.
///
/// # Example
///
/// ```
/// use brine_sign::{Algorithm, Key};
///
/// let key = Key::new("2024-06", b"0123456789abcdef0123456789abcdef")?
///     .with_algorithm(Algorithm::HmacSha512);
/// assert_eq!(key.id(), b"2024-06");
/// assert_eq!(
///     format!("{key:?}"),
///     r#"Key { id: "2024-06", algorithm: HmacSha512, secret: "<redacted>" }"#
/// );
/// # Ok::<(), brine_sign::Error>(())
/// ```
#[derive(Clone)]
pub struct Key {
    id: Vec<u8>,
    algorithm: Algorithm,
    secret: Zeroizing<Vec<u8>>,
}

impl Key {
    /// The shortest secret accepted: 16 bytes (128 bits).
    pub const MIN_SECRET_LEN: usize = 16;

    /// A key with the given id, bound to [`Algorithm::HmacSha256`].
    ///
    /// The id is 1 to 255 arbitrary bytes; printable ASCII keeps it readable in messages and
    /// key files.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] when the id is empty or longer than 255 bytes, or the secret is
    /// shorter than [`Key::MIN_SECRET_LEN`].
    ///
    /// # Example
    ///
    /// ```
    /// let key = brine_sign::Key::new("k1", &[0x42; 32])?;
    /// assert!(brine_sign::Key::new("k1", b"too short").is_err());
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn new(id: impl Into<Vec<u8>>, secret: &[u8]) -> Result<Key, Error> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_KEY_ID_LEN {
            return Err(Error::InvalidKey {
                reason: format!("the key id is {} bytes, it must be 1 to 255", id.len()),
            });
        }
        if secret.len() < Key::MIN_SECRET_LEN {
            return Err(Error::InvalidKey {
                reason: format!(
                    "the secret is {} bytes, at least {} are required",
                    secret.len(),
                    Key::MIN_SECRET_LEN
                ),
            });
        }
        Ok(Key {
            id,
            algorithm: Algorithm::default(),
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// A key whose id is the secret's fingerprint, bound to [`Algorithm::HmacSha256`].
    ///
    /// The fingerprint is the first 8 bytes of SHA-256 of `"brine-sign key id v1\0"` followed
    /// by the secret, as 16 lowercase hex digits. Signer and verifier derive the same id from
    /// the same secret, so a key needs no name to be found in a keyring.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] when the secret is shorter than [`Key::MIN_SECRET_LEN`].
    ///
    /// # Example
    ///
    /// ```
    /// let key = brine_sign::Key::from_secret(&[0x42; 32])?;
    /// assert_eq!(key.id().len(), 16);
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn from_secret(secret: &[u8]) -> Result<Key, Error> {
        let mut hasher = Sha256::new();
        hasher.update(b"brine-sign key id v1\0");
        hasher.update(secret);
        let id = hex_encode(&hasher.finalize()[..8]);
        Key::new(id, secret)
    }

    /// The same key bound to `algorithm` instead.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Algorithm, Key};
    /// let key = Key::new("k1", &[1; 64])?.with_algorithm(Algorithm::HmacSha512);
    /// assert_eq!(key.algorithm(), Algorithm::HmacSha512);
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Key {
        self.algorithm = algorithm;
        self
    }

    /// The key id.
    ///
    /// # Example
    ///
    /// ```
    /// let key = brine_sign::Key::new("k1", &[7; 32])?;
    /// assert_eq!(key.id(), b"k1");
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The algorithm the key signs with and the only one it verifies.
    ///
    /// # Example
    ///
    /// ```
    /// let key = brine_sign::Key::new("k1", &[7; 32])?;
    /// assert_eq!(key.algorithm(), brine_sign::Algorithm::HmacSha256);
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id.escape_ascii().to_string())
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The keys a verifier accepts, one of which is the key that signs.
///
/// Rotation: make a keyring whose signing key is the new key and insert the old keys. New
/// envelopes carry the new key's id; old envelopes carry old ids and still verify. Drop an
/// old key when no envelope signed with it should be accepted any more.
///
/// # Example
///
/// ```
/// use brine_sign::{Key, Keyring};
///
/// let old = Key::new("2023", &[1; 32])?;
/// let new = Key::new("2024", &[2; 32])?;
/// let old_envelope = brine_sign::sign(&old, &Default::default(), b"old")?;
///
/// let mut ring = Keyring::new(new);
/// ring.insert(old)?;
/// let new_envelope = brine_sign::sign(ring.signing_key(), &Default::default(), b"new")?;
///
/// let opts = Default::default();
/// assert_eq!(brine_sign::verify(&ring, &opts, &old_envelope)?.payload(), b"old");
/// assert_eq!(brine_sign::verify(&ring, &opts, &new_envelope)?.header().key_id(), b"2024");
/// # Ok::<(), brine_sign::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Keyring {
    /// `keys[0]` is the signing key; ids are unique.
    keys: Vec<Key>,
}

impl Keyring {
    /// A keyring holding one key, which is also its signing key.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = brine_sign::Keyring::new(brine_sign::Key::new("k1", &[7; 32])?);
    /// assert_eq!(ring.signing_key().id(), b"k1");
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn new(signing_key: Key) -> Keyring {
        Keyring {
            keys: vec![signing_key],
        }
    }

    /// Adds a key that verifies but does not sign.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKeyId`] when the keyring already holds a key with that id.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Key, Keyring};
    /// let mut ring = Keyring::new(Key::new("new", &[2; 32])?);
    /// ring.insert(Key::new("old", &[1; 32])?)?;
    /// assert!(ring.insert(Key::new("old", &[3; 32])?).is_err());
    /// assert_eq!(ring.iter().count(), 2);
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn insert(&mut self, key: Key) -> Result<(), Error> {
        if self.key(key.id()).is_some() {
            return Err(Error::DuplicateKeyId { key_id: key.id });
        }
        self.keys.push(key);
        Ok(())
    }

    /// The key new envelopes should be signed with.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Key, Keyring};
    /// let mut ring = Keyring::new(Key::new("new", &[2; 32])?);
    /// ring.insert(Key::new("old", &[1; 32])?)?;
    /// assert_eq!(ring.signing_key().id(), b"new");
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn signing_key(&self) -> &Key {
        &self.keys[0]
    }

    /// The key with this id, if the keyring holds one.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = brine_sign::Keyring::new(brine_sign::Key::new("k1", &[7; 32])?);
    /// assert!(ring.key(b"k1").is_some());
    /// assert!(ring.key(b"k2").is_none());
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn key(&self, id: &[u8]) -> Option<&Key> {
        self.keys.iter().find(|key| key.id() == id)
    }

    /// The key to sign with: the one named `id`, or the signing key when `id` is `None`.
    ///
    /// This is what `brine sign --key FILE [--key-id ID]` needs.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKeyId`] when no key has that id.
    ///
    /// # Example
    ///
    /// ```
    /// let ring = brine_sign::Keyring::from_key_file(
    ///     b"id=old 000102030405060708090a0b0c0d0e0f\nid=new 101112131415161718191a1b1c1d1e1f\n",
    /// )?;
    /// assert_eq!(ring.signer(None)?.id(), b"new");
    /// assert_eq!(ring.signer(Some(b"old"))?.id(), b"old");
    /// assert!(ring.signer(Some(b"other")).is_err());
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn signer(&self, id: Option<&[u8]>) -> Result<&Key, Error> {
        match id {
            None => Ok(self.signing_key()),
            Some(id) => self.key(id).ok_or_else(|| Error::UnknownKeyId {
                key_id: id.to_vec(),
            }),
        }
    }

    /// Every key, the signing key first.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_sign::{Key, Keyring};
    /// let mut ring = Keyring::new(Key::new("new", &[2; 32])?);
    /// ring.insert(Key::new("old", &[1; 32])?)?;
    /// let ids: Vec<&[u8]> = ring.iter().map(Key::id).collect();
    /// assert_eq!(ids, [&b"new"[..], b"old"]);
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter()
    }

    /// Reads a key file (see docs/envelope.md, "Key files").
    ///
    /// A key file is ASCII text, one key per line; blank lines and lines starting with `#` are
    /// skipped. A line is the secret in hex, optionally preceded by `id=ID` and `alg=ALG`
    /// fields, separated by spaces or tabs:
    ///
    /// ```text
    /// # openssl rand -hex 32
    /// id=2023 1f9a...e0
    /// id=2024 alg=hmac-sha512 77c2...41
    /// ```
    ///
    /// A key without `id=` gets its fingerprint as id ([`Key::from_secret`]); without `alg=`
    /// it is bound to `hmac-sha256`. The last key in the file is the signing key, so rotating
    /// means appending a line.
    ///
    /// # Errors
    ///
    /// [`Error::KeyFile`] naming the line, when a line does not follow the format, a secret is
    /// not hex or too short, an algorithm is unknown, two keys share an id, or the file holds
    /// no key. Messages never contain the secret.
    ///
    /// # Example
    ///
    /// ```
    /// let file = b"# rotated 2024-06\n\
    ///              id=2023 000102030405060708090a0b0c0d0e0f\n\
    ///              id=2024 alg=hmac-sha512 101112131415161718191a1b1c1d1e1f\n";
    /// let ring = brine_sign::Keyring::from_key_file(file)?;
    /// assert_eq!(ring.signing_key().id(), b"2024");
    /// assert!(ring.key(b"2023").is_some());
    /// # Ok::<(), brine_sign::Error>(())
    /// ```
    pub fn from_key_file(bytes: &[u8]) -> Result<Keyring, Error> {
        let mut keys: Vec<Key> = Vec::new();
        for (idx, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = idx + 1;
            let key_file_err = |reason: String| Error::KeyFile {
                line: line_no,
                reason,
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = if idx == 0 {
                line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
            } else {
                line
            };
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let Some(key) = parse_key_line(line).map_err(key_file_err)? else {
                continue;
            };
            if keys.iter().any(|other| other.id() == key.id()) {
                return Err(key_file_err(format!(
                    "duplicate key id `{}`",
                    key.id().escape_ascii()
                )));
            }
            keys.push(key);
        }
        let Some(signing_key) = keys.pop() else {
            return Err(Error::KeyFile {
                line: 0,
                reason: "the key file holds no key".to_owned(),
            });
        };
        keys.insert(0, signing_key);
        Ok(Keyring { keys })
    }
}

impl From<Key> for Keyring {
    fn from(key: Key) -> Keyring {
        Keyring::new(key)
    }
}

fn parse_key_line(line: &[u8]) -> Result<Option<Key>, String> {
    let mut id = None;
    let mut algorithm = Algorithm::default();
    let mut secret_hex = None;
    for field in line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
    {
        if let Some(value) = field.strip_prefix(b"id=") {
            if value.iter().any(|b| !b.is_ascii_graphic()) {
                return Err("a key id in a key file is printable ASCII without spaces".to_owned());
            }
            id = Some(value.to_vec());
        } else if let Some(value) = field.strip_prefix(b"alg=") {
            let name = std::str::from_utf8(value)
                .map_err(|_| "the algorithm name is not ASCII".to_owned())?;
            algorithm = name.parse::<Algorithm>().map_err(|err| err.to_string())?;
        } else if field.contains(&b'=') {
            return Err(format!(
                "unknown field `{}`: expected id=, alg= or the secret in hex",
                field
                    .split(|&b| b == b'=')
                    .next()
                    .unwrap_or_default()
                    .escape_ascii()
            ));
        } else if secret_hex.replace(field).is_some() {
            return Err("more than one secret on the line".to_owned());
        }
    }
    let Some(secret_hex) = secret_hex else {
        return Err("no secret on the line".to_owned());
    };
    let secret = Zeroizing::new(hex_decode(secret_hex).ok_or_else(|| {
        "the secret is not hex text (key files hold hex, e.g. from `openssl rand -hex 32`)"
            .to_owned()
    })?);
    let key = match id {
        Some(id) => Key::new(id, &secret),
        None => Key::from_secret(&secret),
    };
    key.map(|key| Some(key.with_algorithm(algorithm)))
        .map_err(|err| err.to_string())
}

/// Lowercase hex digits of `bytes`.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes an even number of hex digits (either case) spell, or `None`.
fn hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16);
    text.chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode(b"00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode(b"0"), None);
        assert_eq!(hex_decode(b"0g"), None);
        assert_eq!(hex_decode(b"+1"), None);
    }

    #[test]
    fn fingerprint_is_stable() {
        // Computed independently: python3 -c "import hashlib; print(hashlib.sha256(
        // b'brine-sign key id v1\0' + bytes(range(16))).hexdigest()[:16])"
        let key = Key::from_secret(&(0..16).collect::<Vec<u8>>()).unwrap();
        assert_eq!(key.id(), b"a4e60f51e032bece");
    }

    #[test]
    fn key_file_errors() {
        let line_err = |file: &[u8]| match Keyring::from_key_file(file) {
            Err(Error::KeyFile { line, reason }) => (line, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(line_err(b"").0, 0);
        assert_eq!(line_err(b"# only a comment\n\n").0, 0);
        let (line, reason) = line_err(b"\n00010203\n");
        assert_eq!(line, 2);
        assert!(reason.contains("at least 16"), "{reason}");
        let (_, reason) = line_err(b"secret-password-here");
        assert!(reason.contains("not hex"), "{reason}");
        assert!(!reason.contains("password"));
        assert!(
            line_err(
                b"id=a 000102030405060708090a0b0c0d0e0f\nid=a 000102030405060708090a0b0c0d0e0f"
            )
            .1
            .contains("duplicate")
        );
        assert!(
            line_err(b"alg=md5 000102030405060708090a0b0c0d0e0f")
                .1
                .contains("unknown algorithm")
        );
        assert!(
            line_err(b"key=000102030405060708090a0b0c0d0e0f")
                .1
                .contains("unknown field `key`")
        );
        assert!(line_err(b"id=a").1.contains("no secret"));
    }

    #[test]
    fn key_file_crlf_bom_and_fingerprint_id() {
        let ring =
            Keyring::from_key_file(b"\xef\xbb\xbf000102030405060708090A0B0C0D0E0F\r\n").unwrap();
        assert_eq!(ring.signing_key().id(), b"a4e60f51e032bece");
        assert_eq!(ring.signing_key().secret(), (0..16).collect::<Vec<u8>>());
    }
}
