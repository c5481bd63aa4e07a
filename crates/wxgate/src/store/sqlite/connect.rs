//! Opening SQLite connections: the pragmas of the writer and the
//! readers, and the database file created private to its owner (0600; SQLite gives its
//! -wal and -shm files the same mode).
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::store::StoreError;

/// How long a connection waits for SQLite's lock (a reader during a checkpoint).
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer's connection: WAL, every commit fsynced, deleted content zeroed.
pub(super) fn writer(path: &Path) -> Result<Connection, StoreError> {
    create_private(path)?;
    let conn = open(path)?;
    configure(&conn, path, |conn| {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    })?;
    Ok(conn)
}

/// A reader's connection: never writes.
pub(super) fn reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = open(path)?;
    configure(&conn, path, |conn| {
        conn.pragma_update(None, "query_only", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(())
    })?;
    Ok(conn)
}

/// The one connection of an in-memory database.
pub(super) fn memory() -> Result<Connection, StoreError> {
    let conn = Connection::open_in_memory().map_err(StoreError::Sqlite)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(StoreError::Sqlite)?;
    Ok(conn)
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })
}

fn configure(
    conn: &Connection,
    path: &Path,
    pragmas: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    pragmas(conn).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })
}

/// Creates the database file with mode 0600 (and its folder, 0700) if it does not exist yet,
/// so that raw messages,
/// openids and the access token are readable by the gateway's user only. An existing file
/// readable by others is left as it is, with a warning.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    // A folder that does not exist yet is made (private too), as `wxgate.db` itself is.
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !folder.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|source| StoreError::CreateFolder {
                    path: folder.display().to_string(),
                    source,
                })?;
        }
    }
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match opened {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            if let Ok(meta) = std::fs::metadata(path) {
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        "the database file is readable by other users; chmod 600 it"
                    );
                }
            }
            Ok(())
        }
        Err(error) => Err(StoreError::Create {
            path: path.display().to_string(),
            source: error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: `sqlite://data/wxgate.db` in a folder without `data/` makes the folder
    /// (it was a bare "No such file or directory").
    #[test]
    fn issue_17_a_missing_folder_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/deeper/wxgate.db");
        writer(&path).expect("the folders are made");
        assert!(path.is_file());
        let mode = std::fs::metadata(dir.path().join("data/deeper"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // A folder that cannot be made is named.
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let err = writer(&blocked.join("sub/wxgate.db"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&blocked.join("sub").display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_new_database_and_its_wal_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wxgate.db");
        let conn = writer(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        for name in ["wxgate.db", "wxgate.db-wal", "wxgate.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    #[test]
    fn an_unopenable_file_is_named_in_the_error() {
        // A folder where the file should be: SQLite cannot open it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wxgate.db");
        std::fs::create_dir(&path).unwrap();
        let error = writer(&path).unwrap_err();
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
