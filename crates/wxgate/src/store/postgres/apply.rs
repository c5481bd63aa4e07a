//! Applying a group-committed batch on PostgreSQL: a few multi-row statements per run of
//! pushes (built with `sqlx::QueryBuilder`), a careful write-by-write re-run under savepoints
//! when one of them fails.
use std::collections::{BTreeSet, HashMap};

use sqlx::{Connection as _, PgConnection, PgPool, Postgres, QueryBuilder};

use super::plan::{self, DeliveryRow, FollowerRow, Resolved, Segment, Tally};
use super::writer::{BatchOutcome, Op};
use crate::store::rows::millis;
use crate::store::sql;
use crate::store::{PushWrite, Recorded, ReplayMark, StoreError, StoredReply};

/// Rows per multi-row statement: at most ~10,000 bind parameters (PostgreSQL allows 65,535).
const fn rows_per_statement(columns: usize) -> usize {
    10_000 / columns
}

/// Applies `ops` in one transaction committed once: plainly first (a few multi-row
/// statements per batch); if a statement fails, rolls back and re-applies the batch write by
/// write, each under a savepoint, so one failing write does not fail the others.
pub(super) async fn apply_ops(pool: &PgPool, shard: i32, ops: &[Op]) -> BatchOutcome {
    let mut tx = begin(pool, ops).await?;
    match apply_plain(&mut tx, shard, ops).await {
        Ok(recorded) => {
            tx.commit().await?;
            return Ok(recorded.into_iter().map(Ok).collect());
        }
        Err(error) => {
            tracing::debug!(%error, writes = ops.len(), "batch failed; re-applying it write by write");
            tx.rollback().await?;
        }
    }
    let mut tx = begin(pool, ops).await?;
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        let mut savepoint = tx.begin().await?;
        match apply_plain(&mut savepoint, shard, std::slice::from_ref(op)).await {
            Ok(mut recorded) => {
                savepoint.commit().await?;
                outcomes.push(recorded.pop().ok_or(sqlx::Error::RowNotFound));
            }
            Err(error) => {
                savepoint.rollback().await?;
                outcomes.push(Err(error));
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|outcome| outcome.map_err(StoreError::Database))
        .collect())
}

/// Locks every user (account, openid) that `ops` touch, in one global order: the advisory
/// lock of each distinct 64-bit hash of `account\nopenid`, taken in ascending order of the hash,
/// before anything else. Every row two batches can both write (an event's dedupe key, the
/// follower, the tombstone, the replay mark of a resent query) belongs to one user, so two
/// batches that could deadlock over rows first meet here, where every transaction takes its
/// locks in the same order — deadlock-free by construction. Batches of other users never wait
/// for each other (the counters they share are per instance: see `shard`). The hash is
/// PostgreSQL's own (`hashtextextended`), the same in every instance; two users sharing a hash
/// only wait for each other.
const LOCK_USERS: &str = "SELECT pg_advisory_xact_lock(k) FROM \
    (SELECT DISTINCT hashtextextended(u, 0) AS k FROM unnest($1::text[]) AS u ORDER BY k) AS keys";

/// Begins a batch transaction holding the locks of the users `ops` touch ([`LOCK_USERS`]).
async fn begin(
    pool: &PgPool,
    ops: &[Op],
) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
    let users: Vec<String> = ops
        .iter()
        .map(|op| {
            let (account, openid) = op.user();
            format!("{account}\n{openid}")
        })
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query(LOCK_USERS)
        .bind(&users)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Applies `ops` in order, segment by segment (see `plan::segments`); each op's outcome.
async fn apply_plain(
    conn: &mut PgConnection,
    shard: i32,
    ops: &[Op],
) -> Result<Vec<Recorded>, sqlx::Error> {
    let mut recorded = Vec::with_capacity(ops.len());
    let mut tally = Tally::default();
    for segment in plan::segments(ops) {
        match segment {
            Segment::Forget {
                account,
                openid,
                write,
                departed,
            } => {
                if let Some(write) = write {
                    if !tombstone(conn, write).await? {
                        // A resend of an unsubscribe forgotten within the window (earlier in
                        // this batch, or by another instance): processed once.
                        recorded.push(Recorded::Duplicate {
                            reply: StoredReply::Success,
                        });
                        insert_marks(conn, &[write]).await?;
                        continue;
                    }
                    let scene = known(conn, account, openid)
                        .await?
                        .and_then(|(_, scene)| scene);
                    tally.unsubscribe(write, scene.as_deref());
                }
                if let Some(day) = departed {
                    // Only a follower still known as subscribed: forgotten already, it
                    // counted then.
                    if let Some((true, scene)) = known(conn, account, openid).await? {
                        tally.departure(account, day, scene.as_deref());
                    }
                }
                recorded.push(forget(conn, account, openid).await?);
                // The unsubscribe's own deliveries outlive the forget (contract §4).
                let write: Vec<&PushWrite> = write.into_iter().collect();
                insert_deliveries(conn, &plan::deliveries(&write)).await?;
                insert_marks(conn, &write).await?;
            }
            Segment::Records(writes) => {
                record_all(conn, &writes, &mut recorded, &mut tally).await?;
                insert_marks(conn, &writes).await?;
            }
        }
    }
    // Last: the counter rows are hot (every batch of this instance adds to today's), so
    // their row locks are held only until the commit; other instances write other shards.
    apply_tally(tally, shard, conn).await?;
    Ok(recorded)
}

/// Records consecutive pushes (no forgets): inserts their events, answers resends with their
/// stored reply, applies the effects of the new ones. Pushes the outcomes, in order.
async fn record_all(
    conn: &mut PgConnection,
    writes: &[&PushWrite],
    recorded: &mut Vec<Recorded>,
    tally: &mut Tally,
) -> Result<(), sqlx::Error> {
    let mut inserted = HashMap::new();
    let mut firsts = plan::first_of_keys(writes);
    // In key order: instances inserting the same keys (a resend that reached another
    // instance) then wait for each other in one order instead of deadlocking.
    firsts.sort_unstable_by(|a, b| (&a.account, &a.dedupe_key).cmp(&(&b.account, &b.dedupe_key)));
    for chunk in firsts.chunks(rows_per_statement(10)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO events (account, dedupe_key, openid, msg_type, event, event_key, \
             create_time, received_at, raw_xml, reply) ",
        );
        query.push_values(chunk, |mut row, write| {
            row.push_bind(&write.account)
                .push_bind(&write.dedupe_key)
                .push_bind(&write.openid)
                .push_bind(&write.msg_type)
                .push_bind(&write.event)
                .push_bind(&write.event_key)
                .push_bind(write.create_time)
                .push_bind(millis(write.received_at))
                .push_bind(&write.raw_xml)
                .push_bind(&write.reply);
        });
        query.push(
            " ON CONFLICT (account, dedupe_key) DO NOTHING RETURNING id, account, dedupe_key",
        );
        for (id, account, key) in query
            .build_query_as::<(i64, String, String)>()
            .fetch_all(&mut *conn)
            .await?
        {
            inserted.insert((account, key), id);
        }
    }
    let resolved = plan::resolve(writes, &inserted);
    let resent: Vec<(&str, &str)> = resolved
        .iter()
        .filter_map(|r| match r {
            Resolved::Duplicate(account, key) => Some((*account, *key)),
            Resolved::Stored(..) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut replies: HashMap<(String, String), Option<String>> = HashMap::new();
    for chunk in resent.chunks(rows_per_statement(2)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT account, dedupe_key, reply FROM events WHERE (account, dedupe_key) IN (",
        );
        let mut keys = query.separated(", ");
        for (account, key) in chunk {
            keys.push("(");
            keys.push_bind_unseparated(*account);
            keys.push_unseparated(", ");
            keys.push_bind_unseparated(*key);
            keys.push_unseparated(")");
        }
        keys.push_unseparated(")");
        for (account, key, reply) in query
            .build_query_as::<(String, String, Option<String>)>()
            .fetch_all(&mut *conn)
            .await?
        {
            replies.insert((account, key), reply);
        }
    }
    let mut stored = Vec::with_capacity(resolved.len());
    for r in resolved {
        recorded.push(match r {
            Resolved::Stored(id, write) => {
                stored.push(write);
                Recorded::Stored { id }
            }
            // Stored by another instance and deleted meanwhile: fails the write (the careful
            // re-run answers it alone).
            Resolved::Duplicate(account, key) => Recorded::Duplicate {
                reply: replies
                    .get(&(account.to_string(), key.to_string()))
                    .cloned()
                    .ok_or(sqlx::Error::RowNotFound)?
                    .into(),
            },
        });
    }
    upsert_followers(conn, &plan::followers(&stored)).await?;
    for write in &stored {
        tally.record(write);
    }
    insert_deliveries(conn, &plan::deliveries(&stored)).await
}

/// Keeps the replay marks of `writes`, resends' too (a mark kept already stays as it is).
async fn insert_marks(conn: &mut PgConnection, writes: &[&PushWrite]) -> Result<(), sqlx::Error> {
    let marks: Vec<(&str, &ReplayMark)> = writes
        .iter()
        .filter_map(|w| w.replay.as_ref())
        .map(|kept| (kept.guard.as_str(), &kept.mark))
        .collect();
    for chunk in marks.chunks(rows_per_statement(4)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO replay_guard (account, query, body, seen_at) ",
        );
        query.push_values(chunk, |mut row, (account, mark)| {
            row.push_bind(*account)
                .push_bind(&mark.query[..])
                .push_bind(&mark.body[..])
                .push_bind(millis(mark.seen_at));
        });
        query.push(" ON CONFLICT (account, query) DO NOTHING");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Forgets the replay marks and the tombstones of unsubscribes older than the window.
pub(super) async fn expire_marks(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let cutoff = chrono::Utc::now() - crate::store::REPLAY_WINDOW;
    let marks = sqlx::query("DELETE FROM replay_guard WHERE seen_at < $1")
        .bind(millis(cutoff))
        .execute(pool)
        .await?
        .rows_affected();
    let tombstones = sqlx::query(sql::PRUNE_FORGOTTEN)
        .bind(millis(cutoff))
        .execute(pool)
        .await?
        .rows_affected();
    Ok(marks + tombstones)
}

/// Keeps the tombstone of an unsubscribe (SHA-256 of its dedupe key): `false` when a live one
/// is there already — a resend of an unsubscribe forgotten within the window (the user's lock
/// orders the instances' batches, the key the inserts). An expired tombstone is taken over
/// rather than pruned here: deleting other users' rows in a batch would lock rows other
/// instances delete too (the minutely expiry prunes them).
async fn tombstone(conn: &mut PgConnection, write: &PushWrite) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(TAKE_TOMBSTONE)
        .bind(&write.account)
        .bind(&crate::store::forgotten_digest(&write.dedupe_key)[..])
        .bind(millis(write.received_at))
        .bind(crate::store::forgotten_cutoff())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(inserted == 1)
}

/// Inserts a tombstone ($1 account, $2 digest, $3 when), or takes over one older than $4 (ms):
/// one row affected unless a live tombstone of that key is kept.
const TAKE_TOMBSTONE: &str = "INSERT INTO forgotten_keys (account, digest, forgotten_at) \
    VALUES ($1, $2, $3) ON CONFLICT (account, digest) DO UPDATE \
    SET forgotten_at = excluded.forgotten_at WHERE forgotten_keys.forgotten_at < $4";

/// Queues notify-webhook deliveries (in order), in chunks.
async fn insert_deliveries(
    conn: &mut PgConnection,
    rows: &[DeliveryRow<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(rows_per_statement(7)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO outbox (webhook, account, openid, event_id, payload, created_at, \
             next_at) ",
        );
        query.push_values(chunk, |mut row, delivery| {
            row.push_bind(delivery.webhook)
                .push_bind(delivery.account)
                .push_bind(delivery.openid)
                .push_bind(delivery.event_id)
                .push_bind(delivery.payload)
                .push_bind(delivery.created_at)
                .push_bind(delivery.created_at);
        });
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Upserts merged follower rows (one per openid), in chunks: subscribed, last seen; the
/// subscription only where `subscribed_at` is given, the location only where
/// `loc_reported_at` is given — the stored values are kept otherwise.
async fn upsert_followers(
    conn: &mut PgConnection,
    rows: &[FollowerRow<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(rows_per_statement(9)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO followers (account, openid, subscribed, last_seen_at, subscribed_at, \
             scene, loc_latitude, loc_longitude, loc_precision, loc_reported_at) ",
        );
        query.push_values(chunk, |mut row, follower| {
            row.push_bind(follower.account)
                .push_bind(follower.openid)
                .push("TRUE")
                .push_bind(follower.last_seen_at)
                .push_bind(follower.subscribed_at)
                .push_bind(follower.scene)
                .push_bind(follower.loc_latitude)
                .push_bind(follower.loc_longitude)
                .push_bind(follower.loc_precision)
                .push_bind(follower.loc_reported_at);
        });
        query.push(
            " ON CONFLICT (account, openid) DO UPDATE SET subscribed = TRUE, \
             last_seen_at = excluded.last_seen_at, \
             subscribed_at = COALESCE(excluded.subscribed_at, followers.subscribed_at), \
             scene = CASE WHEN excluded.subscribed_at IS NULL THEN followers.scene \
             ELSE excluded.scene END, \
             loc_latitude = COALESCE(excluded.loc_latitude, followers.loc_latitude), \
             loc_longitude = COALESCE(excluded.loc_longitude, followers.loc_longitude), \
             loc_precision = COALESCE(excluded.loc_precision, followers.loc_precision), \
             loc_reported_at = COALESCE(excluded.loc_reported_at, followers.loc_reported_at)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Applies a batch's counters to this instance's `shard` rows: two upserts, rows in key order.
async fn apply_tally(tally: Tally, shard: i32, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let scenes: Vec<_> = tally.scenes.into_iter().collect();
    for chunk in scenes.chunks(rows_per_statement(7)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO scene_counters (account, scene, day, subscribes, scans, unsubscribes, \
             shard) ",
        );
        query.push_values(
            chunk,
            |mut row, ((account, scene, day), (subscribes, scans, unsubscribes))| {
                row.push_bind(account.as_str())
                    .push_bind(scene.as_str())
                    .push_bind(*day)
                    .push_bind(*subscribes)
                    .push_bind(*scans)
                    .push_bind(*unsubscribes)
                    .push_bind(shard);
            },
        );
        query.push(
            " ON CONFLICT (account, scene, day, shard) DO UPDATE SET \
                 subscribes = scene_counters.subscribes + excluded.subscribes, \
                 scans = scene_counters.scans + excluded.scans, \
                 unsubscribes = scene_counters.unsubscribes + excluded.unsubscribes",
        );
        query.build().execute(&mut *conn).await?;
    }
    let days: Vec<_> = tally.days.into_iter().collect();
    for chunk in days.chunks(rows_per_statement(7)) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO day_counters (account, day, events, subscribes, unsubscribes, scans, \
             shard) ",
        );
        query.push_values(
            chunk,
            |mut row, ((account, day), (events, subscribes, unsubscribes, scans))| {
                row.push_bind(account.as_str())
                    .push_bind(*day)
                    .push_bind(*events)
                    .push_bind(*subscribes)
                    .push_bind(*unsubscribes)
                    .push_bind(*scans)
                    .push_bind(shard);
            },
        );
        query.push(
            " ON CONFLICT (account, day, shard) DO UPDATE SET events = day_counters.events + excluded.events, \
                 subscribes = day_counters.subscribes + excluded.subscribes, \
                 unsubscribes = day_counters.unsubscribes + excluded.unsubscribes, \
                 scans = day_counters.scans + excluded.scans",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether follower `openid` of `account` is subscribed and the scene it came from (read
/// before the user is forgotten, for its unsubscribe's counters); None when unknown.
async fn known(
    conn: &mut PgConnection,
    account: &str,
    openid: &str,
) -> Result<Option<(bool, Option<String>)>, sqlx::Error> {
    let row: Option<(bool, Option<String>)> = sqlx::query_as(
        "SELECT subscribed, scene FROM followers WHERE account = $1 AND openid = $2",
    )
    .bind(account)
    .bind(openid)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row)
}

/// Deletes every event, the follower row and the template messages (with their unsent
/// outbox rows) of `openid` of `account`; counters and notify deliveries stay.
async fn forget(
    conn: &mut PgConnection,
    account: &str,
    openid: &str,
) -> Result<Recorded, sqlx::Error> {
    sqlx::query(sql::DELETE_EVENTS_OF)
        .bind(account)
        .bind(openid)
        .execute(&mut *conn)
        .await?;
    sqlx::query(sql::DELETE_FOLLOWER)
        .bind(account)
        .bind(openid)
        .execute(&mut *conn)
        .await?;
    for statement in [
        crate::store::messages::DELETE_MESSAGES_OF,
        crate::store::jobs::DELETE_TEMPLATE_JOBS_OF,
    ] {
        sqlx::query(statement)
            .bind(account)
            .bind(openid)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Recorded::Forgotten)
}
