//! Signing throughput. Target: at least 600 000 signs/s for a POST with a 1 KiB body (three
//! times the official JavaScript SDK's ~200 000/s).

use acs_auth::{AccessKey, HmacSigner, HmacVerifier, RequestParts};
use divan::Bencher;
use divan::counter::ItemsCount;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2022-04-13 18:09:12 UTC);
const URI: &str = "https://contoso.communication.azure.com/identities?api-version=2025-06-30";

fn main() {
    divan::main();
}

fn signer() -> HmacSigner {
    // A fake 64-byte key, the size of a real ACS key.
    HmacSigner::new(&AccessKey::from_bytes([0x5a; 64]))
}

fn post_1k() -> http::Request<Vec<u8>> {
    http::Request::post(URI)
        .header("content-type", "application/json")
        .body(vec![b'x'; 1024])
        .unwrap()
}

/// The full job on a fresh request each time: hash the body, format the date, HMAC, build and
/// insert the three headers.
#[divan::bench(sample_count = 500, sample_size = 50)]
fn sign_post_1k_http_request(bencher: Bencher<'_, '_>) {
    let signer = signer();
    let request = post_1k();
    bencher
        .counter(ItemsCount::new(1_usize))
        .with_inputs(|| request.clone())
        .bench_local_refs(|request| signer.sign_at(request, NOW).unwrap());
}

/// Same with the system clock read on every call, as `sign` does.
#[divan::bench(sample_count = 500, sample_size = 50)]
fn sign_post_1k_http_request_system_clock(bencher: Bencher<'_, '_>) {
    let signer = signer();
    let request = post_1k();
    bencher
        .counter(ItemsCount::new(1_usize))
        .with_inputs(|| request.clone())
        .bench_local_refs(|request| signer.sign(request).unwrap());
}

/// The core on plain parts, without a request to update.
#[divan::bench(sample_count = 500, sample_size = 50)]
fn sign_parts_post_1k(bencher: Bencher<'_, '_>) {
    let signer = signer();
    let body = vec![b'x'; 1024];
    let parts = RequestParts {
        method: "POST",
        host: "contoso.communication.azure.com",
        path_and_query: "/identities?api-version=2025-06-30",
        body: &body,
    };
    bencher
        .counter(ItemsCount::new(1_usize))
        .bench(|| signer.sign_parts(divan::black_box(&parts), NOW).unwrap());
}

/// The emulator's side: verifying a signed POST with a 1 KiB body.
#[divan::bench(sample_count = 500, sample_size = 50)]
fn verify_post_1k(bencher: Bencher<'_, '_>) {
    let signer = signer();
    let verifier = HmacVerifier::from(signer.clone());
    let mut request = post_1k();
    signer.sign_at(&mut request, NOW).unwrap();
    bencher
        .counter(ItemsCount::new(1_usize))
        .bench(|| verifier.verify(divan::black_box(&request), NOW).unwrap());
}
