//! Parsing a typical ACS user token: header, ~10 claims, signature.
//!
//! `access_token_from_str` is what every credential does for every new token; the others show
//! the cost of reading all claims and, for comparison, of jsonwebtoken's unverified decode.

use acs_token::test_util::TokenBuilder;
use acs_token::{AccessToken, TokenClaims};
use divan::{Bencher, black_box};
use time::OffsetDateTime;

fn main() {
    divan::main();
}

fn typical_token() -> String {
    let issued_at = OffsetDateTime::from_unix_timestamp(1_764_000_000).expect("valid instant");
    TokenBuilder::acs_user(issued_at, std::time::Duration::from_secs(24 * 3600))
        .claim("nbf", 1_764_000_000)
        .claim("ver", "1.0")
        .build()
}

#[divan::bench(sample_count = 200, sample_size = 64)]
fn access_token_from_str(bencher: Bencher<'_, '_>) {
    let token = typical_token();
    bencher.bench(|| {
        black_box(token.as_str())
            .parse::<AccessToken>()
            .expect("valid token")
    });
}

#[divan::bench(sample_count = 200, sample_size = 64)]
fn token_claims_decode(bencher: Bencher<'_, '_>) {
    let token = typical_token();
    bencher.bench(|| TokenClaims::decode(black_box(token.as_str())).expect("valid token"));
}

#[divan::bench(sample_count = 200, sample_size = 64)]
fn jsonwebtoken_insecure_decode(bencher: Bencher<'_, '_>) {
    #[derive(serde::Deserialize)]
    struct Exp {
        #[allow(dead_code)]
        exp: f64,
    }
    let token = typical_token();
    bencher.bench(|| {
        jsonwebtoken::dangerous::insecure_decode::<Exp>(black_box(token.as_str()))
            .expect("valid token")
    });
}
