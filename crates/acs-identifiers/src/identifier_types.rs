//! The identifier kinds. Each keeps its raw ID and parts in one buffer, all in the same
//! [`Layout`].

use std::fmt;

use crate::layout::{self, Layout, prefix};
use crate::{CommunicationCloudEnvironment, CommunicationIdentifierKind, IdentifierError};

/// Equality, hashing and ordering by raw ID (the kind is fixed by the type), and `Display` as the
/// raw ID.
macro_rules! by_raw_id {
    ($type:ty) => {
        impl PartialEq for $type {
            fn eq(&self, other: &Self) -> bool {
                self.raw_id() == other.raw_id()
            }
        }
        impl Eq for $type {}
        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.raw_id().hash(state);
            }
        }
        impl PartialOrd for $type {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $type {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.raw_id().cmp(other.raw_id())
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.raw_id())
            }
        }
    };
}

fn require(
    value: &str,
    kind: CommunicationIdentifierKind,
    part: &'static str,
) -> Result<(), IdentifierError> {
    if value.is_empty() {
        Err(IdentifierError::EmptyPart { kind, part })
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// An Azure Communication Services user. Its raw ID is the id itself (`8:acs:...`).
#[derive(Clone)]
pub struct CommunicationUserIdentifier {
    layout: Layout,
}

impl CommunicationUserIdentifier {
    /// A user with the given id, e.g. `8:acs:{resource}_{user}`.
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if `id` is empty.
    pub fn new(id: impl Into<String>) -> Result<Self, IdentifierError> {
        let id = id.into();
        require(&id, CommunicationIdentifierKind::CommunicationUser, "id")?;
        Ok(Self::from_parsed(Layout::whole(id)))
    }

    /// `layout` must hold the id as its raw ID.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        self.layout.raw_id()
    }

    /// The raw ID, which for this kind is the id.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for CommunicationUserIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationUserIdentifier")
            .field("id", &self.id())
            .finish()
    }
}

by_raw_id!(CommunicationUserIdentifier);

// ---------------------------------------------------------------------------------------------

/// Any identifier this version cannot classify. Its raw ID is the id itself.
#[derive(Clone)]
pub struct UnknownIdentifier {
    layout: Layout,
}

impl UnknownIdentifier {
    /// An identifier of unknown kind with the given raw ID.
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if `id` is empty. (Parsing the raw ID `""` still gives an
    /// unknown identifier; only this constructor is strict.)
    pub fn new(id: impl Into<String>) -> Result<Self, IdentifierError> {
        let id = id.into();
        require(&id, CommunicationIdentifierKind::Unknown, "id")?;
        Ok(Self::from_parsed(Layout::whole(id)))
    }

    /// `layout` must hold the id as its raw ID.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    /// The id, which is the raw ID.
    pub fn id(&self) -> &str {
        self.layout.raw_id()
    }

    /// The raw ID.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for UnknownIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnknownIdentifier")
            .field("id", &self.id())
            .finish()
    }
}

by_raw_id!(UnknownIdentifier);

// ---------------------------------------------------------------------------------------------

/// Whether a phone value (the raw ID after `4:`) is the anonymous caller.
pub(crate) fn is_anonymous_phone(value: &str) -> bool {
    value == "anonymous"
}

/// The asserted id of a phone value: the text after its last `_`, if not empty.
pub(crate) fn asserted_id_of(value: &str) -> Option<&str> {
    let start = value.rfind('_')? + 1;
    Some(&value[start..]).filter(|asserted| !asserted.is_empty())
}

/// A phone number. Its raw ID is `4:` followed by the number as given (`+` kept).
///
/// [`is_anonymous`](Self::is_anonymous) and [`asserted_id`](Self::asserted_id) are derived from
/// the raw ID, so two equal identifiers always agree on them.
#[derive(Clone)]
pub struct PhoneNumberIdentifier {
    layout: Layout,
}

impl PhoneNumberIdentifier {
    /// A phone number, usually in E.164 form (`+14255550123`).
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if `phone_number` is empty.
    pub fn new(phone_number: impl AsRef<str>) -> Result<Self, IdentifierError> {
        let phone_number = phone_number.as_ref();
        require(
            phone_number,
            CommunicationIdentifierKind::PhoneNumber,
            "value",
        )?;
        Ok(Self::assemble(phone_number, None))
    }

    pub(crate) fn assemble(phone_number: &str, raw_id: Option<&str>) -> Self {
        Self::from_parsed(Layout::assemble(
            raw_id,
            layout::phone_prefix,
            [phone_number],
            "",
            CommunicationCloudEnvironment::Public,
            false,
        ))
    }

    /// `layout` must be `4:` + number, or an explicit raw ID + number.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    /// Uses `raw_id` as the raw ID instead of `4:` + number. An empty `raw_id` is ignored.
    #[must_use]
    pub fn with_raw_id(self, raw_id: impl AsRef<str>) -> Self {
        Self::assemble(self.phone_number(), Some(raw_id.as_ref()))
    }

    /// The phone number as given (for a parsed raw ID: everything after `4:`).
    pub fn phone_number(&self) -> &str {
        self.layout.part()
    }

    /// The raw ID.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    /// The value the derived properties are read from: the raw ID after `4:`, or the number when
    /// an explicit raw ID has another form.
    fn value(&self) -> &str {
        self.raw_id()
            .strip_prefix(prefix::PHONE)
            .unwrap_or_else(|| self.phone_number())
    }

    /// Whether this is the anonymous caller (`4:anonymous`).
    pub fn is_anonymous(&self) -> bool {
        is_anonymous_phone(self.value())
    }

    /// The asserted id: the text after the last `_` of the value, if there is any.
    /// `4:+14255550123_abc` has `abc`; `4:+14255550123_` has none.
    pub fn asserted_id(&self) -> Option<&str> {
        asserted_id_of(self.value())
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for PhoneNumberIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhoneNumberIdentifier")
            .field("phone_number", &self.phone_number())
            .field("raw_id", &self.raw_id())
            .field("is_anonymous", &self.is_anonymous())
            .field("asserted_id", &self.asserted_id())
            .finish()
    }
}

by_raw_id!(PhoneNumberIdentifier);

// ---------------------------------------------------------------------------------------------

/// A Microsoft Teams user: `8:orgid:`/`8:dod:`/`8:gcch:` + user id, or `8:teamsvisitor:` + user
/// id for an anonymous (visitor) user.
#[derive(Clone)]
pub struct MicrosoftTeamsUserIdentifier {
    layout: Layout,
}

impl MicrosoftTeamsUserIdentifier {
    /// A Teams user (its Entra object id) in the public cloud, not anonymous.
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if `user_id` is empty.
    pub fn new(user_id: impl AsRef<str>) -> Result<Self, IdentifierError> {
        let user_id = user_id.as_ref();
        require(
            user_id,
            CommunicationIdentifierKind::MicrosoftTeamsUser,
            "userId",
        )?;
        Ok(Self::assemble(
            user_id,
            false,
            CommunicationCloudEnvironment::Public,
            None,
        ))
    }

    pub(crate) fn assemble(
        user_id: &str,
        anonymous: bool,
        cloud: CommunicationCloudEnvironment,
        raw_id: Option<&str>,
    ) -> Self {
        let prefix = if anonymous {
            layout::teams_visitor_prefix
        } else {
            layout::teams_user_prefix
        };
        Self::from_parsed(Layout::assemble(
            raw_id,
            prefix,
            [user_id],
            "",
            cloud,
            anonymous,
        ))
    }

    /// `layout` must be the prefix of its cloud and anonymity + user id, or an explicit raw ID +
    /// user id.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    fn explicit_raw_id(&self) -> Option<&str> {
        self.layout.explicit_raw_id()
    }

    /// Marks the user as anonymous (a Teams visitor), which changes the computed raw ID to
    /// `8:teamsvisitor:` + user id.
    #[must_use]
    pub fn with_anonymous(self, anonymous: bool) -> Self {
        Self::assemble(
            self.user_id(),
            anonymous,
            self.cloud().clone(),
            self.explicit_raw_id(),
        )
    }

    /// Sets the cloud, which picks the computed raw ID's prefix.
    #[must_use]
    pub fn with_cloud(self, cloud: CommunicationCloudEnvironment) -> Self {
        Self::assemble(
            self.user_id(),
            self.is_anonymous(),
            cloud,
            self.explicit_raw_id(),
        )
    }

    /// Uses `raw_id` as the raw ID instead of the computed one. An empty `raw_id` is ignored.
    #[must_use]
    pub fn with_raw_id(self, raw_id: impl AsRef<str>) -> Self {
        Self::assemble(
            self.user_id(),
            self.is_anonymous(),
            self.cloud().clone(),
            Some(raw_id.as_ref()),
        )
    }

    /// The Teams user id.
    pub fn user_id(&self) -> &str {
        self.layout.part()
    }

    /// Whether the user is an anonymous Teams visitor.
    pub fn is_anonymous(&self) -> bool {
        self.layout.anonymous()
    }

    /// The cloud the user belongs to.
    pub fn cloud(&self) -> &CommunicationCloudEnvironment {
        self.layout.cloud()
    }

    /// The raw ID.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for MicrosoftTeamsUserIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftTeamsUserIdentifier")
            .field("user_id", &self.user_id())
            .field("is_anonymous", &self.is_anonymous())
            .field("cloud", self.cloud())
            .field("raw_id", &self.raw_id())
            .finish()
    }
}

by_raw_id!(MicrosoftTeamsUserIdentifier);

// ---------------------------------------------------------------------------------------------

/// A Microsoft Teams application (bot): `28:orgid:`/`28:dod:`/`28:gcch:` + app id.
#[derive(Clone)]
pub struct MicrosoftTeamsAppIdentifier {
    layout: Layout,
}

impl MicrosoftTeamsAppIdentifier {
    /// A Teams app in the public cloud.
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if `app_id` is empty.
    pub fn new(app_id: impl AsRef<str>) -> Result<Self, IdentifierError> {
        let app_id = app_id.as_ref();
        require(
            app_id,
            CommunicationIdentifierKind::MicrosoftTeamsApp,
            "appId",
        )?;
        Ok(Self::assemble(
            app_id,
            CommunicationCloudEnvironment::Public,
            None,
        ))
    }

    pub(crate) fn assemble(
        app_id: &str,
        cloud: CommunicationCloudEnvironment,
        raw_id: Option<&str>,
    ) -> Self {
        Self::from_parsed(Layout::assemble(
            raw_id,
            layout::teams_app_prefix,
            [app_id],
            "",
            cloud,
            false,
        ))
    }

    /// `layout` must be the prefix of its cloud + app id, or an explicit raw ID + app id.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    /// Sets the cloud, which picks the computed raw ID's prefix.
    #[must_use]
    pub fn with_cloud(self, cloud: CommunicationCloudEnvironment) -> Self {
        Self::assemble(self.app_id(), cloud, self.layout.explicit_raw_id())
    }

    /// Uses `raw_id` as the raw ID instead of the computed one. An empty `raw_id` is ignored.
    #[must_use]
    pub fn with_raw_id(self, raw_id: impl AsRef<str>) -> Self {
        Self::assemble(self.app_id(), self.cloud().clone(), Some(raw_id.as_ref()))
    }

    /// The Teams app id.
    pub fn app_id(&self) -> &str {
        self.layout.part()
    }

    /// The cloud the app belongs to.
    pub fn cloud(&self) -> &CommunicationCloudEnvironment {
        self.layout.cloud()
    }

    /// The raw ID.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for MicrosoftTeamsAppIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftTeamsAppIdentifier")
            .field("app_id", &self.app_id())
            .field("cloud", self.cloud())
            .field("raw_id", &self.raw_id())
            .finish()
    }
}

by_raw_id!(MicrosoftTeamsAppIdentifier);

// ---------------------------------------------------------------------------------------------

/// A Teams user acting through an ACS resource ("Teams Phone extensibility"):
/// `8:acs:`/`8:dod-acs:`/`8:gcch-acs:` + `{resource id}_{tenant id}_{user id}`.
#[derive(Clone)]
pub struct TeamsExtensionUserIdentifier {
    /// Parts: resource id, tenant id, user id, the order they appear in the raw ID.
    layout: Layout,
}

impl TeamsExtensionUserIdentifier {
    /// A Teams extension user in the public cloud.
    ///
    /// # Errors
    /// [`IdentifierError::EmptyPart`] if any of the three ids is empty.
    pub fn new(
        user_id: impl AsRef<str>,
        tenant_id: impl AsRef<str>,
        resource_id: impl AsRef<str>,
    ) -> Result<Self, IdentifierError> {
        let (user_id, tenant_id, resource_id) =
            (user_id.as_ref(), tenant_id.as_ref(), resource_id.as_ref());
        let kind = CommunicationIdentifierKind::TeamsExtensionUser;
        require(user_id, kind, "userId")?;
        require(tenant_id, kind, "tenantId")?;
        require(resource_id, kind, "resourceId")?;
        Ok(Self::assemble(
            user_id,
            tenant_id,
            resource_id,
            CommunicationCloudEnvironment::Public,
            None,
        ))
    }

    pub(crate) fn assemble(
        user_id: &str,
        tenant_id: &str,
        resource_id: &str,
        cloud: CommunicationCloudEnvironment,
        raw_id: Option<&str>,
    ) -> Self {
        Self::from_parsed(Layout::assemble(
            raw_id,
            layout::teams_extension_prefix,
            [resource_id, tenant_id, user_id],
            "_",
            cloud,
            false,
        ))
    }

    /// `layout` must be the prefix of its cloud + `{resource}_{tenant}_{user}`, or an explicit
    /// raw ID + the three ids.
    #[inline]
    pub(crate) fn from_parsed(layout: Layout) -> Self {
        Self { layout }
    }

    /// Sets the cloud, which picks the computed raw ID's prefix.
    #[must_use]
    pub fn with_cloud(self, cloud: CommunicationCloudEnvironment) -> Self {
        let raw_id = self.layout.explicit_raw_id();
        Self::assemble(
            self.user_id(),
            self.tenant_id(),
            self.resource_id(),
            cloud,
            raw_id,
        )
    }

    /// Uses `raw_id` as the raw ID instead of the computed one. An empty `raw_id` is ignored.
    #[must_use]
    pub fn with_raw_id(self, raw_id: impl AsRef<str>) -> Self {
        Self::assemble(
            self.user_id(),
            self.tenant_id(),
            self.resource_id(),
            self.cloud().clone(),
            Some(raw_id.as_ref()),
        )
    }

    /// The Teams user id.
    pub fn user_id(&self) -> &str {
        self.layout.part_of_three(2)
    }

    /// The user's Entra tenant id.
    pub fn tenant_id(&self) -> &str {
        self.layout.part_of_three(1)
    }

    /// The ACS resource id.
    pub fn resource_id(&self) -> &str {
        self.layout.part_of_three(0)
    }

    /// The cloud the user belongs to.
    pub fn cloud(&self) -> &CommunicationCloudEnvironment {
        self.layout.cloud()
    }

    /// The raw ID.
    pub fn raw_id(&self) -> &str {
        self.layout.raw_id()
    }

    pub(crate) fn into_raw_id(self) -> String {
        self.layout.into_raw_id()
    }
}

impl fmt::Debug for TeamsExtensionUserIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsExtensionUserIdentifier")
            .field("user_id", &self.user_id())
            .field("tenant_id", &self.tenant_id())
            .field("resource_id", &self.resource_id())
            .field("cloud", self.cloud())
            .field("raw_id", &self.raw_id())
            .finish()
    }
}

by_raw_id!(TeamsExtensionUserIdentifier);
