//! The raw ID test vectors the ACS SDKs share: raw ID -> identifier -> raw ID, construction, equality, hashing.

use std::collections::{HashMap, HashSet};

use acs_identifiers::{
    CommunicationCloudEnvironment as Cloud, CommunicationIdentifier as Id,
    CommunicationIdentifierKind as Kind, CommunicationIdentifierRef as IdRef,
    CommunicationUserIdentifier, IdentifierError, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};

const R: &str = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd";
const T: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
const U: &str = "207ffef6-9444-41fb-92ab-20eacaae2768";
const A: &str = "01234567-89ab-cdef-0123-456789abcdef";

fn parse(raw: &str) -> Id {
    let id = Id::from_raw_id(raw);
    assert_eq!(id.raw_id(), raw, "round trip of {raw:?}");
    assert_eq!(id.to_string(), raw);
    assert_eq!(raw.parse::<Id>().unwrap(), id);
    assert_eq!(Id::from(raw.to_owned()), id);
    assert_eq!(id.clone().into_raw_id(), raw);
    // The borrowed parse agrees, and owns into the same identifier.
    assert_eq!(IdRef::parse(raw), id);
    assert_eq!(IdRef::parse(raw).into_owned(), id);
    id
}

#[test]
fn communication_users() {
    for raw in [
        format!("8:acs:{R}_{T}"),
        format!("8:spool:{R}_{T}"),
        format!("8:dod-acs:{R}_{T}"),
        format!("8:gcch-acs:{R}_{T}"),
        "8:acs:something".to_owned(),
        format!("8:spool:{R}_{T}_{U}"),
    ] {
        let Id::CommunicationUser(user) = parse(&raw) else {
            panic!("{raw} is not a user")
        };
        assert_eq!(user.id(), raw);
        assert_eq!(user.raw_id(), raw);
        assert_eq!(
            Id::from(CommunicationUserIdentifier::new(raw.as_str()).unwrap()),
            parse(&raw)
        );
    }
}

#[test]
fn teams_extension_users() {
    for (prefix, cloud) in [
        ("8:acs:", Cloud::Public),
        ("8:dod-acs:", Cloud::Dod),
        ("8:gcch-acs:", Cloud::Gcch),
    ] {
        let raw = format!("{prefix}{R}_{T}_{U}");
        let id = parse(&raw);
        assert_eq!(id.kind(), Kind::TeamsExtensionUser);
        let Id::TeamsExtensionUser(user) = &id else {
            unreachable!()
        };
        assert_eq!(
            (user.resource_id(), user.tenant_id(), user.user_id()),
            (R, T, U)
        );
        assert_eq!(user.cloud(), &cloud);
        let built = TeamsExtensionUserIdentifier::new(U, T, R)
            .unwrap()
            .with_cloud(cloud);
        assert_eq!(built.raw_id(), raw);
        assert_eq!(Id::from(built), id);
    }
    // Empty segments still split into three parts.
    let Id::TeamsExtensionUser(user) = parse("8:acs:__") else {
        panic!()
    };
    assert_eq!(
        (user.resource_id(), user.tenant_id(), user.user_id()),
        ("", "", "")
    );
    // Four parts is a communication user.
    assert_eq!(
        parse(&format!("8:acs:{R}_{T}_{U}_x")).kind(),
        Kind::CommunicationUser
    );
}

#[test]
fn teams_users() {
    for (raw, user_id, anonymous, cloud) in [
        (format!("8:orgid:{T}"), T, false, Cloud::Public),
        (format!("8:dod:{T}"), T, false, Cloud::Dod),
        (format!("8:gcch:{T}"), T, false, Cloud::Gcch),
        (format!("8:teamsvisitor:{T}"), T, true, Cloud::Public),
        (
            "8:orgid:legacyFormat".to_owned(),
            "legacyFormat",
            false,
            Cloud::Public,
        ),
    ] {
        let id = parse(&raw);
        let Id::MicrosoftTeamsUser(user) = &id else {
            panic!("{raw} is not a Teams user")
        };
        assert_eq!(user.user_id(), user_id);
        assert_eq!(user.is_anonymous(), anonymous);
        assert_eq!(user.cloud(), &cloud);
        let built = MicrosoftTeamsUserIdentifier::new(user_id)
            .unwrap()
            .with_anonymous(anonymous)
            .with_cloud(cloud);
        assert_eq!(built.raw_id(), raw);
        assert_eq!(Id::from(built), id);
    }
}

#[test]
fn teams_apps() {
    for (raw, cloud) in [
        (format!("28:orgid:{A}"), Cloud::Public),
        (format!("28:gcch:{A}"), Cloud::Gcch),
        (format!("28:dod:{A}"), Cloud::Dod),
    ] {
        let id = parse(&raw);
        let Id::MicrosoftTeamsApp(app) = &id else {
            panic!("{raw} is not a Teams app")
        };
        assert_eq!(app.app_id(), A);
        assert_eq!(app.cloud(), &cloud);
        let built = MicrosoftTeamsAppIdentifier::new(A)
            .unwrap()
            .with_cloud(cloud);
        assert_eq!(built.raw_id(), raw);
        assert_eq!(Id::from(built), id);
    }
}

#[test]
fn phone_numbers() {
    let cases: [(String, Option<&str>, bool); 11] = [
        ("4:112345556789".into(), None, false),
        ("4:+112345556789".into(), None, false),
        (format!("4:{U}"), None, false),
        (format!("4:{U}_{U}"), Some(U), false),
        (format!("4:+112345556789_{U}_123"), Some("123"), false),
        ("4:_123".into(), Some("123"), false),
        (format!("4:{U}_"), None, false),
        ("4:anonymous".into(), None, true),
        ("4:anonymous_123".into(), Some("123"), false),
        ("4:_anonymous".into(), Some("anonymous"), false),
        ("4:".into(), None, false),
    ];
    for (raw, asserted, anonymous) in cases {
        let id = parse(&raw);
        let Id::PhoneNumber(phone) = &id else {
            panic!("{raw} is not a phone number")
        };
        assert_eq!(phone.phone_number(), &raw[2..]);
        assert_eq!(phone.asserted_id(), asserted, "asserted id of {raw}");
        assert_eq!(phone.is_anonymous(), anonymous, "anonymity of {raw}");
        if raw.len() > 2 {
            let built = PhoneNumberIdentifier::new(&raw[2..]).unwrap();
            assert_eq!(built.raw_id(), raw);
            assert_eq!(built.asserted_id(), asserted);
            assert_eq!(Id::from(built), id);
        }
    }
    // `4:` wins over the colon rule.
    assert_eq!(parse("4:a:b:c").kind(), Kind::PhoneNumber);
}

#[test]
fn unknowns() {
    for raw in [
        format!("28:{T}"),
        format!("28:gcch-global:{A}"),
        format!("28:dod-global:{A}"),
        format!("28:ag08-global:{A}"),
        format!("48:{T}"),
        format!("8:gcch-acs:segment4:{R}_{T}"),
        String::new(),
        "8:orgid:a:b".to_owned(),
        "8:ORGID:a".to_owned(),
        "4".to_owned(),
        ":".to_owned(),
        "::".to_owned(),
        "8:acs".to_owned(),
        format!("{}:a:b", "x".repeat(40)),
        "8:é:ü".to_owned(),
    ] {
        let id = parse(&raw);
        let Id::Unknown(unknown) = &id else {
            panic!("{raw:?} is not unknown but {:?}", id.kind())
        };
        assert_eq!(unknown.id(), raw);
    }
}

#[test]
fn explicit_raw_id_wins() {
    let phone = PhoneNumberIdentifier::new("+14255550123")
        .unwrap()
        .with_raw_id("4:+14255550123_abc");
    assert_eq!(phone.raw_id(), "4:+14255550123_abc");
    assert_eq!(phone.phone_number(), "+14255550123");
    assert_eq!(phone.asserted_id(), Some("abc"), "derived from the raw ID");

    let other = PhoneNumberIdentifier::new("+1_x")
        .unwrap()
        .with_raw_id("custom");
    assert_eq!(other.raw_id(), "custom");
    assert_eq!(other.asserted_id(), Some("x"), "falls back to the number");

    let user = MicrosoftTeamsUserIdentifier::new(T)
        .unwrap()
        .with_raw_id("raw")
        .with_cloud(Cloud::Gcch);
    assert_eq!(
        user.raw_id(),
        "raw",
        "cloud does not override an explicit raw ID"
    );
    assert_eq!(user.user_id(), T);
    assert_eq!(user.cloud(), &Cloud::Gcch);

    let app = MicrosoftTeamsAppIdentifier::new(A)
        .unwrap()
        .with_raw_id("raw");
    assert_eq!((app.raw_id(), app.app_id()), ("raw", A));

    let ext = TeamsExtensionUserIdentifier::new(U, T, R)
        .unwrap()
        .with_raw_id("raw");
    assert_eq!(
        (
            ext.raw_id(),
            ext.user_id(),
            ext.tenant_id(),
            ext.resource_id()
        ),
        ("raw", U, T, R)
    );

    // An empty explicit raw ID counts as absent; one equal to the computed form changes nothing.
    let same = MicrosoftTeamsUserIdentifier::new(T)
        .unwrap()
        .with_raw_id("");
    assert_eq!(same.raw_id(), format!("8:orgid:{T}"));
    let same = same
        .with_raw_id(format!("8:orgid:{T}"))
        .with_cloud(Cloud::Dod);
    assert_eq!(same.raw_id(), format!("8:dod:{T}"));

    // Equality is by kind and raw ID: same raw ID, different kinds are different.
    let as_user = Id::from(CommunicationUserIdentifier::new("raw").unwrap());
    let as_unknown = Id::from(UnknownIdentifier::new("raw").unwrap());
    assert_ne!(as_user, as_unknown);
    assert_eq!(
        Id::from(app),
        Id::from(
            MicrosoftTeamsAppIdentifier::new("other")
                .unwrap()
                .with_raw_id("raw")
        )
    );
}

#[test]
fn unknown_cloud_uses_public_prefixes() {
    let cloud: Cloud = "usnat".parse().unwrap();
    assert_eq!(cloud, Cloud::Other("usnat".into()));
    assert_eq!(cloud.as_str(), "usnat");
    assert_eq!("GCCH".parse::<Cloud>().unwrap(), Cloud::Gcch);
    assert_eq!(Cloud::Dod.to_string(), "dod");
    let user = MicrosoftTeamsUserIdentifier::new("u")
        .unwrap()
        .with_cloud(cloud.clone());
    assert_eq!(user.raw_id(), "8:orgid:u");
    assert_eq!(user.cloud(), &cloud);
    assert_eq!(
        MicrosoftTeamsAppIdentifier::new("a")
            .unwrap()
            .with_cloud(cloud.clone())
            .raw_id(),
        "28:orgid:a"
    );
    assert_eq!(
        TeamsExtensionUserIdentifier::new("u", "t", "r")
            .unwrap()
            .with_cloud(cloud)
            .raw_id(),
        "8:acs:r_t_u"
    );
}

#[test]
fn constructors_reject_empty_parts() {
    let empty = |result: Result<Id, IdentifierError>| match result {
        Err(IdentifierError::EmptyPart { kind, part }) => (kind, part),
        other => panic!("expected an empty-part error, got {other:?}"),
    };
    assert_eq!(
        empty(CommunicationUserIdentifier::new("").map(Id::from)),
        (Kind::CommunicationUser, "id")
    );
    assert_eq!(
        empty(UnknownIdentifier::new("").map(Id::from)),
        (Kind::Unknown, "id")
    );
    assert_eq!(
        empty(PhoneNumberIdentifier::new("").map(Id::from)),
        (Kind::PhoneNumber, "value")
    );
    assert_eq!(
        empty(MicrosoftTeamsUserIdentifier::new("").map(Id::from)),
        (Kind::MicrosoftTeamsUser, "userId")
    );
    assert_eq!(
        empty(MicrosoftTeamsAppIdentifier::new("").map(Id::from)),
        (Kind::MicrosoftTeamsApp, "appId")
    );
    let kind = Kind::TeamsExtensionUser;
    assert_eq!(
        empty(TeamsExtensionUserIdentifier::new("", "t", "r").map(Id::from)),
        (kind, "userId")
    );
    assert_eq!(
        empty(TeamsExtensionUserIdentifier::new("u", "", "r").map(Id::from)),
        (kind, "tenantId")
    );
    assert_eq!(
        empty(TeamsExtensionUserIdentifier::new("u", "t", "").map(Id::from)),
        (kind, "resourceId")
    );
    assert_eq!(
        PhoneNumberIdentifier::new("").unwrap_err().to_string(),
        "Property value must not be empty for identifier of type phoneNumber."
    );
}

#[test]
fn built_and_parsed_identifiers_share_map_entries() {
    let built: Vec<Id> = vec![
        CommunicationUserIdentifier::new(format!("8:acs:{R}_{U}"))
            .unwrap()
            .into(),
        PhoneNumberIdentifier::new("+14255550123").unwrap().into(),
        MicrosoftTeamsUserIdentifier::new(T)
            .unwrap()
            .with_anonymous(true)
            .into(),
        MicrosoftTeamsAppIdentifier::new(A)
            .unwrap()
            .with_cloud(Cloud::Gcch)
            .into(),
        TeamsExtensionUserIdentifier::new(U, T, R)
            .unwrap()
            .with_cloud(Cloud::Dod)
            .into(),
        UnknownIdentifier::new("48:x").unwrap().into(),
    ];
    let map: HashMap<Id, usize> = built
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    for (index, id) in built.iter().enumerate() {
        let parsed = Id::from_raw_id(id.raw_id());
        assert_eq!(&parsed, id);
        assert_eq!(map.get(&parsed), Some(&index), "lookup of {}", id.raw_id());
    }
    let set: HashSet<Id> = built
        .iter()
        .map(|id| Id::from_raw_id(id.raw_id()))
        .collect();
    assert_eq!(set.len(), built.len());
    assert!(!map.contains_key(&Id::from_raw_id("8:orgid:someone-else")));
}

#[test]
fn debug_shows_parts() {
    let id = Id::from_raw_id(&format!("8:acs:{R}_{T}_{U}"));
    let debug = format!("{id:?}");
    assert!(debug.contains("TeamsExtensionUserIdentifier"), "{debug}");
    assert!(debug.contains(&format!("user_id: \"{U}\"")), "{debug}");
    assert!(debug.contains(&format!("resource_id: \"{R}\"")), "{debug}");
}

#[test]
fn identifiers_are_send_and_sync() {
    fn check<X: Send + Sync + 'static>() {}
    check::<Id>();
    check::<IdRef<'static>>();
    check::<IdentifierError>();
}

#[test]
fn kind_of_raw_id_matches_parsing() {
    for raw in [
        "",
        "4:1",
        "8:acs:a",
        "8:acs:a_b_c",
        "8:spool:x",
        "8:orgid:x",
        "8:teamsvisitor:x",
        "28:dod:x",
        "28:x",
        "8:orgid:a:b",
    ] {
        assert_eq!(Kind::of_raw_id(raw), Id::from_raw_id(raw).kind(), "{raw:?}");
    }
}

/// The known prefixes, whole and cut short, with text that crosses the 16-byte classification
/// window in every alignment: a multi-byte character there must neither panic nor shift a part.
#[test]
fn multi_byte_text_at_the_prefix_window_edge() {
    let prefixes = [
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
    ];
    for prefix in prefixes {
        for fill in ["\u{e9}", "\u{20ac}", "\u{1d11e}", "\u{0}"] {
            for count in 0..18 {
                let text = fill.repeat(count);
                // Whole prefix: the kind of `prefix` + `text`, parts intact.
                let id = parse(&format!("{prefix}{text}"));
                match &id {
                    Id::PhoneNumber(phone) => assert_eq!(phone.phone_number(), text),
                    Id::MicrosoftTeamsUser(user) => assert_eq!(user.user_id(), text),
                    Id::MicrosoftTeamsApp(app) => assert_eq!(app.app_id(), text),
                    Id::CommunicationUser(user) => assert_eq!(user.id(), id.raw_id()),
                    other => panic!("{prefix}{text:?} gave {other:?}"),
                }
                let Id::TeamsExtensionUser(user) = parse(&format!("{prefix}{text}_{text}_{text}"))
                else {
                    if prefix.contains("acs:") {
                        panic!("{prefix}{text:?} x3 is not a Teams extension user");
                    }
                    continue;
                };
                assert_eq!(
                    (user.resource_id(), user.tenant_id(), user.user_id()),
                    (text.as_str(), text.as_str(), text.as_str())
                );
                // Cut short or preceded by the text: no known prefix (the phone prefix aside,
                // which `4` alone is not).
                for cut in 1..prefix.len() {
                    let id = parse(&format!("{}{text}", &prefix[..cut]));
                    assert_eq!(id.kind(), Kind::Unknown, "{:?}", id.raw_id());
                }
                if !text.is_empty() {
                    let id = parse(&format!("{text}{prefix}x"));
                    assert_eq!(id.kind(), Kind::Unknown, "{:?}", id.raw_id());
                }
            }
        }
    }
}

#[test]
fn delimiter_only_and_huge_strings() {
    for count in 0..40 {
        let colons = ":".repeat(count);
        assert_eq!(parse(&colons).kind(), Kind::Unknown, "{count} colons");
        let underscores = "_".repeat(count);
        assert_eq!(parse(&underscores).kind(), Kind::Unknown);
        // After an ACS prefix, exactly two underscores make a Teams extension user.
        let kind = parse(&format!("8:acs:{underscores}")).kind();
        let expected = if count == 2 {
            Kind::TeamsExtensionUser
        } else {
            Kind::CommunicationUser
        };
        assert_eq!(kind, expected, "8:acs: + {count} underscores");
        assert_eq!(parse(&format!("4:{colons}")).kind(), Kind::PhoneNumber);
    }
    let mib = 1 << 20;
    for (raw, kind) in [
        ("x".repeat(mib), Kind::Unknown),
        (
            format!("8:acs:{}", "_".repeat(mib)),
            Kind::CommunicationUser,
        ),
        (
            format!("8:acs:{}", "\u{e9}".repeat(mib)),
            Kind::CommunicationUser,
        ),
        (
            format!("8:acs:a_b_{}", "\u{e9}".repeat(mib)),
            Kind::TeamsExtensionUser,
        ),
        (format!("8:acs:a_b_{}:", "c".repeat(mib)), Kind::Unknown),
        (
            format!("8:orgid:{}", "u".repeat(mib)),
            Kind::MicrosoftTeamsUser,
        ),
        (format!("4:{}", "_".repeat(mib)), Kind::PhoneNumber),
    ] {
        assert_eq!(parse(&raw).kind(), kind, "{}...", &raw[..8]);
    }
}

#[test]
fn a_visitor_has_one_prefix_whatever_the_cloud() {
    for cloud in [Cloud::Public, Cloud::Dod, Cloud::Gcch, Cloud::from("usnat")] {
        let visitor = MicrosoftTeamsUserIdentifier::new(T)
            .unwrap()
            .with_cloud(cloud.clone())
            .with_anonymous(true);
        assert_eq!(visitor.raw_id(), format!("8:teamsvisitor:{T}"), "{cloud}");
        assert_eq!(visitor.cloud(), &cloud);
        assert_eq!(Id::from(visitor.clone()), parse(visitor.raw_id()));
        // And back: no longer anonymous, the cloud's own prefix.
        let member = visitor.with_anonymous(false);
        let expected = match cloud {
            Cloud::Dod => format!("8:dod:{T}"),
            Cloud::Gcch => format!("8:gcch:{T}"),
            _ => format!("8:orgid:{T}"),
        };
        assert_eq!(member.raw_id(), expected);
    }
}
