//! Durable state for `--data-dir`: an SQLite database (WAL mode) that every acknowledged write
//! goes through before it is answered. The emulator keeps serving from memory; the database is
//! read once, at start.
//!
//! What is kept: the access key, the resource ID and the token-signing key (so tokens minted
//! before a restart stay valid after it), and each identity's deletion, revocation count and
//! number of tokens minted, and each chat thread (participants, messages, read receipts) as the
//! chat store serializes it, rewritten after each change to it. The answers kept for idempotent
//! thread creation are not kept across restarts.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::EmulatorError;
use crate::state::Identity;

/// The schema this build writes, and the newest it reads.
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// The database's file name inside the data directory.
pub(crate) const FILE_NAME: &str = "acs-emulator.sqlite3";

/// `application_id` of the database: "ACSE", so a stray SQLite file is told apart.
const APPLICATION_ID: i64 = 0x4143_5345;

/// Meta keys.
pub(crate) const ACCESS_KEY: &str = "access_key";
pub(crate) const RESOURCE_ID: &str = "resource_id";
pub(crate) const TOKEN_SECRET: &str = "token_secret";

/// A write that could not be made durable; the request that asked for it gets a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteFailed;

/// The open database.
pub(crate) struct Store {
    connection: Mutex<Connection>,
    file: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("file", &self.file).finish()
    }
}

/// What a data directory held when opened.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) access_key: Option<Vec<u8>>,
    pub(crate) resource_id: Option<String>,
    pub(crate) token_secret: Option<Vec<u8>>,
    pub(crate) identities: Vec<(String, Identity)>,
    /// Each chat thread, as the chat store serialized it.
    pub(crate) chat_threads: Vec<Vec<u8>>,
}

impl Store {
    /// Opens (creating it if needed) the database in `dir`, takes it for this process alone,
    /// and reads what it holds.
    pub(crate) fn open(dir: &Path) -> Result<(Self, Loaded), EmulatorError> {
        let failed = |source: Box<dyn std::error::Error + Send + Sync>| EmulatorError::DataDir {
            path: dir.to_owned(),
            source,
        };
        let sqlite_failed = |error: rusqlite::Error| match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                failed("another acs-emulator is using this data directory".into())
            }
            _ => failed(error.into()),
        };
        std::fs::create_dir_all(dir).map_err(|error| failed(error.into()))?;
        let file = dir.join(FILE_NAME);
        let connection = Connection::open(&file).map_err(sqlite_failed)?;
        // It holds the access key: readable by its owner only (SQLite gives the WAL file the
        // database file's permissions).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|error| failed(error.into()))?;
        }
        // A directory in use fails at once rather than after rusqlite's default 5 s wait.
        connection
            .busy_timeout(std::time::Duration::ZERO)
            .map_err(sqlite_failed)?;
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite_failed)?;
        if version > SCHEMA_VERSION {
            return Err(EmulatorError::NewerDataVersion {
                path: file,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // One emulator per data directory: its memory is the truth it serves from. Exclusive
        // locking also lets WAL work without shared memory.
        connection
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .and_then(|()| connection.pragma_update(None, "journal_mode", "WAL"))
            // NORMAL: a commit is in the WAL file before it is answered, so it survives the
            // process being killed; only a power loss can take the latest commits.
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .map_err(sqlite_failed)?;
        let application: i64 = connection
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(sqlite_failed)?;
        if version > 0 && application != APPLICATION_ID {
            return Err(failed(
                "the database was not written by acs-emulator".into(),
            ));
        }
        // The first write takes the exclusive lock; another emulator on the same directory
        // fails here.
        connection
            .execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS meta (
                     key TEXT PRIMARY KEY NOT NULL,
                     value BLOB NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS chat_threads (
                     id TEXT PRIMARY KEY NOT NULL,
                     body BLOB NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS identities (
                     id TEXT PRIMARY KEY NOT NULL,
                     deleted INTEGER NOT NULL,
                     revocation INTEGER NOT NULL,
                     tokens_issued INTEGER NOT NULL
                 );
                 PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};
                 COMMIT;"
            ))
            .map_err(sqlite_failed)?;
        let loaded = load(&connection).map_err(sqlite_failed)?;
        Ok((
            Self {
                connection: Mutex::new(connection),
                file,
            },
            loaded,
        ))
    }

    /// The database file.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    pub(crate) fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), WriteFailed> {
        self.write(|connection| {
            connection.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
        })
    }

    pub(crate) fn put_identity(&self, id: &str, identity: &Identity) -> Result<(), WriteFailed> {
        self.write(|connection| {
            connection.execute(
                "INSERT INTO identities (id, deleted, revocation, tokens_issued)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted,
                     revocation = excluded.revocation, tokens_issued = excluded.tokens_issued",
                params![
                    id,
                    identity.deleted,
                    i64::try_from(identity.revocation).unwrap_or(i64::MAX),
                    i64::try_from(identity.tokens_issued).unwrap_or(i64::MAX),
                ],
            )
        })
    }

    /// Keeps the chat thread `id` as `body` (the chat store's serialization), or forgets it
    /// (`None`: deleted).
    pub(crate) fn put_chat_thread(&self, id: &str, body: Option<&[u8]>) -> Result<(), WriteFailed> {
        self.write(|connection| match body {
            Some(body) => connection.execute(
                "INSERT INTO chat_threads (id, body) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![id, body],
            ),
            None => connection.execute("DELETE FROM chat_threads WHERE id = ?1", [id]),
        })
    }

    /// Runs one statement (its own transaction: committed before this returns).
    fn write(
        &self,
        statement: impl FnOnce(&Connection) -> rusqlite::Result<usize>,
    ) -> Result<(), WriteFailed> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        statement(&connection).map(drop).map_err(|error| {
            tracing::warn!(%error, "acs-emulator: a write to the data directory failed");
            WriteFailed
        })
    }
}

fn load(connection: &Connection) -> rusqlite::Result<Loaded> {
    let meta = |key: &str| -> rusqlite::Result<Option<Vec<u8>>> {
        connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
    };
    let resource_id = meta(RESOURCE_ID)?.and_then(|bytes| String::from_utf8(bytes).ok());
    let mut statement =
        connection.prepare("SELECT id, deleted, revocation, tokens_issued FROM identities")?;
    let identities = statement
        .query_map([], |row| {
            let revocation: i64 = row.get(2)?;
            let tokens_issued: i64 = row.get(3)?;
            Ok((
                row.get::<_, String>(0)?,
                Identity {
                    deleted: row.get(1)?,
                    revocation: u64::try_from(revocation).unwrap_or_default(),
                    tokens_issued: u64::try_from(tokens_issued).unwrap_or_default(),
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let chat_threads = connection
        .prepare("SELECT body FROM chat_threads")?
        .query_map([], |row| row.get::<_, Vec<u8>>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Loaded {
        chat_threads,
        access_key: meta(ACCESS_KEY)?,
        resource_id,
        token_secret: meta(TOKEN_SECRET)?,
        identities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "acs-emulator-store-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn what_is_written_is_read_back() {
        let dir = scratch("roundtrip");
        {
            let (store, loaded) = Store::open(&dir).unwrap();
            assert!(loaded.identities.is_empty() && loaded.access_key.is_none());
            store.put_meta(ACCESS_KEY, b"key").unwrap();
            store.put_meta(RESOURCE_ID, b"resource").unwrap();
            let identity = Identity {
                deleted: false,
                revocation: 2,
                tokens_issued: 5,
            };
            store.put_identity("8:acs:a", &identity).unwrap();
            store
                .put_identity(
                    "8:acs:a",
                    &Identity {
                        deleted: true,
                        ..identity
                    },
                )
                .unwrap();
        }
        let (_store, loaded) = Store::open(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(loaded.access_key.as_deref(), Some(&b"key"[..]));
        assert_eq!(loaded.resource_id.as_deref(), Some("resource"));
        assert_eq!(
            loaded.identities,
            [(
                "8:acs:a".to_owned(),
                Identity {
                    deleted: true,
                    revocation: 2,
                    tokens_issued: 5
                }
            )]
        );
        drop(_store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_newer_schema_is_a_clear_error() {
        let dir = scratch("newer");
        std::fs::create_dir_all(&dir).unwrap();
        let connection = Connection::open(dir.join(FILE_NAME)).unwrap();
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(connection);
        let error = Store::open(&dir).unwrap_err();
        assert!(
            matches!(error, EmulatorError::NewerDataVersion { found, supported, .. }
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{error:?}"
        );
        assert!(error.to_string().contains("newer"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_foreign_database_and_a_second_emulator_are_refused() {
        let dir = scratch("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        let connection = Connection::open(dir.join(FILE_NAME)).unwrap();
        connection
            .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1;")
            .unwrap();
        drop(connection);
        let error = Store::open(&dir).unwrap_err();
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains("not written by acs-emulator")
        );
        let _ = std::fs::remove_dir_all(&dir);

        let dir = scratch("busy");
        let (_first, _) = Store::open(&dir).unwrap();
        let error = Store::open(&dir).unwrap_err();
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains("another acs-emulator"),
            "{error:?}"
        );
        drop(_first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
