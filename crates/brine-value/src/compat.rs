//! Python 2 ⇄ 3 name compatibility: the `fix_imports` mappings of CPython's `_compat_pickle`.
//!
//! A Python 2 pickle names `__builtin__.set` or `copy_reg._reconstructor`; Python 3 calls them
//! `builtins.set` and `copyreg._reconstructor`. Unpicklers map names this way when the pickle's
//! protocol is below 3, and picklers map them back when writing protocols 0 to 2.

mod tables;

/// A (module, name) pair.
type NamePair = (&'static str, &'static str);

/// The Python 3 name for a global a Python 2 pickle names, as CPython's unpickler finds it:
/// the (module, name) table first, then the module table.
///
/// A `__builtin__` name that Python 3's `builtins` does not have stays as it is. CPython maps
/// it and then fails to find it (`pickle.loads(b"c__builtin__\n__main__\n.")` raises
/// AttributeError), so only a loader's own `find_class`, which sees the name before the
/// mapping, resolves it: dill's `__builtin__.__main__`, the `__main__` module's dict. Written
/// at protocol 3 or higher, the name must stay the one that loader knows.
///
/// # Example
///
/// ```
/// use brine_value::compat::py2_to_py3;
/// assert_eq!(py2_to_py3("__builtin__", "unicode"), ("builtins", "str"));
/// assert_eq!(py2_to_py3("__builtin__", "set"), ("builtins", "set"));
/// assert_eq!(py2_to_py3("__builtin__", "__main__"), ("__builtin__", "__main__"));
/// assert_eq!(py2_to_py3("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor"));
/// assert_eq!(py2_to_py3("mymodule", "Thing"), ("mymodule", "Thing"));
/// ```
pub fn py2_to_py3<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    let mapped = map_name(&tables::NAME_MAPPING, &tables::IMPORT_MAPPING, module, name);
    let builtin = mapped.0 == "builtins" && module == "__builtin__";
    if builtin && tables::BUILTINS.binary_search(&mapped.1).is_err() {
        return (module, name);
    }
    mapped
}

/// The Python 2 name for a Python 3 global, as CPython's pickler writes it at protocols 0-2.
///
/// # Example
///
/// ```
/// use brine_value::compat::py3_to_py2;
/// assert_eq!(py3_to_py2("builtins", "set"), ("__builtin__", "set"));
/// assert_eq!(py3_to_py2("builtins", "str"), ("__builtin__", "unicode"));
/// ```
pub fn py3_to_py2<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    map_name(
        &tables::REVERSE_NAME_MAPPING,
        &tables::REVERSE_IMPORT_MAPPING,
        module,
        name,
    )
}

fn map_name<'a>(
    names: &'static [(NamePair, NamePair)],
    modules: &'static [(&'static str, &'static str)],
    module: &'a str,
    name: &'a str,
) -> (&'a str, &'a str) {
    if let Ok(idx) = names.binary_search_by(|((m, n), _)| (*m, *n).cmp(&(module, name))) {
        return names[idx].1;
    }
    match modules.binary_search_by(|(m, _)| (*m).cmp(module)) {
        Ok(idx) => (modules[idx].1, name),
        Err(_) => (module, name),
    }
}
