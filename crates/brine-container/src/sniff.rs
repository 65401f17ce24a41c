//! What a blob is, from its first bytes: the one place that decides, never from a name.

use brine_compress::Codec;

/// What [`kind`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Empty,
    Zip,
    Tar,
    Npy,
    LegacyTorch,
    Compressed(Codec),
    /// joblib's z-file (`ZF`, a length, zlib): the zlib stream starts at this offset.
    JoblibZFile(usize),
    Pickle,
    SevenZ,
    Safetensors,
    LfsPointer,
    Onnx,
    /// Too short to hold the signature it starts with.
    Truncated(&'static str),
    Unknown,
}

/// Signatures whose proper prefixes name what was cut short.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "zip archive"),
    (b"\x93NUMPY\x01\x00\x00\x00", "npy file"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x1f\x8b", "gzip stream"),
    (b"\xfd7zXZ\x00", "xz stream"),
    (b"\x28\xb5\x2f\xfd", "zstd stream"),
    (b"\x04\x22\x4d\x18", "lz4 frame"),
    (b"BZh91AY&SY", "bz2 stream"),
];

/// The magic number the legacy `torch.save` pickles first: `LONG1` of
/// 0x1950a86a20f9469cfc6c, then STOP.
const TORCH_MAGIC: &[u8] = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e";

pub(crate) fn kind(data: &[u8]) -> Kind {
    if data.is_empty() {
        return Kind::Empty;
    }
    if let Some(&(_, what)) = SIGNATURES.iter().find(|(sig, _)| {
        data.len() < sig.len() && sig.starts_with(data) && !crate::pickle::plausible(data)
    }) {
        return Kind::Truncated(what);
    }
    if let Some(what) = cut_header(data) {
        return Kind::Truncated(what);
    }
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if data.starts_with(b"\x93NUMPY") {
        return Kind::Npy;
    }
    if data.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Kind::SevenZ;
    }
    if let Some(codec) = Codec::detect(data) {
        return Kind::Compressed(codec);
    }
    if let Some(start) = crate::joblib::zfile_body(data) {
        return Kind::JoblibZFile(start);
    }
    // The magic-number pickle, at whatever protocol torch.save was given (a frame at 4 and 5).
    if data.first() == Some(&0x80)
        && data
            .get(..32.min(data.len()))
            .is_some_and(|head| memchr::memmem::find(head, TORCH_MAGIC).is_some())
    {
        return Kind::LegacyTorch;
    }
    if crate::tar::is_header(data) {
        return Kind::Tar;
    }
    if crate::pickle::plausible(data) {
        return Kind::Pickle;
    }
    if data.starts_with(b"version https://git-lfs.github.com/spec/") {
        return Kind::LfsPointer;
    }
    if is_safetensors(data) {
        return Kind::Safetensors;
    }
    if is_onnx(data) {
        return Kind::Onnx;
    }
    Kind::Unknown
}

/// Headers that vary, cut short: bz2 at any block size, zlib, `.lzma`, a ustar header.
fn cut_header(data: &[u8]) -> Option<&'static str> {
    match data {
        [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..]
            if rest.len() < 6 && b"1AY&SY".starts_with(rest) =>
        {
            Some("bz2 stream")
        }
        [0x78] => Some("zlib stream"),
        [0x5d] | [0x5d, 0x00, ..] if data.len() < 13 => Some("lzma stream"),
        _ if data.len() < 512 && data.get(257..262) == Some(b"ustar") => Some("tar archive"),
        _ => None,
    }
}

/// An 8-byte little-endian header length, then a JSON object that fits in the file.
fn is_safetensors(data: &[u8]) -> bool {
    let Some((len, rest)) = data.split_first_chunk::<8>() else {
        return false;
    };
    let len = u64::from_le_bytes(*len);
    rest.first() == Some(&b'{') && len <= rest.len() as u64
}

/// An ONNX `ModelProto`: field 1 (`ir_version`, a small varint) first, then another field of
/// the message with a length-delimited value (producer, graph, opset imports...).
fn is_onnx(data: &[u8]) -> bool {
    matches!(
        data,
        [
            0x08,
            1..=0x20,
            0x12 | 0x1a | 0x22 | 0x2a | 0x32 | 0x3a | 0x42 | 0x72,
            ..
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind(b""), Kind::Empty);
        assert_eq!(kind(b"\x80\x02K\x01."), Kind::Pickle);
        assert_eq!(kind(b"(lp0\nI1\na."), Kind::Pickle);
        assert_eq!(kind(b"little"), Kind::Unknown);
        assert_eq!(kind(b"3\n"), Kind::Unknown);
        assert_eq!(kind(b"\x78\x9c\x03\x00"), Kind::Compressed(Codec::Zlib));
        assert_eq!(kind(b"PK\x03\x04"), Kind::Zip);
        assert_eq!(kind(b"\x93NUMPY\x01\x00\x76\x00"), Kind::Npy);
        assert_eq!(kind(b"\x93NUM"), Kind::Truncated("npy file"));
        assert_eq!(
            kind(b"\x02\x00\x00\x00\x00\x00\x00\x00{}"),
            Kind::Safetensors
        );
    }
}
