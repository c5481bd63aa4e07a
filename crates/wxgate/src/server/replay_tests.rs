//! A replay check the store cannot answer is a 503, never "not replayed" (PostgreSQL, over a
//! real socket): the gateway's database role may write replay marks but not read their body
//! hashes, so asking the shared table fails.
use sqlx::{Connection, Executor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_replay_check_is_answered_503() {
    let role = format!("wx_noread_{:08x}", rand::random::<u32>());
    let made = role.clone();
    crate::store::tests::with_postgres_database(|url| async move {
        // Migrate as the admin, then hand the tables to a role that cannot read the marks.
        crate::store::open(&url.parse().expect("a storage url"))
            .await
            .expect("open")
            .close()
            .await;
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
        admin
            .execute(
                format!(
                    "CREATE ROLE {made} LOGIN; \
                     GRANT ALL ON SCHEMA public TO {made}; \
                     GRANT ALL ON ALL TABLES IN SCHEMA public TO {made}; \
                     GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {made}; \
                     REVOKE SELECT ON replay_guard FROM {made}; \
                     GRANT SELECT (account, query, seen_at) ON replay_guard TO {made};"
                )
                .as_str(),
            )
            .await
            .expect("the role");
        admin.close().await.expect("close");
        let limited = url.replacen("postgres://postgres@", &format!("postgres://{made}@"), 1);
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[account]\ntoken = \"tok\"\n\
             [storage]\nurl = \"{limited}\"\n"
        );
        let raw = crate::config::parse_toml(&text).expect("parses");
        let config = crate::config::Config::from_raw(raw, std::path::Path::new("."), |_| None)
            .expect("valid");
        let app = crate::app::Application::build(config)
            .await
            .expect("builds");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let (ts, nonce) = (chrono::Utc::now().timestamp().to_string(), "n1");
        let signature = wechat_proto::signature("tok", &ts, nonce);
        let xml = format!(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>\
             <CreateTime>{ts}</CreateTime><MsgType>text</MsgType><Content>hi</Content>\
             <MsgId>1</MsgId></xml>"
        );
        let status = reqwest::Client::new()
            .post(format!(
                "{base}/wechat?signature={signature}&timestamp={ts}&nonce={nonce}"
            ))
            .body(xml)
            .send()
            .await
            .expect("push")
            .status()
            .as_u16();
        assert_eq!(
            status, 503,
            "a replay check that failed must not pass the push"
        );
        let _ = stop.send(());
        server.await.expect("server task").expect("server ran");
    })
    .await;
    if let Ok(admin_url) = std::env::var("WXGATE_TEST_DATABASE_URL") {
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect");
        let _ = admin
            .execute(format!("DROP ROLE IF EXISTS {role}").as_str())
            .await;
    }
}
