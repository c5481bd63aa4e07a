//! The decide step alone — no HTTP server, no `AppState` — on tokio's paused clock.
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use wechat_proto::{parse_message, Message, Reply};

use super::decide::decide;
use super::Pipeline;
use crate::account::{Account, Parts};
use crate::config::{parse_toml, Config};
use crate::routing::{Routing, RoutingHandle};
use crate::store::{PushLog, Store, TemplateMessages};
use crate::webhooks::CallError;

fn config(extra: &str) -> Config {
    let raw = parse_toml(&format!("[storage]\nurl = \"sqlite::memory:\"\n{extra}")).unwrap();
    Config::from_raw(raw, std::path::Path::new("."), |_| None).unwrap()
}

fn text(content: &str) -> Message {
    parse_message(
        format!(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>\
             <CreateTime>1700000000</CreateTime><MsgType>text</MsgType>\
             <Content><![CDATA[{content}]]></Content><MsgId>1</MsgId></xml>"
        )
        .as_bytes(),
    )
    .unwrap()
}

/// Account `i` of `config`, as the registry builds it.
fn account(config: &Config, i: usize, store: &Arc<dyn Store>) -> Arc<Account> {
    let parts = Parts::of(config, Arc::clone(store));
    let entry = config.accounts[i].clone();
    Arc::new(Account::new(entry, Default::default(), parts))
}

/// A pipeline over a store opened from `config`, and that store.
async fn pipeline(config: &Config) -> (Pipeline, Arc<dyn Store>) {
    let store = crate::store::open(&config.storage.url).await.unwrap();
    let pipeline = Pipeline::new(
        Arc::clone(&store) as Arc<dyn PushLog>,
        Arc::clone(&store) as Arc<dyn TemplateMessages>,
        RoutingHandle::new(Routing::of(config)),
        config.server.reply_deadline,
    );
    (pipeline, store)
}

#[tokio::test(start_paused = true)]
async fn the_first_replying_rule_answers_at_once() {
    let config = config(
        "[[rules]]\nwhen = { content = \"nothing\" }\nreply = { text = \"no\" }\n\
         [[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"you said {content}\" }\n",
    );
    let (pipeline, store) = pipeline(&config).await;
    let started = Instant::now();
    let decision = decide(
        &pipeline,
        &pipeline.routing.current(),
        &account(&config, 0, &store),
        &text("hi"),
        started + Duration::from_secs(3),
    )
    .await;
    assert_eq!(
        decision.reply,
        Some(Reply::Text {
            content: "you said hi".into()
        })
    );
    assert!(decision.late.is_none());
    assert_eq!(started.elapsed(), Duration::ZERO);
}

/// A call webhook that never answers: decide gives up at its deadline (not at the webhook's
/// longer timeout), answers nothing, and hands the call over as a late reply.
#[tokio::test(start_paused = true)]
async fn a_silent_call_webhook_is_cut_at_the_deadline_and_left_running() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    let config = config(&format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{url}\"\nmode = \"call\"\ntimeout_ms = 4000\n"
    ));
    let (pipeline, store) = pipeline(&config).await;
    let started = Instant::now();
    let decision = decide(
        &pipeline,
        &pipeline.routing.current(),
        &account(&config, 0, &store),
        &text("hi"),
        started + Duration::from_millis(2500),
    )
    .await;
    assert_eq!(started.elapsed(), Duration::from_millis(2500));
    assert_eq!(decision.reply, None);
    let late = decision.late.expect("the call goes on as a late reply");
    // The webhook's own timeout (4 s) ends it without an answer.
    let ended = late.await;
    assert!(
        matches!(ended, Ok(Some(Err(CallError::Transport(_)))) | Ok(None)),
        "{ended:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(4));
    hold.abort();
    store.close().await;
}

/// `when.account` narrows a rule to one account; a call webhook narrowed to other accounts is
/// passed over (the next matching rule answers).
#[tokio::test(start_paused = true)]
async fn rules_and_call_webhooks_narrowed_to_an_account_serve_only_it() {
    let config = config(
        "[[accounts]]\nname = \"one\"\n[[accounts]]\nname = \"two\"\n\
         [[rules]]\nwhen = { account = \"two\" }\nreply = { text = \"two only\" }\n\
         [[rules]]\nwhen = { msg_type = \"text\" }\ncall = \"bot\"\n\
         [[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"anyone\" }\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"http://127.0.0.1:9/\"\nmode = \"call\"\n\
         accounts = [\"two\"]\n",
    );
    let (pipeline, store) = pipeline(&config).await;
    let reply = |content: &str| {
        Some(Reply::Text {
            content: content.into(),
        })
    };
    for (i, expected) in [(0, "anyone"), (1, "two only")] {
        let decision = decide(
            &pipeline,
            &pipeline.routing.current(),
            &account(&config, i, &store),
            &text("hi"),
            Instant::now() + Duration::from_secs(3),
        )
        .await;
        assert_eq!(decision.reply, reply(expected), "account {i}");
    }
    store.close().await;
}
