//! What the emulator remembers: identities, minted tokens, the request log and pending faults.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use acs_auth::HmacVerifier;
use time::{Duration, OffsetDateTime};

use crate::fault::{Fault, FaultHit};
use crate::jwt::{self, Claims};
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
}

/// State shared by the server task and the [`RunningEmulator`](crate::RunningEmulator) handle.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) verifier: HmacVerifier,
    pub(crate) clock: Arc<dyn Clock>,
    /// The Chat service's threads, messages and receipts.
    pub(crate) chat: crate::chat::ChatStore,
    /// Signs minted tokens; random per instance.
    token_secret: [u8; 32],
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
    identities: HashMap<String, Identity>,
    /// Minted tokens by the SHA-256 of their text.
    tokens: HashMap<[u8; 32], MintedToken>,
    requests: Vec<RequestRecord>,
    faults: VecDeque<Fault>,
}

struct Identity {
    deleted: bool,
    /// Bumped by each revocation; a token minted under an older value is revoked.
    revocation: u64,
    tokens_issued: usize,
}

struct MintedToken {
    identity: String,
    revocation: u64,
    expires_on: OffsetDateTime,
}

impl Inner {
    /// The identity `id` unless it was never created or has been deleted.
    fn live_identity_mut(&mut self, id: &str) -> Result<&mut Identity, NotFound> {
        self.identities
            .get_mut(id)
            .filter(|identity| !identity.deleted)
            .ok_or(NotFound)
    }
}

/// Why an identity operation found no identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotFound;

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
    ) -> Self {
        Self {
            settings,
            verifier,
            clock,
            chat,
            token_secret: rand::random(),
            inner: Mutex::new(Inner::default()),
        }
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
    pub(crate) fn create_identity(&self) -> String {
        let id = self.new_user_id();
        self.lock().identities.insert(
            id.clone(),
            Identity {
                deleted: false,
                revocation: 0,
                tokens_issued: 0,
            },
        );
        id
    }

    /// Registers `id` if it is new (identities met through an Entra exchange); fails if it was
    /// deleted.
    pub(crate) fn ensure_identity(&self, id: &str) -> Result<(), NotFound> {
        let mut inner = self.lock();
        let identity = inner.identities.entry(id.to_owned()).or_insert(Identity {
            deleted: false,
            revocation: 0,
            tokens_issued: 0,
        });
        if identity.deleted {
            Err(NotFound)
        } else {
            Ok(())
        }
    }

    /// How long a token asked to live `requested_minutes` (already validated) lives.
    pub(crate) fn lifetime(&self, requested_minutes: Option<i64>, default: Duration) -> Duration {
        self.settings
            .token_lifetime_override
            .unwrap_or_else(|| requested_minutes.map_or(default, Duration::minutes))
    }

    /// Mints a token for the existing identity `id`.
    pub(crate) fn issue_token(
        &self,
        id: &str,
        scopes: &[String],
        lifetime: Duration,
    ) -> Result<Minted, NotFound> {
        let now = self.clock.now();
        let expires_on = jwt::truncate_to_ticks(now.saturating_add(lifetime));
        let skype_id = id.strip_prefix("8:").unwrap_or(id);
        let token = jwt::mint(
            &self.token_secret,
            &Claims {
                skype_id,
                scopes,
                issued_at: now,
                expires_on,
                resource_id: &self.settings.resource_id,
                resource_location: &self.settings.resource_location,
            },
        );
        let mut inner = self.lock();
        let identity = inner.live_identity_mut(id)?;
        identity.tokens_issued += 1;
        let revocation = identity.revocation;
        inner.tokens.insert(
            jwt::fingerprint(&token),
            MintedToken {
                identity: id.to_owned(),
                revocation,
                expires_on,
            },
        );
        Ok(Minted { token, expires_on })
    }

    /// Mints a token for a Teams user (`8:orgid:<user>`), which is not an identity of the
    /// resource and so cannot be revoked or deleted here.
    pub(crate) fn issue_teams_user_token(&self, user_id: &str, lifetime: Duration) -> Minted {
        let now = self.clock.now();
        let expires_on = jwt::truncate_to_ticks(now.saturating_add(lifetime));
        let skype_id = format!("orgid:{user_id}");
        let scopes = ["chat".to_owned(), "voip".to_owned()];
        let token = jwt::mint(
            &self.token_secret,
            &Claims {
                skype_id: &skype_id,
                scopes: &scopes,
                issued_at: now,
                expires_on,
                resource_id: &self.settings.resource_id,
                resource_location: &self.settings.resource_location,
            },
        );
        self.lock().tokens.insert(
            jwt::fingerprint(&token),
            MintedToken {
                identity: format!("8:{skype_id}"),
                revocation: 0,
                expires_on,
            },
        );
        Minted { token, expires_on }
    }

    pub(crate) fn revoke(&self, id: &str) -> Result<(), NotFound> {
        let mut inner = self.lock();
        let identity = inner.live_identity_mut(id)?;
        identity.revocation += 1;
        Ok(())
    }

    pub(crate) fn delete(&self, id: &str) -> Result<(), NotFound> {
        let mut inner = self.lock();
        let identity = inner.live_identity_mut(id)?;
        identity.deleted = true;
        Ok(())
    }

    pub(crate) fn identity_state(&self, id: &str) -> Option<IdentityState> {
        self.lock().identities.get(id).map(|identity| {
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
        self.lock()
            .identities
            .get(id)
            .map_or(0, |identity| identity.tokens_issued)
    }

    pub(crate) fn token_status(&self, token: &str) -> TokenStatus {
        let now = self.clock.now();
        let inner = self.lock();
        let Some(minted) = inner.tokens.get(&jwt::fingerprint(token)) else {
            return TokenStatus::Unknown;
        };
        if let Some(identity) = inner.identities.get(&minted.identity) {
            if identity.deleted {
                return TokenStatus::IdentityDeleted;
            }
            if minted.revocation < identity.revocation {
                return TokenStatus::Revoked;
            }
        }
        if now >= minted.expires_on {
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

    pub(crate) fn record(&self, record: RequestRecord) {
        self.lock().requests.push(record);
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }
}
