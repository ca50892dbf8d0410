//! An `https` API: a TLS-terminating proxy, with a certificate from a private CA made here, in
//! front of the real stack (the usual way to expose a gateway beyond loopback). The CLI
//! refuses the certificate until told to trust the CA, by flag, environment or profile.

use std::sync::Arc;

use cm_e2e::TestStack;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::cm::Cm;

/// Starts the proxy to `upstream` (`host:port`); returns its `https` base URL and the CA's PEM.
async fn https_proxy(upstream: String) -> (String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name = named("codex-manager test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    // Its own name: one equal to the issuer's reads as self-signed to OpenSSL.
    leaf.distinguished_name = named("codex-manager test gateway");
    let leaf = leaf.signed_by(&key, &ca).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            tokio::spawn(async move {
                // A refused handshake (the client's verdict on the certificate) ends here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut gateway = TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut gateway).await;
            });
        }
    });
    (base, ca.pem())
}

fn named(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_gateway_is_trusted_through_its_ca_by_flag_environment_or_profile() {
    let stack = TestStack::start(cm_mock_model::Script::text("ok"))
        .await
        .unwrap();
    let upstream = stack.api.base.trim_start_matches("http://").to_owned();
    let (base, ca_pem) = https_proxy(upstream).await;
    let cm = Cm::against(&stack).with_url(&base);
    let ca = cm.home.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let ca = ca.to_str().unwrap();

    // Not trusted: unreachable, saying why and what to do, and not retried (it would not
    // change).
    let out = cm.run(&["system", "health"]).await;
    let stderr = &out.code(7).stderr;
    assert!(stderr.contains("certificate verify failed"), "{stderr}");
    assert!(stderr.contains("--ca-cert"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");

    // Trusted by flag, then by environment: the same answers as over http.
    let health = cm
        .run(&["--ca-cert", ca, "system", "health", "--json"])
        .await;
    assert_eq!(health.ok().json()["status"], "ok");
    let created = cm
        .run_env(&["sessions", "create", "--json"], &[("CM_CA_CERT", ca)])
        .await;
    let id = created.ok().json()["id"].as_str().unwrap().to_owned();
    let got = stack.api.get(&format!("/api/sessions/{id}")).await.unwrap();
    assert_eq!(got["session"]["id"], id.as_str(), "{got}");

    // Kept in a profile.
    let token = stack.api.token.clone();
    let bare = Cm::bare();
    bare.run(&[
        "profile",
        "set",
        "tls",
        "--url",
        &base,
        "--token",
        &token,
        "--ca-cert",
        ca,
        "--use",
    ])
    .await
    .ok();
    let shown = bare.run(&["profile", "show", "--json"]).await;
    assert_eq!(shown.ok().json()["caCert"], ca);
    let listed = bare.run(&["sessions", "list", "--json"]).await;
    assert!(listed.ok().stdout.contains(&id), "{}", listed.stdout);

    // A file that holds no certificate is a usage error, named.
    let out = cm
        .run(&["--ca-cert", "/dev/null", "system", "health"])
        .await;
    assert!(
        out.code(2).stderr.contains("--ca-cert /dev/null"),
        "{}",
        out.stderr
    );
}
