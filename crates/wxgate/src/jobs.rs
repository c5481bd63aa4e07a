//! The seam between the job queue's dispatcher and the modules that own a kind of job.
//!
//! The queue itself is the store's ([`JobQueue`](crate::store::JobQueue), typed
//! [`Job`](crate::store::Job)s). Its dispatcher (`webhooks::outbox`) claims jobs and routes
//! them by kind: webhook deliveries it POSTs itself; template sends it hands to the
//! [`TemplateRunner`] it was given (`messages` provides it). So neither `webhooks` nor
//! `messages` imports the other. This module imports `store` only.
use async_trait::async_trait;

use crate::store::{ClaimedJob, TemplateJob};

/// Runs claimed template jobs for the dispatcher.
#[async_trait]
pub trait TemplateRunner: Send + Sync {
    /// One attempt at `template`, the job of `job`. `Ok` when it is settled — its outcome
    /// recorded and the job deleted from the queue, by the runner; `Err(why)` when it is to
    /// be tried again after the dispatcher's backoff (why: for the log, no secrets).
    async fn run(&self, job: &ClaimedJob, template: &TemplateJob) -> Result<(), String>;
}
