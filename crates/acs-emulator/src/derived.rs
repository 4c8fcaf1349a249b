//! Identities derived from an Entra ID token exchange.
//!
//! The same Entra user always maps to the same identity, and its ID says that it was derived:
//! the emulator can then treat every derived ID as a live identity without remembering it, and
//! stores one only when something about it changes (a revocation, a deletion). Memory then does
//! not grow with the number of distinct bearer tokens sent to the exchange routes.

use crate::jwt;

/// The identity the Entra route gives the user `subject` of `tenant` on `resource`: a GUID
/// that starts `0000002` (as service IDs do), then 13 hex digits hashed from the user, then 12
/// check digits of those, which [`is_derived`] recomputes.
pub(crate) fn entra_user_id(resource: &str, tenant: &str, subject: &str) -> String {
    let user = hex_digits(&jwt::derived_uuid(&["entra", tenant, subject]));
    let hash = &user[..13];
    let hex = format!("0000002{hash}{}", check_digits(hash));
    format!(
        "8:acs:{resource}_{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The identity the Teams extension route gives the user `user` of `tenant` (both canonical
/// GUIDs) on `resource`.
pub(crate) fn teams_extension_user_id(resource: &str, tenant: &str, user: &str) -> String {
    format!("8:acs:{resource}_{tenant}_{user}")
}

/// Whether `id` is one an Entra exchange on `resource` gives: either route's shape, with valid
/// check digits for the Entra route's.
pub(crate) fn is_derived(resource: &str, id: &str) -> bool {
    let Some(rest) = id
        .strip_prefix("8:acs:")
        .and_then(|rest| rest.strip_prefix(resource))
        .and_then(|rest| rest.strip_prefix('_'))
    else {
        return false;
    };
    match rest.split_once('_') {
        Some((tenant, user)) => is_canonical_guid(tenant) && is_canonical_guid(user),
        None => {
            if !is_canonical_guid(rest) {
                return false;
            }
            let hex = hex_digits(rest);
            hex.starts_with("0000002") && hex[20..] == check_digits(&hex[7..20])
        }
    }
}

fn check_digits(hash: &str) -> String {
    hex_digits(&jwt::derived_uuid(&["derived identity check", hash]))[..12].to_owned()
}

/// The 32 hex digits of a hyphenated GUID.
fn hex_digits(guid: &str) -> String {
    guid.replace('-', "")
}

/// A GUID written as the emulator writes them: hyphenated, lower case.
fn is_canonical_guid(text: &str) -> bool {
    text.len() == 36
        && uuid::Uuid::try_parse(text).is_ok_and(|uuid| uuid.hyphenated().to_string() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCE: &str = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd";

    #[test]
    fn entra_ids_are_stable_and_recognised() {
        let id = entra_user_id(RESOURCE, "tenant", "alice");
        assert_eq!(id, entra_user_id(RESOURCE, "tenant", "alice"));
        assert_ne!(id, entra_user_id(RESOURCE, "tenant", "bob"));
        assert_ne!(id, entra_user_id(RESOURCE, "other", "alice"));
        assert!(id.starts_with(&format!("8:acs:{RESOURCE}_0000002")), "{id}");
        assert!(is_canonical_guid(&id[id.len() - 36..]), "{id}");
        assert!(is_derived(RESOURCE, &id));
        assert!(!is_derived("another-resource", &id));
    }

    #[test]
    fn other_ids_are_not_derived() {
        let id = entra_user_id(RESOURCE, "tenant", "alice");
        // One check digit off.
        let last = id.chars().last().unwrap();
        let swapped = if last == '0' { '1' } else { '0' };
        let mut tampered = id[..id.len() - 1].to_owned();
        tampered.push(swapped);
        assert!(!is_derived(RESOURCE, &tampered));
        assert!(!is_derived(RESOURCE, &id.to_uppercase()));
        let created = format!("8:acs:{RESOURCE}_00000027-0000-0000-0000-000000000000");
        assert!(!is_derived(RESOURCE, &created));
        assert!(!is_derived(
            RESOURCE,
            &format!("8:acs:{RESOURCE}_not-a-guid")
        ));
        assert!(!is_derived(
            RESOURCE,
            "8:orgid:1d2c3b4a-0000-4000-8000-00000000ca01"
        ));
    }

    #[test]
    fn teams_extension_ids_are_two_canonical_guids() {
        let tenant = "45ab2481-1c1c-4005-be24-0ffb879b1130";
        let user = "1d2c3b4a-0000-4000-8000-00000000ca01";
        let id = teams_extension_user_id(RESOURCE, tenant, user);
        assert!(is_derived(RESOURCE, &id));
        let upper = teams_extension_user_id(RESOURCE, &tenant.to_uppercase(), user);
        assert!(!is_derived(RESOURCE, &upper));
        assert!(!is_derived(
            RESOURCE,
            &format!("8:acs:{RESOURCE}_{tenant}_x")
        ));
    }
}
