//! Builders for test writes.
use chrono::{DateTime, Utc};

use crate::store::{ClaimedJob, FollowerEffect, Job, PushWrite, TemplateJob, WebhookJob};

/// 2024-05-01T00:00:00Z plus `secs` seconds.
pub(super) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_521_600 + secs, 0).expect("in range")
}

/// A push from `openid` with dedupe key `key`, received at `at(secs)`, with `effect`;
/// raw XML, fields and reply all hold the openid (as real ones do).
pub(super) fn push(openid: &str, key: &str, secs: i64, effect: FollowerEffect) -> PushWrite {
    let (msg_type, event) = match &effect {
        FollowerEffect::Subscribe { .. } => ("event", Some("subscribe")),
        FollowerEffect::Scan { .. } => ("event", Some("SCAN")),
        FollowerEffect::Location { .. } => ("event", Some("LOCATION")),
        FollowerEffect::Forget => ("event", Some("unsubscribe")),
        FollowerEffect::Touch => ("text", None),
    };
    PushWrite {
        account: "default".to_string(),
        dedupe_key: key.to_string(),
        openid: openid.to_string(),
        msg_type: msg_type.to_string(),
        event: event.map(str::to_string),
        event_key: None,
        create_time: at(secs).timestamp(),
        received_at: at(secs),
        raw_xml: format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{openid}]]>\
             </FromUserName><CreateTime>{secs}</CreateTime><MsgType><![CDATA[{msg_type}]]>\
             </MsgType><Content><![CDATA[hello]]></Content></xml>"
        ),
        reply: Some(format!(
            "<xml><ToUserName><![CDATA[{openid}]]></ToUserName></xml>"
        )),
        effect,
        replay: None,
        deliveries: Vec::new(),
    }
}

/// A text push (Touch).
pub(super) fn text(openid: &str, key: &str, secs: i64) -> PushWrite {
    push(openid, key, secs, FollowerEffect::Touch)
}

/// Makes every insert into `table` whose `column` equals `value` fail, with a trigger, so a
/// test can make one write of a batch fail. `table`, `column` and `value` are test literals.
pub(super) async fn refuse_inserts(url: &str, table: &str, column: &str, value: &str) {
    use sqlx::{Connection, Executor};
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} \
             WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ))
        .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        conn.execute(
            format!(
                "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
            )
            .as_str(),
        )
        .await
        .unwrap();
    }
}

/// The webhook delivery `job` is (a test failure if it is of another kind).
pub(super) fn webhook_job(job: &ClaimedJob) -> &WebhookJob {
    match &job.job {
        Job::Webhook(webhook) => webhook,
        other => panic!("job {} is not a webhook delivery: {other:?}", job.id),
    }
}

/// The template send `job` is (a test failure if it is of another kind).
pub(super) fn template_job(job: &ClaimedJob) -> &TemplateJob {
    match &job.job {
        Job::Template(template) => template,
        other => panic!("job {} is not a template send: {other:?}", job.id),
    }
}
