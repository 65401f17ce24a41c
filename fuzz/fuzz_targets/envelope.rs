//! No altered envelope ever verifies, and a verified one always gives back its payload.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    secret: [u8; 32],
    payload: Vec<u8>,
    context: Option<Vec<u8>>,
    /// (position, xor mask) pairs applied to the envelope.
    flips: Vec<(u16, u8)>,
    truncate_to: Option<u16>,
    garbage: Vec<u8>,
}

fuzz_target!(|case: Case| {
    let key = brine_sign::Key::new(b"fuzz".to_vec(), &case.secret).expect("valid key");
    let ring = brine_sign::Keyring::new(key.clone());
    let mut sign_options = brine_sign::SignOptions::default();
    let mut verify_options = brine_sign::VerifyOptions::default();
    if let Some(context) = &case.context {
        sign_options = sign_options.with_context(context.clone());
        verify_options = verify_options.with_context(context.clone());
    }
    let envelope = brine_sign::sign(&key, &sign_options, &case.payload).expect("signing works");
    let verified =
        brine_sign::verify(&ring, &verify_options, &envelope).expect("own envelope verifies");
    assert_eq!(verified.payload(), &case.payload[..]);

    let mut altered = envelope.clone();
    for &(pos, mask) in &case.flips {
        if let Some(byte) = altered.get_mut(usize::from(pos) % envelope.len().max(1)) {
            *byte ^= mask;
        }
    }
    if let Some(len) = case.truncate_to {
        altered.truncate(usize::from(len));
    }
    if altered != envelope {
        assert!(
            brine_sign::verify(&ring, &verify_options, &altered).is_err(),
            "an altered envelope verified"
        );
    }
    let _ = brine_sign::verify(&ring, &verify_options, &case.garbage);
});
