//! What the emulator remembers: identities, minted tokens, the request log and pending faults.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use acs_auth::HmacVerifier;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::fault::{Fault, FaultHit};
use crate::jwt::{self, Claims};
use crate::store::{Store, WriteFailed};
use crate::{Clock, IdentityState, RequestRecord, Route, TokenStatus};

/// Settings fixed when the emulator starts.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) resource_id: String,
    pub(crate) resource_location: String,
    /// When set, every minted token lives this long, whatever the request asked.
    pub(crate) token_lifetime_override: Option<Duration>,
    /// Accept `expiresInMinutes` from 1 (instead of 60).
    pub(crate) allow_short_lifetimes: bool,
    /// Lifetime of identity tokens when the request names none (the service's 24 hours).
    pub(crate) default_identity_lifetime: Duration,
    /// Lifetime of tokens from the exchange routes.
    pub(crate) exchange_lifetime: Duration,
    /// Identity routes take HMAC only, and the Entra routes only Entra-shaped tokens.
    pub(crate) strict_auth: bool,
    /// The listening address is not a loopback one: `/_emulator/*` then skips its `Host` check.
    pub(crate) open_listen: bool,
    /// How many requests the request record keeps (the oldest go first).
    pub(crate) request_log_capacity: usize,
}

/// State shared by the server task and the [`RunningEmulator`](crate::RunningEmulator) handle.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) verifier: HmacVerifier,
    pub(crate) clock: Arc<dyn Clock>,
    /// The Chat service's threads, messages and receipts.
    pub(crate) chat: crate::chat::ChatStore,
    /// Signs minted tokens; random per instance, or kept in the data directory.
    token_secret: Vec<u8>,
    /// The data directory's database, when there is one.
    store: Option<Store>,
    /// When the emulator started, for the health route's uptime.
    pub(crate) started: Instant,
    /// Held while a chat thread is snapshotted and written, so a later snapshot is never
    /// overwritten by an earlier one.
    chat_writes: Mutex<()>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("settings", &self.settings)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    /// Created identities, and those derived from an Entra exchange once revoked or deleted.
    /// A derived identity that is not here is live with no revocations (see [`crate::derived`]).
    identities: HashMap<String, Identity>,
    /// The latest requests, oldest first, at most `Settings::request_log_capacity`.
    requests: VecDeque<RequestRecord>,
    faults: VecDeque<Fault>,
}

/// What the emulator remembers of one identity. Minted tokens are not remembered one by one:
/// a token carries its identity and the identity's revocation count (see
/// [`jwt::REVOCATION_CLAIM`]), and [`Shared::token_status`] checks its signature, so memory does
/// not grow with the number of tokens minted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Identity {
    pub(crate) deleted: bool,
    /// Bumped by each revocation; a token minted under an older value is revoked.
    pub(crate) revocation: u64,
    pub(crate) tokens_issued: u64,
}

/// Why an identity operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateError {
    /// The identity was never known here, or has been deleted.
    NotFound,
    /// The change could not be written to the data directory, so it was not made.
    WriteFailed,
}

/// A minted token and its expiry.
#[derive(Debug, Clone)]
pub(crate) struct Minted {
    pub(crate) token: String,
    pub(crate) expires_on: OffsetDateTime,
}

impl Shared {
    pub(crate) fn new(
        settings: Settings,
        verifier: HmacVerifier,
        clock: Arc<dyn Clock>,
        chat: crate::chat::ChatStore,
        token_secret: Vec<u8>,
        store: Option<Store>,
        identities: Vec<(String, Identity)>,
    ) -> Self {
        Self {
            settings,
            verifier,
            clock,
            chat,
            token_secret,
            started: Instant::now(),
            chat_writes: Mutex::new(()),
            store,
            inner: Mutex::new(Inner {
                identities: identities.into_iter().collect(),
                ..Inner::default()
            }),
        }
    }

    /// The database file, when state is kept in a data directory.
    pub(crate) fn data_file(&self) -> Option<&std::path::Path> {
        self.store.as_ref().map(Store::file)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new communication user ID on this resource.
    pub(crate) fn new_user_id(&self) -> String {
        let uuid = uuid::Uuid::new_v4().hyphenated().to_string();
        // Service IDs start `00000xxx-`: keep that look.
        format!("8:acs:{}_0000002{}", self.settings.resource_id, &uuid[7..])
    }

    /// Registers a new identity.
    pub(crate) fn create_identity(&self) -> Result<String, StateError> {
        let mut id = self.new_user_id();
        // A random ID passes as derived once in 2^48 tries; it would then not be counted.
        while self.is_derived(&id) {
            id = self.new_user_id();
        }
        self.change_identity(&id, true, |_| {})?;
        Ok(id)
    }

    /// Whether `id` is one an Entra exchange on this resource gives.
    fn is_derived(&self, id: &str) -> bool {
        crate::derived::is_derived(&self.settings.resource_id, id)
    }

    /// The identity `id` as it is now: as stored, or, for a derived ID never stored, live with
    /// no revocations. `None` when it was never known here.
    fn current(&self, inner: &Inner, id: &str) -> Option<Identity> {
        inner
            .identities
            .get(id)
            .copied()
            .or_else(|| self.is_derived(id).then(Identity::default))
    }

    /// Applies `change` to the live identity `id` (or to a new one, when `create`), storing it,
    /// and writing it to the data directory first when there is one (a change that cannot be
    /// made durable is not made). A derived identity that `change` leaves as it was is not
    /// stored, so exchanges alone cost no memory.
    fn change_identity(
        &self,
        id: &str,
        create: bool,
        change: impl FnOnce(&mut Identity),
    ) -> Result<Identity, StateError> {
        let mut inner = self.lock();
        let current = if create {
            Identity::default()
        } else {
            match self.current(&inner, id) {
                Some(identity) if !identity.deleted => identity,
                _ => return Err(StateError::NotFound),
            }
        };
        let mut changed = current;
        change(&mut changed);
        if changed != current || create {
            if let Some(store) = &self.store {
                store
                    .put_identity(id, &changed)
                    .map_err(|WriteFailed| StateError::WriteFailed)?;
            }
            inner.identities.insert(id.to_owned(), changed);
        }
        Ok(changed)
    }

    /// How long a token asked to live `requested_minutes` (already validated) lives.
    pub(crate) fn lifetime(&self, requested_minutes: Option<i64>, default: Duration) -> Duration {
        self.settings
            .token_lifetime_override
            .unwrap_or_else(|| requested_minutes.map_or(default, Duration::minutes))
    }

    /// Mints a token for the live identity `id`. Tokens of derived identities are not counted,
    /// so that minting them stores nothing.
    pub(crate) fn issue_token(
        &self,
        id: &str,
        scopes: &[String],
        lifetime: Duration,
    ) -> Result<Minted, StateError> {
        let counted = !self.is_derived(id);
        let identity = self.change_identity(id, false, |identity| {
            if counted {
                identity.tokens_issued += 1;
            }
        })?;
        let revocation = identity.revocation;
        let skype_id = id.strip_prefix("8:").unwrap_or(id);
        Ok(self.mint(skype_id, scopes, lifetime, revocation))
    }

    /// Mints a token for a Teams user (`8:orgid:<user>`), which is not an identity of the
    /// resource and so cannot be revoked or deleted here.
    pub(crate) fn issue_teams_user_token(&self, user_id: &str, lifetime: Duration) -> Minted {
        let scopes = ["chat".to_owned(), "voip".to_owned()];
        self.mint(&format!("orgid:{user_id}"), &scopes, lifetime, 0)
    }

    fn mint(
        &self,
        skype_id: &str,
        scopes: &[String],
        lifetime: Duration,
        revocation: u64,
    ) -> Minted {
        let now = self.clock.now();
        let expires_on = jwt::truncate_to_ticks(now.saturating_add(lifetime));
        let token = jwt::mint(
            &self.token_secret,
            &Claims {
                skype_id,
                scopes,
                issued_at: now,
                expires_on,
                resource_id: &self.settings.resource_id,
                resource_location: &self.settings.resource_location,
                revocation,
            },
        );
        Minted { token, expires_on }
    }

    pub(crate) fn revoke(&self, id: &str) -> Result<(), StateError> {
        self.change_identity(id, false, |identity| identity.revocation += 1)
            .map(drop)
    }

    pub(crate) fn delete(&self, id: &str) -> Result<(), StateError> {
        self.change_identity(id, false, |identity| identity.deleted = true)
            .map(drop)
    }

    pub(crate) fn identity_state(&self, id: &str) -> Option<IdentityState> {
        self.current(&self.lock(), id).map(|identity| {
            if identity.deleted {
                IdentityState::Deleted
            } else {
                IdentityState::Active
            }
        })
    }

    pub(crate) fn identity_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().identities.keys().cloned().collect();
        ids.sort();
        ids
    }

    pub(crate) fn tokens_issued(&self, id: &str) -> usize {
        self.lock().identities.get(id).map_or(0, |identity| {
            usize::try_from(identity.tokens_issued).unwrap_or(usize::MAX)
        })
    }

    /// Writes the chat thread `id` as it is now (or its deletion) to the data directory, when
    /// there is one.
    pub(crate) fn persist_chat_thread(&self, id: &str) -> Result<(), StateError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let _ordered = self
            .chat_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let snapshot = self.chat.thread_snapshot(id).map_err(|error| {
            tracing::warn!(%error, "acs-emulator: a chat thread cannot be serialized");
            StateError::WriteFailed
        })?;
        store
            .put_chat_thread(id, snapshot.as_deref())
            .map_err(|WriteFailed| StateError::WriteFailed)
    }

    /// Whether identities are kept in a data directory.
    pub(crate) fn is_persistent(&self) -> bool {
        self.store.is_some()
    }

    /// How many identities are stored (deleted ones included): created ones, and derived ones
    /// once revoked or deleted.
    pub(crate) fn identity_count(&self) -> usize {
        self.lock().identities.len()
    }

    /// What is known of `token`: its signature says whether it was minted here; its claims name
    /// the identity, the revocation count it was minted under and its expiry (`exp`, whole
    /// seconds: a token is expired from that second on).
    pub(crate) fn token_status(&self, token: &str) -> TokenStatus {
        let Some(claims) = jwt::verified_claims(&self.token_secret, token) else {
            return TokenStatus::Unknown;
        };
        let skype_id = claims
            .get("skypeid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let revocation = claims
            .get(jwt::REVOCATION_CLAIM)
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        // A derived identity that is not stored is live with no revocations.
        if let Some(identity) = self.lock().identities.get(&format!("8:{skype_id}")) {
            if identity.deleted {
                return TokenStatus::IdentityDeleted;
            }
            if revocation < identity.revocation {
                return TokenStatus::Revoked;
            }
        }
        if self.clock.now().unix_timestamp() >= exp {
            TokenStatus::Expired
        } else {
            TokenStatus::Valid
        }
    }

    pub(crate) fn push_fault(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().faults.push_back(fault);
        }
    }

    /// Queues `fault` unless `limit` faults are already pending; `false` when full.
    pub(crate) fn push_fault_within(&self, fault: Fault, limit: usize) -> bool {
        let mut inner = self.lock();
        if inner.faults.len() >= limit {
            return false;
        }
        if fault.times > 0 {
            inner.faults.push_back(fault);
        }
        true
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub(crate) fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    /// Takes one use of the first pending fault that applies to `route`.
    pub(crate) fn take_fault(&self, route: Route) -> Option<FaultHit> {
        let mut inner = self.lock();
        let index = inner.faults.iter().position(|fault| fault.matches(route))?;
        let fault = &mut inner.faults[index];
        let hit = FaultHit::from(&*fault);
        fault.times -= 1;
        if fault.times == 0 {
            inner.faults.remove(index);
        }
        Some(hit)
    }

    /// Keeps `record`, dropping the oldest one when the record is full.
    pub(crate) fn record(&self, record: RequestRecord) {
        let capacity = self.settings.request_log_capacity;
        if capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        while inner.requests.len() >= capacity {
            inner.requests.pop_front();
        }
        inner.requests.push_back(record);
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.iter().cloned().collect()
    }

    pub(crate) fn request_log_len(&self) -> usize {
        self.lock().requests.len()
    }
}
