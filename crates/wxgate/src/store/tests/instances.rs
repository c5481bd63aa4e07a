//! PostgreSQL instances sharing one database write in parallel: a batch waits only for
//! batches of the same users, never for every batch of every instance, and the counters of
//! both add up.
use std::time::Duration;

use sqlx::{Connection, Executor};

use super::fixtures::{at, push};
use super::with_postgres_database;
use crate::store::{FollowerEffect, Recorded};

fn subscribe(scene: &str) -> FollowerEffect {
    FollowerEffect::Subscribe {
        scene: Some(scene.into()),
    }
}

/// How long a write of another user may take while one instance's batch is stuck: far above a
/// commit here, far below a stuck batch's wait (the test's own 30 s).
const UNBLOCKED: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_stuck_in_a_batch_does_not_hold_up_the_others() {
    with_postgres_database(|url| async move {
        let one = crate::store::open(&url.parse().expect("a storage url"))
            .await
            .expect("open instance one");
        let two = crate::store::open(&url.parse().expect("a storage url"))
            .await
            .expect("open instance two");
        one.record(push("oA", "a1", 0, subscribe("poster")))
            .await
            .unwrap();
        // Another client holds oA's follower row: instance one's next batch (a push of oA)
        // stops there, in the middle of its transaction.
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder
            .execute("SELECT 1 FROM followers WHERE openid = 'oA' FOR UPDATE")
            .await
            .unwrap();
        let stuck = tokio::spawn({
            let one = one.clone();
            async move { one.record(push("oA", "a2", 1, FollowerEffect::Touch)).await }
        });
        // Instance one's batch is in its transaction, waiting for the held row.
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity \
            WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let reached = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let (n,): (i64,) = sqlx::query_as(waiting)
                    .fetch_one(&mut holder)
                    .await
                    .unwrap();
                if n > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            reached.is_ok(),
            "instance one's batch never reached the held row"
        );
        assert!(
            !stuck.is_finished(),
            "the held row did not stop instance one"
        );

        // Instance two writes other users meanwhile, counters of the same scene and day too.
        let written = tokio::time::timeout(UNBLOCKED, async {
            two.record(push("oB", "b1", 2, subscribe("poster"))).await
        })
        .await
        .expect("instance two waited for instance one's batch");
        assert!(
            matches!(written, Ok(Recorded::Stored { .. })),
            "{written:?}"
        );

        holder.execute("ROLLBACK").await.unwrap();
        let unstuck = tokio::time::timeout(Duration::from_secs(30), stuck)
            .await
            .expect("instance one's batch never finished")
            .unwrap();
        assert!(
            matches!(unstuck, Ok(Recorded::Stored { .. })),
            "{unstuck:?}"
        );

        // The counters are the sum of both instances' rows.
        for store in [&one, &two] {
            let stats = store.stats(None).await.unwrap();
            let poster = stats
                .scenes
                .iter()
                .find(|s| s.scene == "poster")
                .expect("the poster scene");
            assert_eq!((stats.events, poster.subscribes), (3, 2));
            let days = store
                .daily(None, at(0) + chrono::Duration::hours(1), 1, None)
                .await
                .unwrap();
            assert_eq!((days[0].events, days[0].subscribes), (3, 2));
        }
        one.close().await;
        two.close().await;
    })
    .await;
}
