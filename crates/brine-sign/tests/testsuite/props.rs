//! Property tests: any payload and context round-trip, any single-byte change is refused, and no
//! input makes a verifier panic.

use proptest::prelude::*;

use brine_sign::{Algorithm, Keyring, MAGIC};

use crate::{T0, key, sign_opts, verify_all_ways, verify_opts};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::HmacSha256), Just(Algorithm::HmacSha512)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(
        algorithm in algorithm(),
        payload in proptest::collection::vec(any::<u8>(), 0..2048),
        context in proptest::option::of("[a-z/-]{1,40}"),
        issued_at in any::<bool>(),
    ) {
        let key = key("prop", algorithm, 9);
        let mut opts = sign_opts(context.as_deref());
        opts.issued_at = issued_at;
        let envelope = brine_sign::sign(&key, &opts, &payload).unwrap();
        let ring = Keyring::new(key);
        prop_assert_eq!(verify_all_ways(&ring, &verify_opts(context.as_deref(), T0), &envelope).unwrap(), payload);
    }

    #[test]
    fn any_byte_change_is_refused(
        algorithm in algorithm(),
        payload in proptest::collection::vec(any::<u8>(), 0..256),
        position in any::<prop::sample::Index>(),
        mask in 1..=255u8,
    ) {
        let key = key("prop", algorithm, 9);
        let mut envelope = brine_sign::sign(&key, &sign_opts(Some("ctx")), &payload).unwrap();
        let idx = position.index(envelope.len());
        envelope[idx] ^= mask;
        prop_assert!(verify_all_ways(&Keyring::new(key), &verify_opts(Some("ctx"), T0), &envelope).is_err());
    }

    #[test]
    fn arbitrary_input_never_panics(
        tail in proptest::collection::vec(any::<u8>(), 0..300),
        with_magic in any::<bool>(),
    ) {
        let input = if with_magic { [&MAGIC[..], &[1, 1], &tail[..]].concat() } else { tail };
        let ring = Keyring::new(key("prop", Algorithm::HmacSha256, 9));
        prop_assert!(verify_all_ways(&ring, &verify_opts(None, T0), &input).is_err());
    }
}
