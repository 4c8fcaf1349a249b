//! Property tests: no input panics, and minted expiries read back exactly.

use acs_token::test_util::TokenBuilder;
use acs_token::{AccessToken, TokenClaims};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// 1000 cases per property. A failing case is saved next to this file, in
/// `properties.proptest-regressions` (proptest's default would put it in
/// `tests/proptest-regressions/`, because `tests/it` has a `main.rs`).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1000,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// The range of `exp` values the library represents: years -9999 through 9999.
const MIN_EXP: i64 = -377_705_116_800;
const MAX_EXP: i64 = 253_402_300_799;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        let _ = input.parse::<AccessToken>();
        let _ = TokenClaims::decode(&input);
    }

    #[test]
    fn dotted_noise_never_panics(parts in proptest::collection::vec("[A-Za-z0-9+/=_-]{0,64}", 0..6)) {
        let input = parts.join(".");
        let _ = input.parse::<AccessToken>();
        let _ = TokenClaims::decode(&input);
    }

    #[test]
    fn byte_noise_in_any_part_never_panics(
        part in 0usize..3,
        noise in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        let jwt = TokenBuilder::new().build();
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        parts[part] = String::from_utf8_lossy(&noise).into_owned();
        let input = parts.join(".");
        let _ = input.parse::<AccessToken>();
        let _ = TokenClaims::decode(&input);
    }

    #[test]
    fn encoded_json_noise_never_panics(json in "[{}\\[\\]\":,0-9a-z. -]{0,48}") {
        let input = format!("e30.{}.c2ln", base64url(json.as_bytes()));
        let _ = input.parse::<AccessToken>();
        let _ = TokenClaims::decode(&input);
    }

    #[test]
    fn minted_integer_exp_reads_back(exp in MIN_EXP..=MAX_EXP) {
        let token: AccessToken = TokenBuilder::new().exp(exp).build().parse().unwrap();
        prop_assert_eq!(token.expires_on().unix_timestamp(), exp);
        prop_assert_eq!(token.expires_on().nanosecond(), 0);
    }

    #[test]
    fn minted_fractional_exp_reads_back_to_the_microsecond(
        seconds in 0i64..4_102_444_800,
        micros in 0u32..1_000_000,
    ) {
        let exp = seconds as f64 + f64::from(micros) / 1e6;
        let token: AccessToken = TokenBuilder::new().exp_fractional(exp).build().parse().unwrap();
        let nanos = token.expires_on().unix_timestamp_nanos();
        let expected = i128::from(seconds) * 1_000_000_000 + i128::from(micros) * 1000;
        // f64 carries ~16 significant digits: at 4e9 s that is well under a microsecond.
        prop_assert!((nanos - expected).abs() < 1000, "{nanos} vs {expected}");
    }
}

/// Unpadded base64url, as in JWTs.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
