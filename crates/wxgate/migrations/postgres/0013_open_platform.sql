-- The third-party platform ([open_platform], contract section 7).
-- The newest component_verify_ticket of each platform (keyed by its component_appid, so two
-- platforms sharing one database never overwrite each other's).
CREATE TABLE open_tickets (
    component_appid TEXT PRIMARY KEY NOT NULL,
    ticket          TEXT NOT NULL,
    received_at     BIGINT NOT NULL
);
-- The accounts that authorised the platform. refresh_token is sealed (AES-256-GCM under a key
-- derived from component_appsecret, the appid as associated data): nonce || ciphertext.
CREATE TABLE open_authorizers (
    appid          TEXT PRIMARY KEY NOT NULL,
    user_name      TEXT NOT NULL,
    nick_name      TEXT,
    principal_name TEXT,
    service_type   BIGINT,
    verify_type    BIGINT,
    func_info      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    authorized_at  BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    refresh_token  BYTEA
);
CREATE INDEX open_authorizers_revoked_at ON open_authorizers (revoked_at);
-- Authorisation codes exchanged, by SHA-256 of the code: the first to insert one exchanges
-- it, whichever path (push or browser redirect) and instance it came by.
CREATE TABLE open_codes (
    code_digest BYTEA PRIMARY KEY NOT NULL,
    claimed_at  BIGINT NOT NULL
);
CREATE INDEX open_codes_claimed_at ON open_codes (claimed_at);
