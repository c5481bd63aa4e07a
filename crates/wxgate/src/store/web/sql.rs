//! The web pages' SQL, the same text on both backends (`$N` parameters, unix milliseconds).

/// Keeps a sign-in ($1 digest of the state, $2 account, $3 redirect, $4 scope, $5 expires_at).
pub(in crate::store) const INSERT_SIGN_IN: &str = "INSERT INTO sign_ins \
    (state_digest, account, redirect, scope, expires_at) VALUES ($1, $2, $3, $4, $5)";

/// Takes the sign-in of $1 (the caller checks its expiry: an expired one goes too).
pub(in crate::store) const TAKE_SIGN_IN: &str = "DELETE FROM sign_ins WHERE state_digest = $1 \
    RETURNING account, redirect, scope, expires_at";

/// Keeps a finished sign-in ($1 digest of the ticket, $2 account, $3 appid, $4 openid,
/// $5 unionid, $6 scope, $7 is_snapshotuser (0/1), $8 userinfo JSON, $9 expires_at).
pub(in crate::store) const INSERT_RESULT: &str = "INSERT INTO sign_in_tickets \
    (ticket_digest, account, appid, openid, unionid, scope, is_snapshotuser, userinfo, \
    expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Takes the finished sign-in of $1 (the caller checks its expiry).
pub(in crate::store) const TAKE_RESULT: &str = "DELETE FROM sign_in_tickets \
    WHERE ticket_digest = $1 RETURNING account, appid, openid, unionid, scope, \
    is_snapshotuser, userinfo, expires_at";

/// Deletes the states expired at $1.
pub(in crate::store) const SWEEP_SIGN_INS: &str = "DELETE FROM sign_ins WHERE expires_at <= $1";

/// Deletes the tickets expired at $1.
pub(in crate::store) const SWEEP_RESULTS: &str =
    "DELETE FROM sign_in_tickets WHERE expires_at <= $1";

/// The stored jsapi_ticket of an appid.
pub(in crate::store) const SELECT_TICKET: &str = "SELECT ticket, expires_at FROM jsapi_tickets \
    WHERE appid = $1 AND ticket IS NOT NULL AND expires_at IS NOT NULL";

/// Stores the jsapi_ticket of an appid ($1 appid, $2 ticket, $3 expires_at), keeping its lease.
pub(in crate::store) const UPSERT_TICKET: &str = "INSERT INTO jsapi_tickets \
    (appid, ticket, expires_at) VALUES ($1, $2, $3) ON CONFLICT (appid) DO UPDATE SET \
    ticket = excluded.ticket, expires_at = excluded.expires_at";

/// Takes (or renews) the fetch lease when it is free, expired or already ours ($1 appid,
/// $2 holder, $3 lease_until, $4 now); returns a row when taken.
pub(in crate::store) const TAKE_TICKET_LEASE: &str = "INSERT INTO jsapi_tickets \
    (appid, lease_holder, lease_until) VALUES ($1, $2, $3) ON CONFLICT (appid) DO UPDATE SET \
    lease_holder = excluded.lease_holder, lease_until = excluded.lease_until \
    WHERE jsapi_tickets.lease_until IS NULL OR jsapi_tickets.lease_until <= $4 \
    OR jsapi_tickets.lease_holder = excluded.lease_holder RETURNING appid";

/// Compare-and-expire: the ticket of $1 expired at $3 only if it is still $2 and later.
pub(in crate::store) const EXPIRE_TICKET: &str = "UPDATE jsapi_tickets SET expires_at = $3 \
    WHERE appid = $1 AND ticket = $2 AND expires_at > $3";

/// Gives the fetch lease of $1 back if $2 holds it.
pub(in crate::store) const RELEASE_TICKET_LEASE: &str = "UPDATE jsapi_tickets \
    SET lease_holder = NULL, lease_until = NULL WHERE appid = $1 AND lease_holder = $2";
