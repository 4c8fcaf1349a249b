//! Raw IDs parsed and formatted per second over a realistic mix of kinds.
//!
//! The targets and the last figures are in `docs/benchmarks.md`; `parse_owned` is the one with a
//! floor (owned raw-ID parsing).

use acs_identifiers::{
    CommunicationIdentifier, CommunicationIdentifierKind, CommunicationIdentifierRef,
};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

const R: &str = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd";
const T: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
const U: &str = "207ffef6-9444-41fb-92ab-20eacaae2768";
const A: &str = "01234567-89ab-cdef-0123-456789abcdef";

/// 1000 raw IDs: mostly well-formed IDs of every kind, some junk, and a few multi-KiB strings.
fn mix() -> Vec<String> {
    let well_formed = [
        format!("8:acs:{R}_{U}"),
        format!("8:acs:{R}_{T}"),
        format!("8:spool:{R}_{U}"),
        format!("8:gcch-acs:{R}_{U}"),
        format!("8:acs:{R}_{T}_{U}"),
        format!("8:dod-acs:{R}_{T}_{U}"),
        "4:+14255550123".to_owned(),
        format!("4:+14255550123_{U}"),
        "4:anonymous".to_owned(),
        format!("8:orgid:{T}"),
        format!("8:gcch:{T}"),
        format!("8:teamsvisitor:{T}"),
        format!("28:orgid:{A}"),
        format!("28:dod:{A}"),
    ];
    let junk = [
        String::new(),
        format!("28:gcch-global:{A}"),
        format!("48:{T}"),
        format!("8:gcch-acs:segment4:{R}_{T}"),
        "not an id at all".to_owned(),
    ];
    let mut ids = Vec::with_capacity(1000);
    for index in 0..1000 {
        let id = match index % 100 {
            0 => format!("8:acs:{}", "x".repeat(4096)),
            50 => "y".repeat(8192),
            slot if slot % 10 == 9 => junk[slot / 10 % junk.len()].clone(),
            slot => well_formed[slot % well_formed.len()].clone(),
        };
        ids.push(id);
    }
    ids
}

#[divan::bench]
fn parse(bencher: Bencher<'_, '_>) {
    let ids = mix();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in &ids {
            black_box(CommunicationIdentifier::from_raw_id(black_box(id)));
        }
    });
}

/// The borrowed parse: kind and part offsets, no copy.
#[divan::bench]
fn parse_ref(bencher: Bencher<'_, '_>) {
    let ids = mix();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in &ids {
            black_box(CommunicationIdentifierRef::parse(black_box(id)));
        }
    });
}

/// Parsing a `String` the caller already owns (e.g. just deserialized): no copy.
#[divan::bench]
fn parse_owned(bencher: Bencher<'_, '_>) {
    let ids = mix();
    bencher
        .counter(ItemsCount::new(ids.len()))
        .with_inputs(|| ids.clone())
        .bench_local_values(|ids| {
            for id in ids {
                black_box(CommunicationIdentifier::from(id));
            }
        });
}

#[divan::bench]
fn format_raw_id(bencher: Bencher<'_, '_>) {
    let ids: Vec<CommunicationIdentifier> = mix()
        .iter()
        .map(|id| CommunicationIdentifier::from_raw_id(id))
        .collect();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in black_box(&ids) {
            black_box(id.raw_id());
        }
    });
}

/// `to_string()` allocates a copy; listed for comparison with `raw_id()`.
#[divan::bench]
fn format_to_string(bencher: Bencher<'_, '_>) {
    let ids: Vec<CommunicationIdentifier> = mix()
        .iter()
        .map(|id| CommunicationIdentifier::from_raw_id(id))
        .collect();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in black_box(&ids) {
            black_box(id.to_string());
        }
    });
}

/// Classifying without taking ownership: `CommunicationIdentifierKind::of_raw_id`.
#[divan::bench]
fn classify_borrowed(bencher: Bencher<'_, '_>) {
    let ids = mix();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in &ids {
            black_box(CommunicationIdentifierKind::of_raw_id(black_box(id)));
        }
    });
}

/// Baseline: only the copy (allocate, copy, free) that `from_raw_id` must make.
#[divan::bench]
fn baseline_copy(bencher: Bencher<'_, '_>) {
    let ids = mix();
    bencher.counter(ItemsCount::new(ids.len())).bench(|| {
        for id in &ids {
            black_box(black_box(id.as_str()).to_owned());
        }
    });
}
