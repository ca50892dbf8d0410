//! A NATS store directory outlives the server: a new server on it finds the streams.

use async_nats::jetstream::{self, stream};
use cm_local_infra::bins::nats_server_bin;
use cm_local_infra::nats::{NatsConfig, NatsServer};

#[tokio::test]
async fn a_new_server_on_the_same_store_finds_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let config = NatsConfig {
        bin: nats_server_bin(None).unwrap(),
        store_dir: dir.path().join("nats"),
        log_path: dir.path().join("nats.log"),
        port: None,
        auth: None,
    };
    let mut first = NatsServer::start(config.clone()).await.unwrap();
    let js = jetstream::new(first.connect().await.unwrap());
    js.create_stream(stream::Config {
        name: "KEEP".into(),
        subjects: vec!["KEEP.>".into()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .unwrap();
    js.publish("KEEP.a", "kept".into())
        .await
        .unwrap()
        .await
        .unwrap();
    first.stop().await.unwrap();
    drop(first);

    let second = NatsServer::start(config).await.unwrap();
    let js = jetstream::new(second.connect().await.unwrap());
    let message = js
        .get_stream("KEEP")
        .await
        .unwrap()
        .get_raw_message(1)
        .await
        .unwrap();
    assert_eq!(&message.payload[..], b"kept");
}
