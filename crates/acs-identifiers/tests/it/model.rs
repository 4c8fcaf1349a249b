//! The wire model (`CommunicationIdentifierModel`): serializer output, deserializer rules and errors.

use acs_identifiers::{
    CommunicationCloudEnvironment as Cloud, CommunicationIdentifier as Id,
    CommunicationIdentifierKind as Kind, CommunicationIdentifierModel as Model,
    CommunicationIdentifierModelKind as ModelKind, IdentifierError, MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier,
};
use serde_json::{Value, json};

fn to_json(id: &Id) -> Value {
    serde_json::to_value(id).unwrap()
}

fn from_json(value: Value) -> Result<Id, IdentifierError> {
    let model: Model = serde_json::from_value(value.clone()).unwrap();
    let converted = Id::try_from(model);
    // The `Deserialize` impl agrees with the model conversion.
    match (&converted, serde_json::from_value::<Id>(value)) {
        (Ok(expected), Ok(actual)) => assert_eq!(&actual, expected),
        (Err(expected), Err(actual)) => assert_eq!(actual.to_string(), expected.to_string()),
        (expected, actual) => panic!("model gave {expected:?}, Deserialize gave {actual:?}"),
    }
    converted
}

#[test]
fn serializer_writes_kind_raw_id_and_defaults() {
    let cases = [
        (
            "8:acs:r_u",
            json!({"kind": "communicationUser", "rawId": "8:acs:r_u", "communicationUser": {"id": "8:acs:r_u"}}),
        ),
        (
            "4:+1425",
            json!({"kind": "phoneNumber", "rawId": "4:+1425", "phoneNumber": {"value": "+1425", "isAnonymous": false}}),
        ),
        (
            "4:anonymous",
            json!({"kind": "phoneNumber", "rawId": "4:anonymous", "phoneNumber": {"value": "anonymous", "isAnonymous": true}}),
        ),
        (
            "4:+1425_x",
            json!({"kind": "phoneNumber", "rawId": "4:+1425_x", "phoneNumber": {"value": "+1425_x", "isAnonymous": false, "assertedId": "x"}}),
        ),
        (
            "8:orgid:t",
            json!({"kind": "microsoftTeamsUser", "rawId": "8:orgid:t", "microsoftTeamsUser": {"userId": "t", "isAnonymous": false, "cloud": "public"}}),
        ),
        (
            "8:gcch:t",
            json!({"kind": "microsoftTeamsUser", "rawId": "8:gcch:t", "microsoftTeamsUser": {"userId": "t", "isAnonymous": false, "cloud": "gcch"}}),
        ),
        (
            "28:dod:a",
            json!({"kind": "microsoftTeamsApp", "rawId": "28:dod:a", "microsoftTeamsApp": {"appId": "a", "cloud": "dod"}}),
        ),
        (
            "8:acs:r_t_u",
            json!({"kind": "teamsExtensionUser", "rawId": "8:acs:r_t_u", "teamsExtensionUser": {"userId": "u", "tenantId": "t", "resourceId": "r", "cloud": "public"}}),
        ),
        ("48:x", json!({"kind": "unknown", "rawId": "48:x"})),
        ("", json!({"kind": "unknown", "rawId": ""})),
    ];
    for (raw, expected) in cases {
        let id = Id::from_raw_id(raw);
        assert_eq!(to_json(&id), expected, "serializing {raw:?}");
        assert_eq!(from_json(expected).unwrap(), id, "deserializing {raw:?}");
    }
}

#[test]
fn deserializer_honours_explicit_raw_ids() {
    let id = from_json(
        json!({"kind": "phoneNumber", "rawId": "4:+1425_sip", "phoneNumber": {"value": "+1425"}}),
    )
    .unwrap();
    let Id::PhoneNumber(phone) = &id else {
        panic!()
    };
    assert_eq!(
        (phone.raw_id(), phone.phone_number(), phone.asserted_id()),
        ("4:+1425_sip", "+1425", Some("sip"))
    );
    assert_eq!(
        id,
        PhoneNumberIdentifier::new("+1425")
            .unwrap()
            .with_raw_id("4:+1425_sip")
            .into()
    );

    let id = from_json(json!({"rawId": "custom", "microsoftTeamsUser": {"userId": "t", "isAnonymous": true, "cloud": "dod"}})).unwrap();
    let Id::MicrosoftTeamsUser(user) = &id else {
        panic!()
    };
    assert_eq!(
        (
            user.raw_id(),
            user.user_id(),
            user.is_anonymous(),
            user.cloud()
        ),
        ("custom", "t", true, &Cloud::Dod)
    );

    // Without rawId, it is computed; missing optional properties take the defaults.
    let id = from_json(json!({"microsoftTeamsUser": {"userId": "t"}})).unwrap();
    assert_eq!(id, MicrosoftTeamsUserIdentifier::new("t").unwrap().into());
    let id = from_json(json!({"microsoftTeamsApp": {"appId": "a", "cloud": "gcch"}})).unwrap();
    assert_eq!(id.raw_id(), "28:gcch:a");
    let id = from_json(json!({"teamsExtensionUser": {"userId": "u", "tenantId": "t", "resourceId": "r", "cloud": "gcch"}})).unwrap();
    assert_eq!(id.raw_id(), "8:gcch-acs:r_t_u");
    // The user id of a communication user is its raw ID whatever rawId says, as in the SDKs.
    let id =
        from_json(json!({"rawId": "ignored", "communicationUser": {"id": "8:acs:x"}})).unwrap();
    assert_eq!(id.raw_id(), "8:acs:x");
}

#[test]
fn kind_without_its_nested_model_is_unknown() {
    for kind in [
        "communicationUser",
        "phoneNumber",
        "microsoftTeamsUser",
        "microsoftTeamsApp",
        "teamsExtensionUser",
        "unknown",
    ] {
        let id = from_json(json!({"kind": kind, "rawId": "8:acs:x"})).unwrap();
        assert_eq!(id.kind(), Kind::Unknown, "{kind}");
        assert_eq!(id.raw_id(), "8:acs:x");
        let error = from_json(json!({"kind": kind})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Property rawId is required for identifier of type unknown."
        );
    }
    // A kind that does not match the nested model present also falls back to unknown.
    let id = from_json(
        json!({"kind": "communicationUser", "rawId": "4:+1", "phoneNumber": {"value": "+1"}}),
    )
    .unwrap();
    assert_eq!(id.kind(), Kind::Unknown);
    // Nothing at all.
    assert_eq!(
        from_json(json!({})).unwrap_err(),
        IdentifierError::MissingProperty {
            property: "rawId",
            kind: Kind::Unknown
        }
    );
}

#[test]
fn newer_kinds_clouds_and_extra_properties_are_tolerated() {
    let id = from_json(json!({"kind": "teamsPhoneResourceAccount", "rawId": "99:x", "teamsPhoneResourceAccount": {"id": 1}})).unwrap();
    assert_eq!((id.kind(), id.raw_id()), (Kind::Unknown, "99:x"));

    let id = from_json(json!({"kind": "microsoftTeamsUser", "rawId": "8:orgid:t", "microsoftTeamsUser": {"userId": "t", "cloud": "usnat", "future": true}, "extra": [1, 2]})).unwrap();
    let Id::MicrosoftTeamsUser(user) = &id else {
        panic!()
    };
    assert_eq!(user.cloud(), &Cloud::Other("usnat".into()));
    assert_eq!(to_json(&id)["microsoftTeamsUser"]["cloud"], "usnat");

    // Known values are matched without regard to case and written canonically.
    let model: Model =
        serde_json::from_value(json!({"kind": "PhoneNumber", "phoneNumber": {"value": "+1"}}))
            .unwrap();
    assert_eq!(model.kind, Some(ModelKind::PhoneNumber));
    assert_eq!(ModelKind::from("futureKind").to_string(), "futureKind");
    assert_eq!(ModelKind::from("futureKind").known(), None);
    assert_eq!(Id::try_from(model).unwrap().raw_id(), "4:+1");
}

#[test]
fn at_most_one_nested_model() {
    let error = from_json(json!({
        "rawId": "x",
        "communicationUser": {"id": "a"},
        "microsoftTeamsUser": {"userId": "b"},
        "teamsExtensionUser": {"userId": "u", "tenantId": "t", "resourceId": "r"}
    }))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Only one of the properties in [communicationUser, microsoftTeamsUser, teamsExtensionUser] should be present."
    );
    let error = from_json(json!({"kind": "phoneNumber", "phoneNumber": {"value": "+1"}, "microsoftTeamsApp": {"appId": "a"}})).unwrap_err();
    assert_eq!(
        error,
        IdentifierError::MultipleNestedModels {
            present: vec!["phoneNumber", "microsoftTeamsApp"]
        }
    );
}

#[test]
fn missing_required_properties() {
    let cases = [
        (
            json!({"kind": "communicationUser", "communicationUser": {}}),
            "id",
            Kind::CommunicationUser,
        ),
        (
            json!({"communicationUser": {}}),
            "id",
            Kind::CommunicationUser,
        ),
        (
            json!({"kind": "phoneNumber", "rawId": "4:+1", "phoneNumber": {"isAnonymous": false}}),
            "value",
            Kind::PhoneNumber,
        ),
        (
            json!({"kind": "microsoftTeamsUser", "microsoftTeamsUser": {"cloud": "public"}}),
            "userId",
            Kind::MicrosoftTeamsUser,
        ),
        (
            json!({"kind": "microsoftTeamsApp", "microsoftTeamsApp": {"cloud": "public"}}),
            "appId",
            Kind::MicrosoftTeamsApp,
        ),
        (
            json!({"teamsExtensionUser": {"tenantId": "t", "resourceId": "r"}}),
            "userId",
            Kind::TeamsExtensionUser,
        ),
        (
            json!({"teamsExtensionUser": {"userId": "u", "resourceId": "r"}}),
            "tenantId",
            Kind::TeamsExtensionUser,
        ),
        (
            json!({"teamsExtensionUser": {"userId": "u", "tenantId": "t"}}),
            "resourceId",
            Kind::TeamsExtensionUser,
        ),
        (json!({"kind": "unknown"}), "rawId", Kind::Unknown),
        (
            json!({"phoneNumber": {"value": null}}),
            "value",
            Kind::PhoneNumber,
        ),
    ];
    for (value, property, kind) in cases {
        let error = from_json(value.clone()).unwrap_err();
        assert_eq!(
            error,
            IdentifierError::MissingProperty { property, kind },
            "{value}"
        );
        assert_eq!(
            error.to_string(),
            format!("Property {property} is required for identifier of type {kind}.")
        );
    }
}

#[test]
fn wrong_json_types_are_errors_not_panics() {
    for value in [
        json!(null),
        json!(1),
        json!("8:acs:x"),
        json!([]),
        json!({"kind": 5}),
        json!({"rawId": true}),
        json!({"phoneNumber": "x"}),
    ] {
        assert!(
            serde_json::from_value::<Id>(value.clone()).is_err(),
            "{value}"
        );
    }
}

#[test]
fn identifiers_inside_larger_messages() {
    #[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Message {
        sender_communication_identifier: Id,
        content: String,
    }
    let text = r#"{"senderCommunicationIdentifier":{"rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}},"content":"hi"}"#;
    let message: Message = serde_json::from_str(text).unwrap();
    assert_eq!(
        message.sender_communication_identifier,
        Id::from_raw_id("8:acs:r_u")
    );
    let again: Message = serde_json::from_str(&serde_json::to_string(&message).unwrap()).unwrap();
    assert_eq!(again, message);
}

/// Every raw-ID test vector the ACS SDKs share survives the wire model, and the model's fields are the
/// parsed parts (including the phone numbers' derived `isAnonymous` and `assertedId`).
#[test]
fn every_reference_vector_round_trips_through_the_model() {
    const R: &str = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd";
    const T: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
    const U: &str = "207ffef6-9444-41fb-92ab-20eacaae2768";
    const A: &str = "01234567-89ab-cdef-0123-456789abcdef";
    let raw_ids = [
        format!("8:acs:{R}_{T}"),
        format!("8:spool:{R}_{T}"),
        format!("8:dod-acs:{R}_{T}"),
        format!("8:gcch-acs:{R}_{T}"),
        "8:acs:something".to_owned(),
        format!("8:acs:{R}_{T}_{U}"),
        format!("8:dod-acs:{R}_{T}_{U}"),
        format!("8:gcch-acs:{R}_{T}_{U}"),
        format!("8:orgid:{T}"),
        format!("8:dod:{T}"),
        format!("8:gcch:{T}"),
        format!("8:teamsvisitor:{T}"),
        "8:orgid:legacyFormat".to_owned(),
        "4:112345556789".to_owned(),
        "4:+112345556789".to_owned(),
        format!("4:{U}"),
        format!("4:{U}_{U}"),
        format!("4:+112345556789_{U}_123"),
        "4:_123".to_owned(),
        format!("4:{U}_"),
        "4:anonymous".to_owned(),
        "4:anonymous_123".to_owned(),
        "4:_anonymous".to_owned(),
        format!("28:orgid:{A}"),
        format!("28:gcch:{A}"),
        format!("28:dod:{A}"),
        format!("28:{T}"),
        format!("28:gcch-global:{A}"),
        format!("28:dod-global:{A}"),
        format!("28:ag08-global:{A}"),
        format!("48:{T}"),
        format!("8:gcch-acs:segment4:{R}_{T}"),
        String::new(),
    ];
    for raw in &raw_ids {
        let id = Id::from_raw_id(raw);
        let json = to_json(&id);
        assert_eq!(json["rawId"], raw.as_str());
        assert_eq!(json["kind"], id.kind().as_str());
        match &id {
            Id::PhoneNumber(phone) => {
                let nested = &json["phoneNumber"];
                assert_eq!(nested["value"], phone.phone_number());
                assert_eq!(nested["isAnonymous"], phone.is_anonymous());
                assert_eq!(nested["assertedId"].as_str(), phone.asserted_id(), "{raw}");
            }
            Id::MicrosoftTeamsUser(user) => {
                let nested = &json["microsoftTeamsUser"];
                assert_eq!(nested["userId"], user.user_id());
                assert_eq!(nested["isAnonymous"], user.is_anonymous());
                assert_eq!(nested["cloud"], user.cloud().as_str());
            }
            Id::TeamsExtensionUser(user) => {
                let nested = &json["teamsExtensionUser"];
                assert_eq!(
                    (
                        &nested["resourceId"],
                        &nested["tenantId"],
                        &nested["userId"]
                    ),
                    (&json!(R), &json!(T), &json!(U))
                );
                assert_eq!(nested["cloud"], user.cloud().as_str());
            }
            _ => {}
        }
        let back = from_json(json.clone()).unwrap();
        assert_eq!(back, id, "{raw}");
        assert_eq!(back.kind(), id.kind());
        assert_eq!(to_json(&back), json);
        // Without `rawId`, the nested model alone gives the same identifier (except for the
        // unknown kind, whose raw ID is all there is).
        if id.kind() != Kind::Unknown {
            let mut without = json.clone();
            without.as_object_mut().unwrap().remove("rawId");
            assert_eq!(from_json(without).unwrap(), id, "{raw} without rawId");
        }
    }
}
