//! Python 2's two integer types, `int` and `long`, where Python 3's one `int` forgets which.
//!
//! Python 2 pickles an `int` (a C long) with the INT family (INT, BININT, BININT1, BININT2)
//! and a `long` with the LONG family (LONG, LONG1, LONG4), whatever the value. Python 3 writes
//! every int within 32 bits with the first and every other int with the second, and that is
//! also what Python 2 reads back from it: an `int` within 32 bits, a `long` beyond. So a graph
//! int has that Python 2 type unless the graph says otherwise, and the graph says otherwise
//! only for the two kinds of value whose Python 2 type is the other one: a `long` within 32
//! bits (`5L`) and an `int` beyond them (`sys.maxint` on a 64-bit build). Those two are kept
//! in the graph's int table ([`crate::Value::BigInt`]) beside the ints outside `i64`, so every
//! reader that takes ints by value sees them as the ints they are, and a graph has one
//! representation per value and type. The encoder writes them back as Python 2 wrote them
//! when it writes as Python 2 does (`brine_encode`'s `Flavour::Py27`), and as Python 3 writes
//! that int otherwise: `pickle.loads` in Python 3 makes an `int` of either.

use num_bigint::BigInt;

use crate::graph::Graph;
use crate::value::Value;

/// A Python 2 integer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Py2Int {
    /// `int`: a C long, 64 bits on the builds that wrote the pickles people keep.
    Int,
    /// `long`: arbitrary precision (`5L`).
    Long,
}

impl Py2Int {
    /// The type Python 2 reads from the way Python 3 writes `value`: `int` within 32 bits
    /// (BININT, INT), `long` beyond (LONG1, LONG).
    ///
    /// ```
    /// use brine_value::Py2Int;
    ///
    /// assert_eq!(Py2Int::of_python3(-(1 << 31)), Py2Int::Int);
    /// assert_eq!(Py2Int::of_python3(1 << 31), Py2Int::Long);
    /// ```
    pub fn of_python3(value: i64) -> Py2Int {
        if i32::try_from(value).is_ok() {
            Py2Int::Int
        } else {
            Py2Int::Long
        }
    }
}

impl Graph {
    /// An int of the Python 2 type `kind`: a [`Value::Int`] where that is the type Python 2
    /// reads from how Python 3 writes the value ([`Py2Int::of_python3`]), else an entry of the
    /// int table, as [`Graph::add_int`] keeps ints outside `i64`. An `int` outside `i64` does
    /// not exist (Python 2 makes a `long` of it) and is kept as the `long` it is.
    ///
    /// # Panics
    ///
    /// When the graph already holds `u32::MAX` big ints.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Graph, Py2Int, Value};
    /// use num_bigint::BigInt;
    ///
    /// let mut graph = Graph::new();
    /// assert_eq!(graph.add_py2_int(BigInt::from(5), Py2Int::Int), Value::Int(5));
    /// let long = graph.add_py2_int(BigInt::from(5), Py2Int::Long);
    /// assert!(matches!(long, Value::BigInt(_)));
    /// assert_eq!(graph.get(&long).as_i64(), Some(5));
    /// assert_eq!(graph.py2_int(&long), Some(Py2Int::Long));
    /// ```
    pub fn add_py2_int(&mut self, value: BigInt, kind: Py2Int) -> Value {
        match i64::try_from(&value) {
            Ok(small) if Py2Int::of_python3(small) != kind => self.push_bigint(value),
            _ => self.add_int(value),
        }
    }

    /// The Python 2 type of an int value (`None` for anything but an int; `bool` is not one
    /// here, as its opcodes are its own from protocol 2). Ints outside `i64` are `long`s.
    ///
    /// ```
    /// use brine_value::{Graph, Py2Int, Value};
    ///
    /// let graph = Graph::new();
    /// assert_eq!(graph.py2_int(&Value::Int(7)), Some(Py2Int::Int));
    /// assert_eq!(graph.py2_int(&Value::Int(1 << 40)), Some(Py2Int::Long));
    /// assert_eq!(graph.py2_int(&Value::Float(7.0)), None);
    /// ```
    pub fn py2_int(&self, value: &Value) -> Option<Py2Int> {
        match *value {
            Value::Int(small) => Some(Py2Int::of_python3(small)),
            Value::BigInt(id) => {
                let big = self.try_bigint(id)?;
                Some(match i64::try_from(big) {
                    // Only a value of the other type is kept in the table within i64.
                    Ok(small) => match Py2Int::of_python3(small) {
                        Py2Int::Int => Py2Int::Long,
                        Py2Int::Long => Py2Int::Int,
                    },
                    Err(_) => Py2Int::Long,
                })
            }
            _ => None,
        }
    }
}
