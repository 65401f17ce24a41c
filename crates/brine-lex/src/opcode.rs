//! The opcodes of pickle protocols 0 to 5: their bytes, names and what each one does.
//!
//! The table is CPython's own (`pickletools.opcodes` in 3.11), in the same order, and a test
//! checks it against the installed interpreter when one is available.

use std::fmt;

/// One opcode byte.
///
/// A newtype rather than an enum, so that a byte no protocol defines stays representable (the
/// lexer reports it as unknown) and `Display` prints CPython's name where there is one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Opcode(pub u8);

#[allow(
    missing_docs,
    reason = "each constant carries pickletools' one-line description"
)]
impl Opcode {
    /// Push an integer or bool.
    pub const INT: Opcode = Opcode(b'I');
    /// Push a four-byte signed integer.
    pub const BININT: Opcode = Opcode(b'J');
    /// Push a one-byte unsigned integer.
    pub const BININT1: Opcode = Opcode(b'K');
    /// Push a two-byte unsigned integer.
    pub const BININT2: Opcode = Opcode(b'M');
    /// Push a long integer.
    pub const LONG: Opcode = Opcode(b'L');
    /// Long integer using one-byte length.
    pub const LONG1: Opcode = Opcode(0x8a);
    /// Long integer using found-byte length.
    pub const LONG4: Opcode = Opcode(0x8b);
    /// Push a Python string object.
    pub const STRING: Opcode = Opcode(b'S');
    /// Push a Python string object.
    pub const BINSTRING: Opcode = Opcode(b'T');
    /// Push a Python string object.
    pub const SHORT_BINSTRING: Opcode = Opcode(b'U');
    /// Push a Python bytes object.
    pub const BINBYTES: Opcode = Opcode(b'B');
    /// Push a Python bytes object.
    pub const SHORT_BINBYTES: Opcode = Opcode(b'C');
    /// Push a Python bytes object.
    pub const BINBYTES8: Opcode = Opcode(0x8e);
    /// Push a Python bytearray object.
    pub const BYTEARRAY8: Opcode = Opcode(0x96);
    /// Push an out-of-band buffer object.
    pub const NEXT_BUFFER: Opcode = Opcode(0x97);
    /// Make an out-of-band buffer object read-only.
    pub const READONLY_BUFFER: Opcode = Opcode(0x98);
    /// Push None on the stack.
    pub const NONE: Opcode = Opcode(b'N');
    /// Push True onto the stack.
    pub const NEWTRUE: Opcode = Opcode(0x88);
    /// Push False onto the stack.
    pub const NEWFALSE: Opcode = Opcode(0x89);
    /// Push a Python Unicode string object.
    pub const UNICODE: Opcode = Opcode(b'V');
    /// Push a Python Unicode string object.
    pub const SHORT_BINUNICODE: Opcode = Opcode(0x8c);
    /// Push a Python Unicode string object.
    pub const BINUNICODE: Opcode = Opcode(b'X');
    /// Push a Python Unicode string object.
    pub const BINUNICODE8: Opcode = Opcode(0x8d);
    /// Newline-terminated decimal float literal.
    pub const FLOAT: Opcode = Opcode(b'F');
    /// Float stored in binary form, with 8 bytes of data.
    pub const BINFLOAT: Opcode = Opcode(b'G');
    /// Push an empty list.
    pub const EMPTY_LIST: Opcode = Opcode(b']');
    /// Append an object to a list.
    pub const APPEND: Opcode = Opcode(b'a');
    /// Extend a list by a slice of stack objects.
    pub const APPENDS: Opcode = Opcode(b'e');
    /// Build a list out of the topmost stack slice, after markobject.
    pub const LIST: Opcode = Opcode(b'l');
    /// Push an empty tuple.
    pub const EMPTY_TUPLE: Opcode = Opcode(b')');
    /// Build a tuple out of the topmost stack slice, after markobject.
    pub const TUPLE: Opcode = Opcode(b't');
    /// Build a one-tuple out of the topmost item on the stack.
    pub const TUPLE1: Opcode = Opcode(0x85);
    /// Build a two-tuple out of the top two items on the stack.
    pub const TUPLE2: Opcode = Opcode(0x86);
    /// Build a three-tuple out of the top three items on the stack.
    pub const TUPLE3: Opcode = Opcode(0x87);
    /// Push an empty dict.
    pub const EMPTY_DICT: Opcode = Opcode(b'}');
    /// Build a dict out of the topmost stack slice, after markobject.
    pub const DICT: Opcode = Opcode(b'd');
    /// Add a key+value pair to an existing dict.
    pub const SETITEM: Opcode = Opcode(b's');
    /// Add an arbitrary number of key+value pairs to an existing dict.
    pub const SETITEMS: Opcode = Opcode(b'u');
    /// Push an empty set.
    pub const EMPTY_SET: Opcode = Opcode(0x8f);
    /// Add an arbitrary number of items to an existing set.
    pub const ADDITEMS: Opcode = Opcode(0x90);
    /// Build a frozenset out of the topmost slice, after markobject.
    pub const FROZENSET: Opcode = Opcode(0x91);
    /// Discard the top stack item, shrinking the stack by one item.
    pub const POP: Opcode = Opcode(b'0');
    /// Push the top stack item onto the stack again, duplicating it.
    pub const DUP: Opcode = Opcode(b'2');
    /// Push markobject onto the stack.
    pub const MARK: Opcode = Opcode(b'(');
    /// Pop all the stack objects at and above the topmost markobject.
    pub const POP_MARK: Opcode = Opcode(b'1');
    /// Read an object from the memo and push it on the stack.
    pub const GET: Opcode = Opcode(b'g');
    /// Read an object from the memo and push it on the stack.
    pub const BINGET: Opcode = Opcode(b'h');
    /// Read an object from the memo and push it on the stack.
    pub const LONG_BINGET: Opcode = Opcode(b'j');
    /// Store the stack top into the memo.  The stack is not popped.
    pub const PUT: Opcode = Opcode(b'p');
    /// Store the stack top into the memo.  The stack is not popped.
    pub const BINPUT: Opcode = Opcode(b'q');
    /// Store the stack top into the memo.  The stack is not popped.
    pub const LONG_BINPUT: Opcode = Opcode(b'r');
    /// Store the stack top into the memo.  The stack is not popped.
    pub const MEMOIZE: Opcode = Opcode(0x94);
    /// Extension code.
    pub const EXT1: Opcode = Opcode(0x82);
    /// Extension code.
    pub const EXT2: Opcode = Opcode(0x83);
    /// Extension code.
    pub const EXT4: Opcode = Opcode(0x84);
    /// Push a global object (module.attr) on the stack.
    pub const GLOBAL: Opcode = Opcode(b'c');
    /// Push a global object (module.attr) on the stack.
    pub const STACK_GLOBAL: Opcode = Opcode(0x93);
    /// Push an object built from a callable and an argument tuple.
    pub const REDUCE: Opcode = Opcode(b'R');
    /// Finish building an object, via __setstate__ or dict update.
    pub const BUILD: Opcode = Opcode(b'b');
    /// Build a class instance.
    pub const INST: Opcode = Opcode(b'i');
    /// Build a class instance.
    pub const OBJ: Opcode = Opcode(b'o');
    /// Build an object instance.
    pub const NEWOBJ: Opcode = Opcode(0x81);
    /// Build an object instance.
    pub const NEWOBJ_EX: Opcode = Opcode(0x92);
    /// Protocol version indicator.
    pub const PROTO: Opcode = Opcode(0x80);
    /// Stop the unpickling machine.
    pub const STOP: Opcode = Opcode(b'.');
    /// Indicate the beginning of a new frame.
    pub const FRAME: Opcode = Opcode(0x95);
    /// Push an object identified by a persistent ID.
    pub const PERSID: Opcode = Opcode(b'P');
    /// Push an object identified by a persistent ID.
    pub const BINPERSID: Opcode = Opcode(b'Q');
}

impl Opcode {
    /// What CPython knows about this opcode, or `None` for a byte no protocol defines.
    pub fn info(self) -> Option<&'static OpcodeInfo> {
        match INDEX[self.0 as usize] {
            NOT_AN_OPCODE => None,
            idx => Some(&OPCODES[idx as usize]),
        }
    }

    /// CPython's name for this opcode (`"BININT1"`), or `None` for an unknown byte.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|info| info.name)
    }

    /// The kind of argument that follows the opcode byte in the stream.
    #[inline]
    pub fn arg_kind(self) -> Option<ArgKind> {
        ARG_KINDS[self.0 as usize]
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown opcode 0x{:02x}", self.0),
        }
    }
}

impl fmt::Debug for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "Opcode(0x{:02x})", self.0),
        }
    }
}

/// Everything `pickletools` records about one opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpcodeInfo {
    /// The opcode byte.
    pub code: Opcode,
    /// CPython's name, as in `pickle.py`.
    pub name: &'static str,
    /// The argument encoded in the stream after the opcode byte.
    pub arg: ArgKind,
    /// What the opcode expects on the stack, bottom first.
    pub stack_before: &'static [StackKind],
    /// What the opcode leaves on the stack in their place, bottom first.
    pub stack_after: &'static [StackKind],
    /// The protocol that introduced the opcode.
    pub proto: u8,
    /// The first line of pickletools' documentation of the opcode.
    pub doc: &'static str,
}

/// How an opcode's argument is encoded in the stream (pickletools' `ArgumentDescriptor`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// The opcode takes no argument.
    None,
    /// One unsigned byte.
    Uint1,
    /// Two bytes, unsigned, little-endian.
    Uint2,
    /// Four bytes, signed two's complement, little-endian.
    Int4,
    /// Four bytes, unsigned, little-endian.
    Uint4,
    /// Eight bytes, unsigned, little-endian.
    Uint8,
    /// A decimal integer up to a newline; `00` and `01` mean False and True.
    DecimalnlShort,
    /// A decimal integer up to a newline, with an optional trailing `L`.
    DecimalnlLong,
    /// A one-byte length, then a little-endian two's complement integer of that many bytes.
    Long1,
    /// A four-byte signed length, then a little-endian two's complement integer.
    Long4,
    /// A Python-repr quoted string with escapes, up to a newline.
    Stringnl,
    /// Raw text up to a newline, without quotes.
    StringnlNoescape,
    /// Two raw lines of text: a module and a qualified name.
    StringnlNoescapePair,
    /// A one-byte length, then that many bytes of a Python 2 `str`.
    String1,
    /// A four-byte signed length, then that many bytes of a Python 2 `str`.
    String4,
    /// A one-byte length, then that many bytes.
    Bytes1,
    /// A four-byte unsigned length, then that many bytes.
    Bytes4,
    /// An eight-byte unsigned length, then that many bytes.
    Bytes8,
    /// An eight-byte unsigned length, then that many bytes of a bytearray.
    Bytearray8,
    /// raw-unicode-escape text up to a newline.
    Unicodestringnl,
    /// A one-byte length, then that many bytes of UTF-8 (surrogates allowed).
    Unicodestring1,
    /// A four-byte unsigned length, then that many bytes of UTF-8 (surrogates allowed).
    Unicodestring4,
    /// An eight-byte unsigned length, then that many bytes of UTF-8 (surrogates allowed).
    Unicodestring8,
    /// A decimal float literal up to a newline.
    Floatnl,
    /// Eight bytes of IEEE 754 binary64, big-endian.
    Float8,
}

impl ArgKind {
    /// pickletools' name for the argument kind (`"uint1"`, `"stringnl_noescape_pair"`).
    pub fn name(self) -> &'static str {
        match self {
            ArgKind::None => "none",
            ArgKind::Uint1 => "uint1",
            ArgKind::Uint2 => "uint2",
            ArgKind::Int4 => "int4",
            ArgKind::Uint4 => "uint4",
            ArgKind::Uint8 => "uint8",
            ArgKind::DecimalnlShort => "decimalnl_short",
            ArgKind::DecimalnlLong => "decimalnl_long",
            ArgKind::Long1 => "long1",
            ArgKind::Long4 => "long4",
            ArgKind::Stringnl => "stringnl",
            ArgKind::StringnlNoescape => "stringnl_noescape",
            ArgKind::StringnlNoescapePair => "stringnl_noescape_pair",
            ArgKind::String1 => "string1",
            ArgKind::String4 => "string4",
            ArgKind::Bytes1 => "bytes1",
            ArgKind::Bytes4 => "bytes4",
            ArgKind::Bytes8 => "bytes8",
            ArgKind::Bytearray8 => "bytearray8",
            ArgKind::Unicodestringnl => "unicodestringnl",
            ArgKind::Unicodestring1 => "unicodestring1",
            ArgKind::Unicodestring4 => "unicodestring4",
            ArgKind::Unicodestring8 => "unicodestring8",
            ArgKind::Floatnl => "floatnl",
            ArgKind::Float8 => "float8",
        }
    }
}

/// The kinds of object pickletools names in its stack effects.
///
/// Only [`StackKind::MARK`] and [`StackKind::STACKSLICE`] change how the stack machine
/// behaves; the others document what the opcode consumes and produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StackKind(&'static str);

#[allow(missing_docs, reason = "the names are pickletools' StackObject names")]
impl StackKind {
    pub const NONE: StackKind = StackKind("None");
    pub const ANY: StackKind = StackKind("any");
    pub const BOOL: StackKind = StackKind("bool");
    pub const BUFFER: StackKind = StackKind("buffer");
    pub const BYTEARRAY: StackKind = StackKind("bytearray");
    pub const BYTES: StackKind = StackKind("bytes");
    pub const BYTES_OR_STR: StackKind = StackKind("bytes_or_str");
    pub const DICT: StackKind = StackKind("dict");
    pub const FLOAT: StackKind = StackKind("float");
    pub const FROZENSET: StackKind = StackKind("frozenset");
    pub const INT: StackKind = StackKind("int");
    pub const INT_OR_BOOL: StackKind = StackKind("int_or_bool");
    pub const LIST: StackKind = StackKind("list");
    pub const MARK: StackKind = StackKind("mark");
    pub const SET: StackKind = StackKind("set");
    pub const STACKSLICE: StackKind = StackKind("stackslice");
    pub const STR: StackKind = StackKind("str");
    pub const TUPLE: StackKind = StackKind("tuple");
}

impl StackKind {
    /// pickletools' name for the kind.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// All 68 opcodes of protocols 0 to 5, in pickletools' order.
pub static OPCODES: [OpcodeInfo; 68] = [
    OpcodeInfo {
        code: Opcode::INT,
        name: "INT",
        arg: ArgKind::DecimalnlShort,
        stack_before: &[],
        stack_after: &[StackKind::INT_OR_BOOL],
        proto: 0,
        doc: "Push an integer or bool.",
    },
    OpcodeInfo {
        code: Opcode::BININT,
        name: "BININT",
        arg: ArgKind::Int4,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 1,
        doc: "Push a four-byte signed integer.",
    },
    OpcodeInfo {
        code: Opcode::BININT1,
        name: "BININT1",
        arg: ArgKind::Uint1,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 1,
        doc: "Push a one-byte unsigned integer.",
    },
    OpcodeInfo {
        code: Opcode::BININT2,
        name: "BININT2",
        arg: ArgKind::Uint2,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 1,
        doc: "Push a two-byte unsigned integer.",
    },
    OpcodeInfo {
        code: Opcode::LONG,
        name: "LONG",
        arg: ArgKind::DecimalnlLong,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 0,
        doc: "Push a long integer.",
    },
    OpcodeInfo {
        code: Opcode::LONG1,
        name: "LONG1",
        arg: ArgKind::Long1,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 2,
        doc: "Long integer using one-byte length.",
    },
    OpcodeInfo {
        code: Opcode::LONG4,
        name: "LONG4",
        arg: ArgKind::Long4,
        stack_before: &[],
        stack_after: &[StackKind::INT],
        proto: 2,
        doc: "Long integer using found-byte length.",
    },
    OpcodeInfo {
        code: Opcode::STRING,
        name: "STRING",
        arg: ArgKind::Stringnl,
        stack_before: &[],
        stack_after: &[StackKind::BYTES_OR_STR],
        proto: 0,
        doc: "Push a Python string object.",
    },
    OpcodeInfo {
        code: Opcode::BINSTRING,
        name: "BINSTRING",
        arg: ArgKind::String4,
        stack_before: &[],
        stack_after: &[StackKind::BYTES_OR_STR],
        proto: 1,
        doc: "Push a Python string object.",
    },
    OpcodeInfo {
        code: Opcode::SHORT_BINSTRING,
        name: "SHORT_BINSTRING",
        arg: ArgKind::String1,
        stack_before: &[],
        stack_after: &[StackKind::BYTES_OR_STR],
        proto: 1,
        doc: "Push a Python string object.",
    },
    OpcodeInfo {
        code: Opcode::BINBYTES,
        name: "BINBYTES",
        arg: ArgKind::Bytes4,
        stack_before: &[],
        stack_after: &[StackKind::BYTES],
        proto: 3,
        doc: "Push a Python bytes object.",
    },
    OpcodeInfo {
        code: Opcode::SHORT_BINBYTES,
        name: "SHORT_BINBYTES",
        arg: ArgKind::Bytes1,
        stack_before: &[],
        stack_after: &[StackKind::BYTES],
        proto: 3,
        doc: "Push a Python bytes object.",
    },
    OpcodeInfo {
        code: Opcode::BINBYTES8,
        name: "BINBYTES8",
        arg: ArgKind::Bytes8,
        stack_before: &[],
        stack_after: &[StackKind::BYTES],
        proto: 4,
        doc: "Push a Python bytes object.",
    },
    OpcodeInfo {
        code: Opcode::BYTEARRAY8,
        name: "BYTEARRAY8",
        arg: ArgKind::Bytearray8,
        stack_before: &[],
        stack_after: &[StackKind::BYTEARRAY],
        proto: 5,
        doc: "Push a Python bytearray object.",
    },
    OpcodeInfo {
        code: Opcode::NEXT_BUFFER,
        name: "NEXT_BUFFER",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::BUFFER],
        proto: 5,
        doc: "Push an out-of-band buffer object.",
    },
    OpcodeInfo {
        code: Opcode::READONLY_BUFFER,
        name: "READONLY_BUFFER",
        arg: ArgKind::None,
        stack_before: &[StackKind::BUFFER],
        stack_after: &[StackKind::BUFFER],
        proto: 5,
        doc: "Make an out-of-band buffer object read-only.",
    },
    OpcodeInfo {
        code: Opcode::NONE,
        name: "NONE",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::NONE],
        proto: 0,
        doc: "Push None on the stack.",
    },
    OpcodeInfo {
        code: Opcode::NEWTRUE,
        name: "NEWTRUE",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::BOOL],
        proto: 2,
        doc: "Push True onto the stack.",
    },
    OpcodeInfo {
        code: Opcode::NEWFALSE,
        name: "NEWFALSE",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::BOOL],
        proto: 2,
        doc: "Push False onto the stack.",
    },
    OpcodeInfo {
        code: Opcode::UNICODE,
        name: "UNICODE",
        arg: ArgKind::Unicodestringnl,
        stack_before: &[],
        stack_after: &[StackKind::STR],
        proto: 0,
        doc: "Push a Python Unicode string object.",
    },
    OpcodeInfo {
        code: Opcode::SHORT_BINUNICODE,
        name: "SHORT_BINUNICODE",
        arg: ArgKind::Unicodestring1,
        stack_before: &[],
        stack_after: &[StackKind::STR],
        proto: 4,
        doc: "Push a Python Unicode string object.",
    },
    OpcodeInfo {
        code: Opcode::BINUNICODE,
        name: "BINUNICODE",
        arg: ArgKind::Unicodestring4,
        stack_before: &[],
        stack_after: &[StackKind::STR],
        proto: 1,
        doc: "Push a Python Unicode string object.",
    },
    OpcodeInfo {
        code: Opcode::BINUNICODE8,
        name: "BINUNICODE8",
        arg: ArgKind::Unicodestring8,
        stack_before: &[],
        stack_after: &[StackKind::STR],
        proto: 4,
        doc: "Push a Python Unicode string object.",
    },
    OpcodeInfo {
        code: Opcode::FLOAT,
        name: "FLOAT",
        arg: ArgKind::Floatnl,
        stack_before: &[],
        stack_after: &[StackKind::FLOAT],
        proto: 0,
        doc: "Newline-terminated decimal float literal.",
    },
    OpcodeInfo {
        code: Opcode::BINFLOAT,
        name: "BINFLOAT",
        arg: ArgKind::Float8,
        stack_before: &[],
        stack_after: &[StackKind::FLOAT],
        proto: 1,
        doc: "Float stored in binary form, with 8 bytes of data.",
    },
    OpcodeInfo {
        code: Opcode::EMPTY_LIST,
        name: "EMPTY_LIST",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::LIST],
        proto: 1,
        doc: "Push an empty list.",
    },
    OpcodeInfo {
        code: Opcode::APPEND,
        name: "APPEND",
        arg: ArgKind::None,
        stack_before: &[StackKind::LIST, StackKind::ANY],
        stack_after: &[StackKind::LIST],
        proto: 0,
        doc: "Append an object to a list.",
    },
    OpcodeInfo {
        code: Opcode::APPENDS,
        name: "APPENDS",
        arg: ArgKind::None,
        stack_before: &[StackKind::LIST, StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::LIST],
        proto: 1,
        doc: "Extend a list by a slice of stack objects.",
    },
    OpcodeInfo {
        code: Opcode::LIST,
        name: "LIST",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::LIST],
        proto: 0,
        doc: "Build a list out of the topmost stack slice, after markobject.",
    },
    OpcodeInfo {
        code: Opcode::EMPTY_TUPLE,
        name: "EMPTY_TUPLE",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::TUPLE],
        proto: 1,
        doc: "Push an empty tuple.",
    },
    OpcodeInfo {
        code: Opcode::TUPLE,
        name: "TUPLE",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::TUPLE],
        proto: 0,
        doc: "Build a tuple out of the topmost stack slice, after markobject.",
    },
    OpcodeInfo {
        code: Opcode::TUPLE1,
        name: "TUPLE1",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[StackKind::TUPLE],
        proto: 2,
        doc: "Build a one-tuple out of the topmost item on the stack.",
    },
    OpcodeInfo {
        code: Opcode::TUPLE2,
        name: "TUPLE2",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::TUPLE],
        proto: 2,
        doc: "Build a two-tuple out of the top two items on the stack.",
    },
    OpcodeInfo {
        code: Opcode::TUPLE3,
        name: "TUPLE3",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::TUPLE],
        proto: 2,
        doc: "Build a three-tuple out of the top three items on the stack.",
    },
    OpcodeInfo {
        code: Opcode::EMPTY_DICT,
        name: "EMPTY_DICT",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::DICT],
        proto: 1,
        doc: "Push an empty dict.",
    },
    OpcodeInfo {
        code: Opcode::DICT,
        name: "DICT",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::DICT],
        proto: 0,
        doc: "Build a dict out of the topmost stack slice, after markobject.",
    },
    OpcodeInfo {
        code: Opcode::SETITEM,
        name: "SETITEM",
        arg: ArgKind::None,
        stack_before: &[StackKind::DICT, StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::DICT],
        proto: 0,
        doc: "Add a key+value pair to an existing dict.",
    },
    OpcodeInfo {
        code: Opcode::SETITEMS,
        name: "SETITEMS",
        arg: ArgKind::None,
        stack_before: &[StackKind::DICT, StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::DICT],
        proto: 1,
        doc: "Add an arbitrary number of key+value pairs to an existing dict.",
    },
    OpcodeInfo {
        code: Opcode::EMPTY_SET,
        name: "EMPTY_SET",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::SET],
        proto: 4,
        doc: "Push an empty set.",
    },
    OpcodeInfo {
        code: Opcode::ADDITEMS,
        name: "ADDITEMS",
        arg: ArgKind::None,
        stack_before: &[StackKind::SET, StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::SET],
        proto: 4,
        doc: "Add an arbitrary number of items to an existing set.",
    },
    OpcodeInfo {
        code: Opcode::FROZENSET,
        name: "FROZENSET",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::FROZENSET],
        proto: 4,
        doc: "Build a frozenset out of the topmost slice, after markobject.",
    },
    OpcodeInfo {
        code: Opcode::POP,
        name: "POP",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[],
        proto: 0,
        doc: "Discard the top stack item, shrinking the stack by one item.",
    },
    OpcodeInfo {
        code: Opcode::DUP,
        name: "DUP",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[StackKind::ANY, StackKind::ANY],
        proto: 0,
        doc: "Push the top stack item onto the stack again, duplicating it.",
    },
    OpcodeInfo {
        code: Opcode::MARK,
        name: "MARK",
        arg: ArgKind::None,
        stack_before: &[],
        stack_after: &[StackKind::MARK],
        proto: 0,
        doc: "Push markobject onto the stack.",
    },
    OpcodeInfo {
        code: Opcode::POP_MARK,
        name: "POP_MARK",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[],
        proto: 1,
        doc: "Pop all the stack objects at and above the topmost markobject.",
    },
    OpcodeInfo {
        code: Opcode::GET,
        name: "GET",
        arg: ArgKind::DecimalnlShort,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Read an object from the memo and push it on the stack.",
    },
    OpcodeInfo {
        code: Opcode::BINGET,
        name: "BINGET",
        arg: ArgKind::Uint1,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 1,
        doc: "Read an object from the memo and push it on the stack.",
    },
    OpcodeInfo {
        code: Opcode::LONG_BINGET,
        name: "LONG_BINGET",
        arg: ArgKind::Uint4,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 1,
        doc: "Read an object from the memo and push it on the stack.",
    },
    OpcodeInfo {
        code: Opcode::PUT,
        name: "PUT",
        arg: ArgKind::DecimalnlShort,
        stack_before: &[],
        stack_after: &[],
        proto: 0,
        doc: "Store the stack top into the memo.  The stack is not popped.",
    },
    OpcodeInfo {
        code: Opcode::BINPUT,
        name: "BINPUT",
        arg: ArgKind::Uint1,
        stack_before: &[],
        stack_after: &[],
        proto: 1,
        doc: "Store the stack top into the memo.  The stack is not popped.",
    },
    OpcodeInfo {
        code: Opcode::LONG_BINPUT,
        name: "LONG_BINPUT",
        arg: ArgKind::Uint4,
        stack_before: &[],
        stack_after: &[],
        proto: 1,
        doc: "Store the stack top into the memo.  The stack is not popped.",
    },
    OpcodeInfo {
        code: Opcode::MEMOIZE,
        name: "MEMOIZE",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 4,
        doc: "Store the stack top into the memo.  The stack is not popped.",
    },
    OpcodeInfo {
        code: Opcode::EXT1,
        name: "EXT1",
        arg: ArgKind::Uint1,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 2,
        doc: "Extension code.",
    },
    OpcodeInfo {
        code: Opcode::EXT2,
        name: "EXT2",
        arg: ArgKind::Uint2,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 2,
        doc: "Extension code.",
    },
    OpcodeInfo {
        code: Opcode::EXT4,
        name: "EXT4",
        arg: ArgKind::Int4,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 2,
        doc: "Extension code.",
    },
    OpcodeInfo {
        code: Opcode::GLOBAL,
        name: "GLOBAL",
        arg: ArgKind::StringnlNoescapePair,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Push a global object (module.attr) on the stack.",
    },
    OpcodeInfo {
        code: Opcode::STACK_GLOBAL,
        name: "STACK_GLOBAL",
        arg: ArgKind::None,
        stack_before: &[StackKind::STR, StackKind::STR],
        stack_after: &[StackKind::ANY],
        proto: 4,
        doc: "Push a global object (module.attr) on the stack.",
    },
    OpcodeInfo {
        code: Opcode::REDUCE,
        name: "REDUCE",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Push an object built from a callable and an argument tuple.",
    },
    OpcodeInfo {
        code: Opcode::BUILD,
        name: "BUILD",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Finish building an object, via __setstate__ or dict update.",
    },
    OpcodeInfo {
        code: Opcode::INST,
        name: "INST",
        arg: ArgKind::StringnlNoescapePair,
        stack_before: &[StackKind::MARK, StackKind::STACKSLICE],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Build a class instance.",
    },
    OpcodeInfo {
        code: Opcode::OBJ,
        name: "OBJ",
        arg: ArgKind::None,
        stack_before: &[StackKind::MARK, StackKind::ANY, StackKind::STACKSLICE],
        stack_after: &[StackKind::ANY],
        proto: 1,
        doc: "Build a class instance.",
    },
    OpcodeInfo {
        code: Opcode::NEWOBJ,
        name: "NEWOBJ",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 2,
        doc: "Build an object instance.",
    },
    OpcodeInfo {
        code: Opcode::NEWOBJ_EX,
        name: "NEWOBJ_EX",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY, StackKind::ANY, StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 4,
        doc: "Build an object instance.",
    },
    OpcodeInfo {
        code: Opcode::PROTO,
        name: "PROTO",
        arg: ArgKind::Uint1,
        stack_before: &[],
        stack_after: &[],
        proto: 2,
        doc: "Protocol version indicator.",
    },
    OpcodeInfo {
        code: Opcode::STOP,
        name: "STOP",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[],
        proto: 0,
        doc: "Stop the unpickling machine.",
    },
    OpcodeInfo {
        code: Opcode::FRAME,
        name: "FRAME",
        arg: ArgKind::Uint8,
        stack_before: &[],
        stack_after: &[],
        proto: 4,
        doc: "Indicate the beginning of a new frame.",
    },
    OpcodeInfo {
        code: Opcode::PERSID,
        name: "PERSID",
        arg: ArgKind::StringnlNoescape,
        stack_before: &[],
        stack_after: &[StackKind::ANY],
        proto: 0,
        doc: "Push an object identified by a persistent ID.",
    },
    OpcodeInfo {
        code: Opcode::BINPERSID,
        name: "BINPERSID",
        arg: ArgKind::None,
        stack_before: &[StackKind::ANY],
        stack_after: &[StackKind::ANY],
        proto: 1,
        doc: "Push an object identified by a persistent ID.",
    },
];

const NOT_AN_OPCODE: u8 = u8::MAX;

/// Maps an opcode byte to its position in [`OPCODES`], so lookup is one load.
static INDEX: [u8; 256] = {
    let mut index = [NOT_AN_OPCODE; 256];
    let mut idx = 0;
    while idx < OPCODES.len() {
        index[OPCODES[idx].code.0 as usize] = idx as u8;
        idx += 1;
    }
    index
};

/// The argument kind of each opcode byte, so the lexer's dispatch is one load.
static ARG_KINDS: [Option<ArgKind>; 256] = {
    let mut kinds = [None; 256];
    let mut idx = 0;
    while idx < OPCODES.len() {
        kinds[OPCODES[idx].code.0 as usize] = Some(OPCODES[idx].arg);
        idx += 1;
    }
    kinds
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_opcode_is_found_by_its_byte() {
        for info in &OPCODES {
            assert_eq!(info.code.info(), Some(info));
        }
        let known = (0..=255u8).filter(|&b| Opcode(b).info().is_some()).count();
        assert_eq!(known, 68);
    }

    #[test]
    fn display_names_known_and_unknown_bytes() {
        assert_eq!(Opcode::BININT1.to_string(), "BININT1");
        assert_eq!(Opcode(0xff).to_string(), "unknown opcode 0xff");
        assert_eq!(Opcode(b'.'), Opcode::STOP);
    }
}
