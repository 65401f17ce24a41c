//! The running HMAC of an envelope, over either hash, with a constant-time tag check.

use hmac::{Hmac, Mac as _};
use sha2::{Sha256, Sha512};

use crate::error::Error;
use crate::format::Algorithm;

/// An HMAC in progress: the header, then the payload, are fed to it in order.
#[derive(Clone)]
pub(crate) enum Mac {
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl Mac {
    pub(crate) fn new(algorithm: Algorithm, secret: &[u8]) -> Mac {
        // Invariant: HMAC accepts keys of any length (RFC 2104 hashes long keys and pads short
        // ones), so `new_from_slice` cannot fail for `Hmac<_>`.
        match algorithm {
            Algorithm::HmacSha256 => {
                Mac::Sha256(Hmac::new_from_slice(secret).expect("hmac accepts keys of any length"))
            }
            Algorithm::HmacSha512 => {
                Mac::Sha512(Hmac::new_from_slice(secret).expect("hmac accepts keys of any length"))
            }
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Mac::Sha256(mac) => mac.update(data),
            Mac::Sha512(mac) => mac.update(data),
        }
    }

    /// The tag: the full HMAC output (32 or 64 bytes).
    pub(crate) fn finalize(self) -> Vec<u8> {
        match self {
            Mac::Sha256(mac) => mac.finalize().into_bytes().to_vec(),
            Mac::Sha512(mac) => mac.finalize().into_bytes().to_vec(),
        }
    }

    /// Compares the computed tag with `tag` in constant time.
    pub(crate) fn verify(self, tag: &[u8]) -> Result<(), Error> {
        let res = match self {
            Mac::Sha256(mac) => mac.verify_slice(tag),
            Mac::Sha512(mac) => mac.verify_slice(tag),
        };
        res.map_err(|_| Error::BadTag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Mac::new(Algorithm::HmacSha256, b"Jefe");
        mac.update(b"what do ya ");
        mac.update(b"want for nothing?");
        let tag = mac.clone().finalize();
        assert_eq!(
            crate::key::hex_encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(mac.clone().verify(&tag).is_ok());
        assert!(matches!(mac.verify(&tag[..31]), Err(Error::BadTag)));
        let mut mac = Mac::new(Algorithm::HmacSha512, b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert!(
            crate::key::hex_encode(&mac.finalize()).starts_with("164b7a7bfcf819e2e395fbe73b56e0a3")
        );
    }
}
