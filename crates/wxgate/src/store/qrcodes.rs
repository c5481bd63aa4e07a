//! The QR codes port: recording a created parameterised QR code and finding one by scene.
use async_trait::async_trait;

use super::{QrCode, StoreError};

/// Recorded QR codes.
#[async_trait]
pub trait QrCodes: Send + Sync {
    /// Record (or replace, by account and scene) a QR code.
    async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError>;
    /// One QR code of an account by scene.
    async fn qrcode(&self, account: &str, scene: &str) -> Result<Option<QrCode>, StoreError>;
}
