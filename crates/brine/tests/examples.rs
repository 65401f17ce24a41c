//! Runs every example (one per section of the pickle tutorial) and checks what it shows.

use std::path::PathBuf;
use std::process::Command;

/// The examples directory of this build (`target/<profile>/examples`).
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join("examples")
}

fn run(name: &str) -> String {
    let path = examples_dir().join(name);
    let out = Command::new(&path)
        .output()
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("examples print utf-8")
}

#[test]
fn protocols_example_writes_every_protocol() {
    let out = run("protocols");
    for protocol in 0..=5 {
        assert!(out.contains(&format!("protocol {protocol}: ")), "{out}");
    }
    assert!(
        out.contains("GLOBAL     '__builtin__ set'"),
        "protocol 0 writes set() as CPython does"
    );
    assert!(
        out.contains("ADDITEMS"),
        "protocol 4 writes sets with ADDITEMS"
    );
}

#[test]
fn unpicklable_example_shows_the_errors() {
    let out = run("unpicklable");
    assert!(out.contains("a PickleBuffer at protocol 4: error: cannot pickle: PickleBuffer can only be pickled with protocol >= 5"), "{out}");
    assert!(
        out.contains("a PickleBuffer at protocol 5: 24 bytes"),
        "{out}"
    );
    assert!(
        out.contains("a tuple containing itself at protocol 4: error"),
        "{out}"
    );
    assert!(
        out.contains("None at protocol 6: error: pickle protocol must be <= 5"),
        "{out}"
    );
}

#[test]
fn compression_example_prints_both_sizes() {
    let out = run("compression");
    assert!(out.contains("len(my_string)  = 312"), "{out}");
    assert!(out.contains("len(bz2 pickle) = "), "{out}");
    assert!(out.contains("both read back to the same text"), "{out}");
}

#[test]
fn signing_example_refuses_tampering() {
    let out = run("signing");
    assert!(out.contains("verified and loaded: {'a': 1}"), "{out}");
    assert!(out.contains("tampered envelope refused"), "{out}");
    assert!(
        out.contains("envelope for another purpose refused"),
        "{out}"
    );
}

#[test]
fn hostile_example_shows_the_call_without_making_it() {
    let out = run("hostile");
    assert!(
        out.contains("Python's pickle.loads would call: posix.system"),
        "{out}"
    );
    assert!(
        out.contains("global 'posix.system' is forbidden by the find_class policy"),
        "{out}"
    );
}

#[test]
fn pickling_example_gets_an_independent_copy() {
    let out = run("pickling");
    assert!(
        out.contains("This is my pickled object:\nb'\\x80\\x03c__main__\\nexample_class\\n"),
        "{out}"
    );
    assert!(
        out.contains("Some(ADict { first: \"a\", second: 2, third: [1, 2, 3] })"),
        "{out}"
    );
    assert!(out.contains("The original's a_dict is now None"), "{out}");
}

#[test]
fn getstate_example_excludes_and_restores_the_field() {
    let out = run("getstate");
    assert!(
        out.contains("pickled: newobj(<global __main__.foobar>, ()).build({'a': 35, 'b': 'test'})"),
        "{out}"
    );
    assert!(out.contains("a = 35, b = \"test\", c(7) = 49"), "{out}");
}

/// fixtures/containers/torch/legacy.tar holds `linear.weight = arange(6)` as float32 and
/// `steps = [7]` as int64 (its generator's values).
#[cfg(feature = "scan")]
#[test]
fn checkpoint_example_lists_tensors_and_first_values() {
    let out = run("checkpoint");
    assert_eq!(
        out,
        "LegacyTar checkpoint, 3 storages\n\
         model.linear.weight\ttorch.float32\t[2, 3]\t[0.0, 1.0, 2.0, 3.0]\n\
         model.steps\ttorch.int64\t[1]\t[7]\n"
    );
}
