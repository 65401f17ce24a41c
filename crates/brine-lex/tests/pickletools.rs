//! The opcode table against the reference CPython's `pickletools.opcodes`: same opcodes in the
//! same order, with the same bytes, names, argument kinds, stack effects, protocols and
//! one-line descriptions.

use std::process::Command;

use brine_lex::OPCODES;

/// One line per opcode, tab-separated, printed by the reference CPython.
const DUMP: &str = r#"
import pickletools
for op in pickletools.opcodes:
    fields = [
        op.name,
        "%02x" % ord(op.code),
        op.arg.name if op.arg is not None else "none",
        ",".join(s.name for s in op.stack_before),
        ",".join(s.name for s in op.stack_after),
        str(op.proto),
        op.doc.strip().split("\n")[0],
    ]
    print("\t".join(fields))
"#;

#[test]
fn opcode_table_is_cpythons() {
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(reason) => return brine_python::skip(&reason),
    };
    let out = Command::new(&python)
        .args(["-c", DUMP])
        .output()
        .expect("run the reference CPython");
    assert!(
        out.status.success(),
        "pickletools dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = String::from_utf8(out.stdout).expect("pickletools prints UTF-8");
    let expected: Vec<&str> = expected.lines().collect();
    let ours: Vec<String> = OPCODES
        .iter()
        .map(|op| {
            let kinds = |kinds: &[brine_lex::StackKind]| {
                kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
            };
            [
                op.name.to_string(),
                format!("{:02x}", op.code.0),
                op.arg.name().to_string(),
                kinds(op.stack_before),
                kinds(op.stack_after),
                op.proto.to_string(),
                op.doc.to_string(),
            ]
            .join("\t")
        })
        .collect();
    for (i, (ours, theirs)) in ours.iter().zip(&expected).enumerate() {
        assert_eq!(ours, theirs, "opcode #{i} differs from pickletools.opcodes");
    }
    assert_eq!(ours.len(), expected.len(), "number of opcodes");
}
