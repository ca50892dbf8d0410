//! NatsServer: start, JetStream file storage across restart and kill, cleanup on drop.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use cm_test_support::{NatsServer, init_tracing, wait_for};

use crate::wait_pid_gone;

fn file_stream(name: &str) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: vec![format!("{name}.>")],
        storage: stream::StorageType::File,
        ..Default::default()
    }
}

#[tokio::test]
async fn jetstream_file_storage_survives_restart() {
    init_tracing();
    let started = Instant::now();
    let mut nats = NatsServer::start().await.unwrap();
    println!("NatsServer::start took {:?}", started.elapsed());
    assert_eq!(nats.url(), format!("nats://127.0.0.1:{}", nats.port()));
    assert_ne!(nats.port(), 4222);

    let js = jetstream::new(nats.connect().await.unwrap());
    js.create_stream(file_stream("KEEP")).await.unwrap();
    let ack = js
        .publish("KEEP.one", "hello".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(ack.sequence, 1);
    let old_pid = nats.pid().unwrap();

    let started = Instant::now();
    nats.restart().await.unwrap();
    println!("NatsServer::restart took {:?}", started.elapsed());
    wait_pid_gone(old_pid).await.unwrap();
    assert_ne!(nats.pid(), Some(old_pid));

    let js = jetstream::new(nats.connect().await.unwrap());
    let stream = js.get_stream("KEEP").await.unwrap();
    let message = stream.get_raw_message(1).await.unwrap();
    assert_eq!(message.subject.as_str(), "KEEP.one");
    assert_eq!(&message.payload[..], b"hello");
}

#[tokio::test]
async fn kill_then_restart_keeps_the_stream() {
    init_tracing();
    let mut nats = NatsServer::start().await.unwrap();
    let js = jetstream::new(nats.connect().await.unwrap());
    js.create_stream(file_stream("CRASH")).await.unwrap();
    js.publish("CRASH.a", "before".into())
        .await
        .unwrap()
        .await
        .unwrap();

    let pid = nats.pid().unwrap();
    nats.kill().await.unwrap();
    assert_eq!(nats.pid(), None);
    wait_pid_gone(pid).await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", nats.port()))
            .await
            .is_err()
    );

    nats.restart().await.unwrap();
    let js = jetstream::new(nats.connect().await.unwrap());
    let mut stream = js.get_stream("CRASH").await.unwrap();
    let ack = js
        .publish("CRASH.b", "after".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let info = stream.info().await.unwrap();
    println!(
        "after SIGKILL: ack seq {}, stream state {:?}",
        ack.sequence, info.state
    );
    assert_eq!(info.state.last_sequence, ack.sequence);
}

#[tokio::test]
async fn a_client_reconnects_after_stop_and_restart() {
    init_tracing();
    let mut nats = NatsServer::start().await.unwrap();
    let client = nats.connect().await.unwrap();
    nats.stop().await.unwrap();
    nats.restart().await.unwrap();
    wait_for(
        "the old client to reconnect",
        Duration::from_secs(10),
        || async {
            client.flush().await?;
            Ok(())
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn drop_leaves_no_process_and_no_directory() {
    init_tracing();
    let nats = NatsServer::start().await.unwrap();
    let pid = nats.pid().unwrap();
    let dir = nats.store_dir().parent().unwrap().to_path_buf();
    assert!(dir.exists());
    drop(nats);
    // Killed and reaped synchronously by Drop.
    assert!(!crate::pid_exists(pid), "nats-server {pid} survived drop");
    assert!(!dir.exists(), "{} survived drop", dir.display());
}

#[tokio::test]
async fn servers_are_independent() {
    let (a, b) = tokio::join!(NatsServer::start(), NatsServer::start());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.port(), b.port());
    let js_a = jetstream::new(a.connect().await.unwrap());
    js_a.create_stream(file_stream("ONLY_A")).await.unwrap();
    let js_b = jetstream::new(b.connect().await.unwrap());
    assert!(js_b.get_stream("ONLY_A").await.is_err());
}
