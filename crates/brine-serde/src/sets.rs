//! [`as_set`] and [`as_frozenset`]: serde has no set type, so a field says it is one. The two
//! modules are one shape with another token, made by one macro.

/// A `#[serde(with = ...)]` module that writes a collection as the Python set kind `$token`
/// names, and reads any sequence.
macro_rules! set_module {
    (
        $(#[$module_doc:meta])*
        $module:ident, $token:path;
        $(#[$serialize_doc:meta])*
        serialize;
        $(#[$deserialize_doc:meta])*
        deserialize;
    ) => {
        $(#[$module_doc])*
        pub mod $module {
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            $(#[$serialize_doc])*
            pub fn serialize<T, E, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
            where
                T: ?Sized,
                for<'a> &'a T: IntoIterator<Item = &'a E>,
                E: Serialize,
                S: Serializer,
            {
                serializer
                    .serialize_newtype_struct($token, &super::Items(value, std::marker::PhantomData))
            }

            $(#[$deserialize_doc])*
            pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
            where
                T: Deserialize<'de>,
                D: Deserializer<'de>,
            {
                T::deserialize(deserializer)
            }
        }
    };
}

set_module! {
    /// A collection written as a Python `set`, for `#[serde(with = "brine_serde::as_set")]` on a
    /// `HashSet`, `BTreeSet`, `Vec` or any collection whose references iterate.
    ///
    /// Serde's data model has no sets: without this, a `HashSet` is written as a list. With other
    /// serde formats the field is still a plain sequence. Reading needs no attribute: a set,
    /// frozenset, list or tuple (and the protocol 0-3 `builtins.set([...])` form) all deserialize
    /// into any sequence type; `deserialize` is here so that `with` works both ways.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeSet;
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// struct Tags {
    ///     #[serde(with = "brine_serde::as_set")]
    ///     tags: BTreeSet<String>,
    /// }
    ///
    /// let tags = Tags { tags: ["a".to_owned(), "b".to_owned()].into() };
    /// let pickle = brine_serde::to_vec(&tags, &Default::default())?;
    /// let graph = brine_vm::from_slice(&pickle, &Default::default()).unwrap();
    /// assert_eq!(format!("{graph:?}"), "{'tags': {'a', 'b'}}");
    /// assert_eq!(brine_serde::from_slice::<Tags>(&pickle, &Default::default())?, tags);
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    as_set, crate::SET_TOKEN;
    /// Writes `value` as a `set`.
    ///
    /// # Errors
    ///
    /// An item Python cannot hash (a list, dict or set), or the serializer's own errors.
    ///
    /// # Example
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Ids(#[serde(with = "brine_serde::as_set")] Vec<u32>);
    ///
    /// // pickle.dumps({1, 2}, protocol=4)
    /// let pickle = brine_serde::to_vec(&Ids(vec![1, 2]), &Default::default())?;
    /// assert_eq!(pickle, b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8f\x94(K\x01K\x02\x90.");
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    serialize;
    /// Reads any sequence: a set, frozenset, list or tuple.
    ///
    /// # Errors
    ///
    /// The deserializer's errors.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::HashSet;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Ids {
    ///     #[serde(with = "brine_serde::as_set")]
    ///     ids: HashSet<u32>,
    /// }
    ///
    /// // pickle.dumps({"ids": [1, 2]}, protocol=2): a list reads as well as a set.
    /// let pickle = b"\x80\x02}q\x00X\x03\x00\x00\x00idsq\x01]q\x02(K\x01K\x02es.";
    /// let ids: Ids = brine_serde::from_slice(pickle, &Default::default())?;
    /// assert_eq!(ids.ids.len(), 2);
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    deserialize;
}

set_module! {
    /// A collection written as a Python `frozenset`, for
    /// `#[serde(with = "brine_serde::as_frozenset")]`: the hashable set, which can be a dict key or
    /// an item of another set.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::{BTreeMap, BTreeSet};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug)]
    /// struct Group(#[serde(with = "brine_serde::as_frozenset")] BTreeSet<i64>);
    ///
    /// let scores = BTreeMap::from([(Group([1, 2].into()), "pair")]);
    /// let pickle = brine_serde::to_vec(&scores, &Default::default())?;
    /// let graph = brine_vm::from_slice(&pickle, &Default::default()).unwrap();
    /// assert_eq!(format!("{graph:?}"), "{frozenset({1, 2}): 'pair'}");
    /// assert_eq!(brine_serde::from_slice::<BTreeMap<Group, String>>(&pickle, &Default::default())?.len(), 1);
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    as_frozenset, crate::FROZENSET_TOKEN;
    /// Writes `value` as a `frozenset`.
    ///
    /// # Errors
    ///
    /// An item Python cannot hash (a list, dict or set), or the serializer's own errors.
    ///
    /// # Example
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Ids(#[serde(with = "brine_serde::as_frozenset")] Vec<u32>);
    ///
    /// // pickle.dumps(frozenset({1, 2}), protocol=4)
    /// let pickle = brine_serde::to_vec(&Ids(vec![1, 2]), &Default::default())?;
    /// assert_eq!(pickle, b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00(K\x01K\x02\x91\x94.");
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    serialize;
    /// Reads any sequence: a set, frozenset, list or tuple.
    ///
    /// # Errors
    ///
    /// The deserializer's errors.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::HashSet;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Ids {
    ///     #[serde(with = "brine_serde::as_frozenset")]
    ///     ids: HashSet<u32>,
    /// }
    ///
    /// // pickle.dumps({"ids": [1, 2]}, protocol=2): a list reads as well as a set.
    /// let pickle = b"\x80\x02}q\x00X\x03\x00\x00\x00idsq\x01]q\x02(K\x01K\x02es.";
    /// let ids: Ids = brine_serde::from_slice(pickle, &Default::default())?;
    /// assert_eq!(ids.ids.len(), 2);
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    deserialize;
}

/// The items of a collection, serialized as a sequence.
struct Items<'a, T: ?Sized, E>(&'a T, std::marker::PhantomData<E>);

impl<T, E> serde::Serialize for Items<'_, T, E>
where
    T: ?Sized,
    for<'a> &'a T: IntoIterator<Item = &'a E>,
    E: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0)
    }
}
