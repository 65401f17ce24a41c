//! Interpreting the fixture corpus.

use brine_value::StringEncoding;
use brine_vm::Options;

use std::collections::BTreeMap;

use brine_interpret::natural::{Interpreted, interpret};
use brine_testdata::Fixture;

use crate::show::show;

/// The options a Python user would pass for these fixtures: latin1 for Python 2 strings and
/// the codes `brine_fixtures` registers with `copyreg.add_extension`.
pub fn fixture_options() -> Options {
    let mut options = Options::default();
    options.encoding = StringEncoding::Latin1;
    for (code, module, name) in brine_testdata::EXTENSION_CODES {
        options
            .extensions
            .add(code, module, name)
            .expect("distinct codes");
    }
    options
}

/// Where a group of fixtures of one object genuinely cannot be equal, the fixtures are split
/// into subgroups, each compared within itself. The reasons, one per object:
fn subgroup(fixture: &Fixture) -> &'static str {
    match fixture.object.as_str() {
        // `datetime.__reduce_ex__` packs `fold` into the month byte only at protocol 4 and
        // above; below, the pickle holds the wall time without it (Python loads fold=0).
        "datetime_fold" if fixture.protocol < 4 => "fold dropped below protocol 4",
        // `copyreg._reduce_ex` (protocols 0 and 1) ignores `__getnewargs__` and
        // `__getnewargs_ex__`: the instance is made without the arguments that protocol 2
        // and above pass to `__new__`.
        "class_getnewargs" | "class_getnewargs_ex" if fixture.protocol < 2 => {
            "no __new__ arguments below protocol 2"
        }
        // Python 2's UTF-8 encoder (BINUNICODE, protocols 1 and 2) joins a surrogate pair
        // into the one astral character; its raw-unicode-escape (protocol 0) and every
        // Python 3 keep the two code points.
        "str_surrogate_pair" if fixture.producer == "py27" && fixture.protocol >= 1 => {
            "python 2 joined the pair"
        }
        _ => "",
    }
}

/// Every fixture of one object, at every protocol, from every producer (and pickletools'
/// optimized variants), interprets to equal graphs.
#[test]
fn every_producer_and_protocol_agree_after_interpretation() {
    let options = fixture_options();
    let mut groups: BTreeMap<(String, &'static str), Vec<(String, Interpreted)>> = BTreeMap::new();
    for fixture in brine_testdata::all() {
        let graph = brine_vm::from_slice(&fixture.bytes(), &options)
            .unwrap_or_else(|err| panic!("{}: {err}", fixture.name()));
        let key = (fixture.object.clone(), subgroup(&fixture));
        groups
            .entry(key)
            .or_default()
            .push((fixture.name(), interpret(&graph)));
    }
    let mut comparisons = 0u64;
    let mut failures = Vec::new();
    for ((object, subgroup), members) in &groups {
        for (idx, (name_a, a)) in members.iter().enumerate() {
            for (name_b, b) in &members[idx + 1..] {
                comparisons += 1;
                if a != b {
                    failures.push(format!(
                        "{object} {subgroup}: {name_a} != {name_b}\n  {}\n  {}",
                        truncate(&show(a)),
                        truncate(&show(b))
                    ));
                }
            }
        }
    }
    let n_objects = groups
        .keys()
        .map(|(object, _)| object)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    println!(
        "{} groups ({n_objects} objects), {comparisons} comparisons, {} unequal",
        groups.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} pairs differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}
