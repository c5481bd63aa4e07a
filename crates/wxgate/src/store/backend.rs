//! The `Store` implementation shared by SQLite and PostgreSQL. The SQL (`sql.rs`) and rows
//! (`rows.rs`) are the same for both; only the sqlx database type differs, so the glue is
//! written once here as a macro and instantiated per backend (sqlx's `query_as` needs a
//! concrete database type, and generic bounds over `sqlx::Database` would be longer than
//! the code).

/// Implements `Store` for `$store` (fields `read: Pool<$db>`, `writer: Writer`) and the
/// batch application `apply_ops` for `$applier` (field `pool: Pool<$db>`), whose
/// transactions start with `$begin` and whose multi-row statements use `$placeholders`.
macro_rules! sql_store {
    ($store:ty, $applier:ty, $db:ty, $begin:expr, $placeholders:expr) => {
        mod generated {
            use std::time::Duration;

            use std::collections::HashMap;

            use chrono::{DateTime, Utc};
            use sqlx::Connection as _;

            use $crate::store::plan::{
                self, CounterRow, DeliveryRow, FollowerRow, Resolved, Segment,
            };
            use $crate::store::rows::{self, millis};
            use $crate::store::sql::{self, Arg, Placeholders};
            use $crate::store::writer::{BatchOutcome, Op};
            use $crate::store::{
                Delivery, EventQuery, EventRow, Follower, FollowerQuery, PushWrite, QrCode,
                Recorded, Stats, Store, StoreError, StoredToken,
            };

            type Conn = <$db as sqlx::Database>::Connection;

            /// How this backend spells bind parameters in multi-row statements.
            const PLACEHOLDERS: Placeholders = $placeholders;

            /// Events deleted per statement by `purge_events`.
            const PURGE_CHUNK: i64 = 1000;

            impl $applier {
                /// Applies `ops` in one transaction committed once: plainly first (a few
                /// multi-row statements per batch); if a statement fails, rolls back and
                /// re-applies the batch write by write, each under a savepoint, so one failing
                /// write does not fail the others.
                pub(super) async fn apply_ops(&self, ops: &[Op]) -> BatchOutcome {
                    let mut tx = self.pool.begin_with($begin).await?;
                    match apply_plain(&mut tx, ops).await {
                        Ok(recorded) => {
                            tx.commit().await?;
                            return Ok(recorded.into_iter().map(Ok).collect());
                        }
                        Err(error) => {
                            tracing::debug!(
                                %error,
                                writes = ops.len(),
                                "batch failed; re-applying it write by write"
                            );
                            tx.rollback().await?;
                        }
                    }
                    let mut tx = self.pool.begin_with($begin).await?;
                    let mut outcomes = Vec::with_capacity(ops.len());
                    for op in ops {
                        let mut savepoint = tx.begin().await?;
                        match apply_plain(&mut savepoint, std::slice::from_ref(op)).await {
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
            }

            /// Applies `ops` in order, segment by segment (see `plan::segments`); the outcome
            /// of each op, in order.
            async fn apply_plain(
                conn: &mut Conn,
                ops: &[Op],
            ) -> Result<Vec<Recorded>, sqlx::Error> {
                let mut recorded = Vec::with_capacity(ops.len());
                for segment in plan::segments(ops) {
                    match segment {
                        Segment::Forget { openid, write } => {
                            recorded.push(forget(conn, openid).await?);
                            // The unsubscribe's own deliveries outlive the forget (contract §4).
                            let write: Vec<&PushWrite> = write.into_iter().collect();
                            insert_deliveries(conn, &plan::deliveries(&write)).await?;
                        }
                        Segment::Records(writes) => {
                            record_all(conn, &writes, &mut recorded).await?;
                        }
                    }
                }
                Ok(recorded)
            }

            /// Records consecutive pushes (no forgets): inserts their events, answers resends
            /// with their stored reply, and applies the effects of the new ones — a few
            /// multi-row statements in all. Pushes `writes`' outcomes, in order, to `recorded`.
            async fn record_all(
                conn: &mut Conn,
                writes: &[&PushWrite],
                recorded: &mut Vec<Recorded>,
            ) -> Result<(), sqlx::Error> {
                let mut inserted = HashMap::new();
                let firsts = plan::first_of_keys(writes);
                for chunk in firsts.chunks(sql::rows_per_statement(sql::EVENT_BINDS)) {
                    let text = sql::insert_events(PLACEHOLDERS, chunk.len());
                    let mut query = sqlx::query_as::<_, (i64, String)>(&text);
                    for write in chunk {
                        query = query
                            .bind(&write.dedupe_key)
                            .bind(&write.openid)
                            .bind(&write.msg_type)
                            .bind(&write.event)
                            .bind(&write.event_key)
                            .bind(write.create_time)
                            .bind(millis(write.received_at))
                            .bind(&write.raw_xml)
                            .bind(&write.reply);
                    }
                    for (id, key) in query.fetch_all(&mut *conn).await? {
                        inserted.insert(key, id);
                    }
                }
                let resolved = plan::resolve(writes, &inserted);
                let resent: Vec<&str> = resolved
                    .iter()
                    .filter_map(|r| match r {
                        Resolved::Duplicate(key) => Some(*key),
                        Resolved::Stored(..) => None,
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut replies = HashMap::new();
                for chunk in resent.chunks(sql::rows_per_statement(1)) {
                    let text = sql::select_replies(PLACEHOLDERS, chunk.len());
                    let mut query = sqlx::query_as::<_, (String, Option<String>)>(&text);
                    for key in chunk {
                        query = query.bind(*key);
                    }
                    replies.extend(query.fetch_all(&mut *conn).await?);
                }
                let mut stored = Vec::with_capacity(resolved.len());
                for r in resolved {
                    recorded.push(match r {
                        Resolved::Stored(id, write) => {
                            stored.push(write);
                            Recorded::Stored { id }
                        }
                        // Stored by another instance and deleted meanwhile: fails the write
                        // (the careful re-run answers it alone).
                        Resolved::Duplicate(key) => Recorded::Duplicate {
                            reply: replies.get(key).cloned().ok_or(sqlx::Error::RowNotFound)?,
                        },
                    });
                }
                upsert_followers(conn, &plan::followers(&stored)).await?;
                count_scenes(conn, &plan::counters(&stored)).await?;
                insert_deliveries(conn, &plan::deliveries(&stored)).await
            }

            /// Queues notify-webhook deliveries (in order), in chunks.
            async fn insert_deliveries(
                conn: &mut Conn,
                rows: &[DeliveryRow<'_>],
            ) -> Result<(), sqlx::Error> {
                for chunk in rows.chunks(sql::rows_per_statement(sql::DELIVERY_BINDS)) {
                    let text = sql::insert_deliveries(PLACEHOLDERS, chunk.len());
                    let mut query = sqlx::query(&text);
                    for row in chunk {
                        query = query
                            .bind(row.webhook)
                            .bind(row.openid)
                            .bind(row.event_id)
                            .bind(row.payload)
                            .bind(row.created_at)
                            .bind(row.created_at);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Upserts merged follower rows (one per openid), in chunks.
            async fn upsert_followers(
                conn: &mut Conn,
                rows: &[FollowerRow<'_>],
            ) -> Result<(), sqlx::Error> {
                for chunk in rows.chunks(sql::rows_per_statement(sql::FOLLOWER_BINDS)) {
                    let text = sql::upsert_followers(PLACEHOLDERS, chunk.len());
                    let mut query = sqlx::query(&text);
                    for row in chunk {
                        query = query
                            .bind(row.openid)
                            .bind(row.last_seen_at)
                            .bind(row.subscribed_at)
                            .bind(row.scene)
                            .bind(row.loc_latitude)
                            .bind(row.loc_longitude)
                            .bind(row.loc_precision)
                            .bind(row.loc_reported_at);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Adds summed counter increments (one row per scene and day), in chunks.
            async fn count_scenes(
                conn: &mut Conn,
                rows: &[CounterRow<'_>],
            ) -> Result<(), sqlx::Error> {
                for chunk in rows.chunks(sql::rows_per_statement(sql::COUNTER_BINDS)) {
                    let text = sql::count_scenes(PLACEHOLDERS, chunk.len());
                    let mut query = sqlx::query(&text);
                    for row in chunk {
                        query = query
                            .bind(row.scene)
                            .bind(row.day)
                            .bind(row.subscribes)
                            .bind(row.scans);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn forget(conn: &mut Conn, openid: &str) -> Result<Recorded, sqlx::Error> {
                sqlx::query(sql::DELETE_EVENTS_OF)
                    .bind(openid)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(sql::DELETE_FOLLOWER)
                    .bind(openid)
                    .execute(&mut *conn)
                    .await?;
                Ok(Recorded::Forgotten)
            }

            /// Runs a dynamically filtered query.
            async fn fetch_filtered<T, R>(
                pool: &sqlx::Pool<$db>,
                (sql, args): (String, Vec<Arg>),
            ) -> Result<Vec<R>, StoreError>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                R: TryFrom<T, Error = StoreError>,
            {
                let mut query = sqlx::query_as::<$db, T>(&sql);
                for arg in args {
                    query = match arg {
                        Arg::Text(value) => query.bind(value),
                        Arg::Int(value) => query.bind(value),
                        Arg::Bool(value) => query.bind(value),
                    };
                }
                query
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(R::try_from)
                    .collect()
            }

            #[async_trait::async_trait]
            impl Store for $store {
                async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError> {
                    self.writer.write(Op::Record(Box::new(write))).await
                }

                async fn stored_reply(
                    &self,
                    dedupe_key: &str,
                ) -> Result<Option<Option<String>>, StoreError> {
                    Ok(sqlx::query_scalar(sql::SELECT_REPLY)
                        .bind(dedupe_key)
                        .fetch_optional(&self.read)
                        .await?)
                }

                async fn follower(&self, openid: &str) -> Result<Option<Follower>, StoreError> {
                    sqlx::query_as::<_, rows::FollowerDb>(&sql::select_follower())
                        .bind(openid)
                        .fetch_optional(&self.read)
                        .await?
                        .map(Follower::try_from)
                        .transpose()
                }

                async fn followers(
                    &self,
                    query: &FollowerQuery,
                ) -> Result<Vec<Follower>, StoreError> {
                    fetch_filtered::<rows::FollowerDb, _>(&self.read, sql::select_followers(query))
                        .await
                }

                async fn forget(&self, openid: &str) -> Result<(), StoreError> {
                    self.writer
                        .write(Op::Forget(openid.to_string()))
                        .await
                        .map(drop)
                }

                async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
                    fetch_filtered::<rows::EventDb, _>(&self.read, sql::select_events(query)).await
                }

                async fn stats(&self) -> Result<Stats, StoreError> {
                    let totals = sqlx::query_as::<_, rows::TotalsDb>(sql::SELECT_TOTALS)
                        .fetch_one(&self.read)
                        .await?;
                    let scenes = sqlx::query_as::<_, rows::SceneDb>(&sql::select_scene_stats())
                        .fetch_all(&self.read)
                        .await?;
                    Ok(Stats {
                        subscribed: totals.subscribed,
                        total: totals.total,
                        events: totals.events,
                        scenes: scenes.into_iter().map(Into::into).collect(),
                    })
                }

                async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError> {
                    sqlx::query(sql::UPSERT_QRCODE)
                        .bind(&code.scene)
                        .bind(&code.action_name)
                        .bind(&code.ticket)
                        .bind(&code.url)
                        .bind(code.expire_seconds)
                        .bind(code.expires_at.map(millis))
                        .bind(&code.label)
                        .bind(millis(code.created_at))
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn qrcodes(&self) -> Result<Vec<(QrCode, i64, i64)>, StoreError> {
                    sqlx::query_as::<_, rows::QrCodeTotalsDb>(&sql::select_qrcodes())
                        .fetch_all(&self.read)
                        .await?
                        .into_iter()
                        .map(TryFrom::try_from)
                        .collect()
                }

                async fn qrcode(&self, scene: &str) -> Result<Option<QrCode>, StoreError> {
                    sqlx::query_as::<_, rows::QrCodeDb>(&sql::select_qrcode())
                        .bind(scene)
                        .fetch_optional(&self.read)
                        .await?
                        .map(QrCode::try_from)
                        .transpose()
                }

                async fn load_token(&self, appid: &str) -> Result<Option<StoredToken>, StoreError> {
                    sqlx::query_as::<_, rows::TokenDb>(sql::SELECT_TOKEN)
                        .bind(appid)
                        .fetch_optional(&self.read)
                        .await?
                        .map(StoredToken::try_from)
                        .transpose()
                }

                async fn save_token(
                    &self,
                    appid: &str,
                    token: &StoredToken,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::UPSERT_TOKEN)
                        .bind(appid)
                        .bind(&token.access_token)
                        .bind(millis(token.expires_at))
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn try_token_lease(
                    &self,
                    appid: &str,
                    holder: &str,
                    ttl: Duration,
                ) -> Result<bool, StoreError> {
                    let now = Utc::now();
                    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
                    let until = now
                        .checked_add_signed(ttl)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC);
                    let taken: Option<String> = sqlx::query_scalar(sql::TAKE_LEASE)
                        .bind(appid)
                        .bind(holder)
                        .bind(millis(until))
                        .bind(millis(now))
                        .fetch_optional(&self.read)
                        .await?;
                    Ok(taken.is_some())
                }

                async fn expire_token(&self, appid: &str, token: &str) -> Result<(), StoreError> {
                    sqlx::query(sql::EXPIRE_TOKEN)
                        .bind(appid)
                        .bind(token)
                        .bind(millis(Utc::now()))
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn release_token_lease(
                    &self,
                    appid: &str,
                    holder: &str,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::RELEASE_LEASE)
                        .bind(appid)
                        .bind(holder)
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn purge_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
                    let mut purged = 0;
                    loop {
                        let deleted = sqlx::query(sql::PURGE_EVENTS)
                            .bind(millis(cutoff))
                            .bind(PURGE_CHUNK)
                            .execute(&self.read)
                            .await?
                            .rows_affected();
                        purged += deleted;
                        if deleted < PURGE_CHUNK.unsigned_abs() {
                            return Ok(purged);
                        }
                    }
                }

                async fn claim_deliveries(
                    &self,
                    now: DateTime<Utc>,
                    lease: Duration,
                    limit: u32,
                ) -> Result<Vec<Delivery>, StoreError> {
                    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                    let until = now
                        .checked_add_signed(lease)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC);
                    let mut claimed = sqlx::query_as::<_, rows::DeliveryDb>(sql::CLAIM_DELIVERIES)
                        .bind(millis(now))
                        .bind(millis(until))
                        .bind(i64::from(limit))
                        .fetch_all(&self.read)
                        .await?
                        .into_iter()
                        .map(Delivery::try_from)
                        .collect::<Result<Vec<_>, _>>()?;
                    // RETURNING has no order.
                    claimed.sort_by_key(|delivery| delivery.id);
                    Ok(claimed)
                }

                async fn delivery_done(&self, id: i64) -> Result<(), StoreError> {
                    sqlx::query(sql::DELIVERY_DONE)
                        .bind(id)
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn delivery_failed(
                    &self,
                    id: i64,
                    next_at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query(sql::DELIVERY_FAILED)
                        .bind(id)
                        .bind(millis(next_at))
                        .execute(&self.read)
                        .await?;
                    Ok(())
                }

                async fn drop_deliveries(
                    &self,
                    webhook: &str,
                    cutoff: DateTime<Utc>,
                ) -> Result<u64, StoreError> {
                    Ok(sqlx::query(sql::DROP_DELIVERIES)
                        .bind(webhook)
                        .bind(millis(cutoff))
                        .execute(&self.read)
                        .await?
                        .rows_affected())
                }

                async fn pending_deliveries(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar(sql::COUNT_DELIVERIES)
                        .fetch_one(&self.read)
                        .await?)
                }

                fn health(&self) -> Result<(), String> {
                    self.health_status()
                }

                async fn close(&self) {
                    self.writer.close().await;
                    self.read.close().await;
                }
            }
        }
    };
}

pub(super) use sql_store;
