//! numpy dtypes: `numpy.dtype(spec, align, copy)` and the state BUILD gives it.

use std::fmt;

use crate::view::{Interpreter, Object, View};

use super::{ArrayError, malformed};

/// The byte order of a dtype's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`.
    Little,
    /// `>`.
    Big,
    /// `|`: items of one byte, strings of bytes, objects and structures, for which order
    /// means nothing.
    NotApplicable,
}

/// A numpy dtype as its pickle describes it.
#[derive(Debug, Clone)]
pub struct DType {
    /// numpy's kind character: `b` bool, `i` signed int, `u` unsigned int, `f` float, `c`
    /// complex, `M` datetime64, `m` timedelta64, `S` bytes, `U` str, `V` void (structured or
    /// raw), `O` object.
    pub kind: char,
    /// The byte order.
    pub byte_order: ByteOrder,
    /// The size of one item in bytes (8 for an object pointer, as numpy counts it).
    pub item_size: u64,
    /// The unit of a datetime64 / timedelta64 (`"ns"`, `"D"`), with its multiplier.
    pub time_unit: Option<(String, i64)>,
    /// The fields of a structured dtype, in order.
    pub fields: Vec<Field>,
    /// The element dtype and shape of a subarray dtype (`('<i4', (2, 3))`).
    pub subarray: Option<(Box<DType>, Vec<u64>)>,
}

/// One field of a structured dtype.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's dtype.
    pub dtype: DType,
    /// The byte offset of the field in an item.
    pub offset: u64,
}

impl DType {
    /// Whether items hold Python objects, in a field or a subarray too: numpy's
    /// `dtype.hasobject`.
    pub fn has_objects(&self) -> bool {
        self.kind == 'O'
            || self.fields.iter().any(|field| field.dtype.has_objects())
            || self
                .subarray
                .as_ref()
                .is_some_and(|(base, _)| base.has_objects())
    }
}

impl fmt::Display for DType {
    /// numpy's `dtype.str`: `<f8`, `|b1`, `<U5`, `|V12`, `<M8[ns]`, `|O`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = match self.byte_order {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        };
        let size = match self.kind {
            'U' => self.item_size / 4,
            _ => self.item_size,
        };
        match self.kind {
            'O' => write!(f, "{order}O")?,
            kind => write!(f, "{order}{kind}{size}")?,
        }
        if let Some((unit, count)) = &self.time_unit {
            match count {
                1 => write!(f, "[{unit}]")?,
                n => write!(f, "[{n}{unit}]")?,
            }
        }
        Ok(())
    }
}

/// Reads `numpy.dtype(spec, align, copy)` with its BUILD state.
pub(super) fn read<'g>(interp: &Interpreter<'g>, object: &Object<'g>) -> Result<DType, ArrayError> {
    let Some(spec) = object.args.first() else {
        return malformed("numpy.dtype without arguments");
    };
    let Some(spec) = interp.str_at(spec).filter(|s| s.is_ascii() && s.len() >= 2) else {
        return malformed("the dtype's spec is not a type string such as 'f8'");
    };
    let kind = spec.as_bytes()[0] as char;
    if !"biufcmMOSUV".contains(kind) {
        return malformed(format!("unknown dtype kind {kind:?}"));
    }
    // 'M8' and 'm8' carry their unit in the state's metadata, not in the spec.
    let spec_size: Option<u64> = spec[1..].parse().ok();
    let Some(state) = object.setstate else {
        return malformed("numpy.dtype without a BUILD state");
    };
    let View::Tuple(state) = interp.view(state) else {
        return malformed("the dtype's state is not a tuple");
    };
    if state.len() < 8 {
        return malformed(format!(
            "the dtype's state has {} items, not 8 or 9",
            state.len()
        ));
    }
    let version = int(interp, &state[0])?;
    // Python 2's numpy writes it as a Python 2 `str`.
    let Some(byte_order) = interp.str_at(&state[1]) else {
        return malformed("the byte order is not a str");
    };
    let byte_order = match byte_order {
        "<" => ByteOrder::Little,
        ">" => ByteOrder::Big,
        "|" => ByteOrder::NotApplicable,
        // '=' is native order: every producer numpy supports pickles from is little-endian
        // unless it says '>'.
        "=" => ByteOrder::Little,
        _ => return malformed("unknown byte order"),
    };
    let elsize = int(interp, &state[5])?;
    let item_size = match (elsize, spec_size) {
        (size, _) if size >= 0 => size as u64,
        (_, Some(size)) => size,
        _ => return malformed(format!("no item size in {spec:?}")),
    };
    let subarray = match interp.view(&state[2]) {
        View::None => None,
        View::Tuple([base, shape]) => {
            let base = interp
                .dtype(base)
                .unwrap_or_else(|| malformed("a subarray's base is not a dtype"))?;
            Some((Box::new(base), interp.shape(shape)?))
        }
        _ => return malformed("the subarray is not (dtype, shape)"),
    };
    let fields = fields(interp, &state[3], &state[4])?;
    let time_unit = if matches!(kind, 'M' | 'm') {
        time_unit(interp, state.get(8), version)?
    } else {
        None
    };
    Ok(DType {
        kind,
        byte_order,
        item_size,
        time_unit,
        fields,
        subarray,
    })
}

fn int(interp: &Interpreter<'_>, value: &brine_value::Value) -> Result<i64, ArrayError> {
    match interp.view(value) {
        View::Int(n) => Ok(n),
        other => malformed(format!(
            "{} where the dtype state has an int",
            other.kind_name()
        )),
    }
}

/// The fields: `names` a tuple of str (or None), `fields` a dict `name: (dtype, offset[, title])`.
fn fields<'g>(
    interp: &Interpreter<'g>,
    names: &brine_value::Value,
    fields: &brine_value::Value,
) -> Result<Vec<Field>, ArrayError> {
    let names = match interp.view(names) {
        View::None => return Ok(Vec::new()),
        View::Tuple(names) => names,
        _ => return malformed("the field names are not a tuple"),
    };
    let View::Dict(pairs) = interp.view(fields) else {
        return malformed("the fields are not a dict");
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let text = interp.graph().get(name).text();
        let Some(text) = text else {
            return malformed("a field name is not a str");
        };
        let entry = pairs
            .iter()
            .find(|(key, _)| interp.graph().get(key).text().as_deref() == Some(&*text));
        let Some((_, entry)) = entry else {
            return malformed(format!("field {text:?} is named but not described"));
        };
        let View::Tuple([dtype, offset, ..]) = interp.view(entry) else {
            return malformed(format!("field {text:?} is not (dtype, offset)"));
        };
        let dtype = interp
            .dtype(dtype)
            .unwrap_or_else(|| malformed(format!("field {text:?} has no dtype")))?;
        let offset = int(interp, offset)?;
        out.push(Field {
            name: text.into_owned(),
            dtype,
            offset: u64::try_from(offset).or_else(|_| malformed("a negative field offset"))?,
        });
    }
    Ok(out)
}

/// A datetime's unit: the state's ninth item is `(metadata_dict, (unit, count, num, den))`
/// at version 4 (numpy's current form) or the unit tuple itself (older pickles).
fn time_unit<'g>(
    interp: &Interpreter<'g>,
    metadata: Option<&'g brine_value::Value>,
    version: i64,
) -> Result<Option<(String, i64)>, ArrayError> {
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    let unit = match (version, interp.view(metadata)) {
        (4, View::Tuple([_, unit])) => unit,
        (_, View::Tuple(_)) => metadata,
        _ => return malformed("a datetime dtype without its unit"),
    };
    let View::Tuple([unit, count, ..]) = interp.view(unit) else {
        return malformed("a datetime unit that is not (unit, count, ...)");
    };
    let unit = match interp.view(unit) {
        View::Bytes(data) if data.as_slice().is_ascii() => {
            String::from_utf8_lossy(data.as_slice()).into_owned()
        }
        _ => return malformed("a datetime unit that is not ASCII bytes"),
    };
    Ok(Some((unit, int(interp, count)?)))
}

impl DType {
    /// A plain dtype of numbers, bools, bytes or text: no fields, subarray or time unit.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::numpy::{ByteOrder, DType};
    ///
    /// assert_eq!(DType::plain('f', ByteOrder::Little, 4).to_string(), "<f4");
    /// ```
    pub fn plain(kind: char, byte_order: ByteOrder, item_size: u64) -> DType {
        DType {
            kind,
            byte_order,
            item_size,
            time_unit: None,
            fields: Vec::new(),
            subarray: None,
        }
    }

    /// Whether the dtype has no fields and no subarray: one value per item.
    pub fn is_plain(&self) -> bool {
        self.fields.is_empty() && self.subarray.is_none()
    }

    /// Whether the items are in the byte order of the machine running this code (always, for
    /// items where order means nothing).
    pub fn is_native_order(&self) -> bool {
        match self.byte_order {
            ByteOrder::Little => cfg!(target_endian = "little"),
            ByteOrder::Big => cfg!(target_endian = "big"),
            ByteOrder::NotApplicable => true,
        }
    }
}

/// A Rust type that a numpy dtype's items read as, and that an array is written from.
///
/// | numpy | Rust |
/// |---|---|
/// | `?` (bool) | `bool` |
/// | `i1` `i2` `i4` `i8` | `i8` `i16` `i32` `i64` |
/// | `u1` `u2` `u4` `u8` | `u8` `u16` `u32` `u64` |
/// | `f2` `f4` `f8` | `half::f16` `f32` `f64` |
/// | `c8` `c16` (complex64, complex128) | `[f32; 2]` `[f64; 2]`: real, imaginary |
///
/// numpy has no bfloat16 dtype of its own (`ml_dtypes` adds one as a user-defined type,
/// which pickles name by its class), so `half::bf16` is not an element type.
pub trait Element: Sized + Copy {
    /// The type's name in messages.
    const NAME: &'static str;
    /// Whether the items of `dtype` are this type.
    fn matches(dtype: &DType) -> bool;
    /// One item, from its bytes in the dtype's order (`big`: big-endian).
    fn from_bytes(item: &[u8], big: bool) -> Self;
    /// The little-endian dtype numpy gives an array of this type (`<f4`, `|b1`).
    fn dtype() -> DType;
    /// Appends the item's bytes in little-endian order.
    fn extend_le(&self, out: &mut Vec<u8>);
}

macro_rules! numeric {
    ($($ty:ty => $kind:literal),* $(,)?) => {$(
        impl Element for $ty {
            const NAME: &'static str = stringify!($ty);
            fn matches(dtype: &DType) -> bool {
                dtype.kind == $kind
                    && dtype.item_size == size_of::<$ty>() as u64
                    && dtype.is_plain()
            }
            fn from_bytes(item: &[u8], big: bool) -> Self {
                let mut raw = [0u8; size_of::<$ty>()];
                raw.copy_from_slice(item);
                if big { <$ty>::from_be_bytes(raw) } else { <$ty>::from_le_bytes(raw) }
            }
            fn dtype() -> DType {
                let order = if size_of::<$ty>() == 1 { ByteOrder::NotApplicable } else { ByteOrder::Little };
                DType::plain($kind, order, size_of::<$ty>() as u64)
            }
            fn extend_le(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

numeric!(
    i8 => 'i', i16 => 'i', i32 => 'i', i64 => 'i',
    u8 => 'u', u16 => 'u', u32 => 'u', u64 => 'u',
    f32 => 'f', f64 => 'f',
);

impl Element for half::f16 {
    const NAME: &'static str = "f16";
    fn matches(dtype: &DType) -> bool {
        dtype.kind == 'f' && dtype.item_size == 2 && dtype.is_plain()
    }
    fn from_bytes(item: &[u8], big: bool) -> Self {
        let raw = [item[0], item[1]];
        if big {
            half::f16::from_be_bytes(raw)
        } else {
            half::f16::from_le_bytes(raw)
        }
    }
    fn dtype() -> DType {
        DType::plain('f', ByteOrder::Little, 2)
    }
    fn extend_le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// complex64 and complex128: numpy stores the real part, then the imaginary part, each in
/// the dtype's byte order.
macro_rules! complex {
    ($($ty:ty),*) => {$(
        impl Element for [$ty; 2] {
            const NAME: &'static str = concat!("[", stringify!($ty), "; 2]");
            fn matches(dtype: &DType) -> bool {
                dtype.kind == 'c'
                    && dtype.item_size == 2 * size_of::<$ty>() as u64
                    && dtype.is_plain()
            }
            fn from_bytes(item: &[u8], big: bool) -> Self {
                let (re, im) = item.split_at(size_of::<$ty>());
                [<$ty>::from_bytes(re, big), <$ty>::from_bytes(im, big)]
            }
            fn dtype() -> DType {
                DType::plain('c', ByteOrder::Little, 2 * size_of::<$ty>() as u64)
            }
            fn extend_le(&self, out: &mut Vec<u8>) {
                self[0].extend_le(out);
                self[1].extend_le(out);
            }
        }
    )*};
}

complex!(f32, f64);

impl Element for bool {
    const NAME: &'static str = "bool";
    fn matches(dtype: &DType) -> bool {
        dtype.kind == 'b' && dtype.item_size == 1 && dtype.is_plain()
    }
    fn from_bytes(item: &[u8], _big: bool) -> Self {
        item[0] != 0
    }
    fn dtype() -> DType {
        DType::plain('b', ByteOrder::NotApplicable, 1)
    }
    fn extend_le(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}
