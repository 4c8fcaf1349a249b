//! Property tests: parsing is total and round-trips; the model conversion never panics and is
//! stable.

use acs_identifiers::{CommunicationIdentifier as Id, CommunicationIdentifierKind as Kind};
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

const PREFIXES: &[&str] = &[
    "4:",
    "8:acs:",
    "8:spool:",
    "8:dod-acs:",
    "8:gcch-acs:",
    "8:orgid:",
    "8:dod:",
    "8:gcch:",
    "8:teamsvisitor:",
    "28:orgid:",
    "28:dod:",
    "28:gcch:",
    "28:",
    "8:",
    "48:",
    "",
];

/// Known prefixes followed by segments that mix `:` and `_` in.
fn prefixed_raw_id() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(PREFIXES),
        proptest::collection::vec("[a-z0-9é+-]{0,6}", 0..5),
        proptest::collection::vec(prop_oneof![Just(':'), Just('_')], 0..5),
    )
        .prop_map(|(prefix, segments, separators)| {
            let mut raw = prefix.to_owned();
            for (index, segment) in segments.iter().enumerate() {
                if index > 0 {
                    raw.push(separators.get(index).copied().unwrap_or('_'));
                }
                raw.push_str(segment);
            }
            raw
        })
}

fn check_round_trip(raw: &str) {
    let id = Id::from_raw_id(raw);
    assert_eq!(id.raw_id(), raw);
    assert_eq!(id.to_string(), raw);
    assert_eq!(Id::from(raw.to_owned()), id);
    // Parsing the formatted form gives an equal identifier of the same kind.
    assert_eq!(Id::from_raw_id(id.raw_id()), id);
    // Parts are consistent with the raw ID.
    match &id {
        Id::PhoneNumber(phone) => assert_eq!(format!("4:{}", phone.phone_number()), raw),
        Id::MicrosoftTeamsUser(user) => assert!(raw.ends_with(user.user_id())),
        Id::MicrosoftTeamsApp(app) => assert!(raw.ends_with(app.app_id())),
        Id::TeamsExtensionUser(user) => assert!(raw.ends_with(&format!(
            "{}_{}_{}",
            user.resource_id(),
            user.tenant_id(),
            user.user_id()
        ))),
        _ => {}
    }
    if id.kind() == Kind::TeamsExtensionUser {
        assert_eq!(raw.matches('_').count(), 2);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_round_trip(raw in any::<String>()) {
        check_round_trip(&raw);
    }

    #[test]
    fn prefixed_strings_round_trip(raw in prefixed_raw_id()) {
        check_round_trip(&raw);
    }

    #[test]
    fn borrowed_parse_agrees_on_arbitrary_strings(raw in any::<String>()) {
        check_borrowed_agrees(&raw);
    }

    #[test]
    fn borrowed_parse_agrees_on_prefixed_strings(raw in prefixed_raw_id()) {
        check_borrowed_agrees(&raw);
    }
}

#[cfg(feature = "serde")]
mod model {
    use super::*;
    use acs_identifiers::CommunicationIdentifierModel as Model;
    use serde_json::{Map, Value};

    const KEYS: &[&str] = &[
        "kind",
        "rawId",
        "communicationUser",
        "phoneNumber",
        "microsoftTeamsUser",
        "microsoftTeamsApp",
        "teamsExtensionUser",
        "id",
        "value",
        "isAnonymous",
        "assertedId",
        "userId",
        "appId",
        "tenantId",
        "resourceId",
        "cloud",
        "extra",
    ];
    const WORDS: &[&str] = &[
        "communicationUser",
        "phoneNumber",
        "microsoftTeamsUser",
        "microsoftTeamsApp",
        "teamsExtensionUser",
        "unknown",
        "public",
        "dod",
        "gcch",
        "8:acs:r_t_u",
        "4:+1",
        "",
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            proptest::sample::select(WORDS).prop_map(Value::from),
            "[a-z:_]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                    |entries| Value::Object(
                        entries
                            .into_iter()
                            .map(|(key, value)| (key.to_owned(), value))
                            .collect::<Map<_, _>>()
                    )
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_json_never_panics(value in json()) {
            let _ = serde_json::from_value::<Id>(value.clone());
            if let Ok(model) = serde_json::from_value::<Model>(value)
                && let Ok(id) = Id::try_from(model)
            {
                // Whatever was accepted is stable from here on.
                let model = Model::from(&id);
                let again = Id::try_from(model.clone()).unwrap();
                prop_assert_eq!(&again, &id);
                prop_assert_eq!(Model::from(&again), model);
            }
        }

        #[test]
        fn model_identifier_model_is_stable(raw in prefixed_raw_id()) {
            let id = Id::from_raw_id(&raw);
            let model = Model::from(&id);
            let back = Id::try_from(model.clone()).unwrap();
            prop_assert_eq!(&back, &id);
            prop_assert_eq!(back.kind(), id.kind());
            prop_assert_eq!(Model::from(&back), model);
            let text = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<Id>(&text).unwrap(), id);
        }
    }
}

/// The borrowed parse agrees with the owned one on kind, parts and raw ID.
fn check_borrowed_agrees(raw: &str) {
    use acs_identifiers::CommunicationIdentifierRef as IdRef;
    let borrowed = IdRef::parse(raw);
    let owned = Id::from_raw_id(raw);
    assert_eq!(borrowed.kind(), owned.kind(), "{raw:?}");
    assert_eq!(borrowed.raw_id(), owned.raw_id());
    assert_eq!(borrowed, owned);
    assert_eq!(borrowed.into_owned(), owned);
    assert_eq!(Id::from(borrowed), owned);
    assert_eq!(borrowed.to_string(), raw);
    let none = (None, None, None, None, None, None, None, None);
    let parts = match &owned {
        Id::CommunicationUser(user) => (Some(user.id()), None, None, None, None, None, None, None),
        Id::Unknown(unknown) => (Some(unknown.id()), None, None, None, None, None, None, None),
        Id::PhoneNumber(phone) => (
            None,
            Some(phone.phone_number()),
            phone.asserted_id(),
            None,
            None,
            None,
            None,
            None,
        ),
        Id::MicrosoftTeamsUser(user) => (
            None,
            None,
            None,
            Some(user.user_id()),
            None,
            None,
            None,
            Some(user.cloud().clone()),
        ),
        Id::MicrosoftTeamsApp(app) => (
            None,
            None,
            None,
            None,
            Some(app.app_id()),
            None,
            None,
            Some(app.cloud().clone()),
        ),
        Id::TeamsExtensionUser(user) => (
            None,
            None,
            None,
            Some(user.user_id()),
            None,
            Some(user.tenant_id()),
            Some(user.resource_id()),
            Some(user.cloud().clone()),
        ),
        _ => none,
    };
    assert_eq!(
        (
            borrowed.id(),
            borrowed.phone_number(),
            borrowed.asserted_id(),
            borrowed.user_id(),
            borrowed.app_id(),
            borrowed.tenant_id(),
            borrowed.resource_id(),
            borrowed.cloud(),
        ),
        parts,
        "{raw:?}"
    );
    let anonymous = match &owned {
        Id::PhoneNumber(phone) => phone.is_anonymous(),
        Id::MicrosoftTeamsUser(user) => user.is_anonymous(),
        _ => false,
    };
    assert_eq!(borrowed.is_anonymous(), anonymous, "{raw:?}");
}
