//! Forgetting for real on SQLite: the openid's bytes leave the database files.
use std::path::Path;

use super::fixtures::{push, text};
use crate::store::{FollowerEffect, Recorded};

const FORGOTTEN: &str = "oFORGOTTEN_openid_7f3a";
const ERASED: &str = "oERASED_by_admin_91c2";
const KEPT: &str = "oKEPT_openid_5b1e";

fn occurs(dir: &Path, needle: &str) -> Vec<String> {
    ["wxgate.db", "wxgate.db-wal", "wxgate.db-shm"]
        .iter()
        .filter(|name| {
            let bytes = std::fs::read(dir.join(name)).unwrap_or_default();
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .map(|name| name.to_string())
        .collect()
}

async fn write_user(store: &dyn crate::store::Store, openid: &str) {
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("s".into()),
    };
    store
        .record(push(openid, &format!("{openid}-1"), 0, subscribe))
        .await
        .unwrap();
    let location = FollowerEffect::Location {
        latitude: 1.5,
        longitude: 2.5,
        precision: 3.0,
    };
    store
        .record(push(openid, &format!("{openid}-2"), 1, location))
        .await
        .unwrap();
    for i in 0..20 {
        let mut write = text(openid, &format!("{openid}-t{i}"), 2 + i);
        // large enough for overflow pages
        write.raw_xml = write.raw_xml.repeat(200);
        store.record(write).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgotten_openids_leave_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("wxgate.db").display());
    let store = crate::store::open(&url.parse().expect("a storage url"))
        .await
        .unwrap();
    for openid in [FORGOTTEN, KEPT, ERASED] {
        write_user(store.as_ref(), openid).await;
    }
    assert!(!occurs(dir.path(), FORGOTTEN).is_empty(), "written before");

    let unsubscribe = push(FORGOTTEN, "u1", 99, FollowerEffect::Forget);
    assert_eq!(
        store.record(unsubscribe).await.unwrap(),
        Recorded::Forgotten
    );
    store
        .forget(crate::store::DEFAULT_ACCOUNT, ERASED)
        .await
        .unwrap();

    assert_eq!(occurs(dir.path(), FORGOTTEN), Vec::<String>::new());
    assert_eq!(occurs(dir.path(), ERASED), Vec::<String>::new());
    assert!(
        !occurs(dir.path(), KEPT).is_empty(),
        "the other follower is still stored"
    );
    assert!(store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), KEPT)
        .await
        .unwrap()
        .pop()
        .is_some());
    store.close().await;
}
