//! The test vectors of docs/envelope.md, produced by the Python module: Rust signs the same
//! inputs to the same bytes, verifies every vector and refuses every reject with the named error.

use std::collections::HashMap;
use std::time::Duration;

use brine_sign::{Algorithm, Clock, Key, Keyring, SignOptions, VerifyOptions};

use crate::verify_all_ways;

const SPEC: &str = include_str!("../../../../docs/envelope.md");

/// The `key: value` lines of every fenced block tagged `tag`.
fn blocks(tag: &str) -> Vec<HashMap<String, String>> {
    let fence = format!("```{tag}");
    let mut out = Vec::new();
    let mut lines = SPEC.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != fence {
            continue;
        }
        let mut fields = HashMap::new();
        for line in lines.by_ref().take_while(|line| !line.starts_with("```")) {
            let (name, value) = line.split_once(':').expect("a `name: value` line");
            fields.insert(name.trim().to_owned(), value.trim().to_owned());
        }
        out.push(fields);
    }
    out
}

fn hex(text: &str) -> Vec<u8> {
    if text == "(empty)" {
        return Vec::new();
    }
    assert!(text.len() % 2 == 0, "odd hex: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn optional<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str).filter(|v| *v != "-")
}

struct Vector {
    key: Key,
    context: Option<Vec<u8>>,
    issued_at: Option<u64>,
    payload: Vec<u8>,
    envelope: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    blocks("brine-vector")
        .into_iter()
        .map(|f| {
            let algorithm: Algorithm = f["algorithm"].parse().unwrap();
            Vector {
                key: Key::new(hex(&f["key-id"]), &hex(&f["secret"]))
                    .unwrap()
                    .with_algorithm(algorithm),
                context: optional(&f, "context").map(hex),
                issued_at: optional(&f, "issued-at").map(|t| t.parse().unwrap()),
                payload: hex(&f["payload"]),
                envelope: hex(&f["envelope"]),
            }
        })
        .collect()
}

fn verify_options(vector: &Vector) -> VerifyOptions {
    let mut opts =
        VerifyOptions::default().with_clock(Clock::from_unix(vector.issued_at.unwrap_or(0)));
    opts.context = vector.context.clone();
    opts
}

#[test]
fn rust_signs_the_python_vectors_to_the_same_bytes() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 4, "docs/envelope.md should hold 4 vectors");
    for (idx, vector) in vectors.iter().enumerate() {
        let mut opts =
            SignOptions::default().with_clock(Clock::from_unix(vector.issued_at.unwrap_or(0)));
        opts.context = vector.context.clone();
        opts.issued_at = vector.issued_at.is_some();
        let envelope = brine_sign::sign(&vector.key, &opts, &vector.payload).unwrap();
        assert_eq!(envelope, vector.envelope, "vector {}", idx + 1);
        let ring = Keyring::new(vector.key.clone());
        assert_eq!(
            verify_all_ways(&ring, &verify_options(vector), &vector.envelope).unwrap(),
            vector.payload
        );
    }
    // Vector 2's key id is the fingerprint of its secret.
    let second = &vectors[1];
    assert_eq!(
        Key::from_secret(&(0..32).collect::<Vec<u8>>())
            .unwrap()
            .id(),
        second.key.id()
    );
}

#[test]
fn rust_refuses_the_python_rejects_with_the_named_error() {
    let vectors = vectors();
    let rejects = blocks("brine-reject");
    assert!(
        rejects.len() >= 15,
        "docs/envelope.md should hold the reject vectors"
    );
    for fields in rejects {
        let base = &vectors[fields["key-of"].parse::<usize>().unwrap() - 1];
        let mut opts = verify_options(base);
        if fields.contains_key("context") {
            opts.context = optional(&fields, "context").map(hex);
        }
        if let Some(now) = fields.get("now") {
            opts.clock = Clock::from_unix(now.parse().unwrap());
        }
        if let Some(max_age) = fields.get("max-age") {
            opts.max_age = Some(Duration::from_secs(max_age.parse().unwrap()));
        }
        if let Some(min) = fields.get("min-algorithm") {
            opts.min_algorithm = min.parse().unwrap();
        }
        if let Some(max) = fields.get("max-payload-len") {
            opts.max_payload_len = max.parse().unwrap();
        }
        let ring = Keyring::new(base.key.clone());
        let err = verify_all_ways(&ring, &opts, &hex(&fields["envelope"]))
            .expect_err(&format!("reject `{}` was accepted", fields["reject"]));
        assert_eq!(err, fields["expect"], "reject `{}`", fields["reject"]);
    }
}

#[test]
fn the_field_by_field_breakdown_spells_vector_2() {
    let start = SPEC.find("Vector 2, field by field:").unwrap();
    let block = &SPEC[start..];
    let block = &block[block.find("```text").unwrap() + 7..];
    let block = &block[..block.find("```").unwrap()];
    let bytes: Vec<u8> = block
        .lines()
        .flat_map(|line| {
            line.get(..48)
                .unwrap_or(line)
                .split_whitespace()
                .map(hex)
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect();
    assert_eq!(bytes, vectors()[1].envelope);
}
