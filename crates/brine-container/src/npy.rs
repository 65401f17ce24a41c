//! numpy's `.npy` format (numpy/lib/format.py): the magic, a version, a Python-literal header,
//! then the data; an array whose dtype holds objects stores a pickle instead of data.

use bytes::Bytes;

use crate::literal::{self, Literal};
use crate::walk::Walker;
use crate::{Body, Layout};

pub(crate) fn walk(walker: &mut Walker<'_>, path: &[String], data: Bytes) {
    let body = match read(&data) {
        Ok(body) => body,
        Err(reason) => Body::Inconclusive(format!("npy file: {reason}")),
    };
    walker.emit(path, body);
}

fn read(data: &Bytes) -> Result<Body, String> {
    let (major, minor) = match data.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err("ends inside its version".into()),
    };
    let (len, start) = match major {
        1 => (
            data.get(8..10)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
            10,
        ),
        2 | 3 => (
            data.get(8..12)
                .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()),
            12,
        ),
        _ => {
            return Err(format!(
                "format version {major}.{minor} is not one numpy writes"
            ));
        }
    };
    let len = len.ok_or("ends inside its header length")?;
    let header = data
        .get(start..start + len)
        .ok_or_else(|| format!("ends inside its header of {len} bytes"))?;
    // Versions 1 and 2 are Latin-1, version 3 UTF-8.
    let text: String = if major == 3 {
        String::from_utf8(header.to_vec()).map_err(|_| "header is not UTF-8")?
    } else {
        header.iter().map(|&b| char::from(b)).collect()
    };
    let header = literal::parse(&text).map_err(|err| format!("header: {err}"))?;
    let descr = header.get("descr").ok_or("header has no descr")?;
    let shape = match header.get("shape") {
        Some(Literal::Seq(dims)) => dims
            .iter()
            .map(|dim| match dim {
                Literal::Int(n) => u64::try_from(*n).map_err(|_| "negative dimension".to_owned()),
                _ => Err("shape holds a non-int".to_owned()),
            })
            .collect::<Result<Vec<u64>, String>>()?,
        _ => return Err("header has no shape tuple".into()),
    };
    let body = data.slice(start + len..);
    let dtype = describe(descr);
    if has_object(descr) {
        // numpy pickles the whole array (`pickle.dump(array, fp, protocol=3)`).
        return Ok(Body::Pickle {
            data: body,
            layout: Layout::Plain,
        });
    }
    if let Some(itemsize) = itemsize(descr) {
        let want = shape
            .iter()
            .try_fold(itemsize, |acc, &dim| acc.checked_mul(dim))
            .ok_or("shape and dtype overflow")?;
        if (body.len() as u64) < want {
            return Err(format!(
                "data is cut short: dtype {dtype} and shape {shape:?} take {want} bytes, {} are there",
                body.len()
            ));
        }
    }
    Ok(Body::Skipped(format!(
        "numpy array, dtype {dtype}, shape {shape:?}"
    )))
}

fn describe(descr: &Literal) -> String {
    match descr {
        Literal::Str(s) => s.clone(),
        _ => "structured".into(),
    }
}

/// The type code of a numpy type string (`<f8` is `f`, `|O` is `O`).
fn code(typestr: &str) -> Option<char> {
    typestr
        .trim_start_matches(['<', '>', '|', '='])
        .chars()
        .next()
}

/// Whether a descr holds Python objects anywhere: `O`, or a field that does.
fn has_object(descr: &Literal) -> bool {
    match descr {
        Literal::Str(s) => code(s) == Some('O'),
        Literal::Seq(fields) => fields.iter().any(|field| match field {
            Literal::Seq(parts) => parts.get(1).is_some_and(has_object),
            _ => false,
        }),
        _ => false,
    }
}

/// The bytes of one item, where the descr says it plainly.
fn itemsize(descr: &Literal) -> Option<u64> {
    match descr {
        Literal::Str(s) => {
            let typecode = code(s)?;
            let rest = s.trim_start_matches(['<', '>', '|', '=']).get(1..)?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits.parse().ok()?;
            Some(if typecode == 'U' {
                n.checked_mul(4)?
            } else {
                n
            })
        }
        Literal::Seq(fields) => fields.iter().try_fold(0u64, |acc, field| {
            let Literal::Seq(parts) = field else {
                return None;
            };
            let mut size = itemsize(parts.get(1)?)?;
            if let Some(Literal::Seq(dims)) = parts.get(2) {
                for dim in dims {
                    let Literal::Int(n) = dim else {
                        return None;
                    };
                    size = size.checked_mul(u64::try_from(*n).ok()?)?;
                }
            } else if let Some(Literal::Int(n)) = parts.get(2) {
                size = size.checked_mul(u64::try_from(*n).ok()?)?;
            }
            acc.checked_add(size)
        }),
        _ => None,
    }
}
