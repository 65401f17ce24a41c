//! [`PyInstance`]: an instance of a Python class named at run time.

use serde::{Deserialize, Serialize};

/// An instance of the Python class `module.qualname` whose state is `state`: what
/// `pickle.loads` makes of `cls.__new__(cls)` followed by BUILD with the state.
///
/// Serializing writes the instance as CPython writes one at the chosen protocol (see
/// [`crate::PyClass`]): a `state` that is a struct or a map becomes the instance's `__dict__`; any
/// other state is what `__setstate__` receives; a unit state (or an empty dict) writes no BUILD.
///
/// Deserializing accepts any instance, whichever way it was written (NEWOBJ,
/// `copyreg._reconstructor`, REDUCE of the class, INST and OBJ of Python 2), and reads its class
/// and its state: a `__dict__` (with slots merged) into a struct or map, a namedtuple's items
/// into a tuple or struct. For structs of known classes, [`crate::Options::class`] is simpler:
/// `PyInstance` is for a class chosen at run time, or to learn which class a pickle holds.
///
/// With other serde formats it is a plain struct with the fields `module`, `qualname` and
/// `state`.
///
/// # Example
///
/// ```
/// use brine_serde::PyInstance;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Plain {
///     a: i64,
///     b: String,
/// }
///
/// // pickle.dumps(brine_fixtures.Plain(1, "two"), protocol=4)
/// let pickle = b"\x80\x04\x954\x00\x00\x00\x00\x00\x00\x00\x8c\x0ebrine_fixtures\x94\x8c\x05Plain\
///     \x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94\x8c\x03two\x94ub.";
/// let plain: PyInstance<Plain> = brine_serde::from_slice(pickle, &Default::default())?;
/// assert_eq!((plain.module.as_str(), plain.qualname.as_str()), ("brine_fixtures", "Plain"));
/// assert_eq!(plain.state, Plain { a: 1, b: "two".into() });
///
/// // And back: the same bytes.
/// assert_eq!(brine_serde::to_vec(&plain, &Default::default())?, pickle);
/// # Ok::<(), brine_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename = "$brine_serde::PyInstance")]
pub struct PyInstance<T> {
    /// The class's module, e.g. `brine_fixtures`.
    pub module: String,
    /// The class's qualified name, e.g. `Plain` or `Outer.Inner`.
    pub qualname: String,
    /// The state: the attributes, or what `__setstate__` takes.
    pub state: T,
}

impl<T> PyInstance<T> {
    /// An instance of `module.qualname` with `state`.
    ///
    /// # Example
    ///
    /// ```
    /// let point = brine_serde::PyInstance::new("brine_fixtures", "Point", ());
    /// assert_eq!(point.qualname, "Point");
    /// ```
    pub fn new(module: &str, qualname: &str, state: T) -> PyInstance<T> {
        PyInstance {
            module: module.to_owned(),
            qualname: qualname.to_owned(),
            state,
        }
    }
}
