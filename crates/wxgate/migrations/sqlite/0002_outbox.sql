-- The notify-webhook outbox: one row per pending delivery, written in the same transaction as
-- its push; deleted once delivered or when its webhook's max_age passes — NOT by a forget
-- (contract §4). Times are unix milliseconds.

-- AUTOINCREMENT: ids ascend in the order of the pushes and are never reused.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook       TEXT NOT NULL,
    openid        TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    next_at       INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0
);
-- "Is there an older pending delivery of this (webhook, openid)?" (in order per openid).
CREATE INDEX outbox_webhook_openid ON outbox (webhook, openid, id);
-- drop by max_age per webhook
CREATE INDEX outbox_webhook_created_at ON outbox (webhook, created_at);
