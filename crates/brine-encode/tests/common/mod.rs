//! What the corpus tests share: the decoder options the fixtures need, and where two pickles
//! first differ.

/// The extension codes CPython's test suite registers, which the fixtures use.
pub fn extensions() -> brine_value::ExtensionRegistry {
    let mut registry = brine_value::ExtensionRegistry::new();
    for (code, module, name) in brine_testdata::EXTENSION_CODES {
        registry.add(code, module, name).expect("distinct codes");
    }
    registry
}

/// Options that decode every fixture: Python 2 `str` as latin1, the extension codes.
pub fn decode_options() -> brine_vm::Options {
    let mut options = brine_vm::Options::default();
    options.encoding = brine_value::StringEncoding::Latin1;
    options.extensions = extensions();
    options
}

/// The pickletools listing of `data`, as far as it goes.
pub fn dis(data: &[u8]) -> String {
    let mut out = Vec::new();
    let _ = brine_lex::dis(data, &mut out, &Default::default());
    String::from_utf8_lossy(&out).into_owned()
}

/// The opcode name of a pickletools line (`   12: q    BINPUT     1`).
fn opcode_of(line: &str) -> &str {
    line.split_whitespace().nth(2).unwrap_or(line)
}

/// The first difference as the opcode pair of the first differing pickletools lines, and
/// the lines themselves.
pub fn first_difference(expected: &[u8], actual: &[u8]) -> (String, String) {
    let (expected, actual) = (dis(expected), dis(actual));
    let found = expected.lines().zip(actual.lines()).find(|(e, a)| e != a);
    match found {
        Some((e, a)) => {
            let class = format!("{} / {}", opcode_of(e), opcode_of(a));
            let e: String = e.chars().take(100).collect();
            let a: String = a.chars().take(100).collect();
            (class, format!("expected {e:?}\n      got {a:?}"))
        }
        None => (
            "prefix".to_owned(),
            "one is a prefix of the other".to_owned(),
        ),
    }
}
