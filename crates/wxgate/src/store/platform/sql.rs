//! The platform's SQL, the same text on both backends (`$N` parameters, unix milliseconds).

/// Keeps the newest ticket ($1 component_appid, $2 ticket, $3 received_at).
pub(in crate::store) const UPSERT_TICKET: &str = "INSERT INTO open_tickets \
    (component_appid, ticket, received_at) VALUES ($1, $2, $3) \
    ON CONFLICT (component_appid) DO UPDATE SET ticket = excluded.ticket, \
    received_at = excluded.received_at";

/// The newest ticket of $1.
pub(in crate::store) const SELECT_TICKET: &str =
    "SELECT ticket, received_at FROM open_tickets WHERE component_appid = $1";

/// Claims a code ($1 digest, $2 now); a row comes back for the first claimer only.
pub(in crate::store) const CLAIM_CODE: &str = "INSERT INTO open_codes (code_digest, claimed_at) \
    VALUES ($1, $2) ON CONFLICT (code_digest) DO NOTHING RETURNING claimed_at";

/// Prunes the codes claimed before $1.
pub(in crate::store) const PRUNE_CODES: &str = "DELETE FROM open_codes WHERE claimed_at < $1";

/// Inserts or updates an authorizer ($1 appid, $2 user_name, $3 nick_name, $4 principal_name,
/// $5 service_type, $6 verify_type, $7 func_info, $8 status, $9 authorized_at, $10 updated_at,
/// $11 revoked_at, $12 sealed refresh token or NULL to keep the stored one).
pub(in crate::store) const UPSERT_AUTHORIZER: &str = "INSERT INTO open_authorizers \
    (appid, user_name, nick_name, principal_name, service_type, verify_type, func_info, status, \
    authorized_at, updated_at, revoked_at, refresh_token) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
    ON CONFLICT (appid) DO UPDATE SET user_name = excluded.user_name, \
    nick_name = excluded.nick_name, principal_name = excluded.principal_name, \
    service_type = excluded.service_type, verify_type = excluded.verify_type, \
    func_info = excluded.func_info, status = excluded.status, \
    authorized_at = excluded.authorized_at, updated_at = excluded.updated_at, \
    revoked_at = excluded.revoked_at, \
    refresh_token = COALESCE(excluded.refresh_token, open_authorizers.refresh_token)";

/// Every authorizer, by appid.
pub(in crate::store) const SELECT_AUTHORIZERS: &str = "SELECT appid, user_name, nick_name, \
    principal_name, service_type, verify_type, func_info, status, authorized_at, updated_at, \
    revoked_at FROM open_authorizers ORDER BY appid";

/// The authorizer $1.
pub(in crate::store) const SELECT_AUTHORIZER: &str = "SELECT appid, user_name, nick_name, \
    principal_name, service_type, verify_type, func_info, status, authorized_at, updated_at, \
    revoked_at FROM open_authorizers WHERE appid = $1";

/// The sealed refresh token of $1.
pub(in crate::store) const SELECT_REFRESH: &str =
    "SELECT refresh_token FROM open_authorizers WHERE appid = $1 AND refresh_token IS NOT NULL";

/// A new sealed refresh token for $1 ($2 sealed, $3 now).
pub(in crate::store) const UPDATE_REFRESH: &str =
    "UPDATE open_authorizers SET refresh_token = $2, updated_at = $3 WHERE appid = $1";

/// The access token of $1 ($2 token, $3 expires_at), keeping its lease (as `tokens` elsewhere).
pub(in crate::store) const UPSERT_ACCESS: &str = "INSERT INTO tokens (appid, access_token, \
    expires_at) VALUES ($1, $2, $3) ON CONFLICT (appid) DO UPDATE SET \
    access_token = excluded.access_token, expires_at = excluded.expires_at";

/// $1's status ($2 status, $3 now).
pub(in crate::store) const UPDATE_STATUS: &str =
    "UPDATE open_authorizers SET status = $2, updated_at = $3 WHERE appid = $1";

/// $1 revoked at $2: no refresh token any more.
pub(in crate::store) const REVOKE: &str = "UPDATE open_authorizers SET status = 'revoked', \
    revoked_at = $2, updated_at = $2, refresh_token = NULL WHERE appid = $1";

/// The tokens of a revoked appid ($1), deleted with the revocation.
pub(in crate::store) const DELETE_TOKENS: &[&str] = &[
    "DELETE FROM tokens WHERE appid = $1",
    "DELETE FROM jsapi_tickets WHERE appid = $1",
];

/// The authorizers revoked before $1.
pub(in crate::store) const SELECT_REVOKED: &str = "SELECT appid FROM open_authorizers \
    WHERE status = 'revoked' AND revoked_at < $1 ORDER BY appid";

/// Deleting an authorizer's row.
pub(in crate::store) const DELETE_AUTHORIZER: &str =
    "DELETE FROM open_authorizers WHERE appid = $1";
