-- Several Official Accounts on one gateway (issue 11): every record belongs to one account,
-- by its config NAME (`[account]` alone is the account named 'default'). Existing rows become
-- the 'default' account's. What was unique per gateway is unique per account now: followers
-- (account, openid), events' dedupe key, QR codes (account, scene), scene and day counters,
-- replay marks; the outbox order is per account too. Tokens stay one per appid (two accounts
-- cannot share an appid).

ALTER TABLE followers ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE followers DROP CONSTRAINT followers_pkey;
ALTER TABLE followers ADD PRIMARY KEY (account, openid);

ALTER TABLE events ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE events DROP CONSTRAINT events_dedupe_key_key;
ALTER TABLE events ADD CONSTRAINT events_account_dedupe_key UNIQUE (account, dedupe_key);
DROP INDEX events_openid;
CREATE INDEX events_openid ON events (account, openid, id);

ALTER TABLE scene_counters ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE scene_counters DROP CONSTRAINT scene_counters_pkey;
ALTER TABLE scene_counters ADD PRIMARY KEY (account, scene, day);

ALTER TABLE day_counters ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE day_counters DROP CONSTRAINT day_counters_pkey;
ALTER TABLE day_counters ADD PRIMARY KEY (account, day);

ALTER TABLE qrcodes ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE qrcodes DROP CONSTRAINT qrcodes_pkey;
ALTER TABLE qrcodes ADD PRIMARY KEY (account, scene);

ALTER TABLE replay_guard ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE replay_guard DROP CONSTRAINT replay_guard_pkey;
ALTER TABLE replay_guard ADD PRIMARY KEY (account, query);

ALTER TABLE outbox ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
DROP INDEX outbox_webhook_openid;
CREATE INDEX outbox_webhook_openid ON outbox (webhook, account, openid, id);

ALTER TABLE messages ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE messages DROP CONSTRAINT messages_idempotency_key_key;
ALTER TABLE messages ADD CONSTRAINT messages_account_idempotency_key_key
    UNIQUE (account, idempotency_key);
DROP INDEX messages_openid;
CREATE INDEX messages_openid ON messages (account, openid);
DROP INDEX messages_msgid;
CREATE INDEX messages_msgid ON messages (account, msgid);

ALTER TABLE receipts ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE receipts DROP CONSTRAINT receipts_pkey;
ALTER TABLE receipts ADD PRIMARY KEY (account, msgid);

-- The cursor of an unfinished `wxgate followers sync`, one row per account at most.
ALTER TABLE follower_sync ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE follower_sync DROP CONSTRAINT follower_sync_pkey;
ALTER TABLE follower_sync DROP CONSTRAINT follower_sync_id_check;
ALTER TABLE follower_sync DROP COLUMN id;
ALTER TABLE follower_sync ADD PRIMARY KEY (account);
