//! Creating a channel QR code through the API and recording it in the store.
use chrono::Utc;
use wechat_api::{ApiClient, ApiError, QrRequest};

use crate::store::{QrCode, QrCodes, StoreError};

/// Why a code could not be created or recorded.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// WeChat refused or could not be reached.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// WeChat created the code but recording it failed.
    #[error("the code was created but not recorded: {0}")]
    Store(#[from] StoreError),
}

/// Creates the code `request` describes (its limits were checked when it was built) and
/// records it as `account`'s under its scene with `label`, replacing an earlier code of that
/// account and scene. Without a
/// `label` the earlier code's label is kept; an empty one clears it.
pub async fn create(
    client: &ApiClient,
    store: &dyn QrCodes,
    account: &str,
    request: &QrRequest,
    label: Option<String>,
) -> Result<QrCode, CreateError> {
    let label = match label {
        Some(label) => Some(label).filter(|l| !l.trim().is_empty()),
        None => store
            .qrcode(account, &request.scene().to_string())
            .await?
            .and_then(|earlier| earlier.label),
    };
    let created = client.create_qrcode(request).await?;
    let created_at = Utc::now();
    let expire_seconds = created.expire_seconds.map(i64::from);
    let code = QrCode {
        account: account.to_string(),
        scene: request.scene().to_string(),
        action_name: created.action_name.as_str().to_owned(),
        ticket: created.ticket,
        url: created.url,
        expire_seconds,
        expires_at: expire_seconds.map(|s| created_at + chrono::Duration::seconds(s)),
        label,
        created_at,
    };
    store.save_qrcode(&code).await?;
    Ok(code)
}

/// Where the picture of `ticket` can be fetched: from the configured API when there is a
/// client (the mock serves it), else from WeChat's `mp.weixin.qq.com`.
pub fn show_url(client: Option<&ApiClient>, ticket: &str) -> String {
    match client {
        Some(client) => client.showqrcode_url(ticket),
        None => {
            let ticket: String = form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
            format!("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={ticket}")
        }
    }
}
