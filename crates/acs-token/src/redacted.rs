//! A wrapper that keeps a secret out of `Debug` and `Display` output.

use std::fmt;

/// A secret (token text, an access key, a connection string) that never prints itself.
///
/// `Debug` and `Display` write `<redacted>` whatever the value, so a `Redacted` field can sit in
/// a struct that derives `Debug` and is logged. Read the value with [`Redacted::expose`], at the
/// one place that needs it.
///
/// `PartialEq` compares the values directly and is **not** constant-time: do not use it to check
/// a secret supplied by an untrusted party.
///
/// ```
/// use acs_token::Redacted;
///
/// let key = Redacted::from(String::from("hunter2"));
/// assert_eq!(format!("{key:?}"), "<redacted>");
/// assert_eq!(key.to_string(), "<redacted>");
/// assert_eq!(key.expose(), "hunter2");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a secret.
    pub const fn new(secret: T) -> Self {
        Redacted(secret)
    }

    /// The secret itself. Handle what it returns as a secret.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(secret: T) -> Self {
        Redacted(secret)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    const SECRET: &str = "s3cr3t-value";

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Redacted::from(SECRET.to_owned());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret:#?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:>40}"), "<redacted>");

        #[derive(Debug)]
        #[allow(dead_code)] // Read only through Debug.
        struct Holder {
            key: Redacted<Arc<str>>,
        }
        let holder = Holder {
            key: Redacted::new(Arc::from(SECRET)),
        };
        let debug = format!("{holder:?} {holder:#?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("key: <redacted>"), "{debug}");
    }

    #[test]
    fn expose_and_into_inner_return_the_value() {
        let secret = Redacted::new(SECRET.to_owned());
        assert_eq!(secret.expose(), SECRET);
        assert_eq!(secret.clone().into_inner(), SECRET);
    }

    #[test]
    fn equality_and_hash_follow_the_value() {
        let a = Redacted::from(SECRET);
        assert_eq!(a, Redacted::from(SECRET));
        assert_ne!(a, Redacted::from("other"));
        let set: HashSet<_> = [a, Redacted::from(SECRET), Redacted::from("other")].into();
        assert_eq!(set.len(), 2);
    }
}
