-- The account's web pages: OAuth sign-in and the JS-SDK's jsapi_ticket.
-- A sign-in sent to WeChat, keyed by SHA-256 of its state (never the state itself), for 10
-- minutes; taken (deleted) by the callback that finishes it.
CREATE TABLE sign_ins (
    state_digest BYTEA PRIMARY KEY NOT NULL,
    account      TEXT NOT NULL,
    redirect     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sign_ins_expires_at ON sign_ins (expires_at);
-- A finished sign-in, keyed by SHA-256 of its one-time ticket, for 60 seconds; taken
-- (deleted) when the page's server redeems the ticket. Swept when expired.
CREATE TABLE sign_in_tickets (
    ticket_digest   BYTEA PRIMARY KEY NOT NULL,
    account         TEXT NOT NULL,
    appid           TEXT NOT NULL,
    openid          TEXT NOT NULL,
    unionid         TEXT,
    scope           TEXT NOT NULL,
    is_snapshotuser BIGINT NOT NULL,
    userinfo        TEXT,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sign_in_tickets_expires_at ON sign_in_tickets (expires_at);
-- Each appid's jsapi_ticket and the lease of the instance fetching it (as tokens).
CREATE TABLE jsapi_tickets (
    appid        TEXT PRIMARY KEY NOT NULL,
    ticket       TEXT,
    expires_at   BIGINT,
    lease_holder TEXT,
    lease_until  BIGINT
);
