//! The tutorial's advice in "Security Concerns": sign pickles with HMAC so that a tampered one
//! is never loaded. brine's envelope makes it a format (docs/envelope.md) that Python reads
//! too (python/brine_envelope.py), and `load_signed` cannot unpickle unverified bytes.
//!
//! Run with `cargo run -p brine --example signing`.

use brine::sign::{Key, Keyring, SignOptions, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = Key::new(b"2026-11".to_vec(), b"a secret of at least sixteen bytes")?;
    let keyring = Keyring::new(key.clone());

    // pickle.dumps({"a": 1})
    let graph =
        brine::loads(b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")?;
    let options = SignOptions::default().with_context(b"job-queue".to_vec());
    let envelope = brine::dumps_signed(&graph, &key, &options)?;
    println!("signed envelope: {} bytes", envelope.len());

    let verify = VerifyOptions::default().with_context(b"job-queue".to_vec());
    let loaded = brine::load_signed(&keyring, &verify, &envelope)?;
    println!("verified and loaded: {loaded:?}");

    let mut tampered = envelope.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x20;
    match brine::load_signed(&keyring, &verify, &tampered) {
        Ok(_) => println!("tampered envelope loaded (this must never happen)"),
        Err(err) => println!("tampered envelope refused: {err}"),
    }

    let other_purpose = VerifyOptions::default().with_context(b"cache".to_vec());
    match brine::load_signed(&keyring, &other_purpose, &envelope) {
        Ok(_) => println!("envelope accepted for another purpose (this must never happen)"),
        Err(err) => println!("envelope for another purpose refused: {err}"),
    }
    Ok(())
}
