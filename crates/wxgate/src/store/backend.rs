//! The `Store` implementation shared by SQLite and PostgreSQL. The SQL (`sql.rs`) and rows
//! (`rows.rs`) are the same for both; only the sqlx database type differs, so the glue is
//! written once here as a macro and instantiated per backend (sqlx's `query_as` needs a
//! concrete database type, and generic bounds over `sqlx::Database` would be longer than
//! the code).

/// Implements `Store` for `$store` (fields `read: Pool<$db>`, `writer: Writer`) and the
/// batch application `apply_ops` for `$applier` (field `pool: Pool<$db>`), whose
/// transactions start with `$begin`.
macro_rules! sql_store {
    ($store:ty, $applier:ty, $db:ty, $begin:expr) => {
        mod generated {
            use std::time::Duration;

            use chrono::{DateTime, Utc};
            use sqlx::Connection as _;

            use $crate::store::rows::{self, millis, utc_day};
            use $crate::store::sql::{self, Arg};
            use $crate::store::writer::{BatchOutcome, Op};
            use $crate::store::{
                EventQuery, EventRow, Follower, FollowerEffect, FollowerQuery, PushWrite, QrCode,
                Recorded, Stats, Store, StoreError, StoredToken,
            };

            type Conn = <$db as sqlx::Database>::Connection;

            /// Events deleted per statement by `purge_events`.
            const PURGE_CHUNK: i64 = 1000;

            impl $applier {
                /// Applies `ops` in one transaction, each under a savepoint, committed once.
                pub(super) async fn apply_ops(&self, ops: &[Op]) -> BatchOutcome {
                    let mut tx = self.pool.begin_with($begin).await?;
                    let mut outcomes = Vec::with_capacity(ops.len());
                    for op in ops {
                        let mut savepoint = tx.begin().await?;
                        match apply_one(&mut savepoint, op).await {
                            Ok(recorded) => {
                                savepoint.commit().await?;
                                outcomes.push(Ok(recorded));
                            }
                            Err(error) => {
                                savepoint.rollback().await?;
                                outcomes.push(Err(StoreError::Database(error)));
                            }
                        }
                    }
                    tx.commit().await?;
                    Ok(outcomes)
                }
            }

            async fn apply_one(conn: &mut Conn, op: &Op) -> Result<Recorded, sqlx::Error> {
                let write = match op {
                    Op::Forget(openid) => return forget(conn, openid).await,
                    Op::Record(write) if write.effect == FollowerEffect::Forget => {
                        return forget(conn, &write.openid).await;
                    }
                    Op::Record(write) => write,
                };
                let id: Option<i64> = sqlx::query_scalar(sql::INSERT_EVENT)
                    .bind(&write.dedupe_key)
                    .bind(&write.openid)
                    .bind(&write.msg_type)
                    .bind(&write.event)
                    .bind(&write.event_key)
                    .bind(write.create_time)
                    .bind(millis(write.received_at))
                    .bind(&write.fields_json)
                    .bind(&write.raw_xml)
                    .bind(&write.reply)
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some(id) = id else {
                    let reply: Option<String> = sqlx::query_scalar(sql::SELECT_REPLY)
                        .bind(&write.dedupe_key)
                        .fetch_one(&mut *conn)
                        .await?;
                    return Ok(Recorded::Duplicate { reply });
                };
                apply_effect(conn, write).await?;
                Ok(Recorded::Stored { id })
            }

            async fn apply_effect(conn: &mut Conn, write: &PushWrite) -> Result<(), sqlx::Error> {
                let at = millis(write.received_at);
                match &write.effect {
                    FollowerEffect::Subscribe { scene } => {
                        sqlx::query(sql::UPSERT_SUBSCRIBE)
                            .bind(&write.openid)
                            .bind(at)
                            .bind(scene)
                            .execute(&mut *conn)
                            .await?;
                        if let Some(scene) = scene {
                            count_scene(conn, scene, write.received_at, 1, 0).await?;
                        }
                    }
                    FollowerEffect::Scan { scene } => {
                        touch(conn, write).await?;
                        count_scene(conn, scene, write.received_at, 0, 1).await?;
                    }
                    FollowerEffect::Location {
                        latitude,
                        longitude,
                        precision,
                    } => {
                        sqlx::query(sql::UPSERT_LOCATION)
                            .bind(&write.openid)
                            .bind(at)
                            .bind(latitude)
                            .bind(longitude)
                            .bind(precision)
                            .execute(&mut *conn)
                            .await?;
                    }
                    FollowerEffect::Touch => touch(conn, write).await?,
                    // Handled before the event is inserted: nothing of it is stored.
                    FollowerEffect::Forget => {}
                }
                Ok(())
            }

            async fn touch(conn: &mut Conn, write: &PushWrite) -> Result<(), sqlx::Error> {
                sqlx::query(sql::UPSERT_TOUCH)
                    .bind(&write.openid)
                    .bind(millis(write.received_at))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn count_scene(
                conn: &mut Conn,
                scene: &str,
                at: DateTime<Utc>,
                subscribes: i64,
                scans: i64,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(sql::COUNT_SCENE)
                    .bind(scene)
                    .bind(utc_day(at))
                    .bind(subscribes)
                    .bind(scans)
                    .execute(&mut *conn)
                    .await?;
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

                async fn close(&self) {
                    self.writer.close().await;
                    self.read.close().await;
                }
            }
        }
    };
}

pub(super) use sql_store;
