//! [`Emitter`]: the pickler one object at a time, for writers that have no graph.
//!
//! Every choice CPython 3.11's C pickler makes about a single object lives here: which opcode
//! writes an int, float, str or bytes of a given size at a given protocol, the memo (PUT,
//! BINPUT, MEMOIZE, GET), the objects CPython shares (empty and one-character str and bytes,
//! interned names), globals by name, the batches of APPENDS / SETITEMS / ADDITEMS, and the
//! frames, with the flavour's departures from 3.11 (`flavour.rs`'s `Choices`). The graph
//! pickler (`save.rs`) walks a graph and calls these; `brine-serde` calls
//! them while a value serializes. Both write the same bytes for the same objects because
//! there is only this one implementation.

use brine_lex::Opcode;
use brine_value::{ExtensionRegistry, Py2Int, Value, compat};
use hashbrown::{Equivalent, HashMap};
use num_bigint::{BigInt, Sign};

use crate::error::EncodeError;
use crate::flavour::{Choices, format_17g};
use crate::output::{FRAME_SIZE_TARGET, Output, Target};
use crate::{HIGHEST_PROTOCOL, Options};

/// CPython's `BATCHSIZE` for APPENDS, SETITEMS and ADDITEMS.
const BATCH_SIZE: usize = 1000;
/// The memo index of an object not memoized (yet).
pub const NOT_MEMOIZED: u32 = u32::MAX;
/// A [`Batch`] length nobody knew up front.
const UNKNOWN_LEN: usize = usize::MAX;

/// Writes a pickle one object at a time, with exactly the opcodes CPython's C pickler writes
/// for each object at the protocol: memo, shared objects, globals, batches and frames.
///
/// The caller walks its own data: it calls [`Emitter::boundary`] before each object (that is
/// where a protocol 4 frame may end, as it ends where CPython's `save()` begins), then a method
/// per object. Scalars are one call. Containers are opened, fed their items (one
/// [`Emitter::item`] call before each item or key-value pair) and closed with
/// [`Emitter::end`]. Objects are never shared unless the caller asks, through the memo index
/// a method returns and [`Emitter::get`].
///
/// This is what `brine_serde::to_vec` writes with; [`crate::to_vec`] writes a whole graph.
///
/// # Example
///
/// ```
/// use brine_encode::{Emitter, Options};
///
/// // pickle.dumps(["a", ("b", 1.5)], protocol=2)
/// let options = Options::protocol(2);
/// let mut emitter = Emitter::new(Vec::new(), &options)?;
/// emitter.boundary()?;
/// let mut list = emitter.begin_list(Some(2))?;
/// emitter.item(&mut list)?;
/// emitter.boundary()?;
/// emitter.str("a")?;
/// emitter.item(&mut list)?;
/// emitter.boundary()?;
/// emitter.begin_tuple(2)?;
/// emitter.boundary()?;
/// emitter.str("b")?;
/// emitter.boundary()?;
/// emitter.float(1.5)?;
/// emitter.end_tuple(2)?;
/// emitter.end(list)?;
/// let pickle = emitter.finish()?;
/// assert_eq!(
///     pickle,
///     b"\x80\x02]q\x00(X\x01\x00\x00\x00aq\x01X\x01\x00\x00\x00bq\x02G?\xf8\x00\x00\x00\x00\x00\x00\x86q\x03e."
/// );
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
pub struct Emitter<'o, W> {
    out: Output<W>,
    proto: u8,
    /// `fix_imports`, which only applies below protocol 3.
    fix_imports: bool,
    extensions: &'o ExtensionRegistry,
    /// What the pickler being reproduced does differently from the reference.
    choices: Choices,
    memo_len: u32,
    /// The next [`Emitter::memoize`] writes nothing: the graph says its pickle never
    /// memoized the object being written.
    skip_memo: bool,
    /// CPython's `Pickler.fast`: nothing is memoized, so nothing is fetched again.
    fast: bool,
    /// The str objects CPython keeps one of, by content: empty and one-character (below
    /// U+0100) strings, and interned names.
    shared_strs: HashMap<Box<[u8]>, u32>,
    /// The bytes objects CPython keeps one of: empty and one-byte.
    shared_bytes: HashMap<Box<[u8]>, u32>,
    /// Globals by name: a class is one object however often it is named.
    globals: HashMap<GlobalKey, u32>,
}

/// A container being written: what [`Emitter::item`] and [`Emitter::end`] need to lay out
/// its items as CPython does.
///
/// # Example
///
/// ```
/// use brine_encode::{Emitter, Options};
///
/// // pickle.dumps({1: None}, protocol=2): one pair is SETITEM, without a MARK.
/// let options = Options::protocol(2);
/// let mut emitter = Emitter::new(Vec::new(), &options)?;
/// emitter.boundary()?;
/// let mut dict = emitter.begin_dict(None)?;
/// emitter.item(&mut dict)?;
/// emitter.int(1)?;
/// emitter.none()?;
/// assert_eq!(dict.count(), 1);
/// emitter.end(dict)?;
/// assert_eq!(emitter.finish()?, b"\x80\x02}q\x00K\x01Ns.");
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    layout: Layout,
    /// The opcode for a lone item (APPEND, SETITEM), and the one closing a batch.
    single: Opcode,
    multi: Opcode,
    /// The number of items announced, or [`UNKNOWN_LEN`].
    len: usize,
    /// Items begun so far.
    count: usize,
    /// The index of the next item at which [`Emitter::item`] has something to write again
    /// (the next batch, a pending MARK, protocol 0's APPEND after each item): the fast path
    /// only compares the count with it, one counter kept rather than two.
    slow_at: usize,
    /// The current batch began with a MARK.
    marked: bool,
    /// The first item's MARK waits on whether a second item comes.
    pending: bool,
    tail: Tail,
    /// The container's memo index, when it is memoized before its items.
    idx: u32,
}

/// How CPython lays out the items of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `batch_list_exact`: a lone item without MARK, otherwise MARK and APPENDS per 1000
    /// items.
    ExactList,
    /// `batch_dict_exact`: as a list, and it loops while the last batch was full, so a
    /// multiple of 1000 pairs ends with an empty batch.
    ExactDict,
    /// `batch_list` / `batch_dict` over an iterator (the items of a reduce's listitems or
    /// dictitems): any batch of one item is written without MARK.
    Generic,
    /// `save_set`'s ADDITEMS: always MARKed.
    AddItems,
    /// A frozenset's items: all behind one MARK.
    Unbatched,
}

/// What [`Emitter::end`] writes after the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    Nothing,
    /// The list was the argument of `set(...)` / `frozenset(...)`: close the argument tuple
    /// and call.
    Call,
    /// FROZENSET.
    FrozenSet,
}

#[derive(Hash, PartialEq, Eq)]
struct GlobalKey {
    module: Box<str>,
    name: Box<str>,
}

/// A [`GlobalKey`] to look up without allocating; hashes as one.
#[derive(Hash)]
struct GlobalRef<'a> {
    module: &'a str,
    name: &'a str,
}

impl Equivalent<GlobalKey> for GlobalRef<'_> {
    fn equivalent(&self, key: &GlobalKey) -> bool {
        *self.module == *key.module && *self.name == *key.name
    }
}

impl Batch {
    /// The items (or pairs) begun so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The number of items [`Emitter::end`] expects: the length announced, if any.
    pub fn len(&self) -> Option<usize> {
        (self.len != UNKNOWN_LEN).then_some(self.len)
    }

    /// Whether no item has been begun.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The container's memo index when it was memoized as it opened (a list, a dict, a set
    /// from protocol 4), else [`NOT_MEMOIZED`].
    pub(crate) fn memo_idx(&self) -> u32 {
        self.idx
    }

    fn new(
        layout: Layout,
        ops: (Opcode, Opcode),
        len: Option<usize>,
        tail: Tail,
        idx: u32,
    ) -> Batch {
        Batch {
            layout,
            single: ops.0,
            multi: ops.1,
            len: len.unwrap_or(UNKNOWN_LEN),
            count: 0,
            slow_at: 0,
            marked: false,
            pending: false,
            tail,
            idx,
        }
    }
}

const LIST_OPS: (Opcode, Opcode) = (Opcode::APPEND, Opcode::APPENDS);
const DICT_OPS: (Opcode, Opcode) = (Opcode::SETITEM, Opcode::SETITEMS);
const ADDITEMS_OPS: (Opcode, Opcode) = (Opcode::ADDITEMS, Opcode::ADDITEMS);

impl<'o, W: Target> Emitter<'o, W> {
    /// Starts a pickle at `options.protocol` on `writer` (any `std::io::Write`, or
    /// [`crate::Memory`] for the bytes in a vector): writes PROTO (from protocol 2) and
    /// starts framing (from 4).
    ///
    /// # Errors
    ///
    /// [`EncodeError::UnsupportedProtocol`] above 5, [`EncodeError::Io`] when writing fails.
    pub fn new(writer: W, options: &'o Options) -> Result<Emitter<'o, W>, EncodeError> {
        Emitter::with_flavour(writer, options, options.flavour.unwrap_or_default())
    }

    /// [`Emitter::new`] writing as `flavour` whatever the options say (the graph pickler
    /// resolves an unset flavour from the graph).
    pub(crate) fn with_flavour(
        writer: W,
        options: &'o Options,
        flavour: brine_value::Flavour,
    ) -> Result<Emitter<'o, W>, EncodeError> {
        let proto = options.protocol;
        if proto > HIGHEST_PROTOCOL {
            return Err(EncodeError::UnsupportedProtocol(proto));
        }
        let choices = Choices::of(flavour, proto);
        let mut out = Output::new(writer, choices.frame_min, choices.large_outside_frames);
        if proto >= 2 {
            out.write(&[Opcode::PROTO.0, proto])?;
        }
        if proto >= 4 {
            out.start_framing()?;
        }
        Ok(Emitter {
            out,
            proto,
            fix_imports: options.fix_imports && proto < 3,
            extensions: &options.extensions,
            choices,
            memo_len: choices.memo_base,
            skip_memo: false,
            fast: options.fast,
            shared_strs: HashMap::new(),
            shared_bytes: HashMap::new(),
            globals: HashMap::new(),
        })
    }

    /// The protocol being written.
    pub fn protocol(&self) -> u8 {
        self.proto
    }

    /// The number of objects memoized so far (plus the flavour's first index).
    pub(crate) fn memo_len(&self) -> u32 {
        self.memo_len
    }

    /// Whether this is CPython's fast mode ([`Options::fast`]): nothing memoized, no GET.
    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// The next object the emitter memoizes (the one about to be written, or closed) is not
    /// memoized: its pickle left it unmemoized.
    pub(crate) fn skip_next_memo(&mut self) {
        self.skip_memo = true;
    }

    /// What the pickler being reproduced does differently from the reference.
    pub(crate) fn choices(&self) -> Choices {
        self.choices
    }

    /// Writes STOP, flushes the last frame and returns the writer ([`crate::Memory`]: the
    /// pickle's bytes).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`] when writing fails.
    pub fn finish(mut self) -> Result<W::Done, EncodeError> {
        self.op(Opcode::STOP)?;
        Ok(self.out.finish()?)
    }

    /// An object begins here: at protocol 4 and 5 the frame is committed once it holds
    /// 64 KiB, as CPython commits frames only where `save()` begins.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`] when writing fails.
    #[inline]
    pub fn boundary(&mut self) -> Result<(), EncodeError> {
        Ok(self.out.boundary()?)
    }

    /// `None`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`], as for every method that writes.
    #[inline]
    pub fn none(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::NONE)
    }

    /// `True` or `False`: NEWTRUE / NEWFALSE from protocol 2, `I01` / `I00` below.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn bool(&mut self, value: bool) -> Result<(), EncodeError> {
        match (self.proto >= 2, value) {
            (true, true) => self.op(Opcode::NEWTRUE),
            (true, false) => self.op(Opcode::NEWFALSE),
            (false, true) => self.line(Opcode::INT, "01"),
            (false, false) => self.line(Opcode::INT, "00"),
        }
    }

    /// An int: BININT1, BININT2 or BININT within 32 bits (INT text at protocol 0), LONG1
    /// beyond (LONG text below protocol 2).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn int(&mut self, value: i64) -> Result<(), EncodeError> {
        // The binary forms inline into the item loops; text and big ints are out of line.
        if self.proto == 0 || i32::try_from(value).is_err() {
            return self.int_slow(value);
        }
        if let Ok(byte) = u8::try_from(value) {
            self.out.write(&[Opcode::BININT1.0, byte])?;
        } else if let Ok(short) = u16::try_from(value) {
            let [lo, hi] = short.to_le_bytes();
            self.out.write(&[Opcode::BININT2.0, lo, hi])?;
        } else {
            let [a, b, c, d] = (value as i32).to_le_bytes();
            self.out.write(&[Opcode::BININT.0, a, b, c, d])?;
        }
        Ok(())
    }

    /// [`Emitter::int`] at protocol 0 (INT text) or beyond 32 bits.
    #[cold]
    fn int_slow(&mut self, value: i64) -> Result<(), EncodeError> {
        match i32::try_from(value) {
            Ok(small) if self.choices.long_text_ints => {
                self.line(Opcode::LONG, &format!("{small}L"))
            }
            Ok(small) => self.line(Opcode::INT, &small.to_string()),
            Err(_) => self.bigint(&BigInt::from(value)),
        }
    }

    /// An int of any size: as [`Emitter::int`] within 32 bits, LONG1 / LONG4 from protocol 2
    /// and LONG text below.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] for an int of more than 2³¹ bytes; [`EncodeError::Io`].
    pub fn bigint(&mut self, value: &BigInt) -> Result<(), EncodeError> {
        if let Ok(small) = i32::try_from(value) {
            return self.int(i64::from(small));
        }
        self.long(value)
    }

    /// An int with its Python 2 type: as Python 2 writes an `int` or a `long` of that value
    /// when the flavour is 2.7's, else as [`Emitter::int`] writes it (the type is Python 2's
    /// alone; `brine_value::Py2Int` says which values keep one).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    pub fn py2_int(&mut self, value: i64, kind: Py2Int) -> Result<(), EncodeError> {
        match kind {
            _ if !self.choices.py2_int_types => self.int(value),
            Py2Int::Int if i32::try_from(value).is_err() => {
                self.line(Opcode::INT, &value.to_string())
            }
            Py2Int::Long if i32::try_from(value).is_ok() => self.long(&BigInt::from(value)),
            // The type Python 3's encoding gives anyway.
            _ => self.int(value),
        }
    }

    /// The LONG family whatever the value: LONG text (`repr()` of a Python 2 `long`, which
    /// Python 3 writes too) below protocol 2, LONG1 / LONG4 from it.
    fn long(&mut self, value: &BigInt) -> Result<(), EncodeError> {
        if self.proto < 2 {
            return self.line(Opcode::LONG, &format!("{value}L"));
        }
        // CPython's `encode_long`: little-endian two's complement in the fewest bytes, none
        // for zero.
        let encoded = if value.sign() == Sign::NoSign {
            Vec::new()
        } else {
            value.to_signed_bytes_le()
        };
        match u8::try_from(encoded.len()) {
            Ok(len) => self.out.write(&[Opcode::LONG1.0, len])?,
            Err(_) => {
                let len = i32::try_from(encoded.len())
                    .map_err(|_| EncodeError::Unpicklable("int too large to pickle".to_owned()))?;
                self.op(Opcode::LONG4)?;
                self.out.write(&len.to_le_bytes())?;
            }
        }
        Ok(self.out.write(&encoded)?)
    }

    /// A float: BINFLOAT from protocol 1, `repr()` text at 0.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn float(&mut self, value: f64) -> Result<(), EncodeError> {
        if self.proto == 0 {
            return self.float_text(value);
        }
        let mut op = [Opcode::BINFLOAT.0; 9];
        op[1..].copy_from_slice(&value.to_be_bytes());
        Ok(self.out.write(&op)?)
    }

    /// [`Emitter::float`] at protocol 0: FLOAT with Python's repr.
    #[cold]
    fn float_text(&mut self, value: f64) -> Result<(), EncodeError> {
        if self.choices.float_17g {
            return self.line(Opcode::FLOAT, &format_17g(value));
        }
        self.line(Opcode::FLOAT, &brine_lex::repr::float_repr(value))
    }

    /// A str object, memoized; returns its memo index. The empty string and one-character
    /// strings below U+0100 are shared, as in CPython: written once, fetched with GET after.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] for a str over 4 GiB below protocol 4; too many objects
    /// to memoize; [`EncodeError::Io`].
    #[inline]
    pub fn str(&mut self, text: &str) -> Result<u32, EncodeError> {
        let data = text.as_bytes();
        if is_shared_str(data) {
            self.str_bytes(data, true)
        } else {
            self.fresh_str(data)
        }
    }

    /// A str CPython interns (an identifier such as a global's name): one object per
    /// content, like the shared one-character strings.
    ///
    /// # Errors
    ///
    /// As [`Emitter::str`].
    pub fn interned_str(&mut self, text: &str) -> Result<u32, EncodeError> {
        self.str_bytes(text.as_bytes(), true)
    }

    /// A str node of a graph, which says itself whether it is one object with another:
    /// written afresh, and the first of each shared kind (see [`is_shared_str`]) stands for
    /// that object where the emitter writes one itself (the text of `_codecs.encode`).
    #[inline]
    pub(crate) fn node_str(&mut self, data: &[u8]) -> Result<u32, EncodeError> {
        let idx = self.fresh_str(data)?;
        if idx != NOT_MEMOIZED && is_shared_str(data) && !self.shared_strs.contains_key(data) {
            self.shared_strs.insert(data.into(), idx);
        }
        Ok(idx)
    }

    /// A str that is an object of its own, memoized: [`Emitter::str_bytes`] without sharing,
    /// with the form nearly every str of a protocol 4-5 pickle takes written inline (without
    /// it, choosing among the forms is a third of encoding a list of short str).
    #[inline(always)]
    fn fresh_str(&mut self, data: &[u8]) -> Result<u32, EncodeError> {
        let len = data.len();
        if self.proto >= 4 && len <= 0xFF {
            self.out.write(&[Opcode::SHORT_BINUNICODE.0, len as u8])?;
            self.out.write(data)?;
            return self.memoize_op();
        }
        // BINUNICODE in the frame (or buffer), the form of every str of protocols 1 to 3
        // under 64 KiB: what `str_bytes` writes through `counted` and `write_payload`,
        // without choosing again (that choice was most of encoding a list of str at
        // protocol 2).
        if self.proto >= 1 && len < FRAME_SIZE_TARGET {
            let [a, b, c, d] = (len as u32).to_le_bytes();
            self.out.write(&[Opcode::BINUNICODE.0, a, b, c, d])?;
            self.out.write(data)?;
            return if self.proto >= 4 {
                self.memoize_op()
            } else {
                self.memoize_put()
            };
        }
        self.str_bytes(data, false)
    }

    /// A str given as surrogatepass UTF-8, memoized; `shared` when it is one object per
    /// content (see [`is_shared_str`]).
    pub(crate) fn str_bytes(&mut self, data: &[u8], shared: bool) -> Result<u32, EncodeError> {
        if shared {
            if let Some(&idx) = self.shared_strs.get(data) {
                self.get(idx)?;
                return Ok(idx);
            }
        }
        if self.proto == 0 {
            let mut line = vec![Opcode::UNICODE.0];
            raw_unicode_escape(data, &mut line, self.choices.escape_controls);
            line.push(b'\n');
            self.out.write_payload(&[], &line)?;
        } else {
            let short = (self.proto >= 4).then_some(Opcode::SHORT_BINUNICODE);
            let forms = (short, Opcode::BINUNICODE, Opcode::BINUNICODE8);
            self.counted(forms, "string", data)?;
        }
        let idx = self.memoize()?;
        if shared && idx != NOT_MEMOIZED {
            self.shared_strs.insert(data.into(), idx);
        }
        Ok(idx)
    }

    /// A bytes object, memoized; returns its memo index. From protocol 3 SHORT_BINBYTES,
    /// BINBYTES or BINBYTES8; below, what CPython writes there: `bytes()` for the empty one,
    /// `_codecs.encode(latin1_text, 'latin1')` otherwise. Empty and one-byte bytes are shared.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] for bytes over 4 GiB below protocol 4; too many objects
    /// to memoize; [`EncodeError::Io`].
    pub fn bytes(&mut self, data: &[u8]) -> Result<u32, EncodeError> {
        let shared = data.len() <= 1;
        if shared {
            if let Some(&idx) = self.shared_bytes.get(data) {
                self.get(idx)?;
                return Ok(idx);
            }
        }
        if self.proto < 3 {
            if data.is_empty() {
                self.global("builtins", "bytes")?;
                self.empty_tuple()?;
            } else {
                self.global("_codecs", "encode")?;
                self.begin_tuple(2)?;
                let text = brine_value::PyStr::from_latin1(data);
                // CPython decodes the bytes into a str of its own, which nothing else refers to:
                // a later one-character str equal to it is written fresh, not fetched.
                self.str_bytes(text.as_bytes(), false)?;
                self.interned_str("latin1")?;
                self.end_tuple(2)?;
            }
            self.reduce()?;
        } else {
            let forms = (
                Some(Opcode::SHORT_BINBYTES),
                Opcode::BINBYTES,
                Opcode::BINBYTES8,
            );
            self.counted(forms, "bytes object", data)?;
        }
        let idx = self.memoize()?;
        if shared && idx != NOT_MEMOIZED {
            self.shared_bytes.insert(data.into(), idx);
        }
        Ok(idx)
    }

    /// A Python 2 `str`, memoized, as CPython 2.7's cPickle writes it: STRING with Python
    /// 2's `repr` at protocol 0, SHORT_BINSTRING or BINSTRING from protocol 1. Protocol 3
    /// and above have no such type: the caller writes what the `str` reads as instead.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] at protocol 3 or above, or over 4 GiB; too many objects
    /// to memoize; [`EncodeError::Io`].
    pub fn py2_str(&mut self, data: &[u8]) -> Result<u32, EncodeError> {
        if self.proto >= 3 {
            return Err(EncodeError::Unpicklable(format!(
                "protocol {} has no Python 2 str",
                self.proto
            )));
        }
        let len = data.len();
        if self.proto == 0 {
            // Python 2's repr of a str is Python 3's repr of the same bytes without the `b`.
            let repr = brine_lex::repr::bytes_repr(data);
            let mut line = Vec::with_capacity(repr.len() + 1);
            line.push(Opcode::STRING.0);
            line.extend_from_slice(&repr.as_bytes()[1..]);
            line.push(b'\n');
            self.out.write_payload(&[], &line)?;
        } else if len <= 0xFF {
            self.out.write(&[Opcode::SHORT_BINSTRING.0, len as u8])?;
            self.out.write(data)?;
        } else {
            let len = u32::try_from(len).map_err(|_| {
                EncodeError::Unpicklable("cannot serialize a Python 2 str over 4GiB".to_owned())
            })?;
            let header = header(Opcode::BINSTRING, &len.to_le_bytes());
            self.out.write_payload(&header, data)?;
        }
        self.memoize()
    }

    /// An extension code (EXT1, EXT2 or EXT4, by size) naming a global, never memoized, as
    /// CPython writes a global registered with `copyreg.add_extension`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] below protocol 2, or for a code outside 1 to 2³¹ - 1;
    /// [`EncodeError::Io`].
    pub fn ext(&mut self, code: i64) -> Result<(), EncodeError> {
        if self.proto < 2 {
            return Err(EncodeError::Unpicklable(format!(
                "extension code {code} needs protocol 2, not {}",
                self.proto
            )));
        }
        let code = i32::try_from(code)
            .ok()
            .filter(|&code| code > 0)
            .ok_or_else(|| {
                EncodeError::Unpicklable(format!("extension code {code} is out of range"))
            })?;
        self.write_ext(code)
    }

    /// Memoizes the object just written (MEMOIZE, BINPUT, LONG_BINPUT or PUT text, by
    /// protocol and index) and returns its index; in fast mode writes nothing and returns
    /// [`NOT_MEMOIZED`].
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] past 2³² - 1 objects; [`EncodeError::Io`].
    #[inline]
    pub fn memoize(&mut self) -> Result<u32, EncodeError> {
        if self.skip_memo | self.fast {
            self.skip_memo = false;
            return Ok(NOT_MEMOIZED);
        }
        if self.proto >= 4 {
            return self.memoize_op();
        }
        if self.proto >= 1 {
            return self.memoize_put();
        }
        let idx = self.next_memo_idx()?;
        self.line(Opcode::PUT, &idx.to_string())?;
        Ok(idx)
    }

    /// [`Emitter::memoize`] at protocols 1 to 3: BINPUT or LONG_BINPUT, inlined into the str
    /// path that knows the protocol already.
    #[inline(always)]
    fn memoize_put(&mut self) -> Result<u32, EncodeError> {
        if self.skip_memo | self.fast {
            self.skip_memo = false;
            return Ok(NOT_MEMOIZED);
        }
        let idx = self.next_memo_idx()?;
        match u8::try_from(idx) {
            Ok(small) => self.out.write(&[Opcode::BINPUT.0, small])?,
            Err(_) => {
                let [a, b, c, d] = idx.to_le_bytes();
                self.out.write(&[Opcode::LONG_BINPUT.0, a, b, c, d])?;
            }
        }
        Ok(idx)
    }

    /// [`Emitter::memoize`] from protocol 4: MEMOIZE, inlined into the str and container
    /// paths that know the protocol already.
    #[inline(always)]
    fn memoize_op(&mut self) -> Result<u32, EncodeError> {
        if self.skip_memo | self.fast {
            self.skip_memo = false;
            return Ok(NOT_MEMOIZED);
        }
        let idx = self.next_memo_idx()?;
        self.op(Opcode::MEMOIZE)?;
        Ok(idx)
    }

    /// The index the next memoized object takes, counted.
    #[inline(always)]
    fn next_memo_idx(&mut self) -> Result<u32, EncodeError> {
        let idx = self.memo_len;
        self.memo_len = idx
            .checked_add(1)
            .filter(|&len| len != NOT_MEMOIZED)
            .ok_or_else(|| EncodeError::Unpicklable("too many objects to memoize".to_owned()))?;
        Ok(idx)
    }

    /// Fetches memoized object `idx` again (BINGET, LONG_BINGET or GET text).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn get(&mut self, idx: u32) -> Result<(), EncodeError> {
        if self.proto == 0 {
            return self.line(Opcode::GET, &idx.to_string());
        }
        match u8::try_from(idx) {
            Ok(small) => self.out.write(&[Opcode::BINGET.0, small])?,
            Err(_) => {
                let [a, b, c, d] = idx.to_le_bytes();
                self.out.write(&[Opcode::LONG_BINGET.0, a, b, c, d])?;
            }
        }
        Ok(())
    }

    /// A global the pickler itself names (`builtins.set` for a set below protocol 4): GLOBAL
    /// text below protocol 4 (Python 2 names at 0-2 with `fix_imports`, a nested name as
    /// `getattr(parent, name)`), STACK_GLOBAL with interned names from 4, an extension code
    /// from 2 where one is registered; a global named before is fetched with GET.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] for a non-ASCII name below protocol 3;
    /// [`EncodeError::Io`].
    pub fn global(&mut self, module: &str, name: &str) -> Result<(), EncodeError> {
        self.global_name(module, name).map(|_| ())
    }

    /// A global as an object of its own, as a class is: the same as [`Emitter::global`]
    /// below protocol 4, and from 4 STACK_GLOBAL with the module and name saved as str
    /// objects of their own (each at an object boundary), as the graph pickler writes a
    /// global whose names are not shared with anything else.
    ///
    /// # Errors
    ///
    /// As [`Emitter::global`].
    ///
    /// # Example
    ///
    /// ```
    /// use brine_encode::{Emitter, Options};
    ///
    /// let options = Options::protocol(4);
    /// let mut emitter = Emitter::new(Vec::new(), &options)?;
    /// emitter.boundary()?;
    /// emitter.global_object("collections", "OrderedDict")?;
    /// // pickle.dumps(collections.OrderedDict, protocol=4)
    /// assert_eq!(
    ///     emitter.finish()?,
    ///     b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94."
    /// );
    /// # Ok::<(), brine_encode::EncodeError>(())
    /// ```
    pub fn global_object(&mut self, module: &str, name: &str) -> Result<(), EncodeError> {
        if self.proto < 4 {
            return self.global(module, name);
        }
        if self.known_global(module, name)? {
            return Ok(());
        }
        self.boundary()?;
        self.str(module)?;
        self.boundary()?;
        self.str(name)?;
        self.stack_global(module, name)?;
        Ok(())
    }

    /// If `module.name` was written before, fetches it (GET) or writes its extension code,
    /// and says so.
    pub(crate) fn known_global(&mut self, module: &str, name: &str) -> Result<bool, EncodeError> {
        if let Some(idx) = self.global_idx(module, name) {
            self.get(idx)?;
            return Ok(true);
        }
        if self.proto >= 2 {
            if let Some(code) = self.extensions.code(module, name) {
                self.write_ext(code)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The memo index of global `module.name`, if it was written.
    pub(crate) fn global_idx(&self, module: &str, name: &str) -> Option<u32> {
        self.globals.get(&GlobalRef { module, name }).copied()
    }

    /// STACK_GLOBAL of the two str just written, memoized and remembered as `module.name`.
    pub(crate) fn stack_global(&mut self, module: &str, name: &str) -> Result<u32, EncodeError> {
        self.op(Opcode::STACK_GLOBAL)?;
        let idx = self.memoize()?;
        self.register_global(module, name, idx);
        Ok(idx)
    }

    pub(crate) fn register_global(&mut self, module: &str, name: &str, idx: u32) {
        if idx == NOT_MEMOIZED {
            return;
        }
        let key = GlobalKey {
            module: module.into(),
            name: name.into(),
        };
        self.globals.insert(key, idx);
    }

    /// [`Emitter::global`]; returns the memo index, `None` for an extension code (which
    /// CPython does not memoize).
    pub(crate) fn global_name(
        &mut self,
        module: &str,
        name: &str,
    ) -> Result<Option<u32>, EncodeError> {
        if let Some(idx) = self.global_idx(module, name) {
            self.get(idx)?;
            return Ok(Some(idx));
        }
        if self.proto >= 2 {
            if let Some(code) = self.extensions.code(module, name) {
                self.write_ext(code)?;
                return Ok(None);
            }
        }
        if self.proto >= 4 {
            self.interned_str(module)?;
            self.interned_str(name)?;
            return self.stack_global(module, name).map(Some);
        }
        if name.contains('.') && self.choices.getattr_chain {
            self.getattr_chain(module, name)?;
        } else if let Some((parent, last)) = name.rsplit_once('.') {
            // getattr(parent, last), then the result memoized as the global itself.
            self.global("builtins", "getattr")?;
            self.begin_tuple(2)?;
            self.global(module, parent)?;
            self.str(last)?;
            self.end_tuple(2)?;
            self.reduce()?;
        } else {
            self.global_line(module, name)?;
        }
        let idx = self.memoize()?;
        self.register_global(module, name, idx);
        Ok(Some(idx))
    }

    /// A nested global as 3.13's `save_global` writes it below protocol 4:
    /// `getattr(getattr(Top, 'a'), 'b')`, with `Top` by name, the attribute names memoized
    /// and nothing else (the caller memoizes the result as the global).
    fn getattr_chain(&mut self, module: &str, name: &str) -> Result<(), EncodeError> {
        let mut parts = name.split('.');
        let top = parts.next().unwrap_or(name);
        let attrs: Vec<&str> = parts.collect();
        for _ in &attrs {
            self.global("builtins", "getattr")?;
            if self.proto < 2 {
                self.mark()?;
            }
        }
        self.global_line(module, top)?;
        for attr in attrs {
            self.str(attr)?;
            self.op(if self.proto < 2 {
                Opcode::TUPLE
            } else {
                Opcode::TUPLE2
            })?;
            self.reduce()?;
        }
        Ok(())
    }

    /// GLOBAL `module.name` as a producer writing the opcode itself wrote it, at any
    /// protocol, memoized only when `memoize` says (see `brine_value::GlobalLine`); returns
    /// the memo index.
    pub(crate) fn verbatim_global(
        &mut self,
        module: &str,
        name: &str,
        memoize: bool,
    ) -> Result<Option<u32>, EncodeError> {
        self.global_line(module, name)?;
        if !memoize {
            return Ok(None);
        }
        let idx = self.memoize()?;
        self.register_global(module, name, idx);
        Ok(Some(idx))
    }

    /// The GLOBAL opcode: Python 2 names at protocols 0-2 with `fix_imports`, which must be
    /// ASCII there.
    fn global_line(&mut self, module: &str, name: &str) -> Result<(), EncodeError> {
        if self.proto >= 3 {
            return self.line(Opcode::GLOBAL, &format!("{module}\n{name}"));
        }
        let (module, name) = if self.fix_imports {
            if self.choices.py2_int_name && (module, name) == ("builtins", "int") {
                ("__builtin__", "int")
            } else {
                compat::py3_to_py2(module, name)
            }
        } else {
            (module, name)
        };
        if !module.is_ascii() || !name.is_ascii() {
            return Err(EncodeError::Unpicklable(format!(
                "can't pickle global identifier '{module}.{name}' using pickle protocol {}",
                self.proto
            )));
        }
        self.line(Opcode::GLOBAL, &format!("{module}\n{name}"))
    }

    /// The global the encoder's registry gives extension code `code`, if any.
    pub(crate) fn extension_name(&self, code: i32) -> Option<(String, String)> {
        self.extensions
            .global(i64::from(code))
            .map(|(module, name)| (module.to_owned(), name.to_owned()))
    }

    fn write_ext(&mut self, code: i32) -> Result<(), EncodeError> {
        if let Ok(small) = u8::try_from(code) {
            self.out.write(&[Opcode::EXT1.0, small])?;
        } else if let Ok(short) = u16::try_from(code) {
            self.op(Opcode::EXT2)?;
            self.out.write(&short.to_le_bytes())?;
        } else {
            self.op(Opcode::EXT4)?;
            self.out.write(&code.to_le_bytes())?;
        }
        Ok(())
    }

    /// The empty tuple: EMPTY_TUPLE (`MARK TUPLE` at protocol 0), never memoized, as CPython
    /// keeps one empty tuple.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn empty_tuple(&mut self) -> Result<(), EncodeError> {
        if self.proto >= 1 {
            self.op(Opcode::EMPTY_TUPLE)
        } else {
            self.ops(&[Opcode::MARK, Opcode::TUPLE])
        }
    }

    /// Whether a tuple of `n_items` items opens with MARK: beyond 3 items, or below protocol 2.
    #[inline]
    pub fn tuple_needs_mark(&self, n_items: usize) -> bool {
        !(n_items <= 3 && self.proto >= 2)
    }

    /// Opens a tuple of `n_items` (more than zero) items: MARK when
    /// [`Emitter::tuple_needs_mark`]. Its items follow, then [`Emitter::end_tuple`].
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn begin_tuple(&mut self, n_items: usize) -> Result<(), EncodeError> {
        if self.tuple_needs_mark(n_items) {
            self.mark()?;
        }
        Ok(())
    }

    /// Closes a tuple of `n_items` (more than zero) items: TUPLE1, TUPLE2, TUPLE3 or TUPLE,
    /// memoized; returns its memo index.
    ///
    /// # Errors
    ///
    /// As [`Emitter::memoize`].
    #[inline]
    pub fn end_tuple(&mut self, n_items: usize) -> Result<u32, EncodeError> {
        self.op(self.tuple_op(n_items))?;
        self.memoize()
    }

    fn tuple_op(&self, n_items: usize) -> Opcode {
        match (self.tuple_needs_mark(n_items), n_items) {
            (true, _) => Opcode::TUPLE,
            (false, 1) => Opcode::TUPLE1,
            (false, 2) => Opcode::TUPLE2,
            _ => Opcode::TUPLE3,
        }
    }

    /// MARK.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn mark(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::MARK)
    }

    /// REDUCE: calls the callable below the argument tuple on the stack.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    pub fn reduce(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::REDUCE)
    }

    /// NEWOBJ: `cls.__new__(cls, *args)` (protocol 2 and above).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] below protocol 2; [`EncodeError::Io`].
    pub fn newobj(&mut self) -> Result<(), EncodeError> {
        self.needs(2, "NEWOBJ")?;
        self.op(Opcode::NEWOBJ)
    }

    /// BUILD: sets the state just written on the object below it.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    pub fn build(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::BUILD)
    }

    /// NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)` (protocol 4 and above).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] below protocol 4; [`EncodeError::Io`].
    pub fn newobj_ex(&mut self) -> Result<(), EncodeError> {
        self.needs(4, "NEWOBJ_EX")?;
        self.op(Opcode::NEWOBJ_EX)
    }

    /// POP: discards the object just written, as CPython does after a call made for its
    /// effect.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    pub fn pop(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::POP)
    }

    /// Discards the `n` objects just written (POP each).
    pub(crate) fn pops(&mut self, n: usize) -> Result<(), EncodeError> {
        (0..n).try_for_each(|_| self.pop())
    }

    /// POP_MARK: discards everything down to and including the last MARK (protocol 1 and
    /// above).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] at protocol 0; [`EncodeError::Io`].
    pub fn pop_mark(&mut self) -> Result<(), EncodeError> {
        self.needs(1, "POP_MARK")?;
        self.op(Opcode::POP_MARK)
    }

    /// TUPLE2 at any protocol: CPython's `save_reduce` packs a state setter's `(obj, state)`
    /// this way even at protocols 0 and 1, where it writes no other TUPLE2.
    pub(crate) fn state_setter_args(&mut self) -> Result<(), EncodeError> {
        self.op(Opcode::TUPLE2)
    }

    /// STACK_GLOBAL of the module and name just written, as graph nodes of their own; the
    /// caller memoizes it (protocol 4 and above).
    pub(crate) fn stack_global_of_nodes(&mut self) -> Result<(), EncodeError> {
        self.needs(4, "STACK_GLOBAL")?;
        self.op(Opcode::STACK_GLOBAL)
    }

    /// INST's opcode and class name, after the MARK and arguments of an old-style instance
    /// (protocol 0; Python 2 names with `fix_imports`).
    pub(crate) fn inst(&mut self, module: &str, name: &str) -> Result<(), EncodeError> {
        if self.proto != 0 {
            return Err(EncodeError::Unpicklable(format!(
                "INST is written at protocol 0, not {}",
                self.proto
            )));
        }
        let (module, name) = if self.fix_imports {
            compat::py3_to_py2(module, name)
        } else {
            (module, name)
        };
        self.line(Opcode::INST, &format!("{module}\n{name}"))
    }

    /// OBJ: an old-style instance of the class after the MARK, with the arguments after the
    /// class (protocol 1 and above).
    pub(crate) fn obj(&mut self) -> Result<(), EncodeError> {
        self.needs(1, "OBJ")?;
        self.op(Opcode::OBJ)
    }

    /// BINPERSID: the object just written is a persistent id (protocol 1 and above).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] at protocol 0, where [`Emitter::persid`] writes one;
    /// [`EncodeError::Io`].
    pub fn binpersid(&mut self) -> Result<(), EncodeError> {
        self.needs(1, "BINPERSID")?;
        self.op(Opcode::BINPERSID)
    }

    /// PERSID: a persistent id as a line of ASCII text (protocol 0).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] for an id that is not ASCII or holds a newline, as
    /// CPython refuses; [`EncodeError::Io`].
    pub fn persid(&mut self, text: &str) -> Result<(), EncodeError> {
        if !text.is_ascii() || text.contains('\n') {
            return Err(EncodeError::Unpicklable(
                "persistent IDs in protocol 0 must be ASCII strings".to_owned(),
            ));
        }
        self.line(Opcode::PERSID, text)
    }

    /// A bytearray in-band: BYTEARRAY8, memoized (protocol 5); returns its memo index.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] below protocol 5, where a bytearray is a call
    /// (`bytearray(bytes)`) its caller writes; too many objects to memoize;
    /// [`EncodeError::Io`].
    pub fn bytearray8(&mut self, data: &[u8]) -> Result<u32, EncodeError> {
        self.needs(5, "BYTEARRAY8")?;
        let header = header(Opcode::BYTEARRAY8, &(data.len() as u64).to_le_bytes());
        self.out.write_payload(&header, data)?;
        self.memoize()
    }

    /// An out-of-band buffer: NEXT_BUFFER, and READONLY_BUFFER when `readonly` (protocol 5).
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unpicklable`] below protocol 5; [`EncodeError::Io`].
    pub fn next_buffer(&mut self, readonly: bool) -> Result<(), EncodeError> {
        if self.proto < 5 {
            return Err(EncodeError::Unpicklable(
                "PickleBuffer can only be pickled with protocol >= 5".to_owned(),
            ));
        }
        self.op(Opcode::NEXT_BUFFER)?;
        if readonly {
            self.op(Opcode::READONLY_BUFFER)?;
        }
        Ok(())
    }

    /// A payload behind the smallest length prefix of its opcode's `forms` (one byte, where
    /// the protocol has that form; four; eight, from protocol 4), as CPython's `save_bytes`
    /// and `save_str` choose; `what` names the type in the error for a payload too large.
    #[inline]
    fn counted(
        &mut self,
        forms: (Option<Opcode>, Opcode, Opcode),
        what: &str,
        data: &[u8],
    ) -> Result<(), EncodeError> {
        let (short, long, huge) = forms;
        let len = data.len();
        match short {
            Some(short) if len <= 0xFF => {
                self.out.write(&[short.0, len as u8])?;
                self.out.write(data)?;
            }
            _ if len > 0xFFFF_FFFF => {
                if self.proto < 4 {
                    return Err(EncodeError::Unpicklable(format!(
                        "cannot serialize a {what} larger than 4GiB below protocol 4"
                    )));
                }
                let header = header(huge, &(len as u64).to_le_bytes());
                self.out.write_large(&header, data)?;
            }
            _ => {
                let header = header(long, &(len as u32).to_le_bytes());
                self.out.write_payload(&header, data)?;
            }
        }
        Ok(())
    }

    /// Refuses `what` (an opcode's name) below protocol `protocol`, which introduced it.
    fn needs(&self, protocol: u8, what: &str) -> Result<(), EncodeError> {
        if self.proto < protocol {
            return Err(EncodeError::Unpicklable(format!(
                "{what} needs protocol {protocol} or above, not {}",
                self.proto
            )));
        }
        Ok(())
    }

    /// Writes an opcode without argument, or whose argument the caller writes next.
    #[inline(always)]
    fn op(&mut self, code: Opcode) -> Result<(), EncodeError> {
        Ok(self.out.write(&[code.0])?)
    }

    /// Writes opcodes without argument, one after the other.
    #[inline(always)]
    fn ops<const N: usize>(&mut self, codes: &[Opcode; N]) -> Result<(), EncodeError> {
        Ok(self.out.write(&codes.map(|code| code.0))?)
    }

    /// Writes a protocol 0 opcode whose argument is a line of text (`text` without its
    /// newline).
    fn line(&mut self, code: Opcode, text: &str) -> Result<(), EncodeError> {
        let mut line = Vec::with_capacity(text.len() + 2);
        line.push(code.0);
        line.extend_from_slice(text.as_bytes());
        line.push(b'\n');
        Ok(self.out.write(&line)?)
    }

    /// EMPTY_LIST (`MARK LIST` at protocol 0).
    fn empty_list(&mut self) -> Result<(), EncodeError> {
        if self.proto >= 1 {
            self.op(Opcode::EMPTY_LIST)
        } else {
            self.ops(&[Opcode::MARK, Opcode::LIST])
        }
    }

    /// Opens a list of `len` items (`None`: not known yet): EMPTY_LIST, memoized. Its items
    /// follow, each after [`Emitter::item`], then [`Emitter::end`].
    ///
    /// Whether the first item has a MARK before it depends on whether it is the only one; an
    /// unknown length keeps it pending until the second item or the end says.
    ///
    /// # Errors
    ///
    /// As [`Emitter::memoize`].
    pub fn begin_list(&mut self, len: Option<usize>) -> Result<Batch, EncodeError> {
        self.empty_list()?;
        let idx = self.memoize()?;
        Ok(Batch::new(
            Layout::ExactList,
            LIST_OPS,
            len,
            Tail::Nothing,
            idx,
        ))
    }

    /// Opens a dict of `len` pairs (`None`: not known yet): EMPTY_DICT, memoized. Each key and
    /// value follow an [`Emitter::item`] call, then [`Emitter::end`].
    ///
    /// # Errors
    ///
    /// As [`Emitter::memoize`].
    pub fn begin_dict(&mut self, len: Option<usize>) -> Result<Batch, EncodeError> {
        if self.proto >= 1 {
            self.op(Opcode::EMPTY_DICT)?;
        } else {
            self.ops(&[Opcode::MARK, Opcode::DICT])?;
        }
        let idx = self.memoize()?;
        Ok(Batch::new(
            Layout::ExactDict,
            DICT_OPS,
            len,
            Tail::Nothing,
            idx,
        ))
    }

    /// Opens a set: EMPTY_SET, memoized, and ADDITEMS batches from protocol 4; below,
    /// `builtins.set([items])` as CPython writes it, memoized at the end.
    ///
    /// # Errors
    ///
    /// As [`Emitter::global`] and [`Emitter::memoize`].
    pub fn begin_set(&mut self, len: Option<usize>) -> Result<Batch, EncodeError> {
        if self.proto >= 4 {
            self.op(Opcode::EMPTY_SET)?;
            let idx = self.memoize()?;
            return Ok(Batch::new(
                Layout::AddItems,
                ADDITEMS_OPS,
                len,
                Tail::Nothing,
                idx,
            ));
        }
        self.begin_call_list("set", len)
    }

    /// Opens a frozenset: MARK, its items, FROZENSET from protocol 4; below,
    /// `builtins.frozenset([items])`. Memoized at the end.
    ///
    /// # Errors
    ///
    /// As [`Emitter::begin_set`].
    pub fn begin_frozenset(&mut self, len: Option<usize>) -> Result<Batch, EncodeError> {
        if self.proto >= 4 {
            self.mark()?;
            return Ok(Batch::new(
                Layout::Unbatched,
                LIST_OPS,
                len,
                Tail::FrozenSet,
                NOT_MEMOIZED,
            ));
        }
        self.begin_call_list("frozenset", len)
    }

    /// `builtins.<type_name>(list)`: the global, the argument tuple opened, the list opened.
    fn begin_call_list(
        &mut self,
        type_name: &'static str,
        len: Option<usize>,
    ) -> Result<Batch, EncodeError> {
        self.global("builtins", type_name)?;
        self.begin_tuple(1)?;
        self.empty_list()?;
        self.memoize()?;
        Ok(Batch::new(
            Layout::ExactList,
            LIST_OPS,
            len,
            Tail::Call,
            NOT_MEMOIZED,
        ))
    }

    /// The items of a list subclass or other object a reduce extends (CPython's
    /// `batch_list` over an iterator), `len` of them.
    pub(crate) fn begin_extend(&mut self, len: usize) -> Batch {
        Batch::new(
            Layout::Generic,
            LIST_OPS,
            Some(len),
            Tail::Nothing,
            NOT_MEMOIZED,
        )
    }

    /// The pairs stored into a dict subclass or other object (`batch_dict` over an iterator).
    pub(crate) fn begin_store(&mut self, len: usize) -> Batch {
        Batch::new(
            Layout::Generic,
            DICT_OPS,
            Some(len),
            Tail::Nothing,
            NOT_MEMOIZED,
        )
    }

    /// ADDITEMS batches into a set (subclass) already on the stack.
    pub(crate) fn begin_additems(&mut self, len: usize) -> Batch {
        Batch::new(
            Layout::AddItems,
            ADDITEMS_OPS,
            Some(len),
            Tail::Nothing,
            NOT_MEMOIZED,
        )
    }

    /// An item (or key-value pair) of `batch` follows: writes the MARK that opens a batch,
    /// and the APPENDS / SETITEMS / ADDITEMS that close the one before.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Io`].
    #[inline]
    pub fn item(&mut self, batch: &mut Batch) -> Result<(), EncodeError> {
        let index = batch.count;
        batch.count += 1;
        if index == batch.slow_at {
            return self.item_slow(batch, index);
        }
        Ok(())
    }

    /// Writes the leading items of `items` that are scalars with a binary form (None, a
    /// bool, an int within 32 bits, a float), each begun with [`Emitter::item`] and saved
    /// behind an object boundary exactly as one at a time; returns how many it wrote. Below
    /// protocol 2 it writes none (a bool is text there, and protocol 0 writes all of them as
    /// text).
    ///
    /// The scalars collect in a buffer on the stack and go to the output in one write each
    /// time it is full, the batch has an opcode to write or an object boundary would commit
    /// a frame. Written to the output one at a time, each reloaded the output vector's length
    /// and capacity after every store into it, and the batch's countdown after every call.
    #[inline(never)]
    pub(crate) fn scalar_items(
        &mut self,
        batch: &mut Batch,
        items: &[Value],
    ) -> Result<usize, EncodeError> {
        if self.proto < 2 {
            return Ok(0);
        }
        let mut run = Run::new(self.out.quiet_room(), batch);
        let mut n_written = 0;
        for item in items {
            let Some(scalar) = binary_scalar(item) else {
                break;
            };
            if !run.begin_quietly() {
                self.begin_loudly(&mut run, batch)?;
            }
            run.push(scalar);
            n_written += 1;
        }
        self.end_run(&run, batch)?;
        Ok(n_written)
    }

    /// [`Emitter::scalar_items`] for the key-value pairs of a dict: the leading pairs whose
    /// key and value are both such scalars.
    #[inline(never)]
    pub(crate) fn scalar_pairs(
        &mut self,
        batch: &mut Batch,
        pairs: &[(Value, Value)],
    ) -> Result<usize, EncodeError> {
        if self.proto < 2 {
            return Ok(0);
        }
        let mut run = Run::new(self.out.quiet_room(), batch);
        let mut n_written = 0;
        for (key, value) in pairs {
            let (Some(key), Some(value)) = (binary_scalar(key), binary_scalar(value)) else {
                break;
            };
            if !run.begin_quietly() {
                self.begin_loudly(&mut run, batch)?;
            }
            run.push(key);
            // The value's own object boundary.
            if run.len >= run.limit {
                self.out.write(run.bytes())?;
                self.out.boundary()?;
                run.restart(self.out.quiet_room());
            }
            run.push(value);
            n_written += 1;
        }
        self.end_run(&run, batch)?;
        Ok(n_written)
    }

    /// The next item of a [`Run`] when [`Run::begin_quietly`] could not begin it: the run so
    /// far goes out, then what [`Emitter::item`] writes and the object boundary.
    #[cold]
    fn begin_loudly(&mut self, run: &mut Run, batch: &mut Batch) -> Result<(), EncodeError> {
        self.out.write(run.bytes())?;
        batch.count = run.count;
        self.item(batch)?;
        self.out.boundary()?;
        run.count = batch.count;
        run.slow_at = batch.slow_at;
        run.restart(self.out.quiet_room());
        Ok(())
    }

    /// Writes what is left of the run and hands its count back to the batch.
    fn end_run(&mut self, run: &Run, batch: &mut Batch) -> Result<(), EncodeError> {
        batch.count = run.count;
        Ok(self.out.write(run.bytes())?)
    }

    fn item_slow(&mut self, batch: &mut Batch, index: usize) -> Result<(), EncodeError> {
        // Unless said otherwise below, the next item with something to write begins the
        // next batch.
        batch.slow_at = index + BATCH_SIZE - index % BATCH_SIZE;
        if batch.layout == Layout::Unbatched {
            batch.slow_at = usize::MAX;
            return Ok(());
        }
        if self.proto == 0 {
            batch.slow_at = index + 1;
            // Protocol 0 has no MARKed batches: APPEND / SETITEM after each item, written
            // before the next item begins.
            if index > 0 {
                self.op(batch.single)?;
            }
            return Ok(());
        }
        if batch.pending {
            // A second item: the first one's batch had a MARK after all.
            batch.pending = false;
            batch.marked = true;
            self.out.resolve_mark(true)?;
            return Ok(());
        }
        if index > 0 {
            self.op(if batch.marked {
                batch.multi
            } else {
                batch.single
            })?;
        }
        batch.marked = match batch.layout {
            Layout::ExactList | Layout::ExactDict if batch.len == UNKNOWN_LEN && index == 0 => {
                batch.pending = true;
                batch.slow_at = index + 1;
                self.out.pend_mark();
                return Ok(());
            }
            Layout::ExactList | Layout::ExactDict => !(index == 0 && batch.len == 1),
            Layout::Generic => batch.len.saturating_sub(index) != 1,
            Layout::AddItems | Layout::Unbatched => true,
        };
        if batch.marked {
            self.mark()?;
        }
        Ok(())
    }

    /// Closes `batch`'s container: the last APPENDS / SETITEMS / ADDITEMS (and CPython's
    /// empty last batch of a dict or set whose size is a multiple of 1000), then what closes
    /// the object; returns the container's memo index.
    ///
    /// # Errors
    ///
    /// [`EncodeError::LengthMismatch`] when the items begun do not match a length announced
    /// to [`Emitter::begin_list`] or [`Emitter::begin_dict`] in a way that changes the layout
    /// already written (one item announced and several given, or the reverse);
    /// [`EncodeError::Io`].
    pub fn end(&mut self, batch: Batch) -> Result<u32, EncodeError> {
        self.end_items(&batch)?;
        match batch.tail {
            _ if batch.idx != NOT_MEMOIZED => Ok(batch.idx),
            Tail::FrozenSet => self.close_frozenset(),
            Tail::Nothing | Tail::Call => self.memoize(),
        }
    }

    /// FROZENSET after a frozenset's items, memoized.
    pub(crate) fn close_frozenset(&mut self) -> Result<u32, EncodeError> {
        self.op(Opcode::FROZENSET)?;
        self.memoize()
    }

    /// [`Emitter::end`] up to what makes the object: the graph pickler checks first whether
    /// saving the items saved the object itself (a recursive frozenset or `set(...)` call).
    pub(crate) fn end_items(&mut self, batch: &Batch) -> Result<(), EncodeError> {
        let count = batch.count;
        if matches!(batch.layout, Layout::ExactList | Layout::ExactDict)
            && batch.len != UNKNOWN_LEN
            && (batch.len == 1) != (count == 1)
        {
            return Err(EncodeError::LengthMismatch {
                expected: batch.len,
                actual: count,
            });
        }
        if batch.layout != Layout::Unbatched && count > 0 {
            if self.proto == 0 {
                self.op(batch.single)?;
            } else if batch.pending {
                self.out.resolve_mark(false)?;
                self.op(batch.single)?;
            } else {
                self.op(if batch.marked {
                    batch.multi
                } else {
                    batch.single
                })?;
                // batch_dict_exact and save_set loop while the last batch was full.
                let loops_again = matches!(batch.layout, Layout::ExactDict | Layout::AddItems);
                if loops_again && count % BATCH_SIZE == 0 {
                    self.ops(&[Opcode::MARK, batch.multi])?;
                }
            }
        }
        if batch.tail == Tail::Call {
            self.end_tuple(1)?;
            self.reduce()?;
        }
        Ok(())
    }
}

/// Scalars written by [`Emitter::scalar_items`] before they go to the output, and the batch
/// countdown kept beside them.
struct Run {
    buf: [u8; RUN_LEN],
    len: usize,
    /// The run holds no more once it is this long: where the next object boundary would
    /// commit a frame, or where one more scalar might not fit.
    limit: usize,
    /// The batch's [`Batch::count`] and [`Batch::slow_at`], copied while the run lasts.
    count: usize,
    slow_at: usize,
}

/// The bytes of a [`Run`]: 27 floats or more ints.
const RUN_LEN: usize = 256;
/// The longest scalar a [`Run`] holds: BINFLOAT and its 8 bytes.
const MAX_SCALAR_LEN: usize = 9;

/// A scalar's bytes: the first `len` of `bytes`.
#[derive(Clone, Copy)]
struct Scalar {
    bytes: [u8; MAX_SCALAR_LEN],
    len: usize,
}

impl Run {
    /// An empty run, to end before `room` bytes (where the output's next object boundary
    /// acts).
    #[inline(always)]
    fn new(room: usize, batch: &Batch) -> Run {
        Run {
            buf: [0; RUN_LEN],
            len: 0,
            limit: room.min(RUN_LEN - MAX_SCALAR_LEN + 1),
            count: batch.count,
            slow_at: batch.slow_at,
        }
    }

    /// Empties the run, to end before `room` bytes.
    #[inline(always)]
    fn restart(&mut self, room: usize) {
        self.len = 0;
        self.limit = room.min(RUN_LEN - MAX_SCALAR_LEN + 1);
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Begins an item as [`Emitter::item`] and [`Output::boundary`] would, if neither has
    /// anything to write and the run has room; `false` if the emitter must.
    #[inline(always)]
    fn begin_quietly(&mut self) -> bool {
        if self.count == self.slow_at || self.len >= self.limit {
            return false;
        }
        self.count += 1;
        true
    }

    /// Appends a scalar; `len < limit` leaves room for it.
    #[inline(always)]
    fn push(&mut self, scalar: Scalar) {
        let at = self.len;
        self.buf[at..at + MAX_SCALAR_LEN].copy_from_slice(&scalar.bytes);
        self.len = at + scalar.len;
    }
}

/// The bytes [`Emitter::none`], [`Emitter::bool`], [`Emitter::int`] and [`Emitter::float`]
/// write from protocol 2 for None, a bool, an int within 32 bits (BININT1, BININT2,
/// BININT) or a float; `None` for any other value.
#[inline(always)]
fn binary_scalar(value: &Value) -> Option<Scalar> {
    let mut bytes = [0; MAX_SCALAR_LEN];
    let len = match *value {
        Value::None => {
            bytes[0] = Opcode::NONE.0;
            1
        }
        Value::Bool(value) => {
            bytes[0] = if value {
                Opcode::NEWTRUE.0
            } else {
                Opcode::NEWFALSE.0
            };
            1
        }
        Value::Int(value) => {
            if let Ok(byte) = u8::try_from(value) {
                bytes[..2].copy_from_slice(&[Opcode::BININT1.0, byte]);
                2
            } else if let Ok(short) = u16::try_from(value) {
                let [lo, hi] = short.to_le_bytes();
                bytes[..3].copy_from_slice(&[Opcode::BININT2.0, lo, hi]);
                3
            } else if let Ok(int) = i32::try_from(value) {
                let [a, b, c, d] = int.to_le_bytes();
                bytes[..5].copy_from_slice(&[Opcode::BININT.0, a, b, c, d]);
                5
            } else {
                return None;
            }
        }
        Value::Float(value) => {
            bytes[0] = Opcode::BINFLOAT.0;
            bytes[1..].copy_from_slice(&value.to_be_bytes());
            9
        }
        Value::BigInt(_) | Value::Node(_) => return None,
    };
    Some(Scalar { bytes, len })
}

/// Whether [`Emitter::scalar_items`] writes `value` (at protocol 2 and above): None, a bool,
/// a float, or an int within 32 bits.
#[inline(always)]
pub(crate) fn is_binary_scalar(value: &Value) -> bool {
    match *value {
        Value::None | Value::Bool(_) | Value::Float(_) => true,
        Value::Int(value) => i32::try_from(value).is_ok(),
        Value::BigInt(_) | Value::Node(_) => false,
    }
}

/// Whether CPython keeps a single shared object for this str (given as UTF-8): the empty
/// string and one-character strings below U+0100. The [`Emitter`] writes such a str once and
/// GETs it after; a graph says itself which of its str are one object.
///
/// # Example
///
/// ```
/// assert!(brine_encode::is_shared_str("é".as_bytes()));
/// assert!(!brine_encode::is_shared_str(b"ab"));
/// ```
pub fn is_shared_str(data: &[u8]) -> bool {
    // One code point below U+0100 is one ASCII byte or a two-byte sequence led by C2 or C3.
    match data {
        [] => true,
        [byte] => byte.is_ascii(),
        [lead, _] => matches!(lead, 0xC2 | 0xC3),
        _ => false,
    }
}

/// An opcode followed by its little-endian length prefix, without a heap allocation.
struct Header {
    bytes: [u8; 9],
    len: usize,
}

impl std::ops::Deref for Header {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn header(op: Opcode, len: &[u8]) -> Header {
    let mut bytes = [0u8; 9];
    bytes[0] = op.0;
    bytes[1..=len.len()].copy_from_slice(len);
    Header {
        bytes,
        len: 1 + len.len(),
    }
}

/// `raw-unicode-escape` of a str, after the replacements protocol 0 makes so the line can be
/// read back: backslash, NUL, newline, carriage return and Ctrl-Z as `\uXXXX`.
fn raw_unicode_escape(data: &[u8], out: &mut Vec<u8>, escape_controls: bool) {
    for cp in brine_lex::pystr::code_points(data) {
        match cp {
            0x5C | 0x0A => out.extend_from_slice(format!("\\u{cp:04x}").as_bytes()),
            0x00 | 0x0D | 0x1A if escape_controls => {
                out.extend_from_slice(format!("\\u{cp:04x}").as_bytes())
            }
            0..=0xFF => out.push(cp as u8),
            0x100..=0xFFFF => out.extend_from_slice(format!("\\u{cp:04x}").as_bytes()),
            _ => out.extend_from_slice(format!("\\U{cp:08x}").as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `write` on a fresh emitter at `protocol` and returns what it wrote after PROTO and
    /// before STOP (protocols 0-3, which have no frames), or the error.
    fn emit(
        protocol: u8,
        write: impl FnOnce(&mut Emitter<'_, Vec<u8>>) -> Result<(), EncodeError>,
    ) -> Result<Vec<u8>, EncodeError> {
        let options = Options::protocol(protocol);
        let mut emitter = Emitter::new(Vec::new(), &options)?;
        write(&mut emitter)?;
        let out = emitter.finish()?;
        let start = if protocol >= 2 { 2 } else { 0 };
        Ok(out[start..out.len() - 1].to_vec())
    }

    #[test]
    fn opcodes_some_protocols_lack_are_refused_there() {
        let refused =
            |protocol, write: fn(&mut Emitter<'_, Vec<u8>>) -> Result<(), EncodeError>| {
                matches!(emit(protocol, write), Err(EncodeError::Unpicklable(_)))
            };
        assert!(refused(1, |e| e.newobj()));
        assert!(refused(3, |e| e.newobj_ex()));
        assert!(refused(0, |e| e.pop_mark()));
        assert!(refused(0, |e| e.obj()));
        assert!(refused(0, |e| e.binpersid()));
        assert!(refused(1, |e| e.inst("m", "C")));
        assert!(refused(3, |e| e.stack_global_of_nodes()));
        assert!(refused(4, |e| e.bytearray8(b"x").map(|_| ())));
        assert!(refused(4, |e| e.next_buffer(false)));
        assert!(refused(0, |e| e.persid("a\nb")));
        assert!(refused(0, |e| e.persid("é")));
    }

    #[test]
    fn opcodes_are_written_where_the_protocol_has_them() {
        // POP, POP_MARK, NEWOBJ, BUILD, REDUCE.
        let ops = emit(2, |e| {
            e.pop()?;
            e.pop_mark()?;
            e.newobj()?;
            e.build()?;
            e.reduce()
        });
        assert_eq!(ops.unwrap(), b"01\x81bR");
        // A state setter's TUPLE2 even at protocol 0, as CPython's save_reduce writes it.
        assert_eq!(emit(0, |e| e.state_setter_args()).unwrap(), b"\x86");
        assert_eq!(emit(0, |e| e.persid("key 1")).unwrap(), b"Pkey 1\n");
        assert_eq!(emit(0, |e| e.inst("m", "C")).unwrap(), b"im\nC\n");
        // fix_imports: Python 2 names below protocol 3.
        assert_eq!(
            emit(0, |e| e.inst("builtins", "object")).unwrap(),
            b"i__builtin__\nobject\n"
        );
    }
}
