//! A by-hand measurement of group commit (not a pass/fail test; nothing asserts on time):
//! `cargo test -p wxgate --release --lib store::tests::throughput -- --ignored --nocapture`
use std::time::Instant;

use futures::future::join_all;
use metrics_exporter_prometheus::PrometheusBuilder;

use super::fixtures::text;
use crate::store::Store;

/// Mean batch size and batch count from the rendered `wxgate_store_batch_writes` summary.
fn batches(rendered: &str) -> (f64, f64) {
    let value = |suffix: &str| -> f64 {
        let name = format!("wxgate_store_batch_writes_{suffix} ");
        rendered
            .lines()
            .find_map(|line| line.strip_prefix(&name))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    };
    (value("sum"), value("count"))
}

/// `clients` tasks each recording `per_client` pushes one after another.
async fn load(store: &dyn Store, clients: usize, per_client: usize, tag: &str) {
    join_all((0..clients).map(|client| async move {
        for i in 0..per_client {
            let key = format!("{tag}-{client}-{i}");
            store
                .record(text(&format!("o{client}"), &key, i as i64))
                .await
                .ok();
        }
    }))
    .await;
}

#[test]
#[ignore = "measurement, run by hand with --ignored --nocapture"]
fn group_commit_throughput() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("wxgate.db").display());
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        runtime.expect("runtime").block_on(async {
            let store = crate::store::open(&url).await.expect("open");
            for (clients, per_client) in [(1, 300), (50, 200), (500, 40)] {
                let before = batches(&handle.render());
                let started = Instant::now();
                load(store.as_ref(), clients, per_client, &format!("c{clients}")).await;
                let seconds = started.elapsed().as_secs_f64();
                let after = batches(&handle.render());
                let (writes, commits) = (after.0 - before.0, after.1 - before.1);
                println!(
                    "{clients:>4} concurrent: {writes:.0} pushes in {seconds:.2} s = \
                     {:.0} pushes/s, {:.0} commits/s, {:.1} pushes per commit (fsync)",
                    writes / seconds,
                    commits / seconds,
                    writes / commits.max(1.0),
                );
            }
            store.close().await;
        });
    });
}
