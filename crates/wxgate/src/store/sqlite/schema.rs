//! Creating and migrating the SQLite schema: the files of `migrations/sqlite/`, embedded,
//! applied in order, each in its own transaction; `PRAGMA user_version` holds the last one
//! applied. A database migrated by an older wxgate (sqlx's `_sqlx_migrations` table) is
//! picked up where it was.
use rusqlite::{Connection, OptionalExtension};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        include_str!("../../../migrations/sqlite/0002_outbox.sql"),
    ),
    (
        3,
        include_str!("../../../migrations/sqlite/0003_append_log.sql"),
    ),
    (
        4,
        include_str!("../../../migrations/sqlite/0004_replay_guard.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/sqlite/0005_daily_counters.sql"),
    ),
    (6, include_str!("../../../migrations/sqlite/0006_reach.sql")),
    (
        7,
        include_str!("../../../migrations/sqlite/0007_accounts.sql"),
    ),
    (
        8,
        include_str!("../../../migrations/sqlite/0008_forgotten_keys.sql"),
    ),
    (9, include_str!("../../../migrations/sqlite/0009_web.sql")),
    (
        10,
        include_str!("../../../migrations/sqlite/0010_known_accounts.sql"),
    ),
    (
        11,
        include_str!("../../../migrations/sqlite/0011_job_kinds.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/sqlite/0012_open_platform.sql"),
    ),
];

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrateError {
    /// A migration (or reading the schema version) failed.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// The file was migrated by a newer wxgate: this one would misread it, so it leaves it.
    #[error(
        "the database has schema version {found}, newer than this wxgate knows ({known}): \
         run the wxgate that wrote it, or a newer one"
    )]
    Newer {
        /// `PRAGMA user_version` of the file
        found: i64,
        /// the last migration this build has
        known: i64,
    },
}

/// Brings the schema of `conn` up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    migrate_before(conn, i64::MAX)
}

/// Applies the migrations numbered below `until` (tests build older databases with it).
pub(crate) fn migrate_before(conn: &mut Connection, until: i64) -> Result<(), MigrateError> {
    let mut version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version == 0 {
        version = sqlx_version(conn)?;
    }
    let known = MIGRATIONS.last().map_or(0, |(number, _)| *number);
    if version > known {
        return Err(MigrateError::Newer {
            found: version,
            known,
        });
    }
    for (number, sql) in MIGRATIONS {
        if *number <= version || *number >= until {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
    }
    Ok(())
}

/// The last migration applied by sqlx (wxgate before the SQLite engine), or 0.
fn sqlx_version(conn: &Connection) -> rusqlite::Result<i64> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |row| row.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_applied() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let files = std::fs::read_dir(dir).unwrap().count();
        assert_eq!(
            files,
            MIGRATIONS.len(),
            "a file in {dir} is missing from MIGRATIONS"
        );
    }

    #[test]
    fn a_fresh_database_gets_every_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS[MIGRATIONS.len() - 1].0);
        let applied: i64 = conn
            .query_row("SELECT event_id FROM applied", [], |row| row.get(0))
            .unwrap();
        assert_eq!(applied, 0);
    }

    #[test]
    fn a_database_of_a_newer_wxgate_is_left_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(err, MigrateError::Newer { found: 99, known } if Some(known) == MIGRATIONS.last().map(|m| m.0)),
            "{err:?}"
        );
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 99);
    }

    #[test]
    fn a_database_of_sqlx_days_keeps_its_events_ids_and_followers() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch(MIGRATIONS[1].1).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN);
             INSERT INTO _sqlx_migrations VALUES (1, TRUE), (2, TRUE);
             INSERT INTO events (id, dedupe_key, openid, msg_type, create_time, received_at,
                                 fields_json, raw_xml, reply)
                 VALUES (5, 'k5', 'oA', 'text', 1, 1000, '{}', '<xml/>', 'r5'),
                        (9, 'k9', 'oB', 'text', 2, 2000, '{}', '<xml/>', NULL);
             DELETE FROM events WHERE id = 9;
             INSERT INTO followers (openid, subscribed) VALUES ('oA', TRUE);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let rows: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT id, dedupe_key, reply FROM events")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [(5, "k5".to_string(), Some("r5".to_string()))]);
        conn.execute(
            "INSERT INTO events (dedupe_key, openid, msg_type, create_time, received_at, raw_xml)
             VALUES ('k', 'oC', 'text', 3, 3000, '<xml/>')",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 10, "ids are never reused");
        let owner: String = conn
            .query_row(
                "SELECT openid FROM openid_events WHERE event_id = 5",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(owner, "oA");
        let applied: i64 = conn
            .query_row("SELECT event_id FROM applied", [], |row| row.get(0))
            .unwrap();
        assert_eq!(applied, 5);
    }
}
