//! [`StorageUrl`]: `[storage] url` parsed once into the database it names, which
//! [`open`](super::open) opens without reading text again.
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::StoreError;

/// The database a storage url names.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `sqlite://PATH` or `sqlite:PATH` (a `?query` dropped): a database file
    Sqlite {
        /// the file (relative to the working directory unless [`StorageUrl::resolve`]d)
        path: PathBuf,
    },
    /// `sqlite::memory:` (or `mode=memory`): one connection, nothing on disk
    SqliteMemory,
    /// `postgres://…` or `postgresql://…`, as written (it may carry a password)
    Postgres(String),
}

impl StorageUrl {
    /// Parse `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. The error
    /// never holds the url itself (a PostgreSQL url may carry a password).
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StorageUrl::Postgres(url.to_owned()));
        }
        let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        else {
            let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
            return Err(StoreError::Url(format!(
                "unsupported scheme {scheme:?}: use sqlite://PATH, sqlite::memory: or postgres://..."
            )));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory") {
            return Ok(StorageUrl::SqliteMemory);
        }
        if path.is_empty() {
            return Err(StoreError::Url("sqlite:// needs a file path".into()));
        }
        Ok(StorageUrl::Sqlite {
            path: PathBuf::from(path),
        })
    }

    /// The same with a relative SQLite path made absolute against `base`.
    pub fn resolve(self, base: &Path) -> Self {
        match self {
            StorageUrl::Sqlite { path } => StorageUrl::Sqlite {
                path: base.join(path),
            },
            other => other,
        }
    }
}

impl FromStr for StorageUrl {
    type Err = StoreError;

    fn from_str(url: &str) -> Result<Self, StoreError> {
        StorageUrl::parse(url)
    }
}

/// The SQLite path in full; a PostgreSQL url never (it may carry a password).
impl std::fmt::Debug for StorageUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageUrl::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            StorageUrl::SqliteMemory => f.write_str("SqliteMemory"),
            StorageUrl::Postgres(_) => f.write_str("Postgres(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> StorageUrl {
        StorageUrl::parse(url).expect(url)
    }

    #[test]
    fn urls_name_a_file_memory_or_postgres() {
        assert_eq!(parse("sqlite::memory:"), StorageUrl::SqliteMemory);
        assert_eq!(parse("sqlite://x.db?mode=memory"), StorageUrl::SqliteMemory);
        assert_eq!(
            parse("sqlite://data/wx.db?mode=rwc"),
            StorageUrl::Sqlite {
                path: PathBuf::from("data/wx.db")
            }
        );
        assert_eq!(
            parse("sqlite:/var/wx.db"),
            StorageUrl::Sqlite {
                path: PathBuf::from("/var/wx.db")
            }
        );
        assert_eq!(
            parse("postgresql://u@h/db"),
            StorageUrl::Postgres("postgresql://u@h/db".into())
        );
        assert!(StorageUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn relative_paths_resolve_against_a_folder_and_the_rest_stay() {
        let base = Path::new("/srv/wx");
        assert_eq!(
            parse("sqlite://data/wx.db").resolve(base),
            StorageUrl::Sqlite {
                path: PathBuf::from("/srv/wx/data/wx.db")
            }
        );
        assert_eq!(
            parse("sqlite:///var/wx.db").resolve(base),
            StorageUrl::Sqlite {
                path: PathBuf::from("/var/wx.db")
            }
        );
        assert_eq!(
            parse("sqlite::memory:").resolve(base),
            StorageUrl::SqliteMemory
        );
    }

    #[test]
    fn unsupported_urls_are_refused_and_passwords_never_shown() {
        let Err(StoreError::Url(message)) = StorageUrl::parse("mysql://u:secret@h/db") else {
            panic!("mysql accepted");
        };
        assert!(message.contains("\"mysql\""), "{message}");
        assert!(!message.contains("secret"), "{message}");
        let shown = format!("{:?}", parse("postgres://u:secret@h/db"));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
