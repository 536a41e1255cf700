//! TLS to the team store (issue 12): libpq's `sslmode` against a real server with TLS on, and
//! against a fake plain server; client certificates (`sslcert` / `sslkey`) against a server that
//! lets the role `fa_cert` in only by its certificate (`FA_TEST_PG_CLIENT_DIR`, made by `.ci/run`).
//!
//! The real server comes from `FA_TEST_PG` and must have TLS on with a certificate for
//! `127.0.0.1` and `localhost` signed by the CA in the PEM file `FA_TEST_PG_CA` (`.ci/run` makes
//! both). Without them these tests are ignored; under `CI=true` they fail. The fake server is a
//! TCP listener in the test that answers `PostgreSQL`'s `SSLRequest` with `N` (no TLS), or with `S`
//! and then bytes that are no TLS handshake.

#![expect(clippy::unwrap_used, reason = "test helpers unwrap like #[test] functions do")]

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use frontier_atlas::db::{self, DbError};

#[path = "common/pg.rs"]
mod pg;

mod common;

/// The CA that signed the test server's certificate.
fn ca() -> PathBuf {
    let ca = std::env::var("FA_TEST_PG_CA").unwrap_or_default();
    assert!(
        !ca.trim().is_empty(),
        "FA_TEST_PG_CA is not set: the TLS tests need the PEM file of the CA that signed the test server's \
         certificate (.ci/run makes one); under CI this is required, elsewhere the test is ignored"
    );
    let ca = PathBuf::from(ca);
    assert!(ca.is_file(), "FA_TEST_PG_CA={} is not a file", ca.display());
    ca
}

/// The test server's URL with `params` added to its query.
fn url(params: &str) -> String {
    let base = pg::server_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{params}")
}

/// The test server as `key=value` pairs for TCP host name `host` at address 127.0.0.1 (so the
/// certificate's names can be missed on purpose), with `params` added.
fn key_value(host: &str, params: &str) -> String {
    let config: postgres::Config = pg::server_url().parse().unwrap();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let dbname = config.get_dbname().unwrap_or("postgres");
    format!("host={host} hostaddr=127.0.0.1 port={port} user={user} dbname={dbname} {params}")
}

/// `sslrootcert=FILE` as a URL parameter.
fn root(path: &Path) -> String {
    let text = path.display().to_string();
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    format!("sslrootcert={out}")
}

/// Whether the session `url` opens runs over TLS, as the server sees it.
fn ssl_in_use(url: &str) -> bool {
    let mut client = db::connect(url).unwrap_or_else(|e| panic!("{e}"));
    client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0)
}

/// The refusal `db::connect(url)` gives, as text.
fn refusal(url: &str) -> String {
    match db::connect(url) {
        Ok(_) => panic!("{url}: connected, but should have been refused"),
        Err(e @ DbError::Connect { .. }) => e.to_string(),
        Err(e) => panic!("{url}: refused, but not as a connection error: {e}"),
    }
}

/// A CA that did not sign the test server's certificate.
fn other_ca() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/other-ca.crt")
}

#[test]
#[cfg_attr(
    missing_pg_tls,
    ignore = "needs a PostgreSQL server with TLS on: set FA_TEST_PG and FA_TEST_PG_CA (see .ci/run)"
)]
fn disable_is_plain_and_prefer_and_require_use_tls() {
    assert!(!ssl_in_use(&url("sslmode=disable")), "sslmode=disable ran over TLS");
    assert!(ssl_in_use(&url("sslmode=prefer")), "sslmode=prefer stayed plain though the server offers TLS");
    assert!(ssl_in_use(&url("sslmode=require")), "sslmode=require stayed plain");
    // libpq: require with a root certificate checks the chain (as verify-ca).
    assert!(ssl_in_use(&url(&format!("sslmode=require&{}", root(&ca())))));
}

#[test]
#[cfg_attr(
    missing_pg_tls,
    ignore = "needs a PostgreSQL server with TLS on: set FA_TEST_PG and FA_TEST_PG_CA (see .ci/run)"
)]
fn verify_full_with_the_servers_ca_connects_by_address_and_by_name() {
    let ca = ca();
    assert!(ssl_in_use(&url(&format!("sslmode=verify-full&{}", root(&ca)))));
    let by_name = url(&format!("sslmode=verify-full&{}", root(&ca))).replace("@127.0.0.1:", "@localhost:");
    assert!(by_name.contains("@localhost:"), "{by_name}");
    assert!(ssl_in_use(&by_name));
    // The key=value form, with the root certificate quoted.
    let kv = key_value("127.0.0.1", &format!("sslmode=verify-full sslrootcert='{}'", ca.display()));
    assert!(ssl_in_use(&kv));
}

#[test]
#[cfg_attr(
    missing_pg_tls,
    ignore = "needs a PostgreSQL server with TLS on: set FA_TEST_PG and FA_TEST_PG_CA (see .ci/run)"
)]
fn verify_full_refuses_a_certificate_no_trusted_authority_signed() {
    // The system's trust store does not hold the throwaway CA.
    let e = refusal(&url("sslmode=verify-full&sslrootcert=system"));
    assert!(
        e.contains("certificate is not trusted")
            && e.contains("system's trust store")
            && e.contains("sslrootcert=FILE")
            && e.contains("127.0.0.1"),
        "{e}"
    );
    // No root certificate at all: ~/.postgresql/root.crt, else the system's store; neither has it.
    let e = refusal(&url("sslmode=verify-full"));
    assert!(e.contains("certificate is not trusted") && e.contains("sslmode=verify-full"), "{e}");
    // Another CA's certificate: the file is named.
    let other = other_ca();
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = refusal(&url(&format!("sslmode={mode}&{}", root(&other))));
        assert!(
            e.contains("not signed by an authority in the root certificate file")
                && e.contains(&other.display().to_string())
                && e.contains(&format!("sslmode={mode}")),
            "{e}"
        );
    }
    // A root certificate file that is not there is named, before anything is sent.
    let e = refusal(&url("sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"));
    assert!(e.contains("/nonexistent/ca.crt") && e.contains("cannot read"), "{e}");
}

#[test]
#[cfg_attr(
    missing_pg_tls,
    ignore = "needs a PostgreSQL server with TLS on: set FA_TEST_PG and FA_TEST_PG_CA (see .ci/run)"
)]
fn verify_full_refuses_a_host_name_the_certificate_does_not_list_and_verify_ca_does_not_mind() {
    let ca = ca();
    let wrong = key_value("atlas-db.invalid", &format!("sslmode=verify-full sslrootcert='{}'", ca.display()));
    let e = refusal(&wrong);
    assert!(
        e.contains("certificate is not trusted")
            && e.contains("“atlas-db.invalid”")
            && e.contains("127.0.0.1")
            && e.contains("localhost"),
        "{e}"
    );
    let ca_only = key_value("atlas-db.invalid", &format!("sslmode=verify-ca sslrootcert='{}'", ca.display()));
    assert!(ssl_in_use(&ca_only), "verify-ca checks the chain, not the host name");
}

#[test]
#[cfg_attr(
    missing_pg_tls,
    ignore = "needs a PostgreSQL server with TLS on: set FA_TEST_PG and FA_TEST_PG_CA (see .ci/run)"
)]
fn the_live_connection_goes_through_the_same_tls() {
    let ca = ca();
    db::live::Live::connect(&url(&format!("sslmode=verify-full&{}", root(&ca)))).unwrap();
    let Err(e) = db::live::Live::connect(&url(&format!("sslmode=verify-full&{}", root(&other_ca())))) else {
        panic!("the live connection took a certificate another CA signed")
    };
    assert!(e.to_string().contains("certificate is not trusted"), "{e}");
}

// ---- A fake server without TLS ------------------------------------------------------------------

/// How the fake server answers a connection.
#[derive(Clone, Copy)]
enum Fake {
    /// `N` to the `SSLRequest` (no TLS here).
    NoTls,
    /// `S` to the `SSLRequest`, then bytes that are not TLS.
    BrokenTls,
}

/// What the fake server saw.
#[derive(Debug, Default)]
struct Seen {
    /// `SSLRequest`s received.
    ssl_requests: usize,
    /// Plain startup messages received, with their `user`.
    plain_logins: Vec<String>,
}

fn read_u32(s: &mut TcpStream) -> Option<u32> {
    let mut b = [0; 4];
    s.read_exact(&mut b).ok()?;
    Some(u32::from_be_bytes(b))
}

/// Serves one connection the way `how` says; a plain startup is answered with a login that
/// succeeded (`AuthenticationOk`, `ReadyForQuery`).
fn serve(mut s: TcpStream, how: Fake, seen: &mut Seen) {
    loop {
        let Some(len) = read_u32(&mut s) else { return };
        let mut body = vec![0; (len as usize).saturating_sub(4)];
        if s.read_exact(&mut body).is_err() {
            return;
        }
        let code = body.get(..4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        match code {
            Some(80_877_103) => {
                seen.ssl_requests += 1;
                match how {
                    Fake::NoTls => s.write_all(b"N").unwrap(),
                    Fake::BrokenTls => {
                        // Yes to TLS, then, after the client's hello, what an HTTP server would
                        // say: not a TLS record. Read until the client gives up, so it sees the
                        // bytes rather than a reset.
                        s.write_all(b"S").unwrap();
                        let mut hello = [0; 512];
                        let _ = s.read(&mut hello);
                        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                        let _ = s.read_to_end(&mut Vec::new());
                        return;
                    }
                }
            }
            Some(196_608) => {
                let params: Vec<&[u8]> = body.get(4..).unwrap_or_default().split(|b| *b == 0).collect();
                let user = params
                    .iter()
                    .position(|p| *p == b"user")
                    .and_then(|i| params.get(i + 1))
                    .map(|u| String::from_utf8_lossy(u).into_owned())
                    .unwrap_or_default();
                seen.plain_logins.push(user);
                let mut reply = Vec::new();
                reply.extend_from_slice(b"R\0\0\0\x08\0\0\0\0");
                reply.extend_from_slice(b"Z\0\0\0\x05I");
                let _ = s.write_all(&reply);
                // Wait for the client's Terminate (or the socket closing).
                let mut rest = Vec::new();
                let _ = s.read_to_end(&mut rest);
                return;
            }
            _ => return,
        }
    }
}

/// A fake server on 127.0.0.1 serving `connections` connections; its URL and what it saw.
fn fake_server(how: Fake, connections: usize) -> (String, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Seen::default();
        for _ in 0..connections {
            let Ok((s, _)) = listener.accept() else { break };
            s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            serve(s, how, &mut seen);
        }
        seen
    });
    (format!("postgresql://alice@127.0.0.1:{port}/atlas?connect_timeout=10"), handle)
}

#[test]
fn require_against_a_server_without_tls_is_refused_in_plain_words() {
    for mode in ["require", "verify-ca", "verify-full"] {
        let (url, server) = fake_server(Fake::NoTls, 1);
        let e = refusal(&format!("{url}&sslmode={mode}"));
        assert!(
            e.contains(&format!("the server does not offer TLS (sslmode={mode})")) && e.contains("127.0.0.1"),
            "{e}"
        );
        let seen = server.join().unwrap();
        assert_eq!((seen.ssl_requests, seen.plain_logins.len()), (1, 0), "{mode}: nothing sent in plain");
    }
}

#[test]
fn prefer_against_a_server_without_tls_falls_back_to_plain() {
    let (url, server) = fake_server(Fake::NoTls, 1);
    let client = db::connect(&format!("{url}&sslmode=prefer")).unwrap_or_else(|e| panic!("{e}"));
    drop(client);
    let seen = server.join().unwrap();
    assert_eq!(seen.ssl_requests, 1, "prefer asks for TLS first");
    assert_eq!(seen.plain_logins, ["alice"], "then logs in in plain");
}

#[test]
fn prefer_tries_again_in_plain_when_the_tls_handshake_fails_as_libpq_does() {
    let (url, server) = fake_server(Fake::BrokenTls, 2);
    let client = db::connect(&format!("{url}&sslmode=prefer")).unwrap_or_else(|e| panic!("{e}"));
    drop(client);
    let seen = server.join().unwrap();
    assert_eq!((seen.ssl_requests, seen.plain_logins.as_slice()), (1, ["alice".to_owned()].as_slice()));
    // require does not: the handshake's failure is the answer.
    let (url, server) = fake_server(Fake::BrokenTls, 1);
    let e = refusal(&format!("{url}&sslmode=require"));
    assert!(e.contains("TLS handshake") && e.contains("sslmode=require"), "{e}");
    assert!(server.join().unwrap().plain_logins.is_empty());
}

#[test]
fn disable_never_asks_for_tls() {
    let (url, server) = fake_server(Fake::NoTls, 1);
    drop(db::connect(&format!("{url}&sslmode=disable")).unwrap_or_else(|e| panic!("{e}")));
    let seen = server.join().unwrap();
    assert_eq!((seen.ssl_requests, seen.plain_logins.len()), (0, 1));
}

// ---- Client certificates (sslcert / sslkey) -----------------------------------------------------

/// The folder with the role `fa_cert`'s certificate (`fa_cert.crt`, `fa_cert.key`) and a key that
/// is not its own (`wrong.key`); the server lets `fa_cert` in only by that certificate over TLS.
fn client_dir() -> PathBuf {
    let dir = std::env::var("FA_TEST_PG_CLIENT_DIR").unwrap_or_default();
    assert!(
        !dir.trim().is_empty(),
        "FA_TEST_PG_CLIENT_DIR is not set: the client-certificate tests need the role fa_cert's certificate and \
         key, and a server that takes them (.ci/run makes both); under CI this is required, elsewhere the test is \
         ignored"
    );
    let dir = PathBuf::from(dir);
    for f in ["fa_cert.crt", "fa_cert.key", "wrong.key"] {
        assert!(dir.join(f).is_file(), "{} is missing (see .ci/run)", dir.join(f).display());
    }
    dir
}

/// The test server's URL as the role `fa_cert`, with `params` added.
fn cert_url(params: &str) -> String {
    let base = url(params);
    let scheme_end = base.find("://").unwrap() + 3;
    let rest = &base[scheme_end..];
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    format!("{}fa_cert@{rest}", &base[..scheme_end])
}

/// `key=FILE` as a URL parameter (percent-encoded).
fn file_param(key: &str, path: &Path) -> String {
    root(path).replacen("sslrootcert", key, 1)
}

#[test]
#[cfg_attr(
    missing_pg_cert,
    ignore = "needs a PostgreSQL server taking client certificates: set FA_TEST_PG, FA_TEST_PG_CA and FA_TEST_PG_CLIENT_DIR (see .ci/run)"
)]
fn a_client_certificate_logs_in_and_the_server_sees_it() {
    let (ca, dir) = (ca(), client_dir());
    let params = format!(
        "sslmode=verify-full&{}&{}&{}",
        root(&ca),
        file_param("sslcert", &dir.join("fa_cert.crt")),
        file_param("sslkey", &dir.join("fa_cert.key"))
    );
    let mut client = db::connect(&cert_url(&params)).unwrap_or_else(|e| panic!("{e}"));
    let row = client
        .query_one("SELECT session_user::text, ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap();
    let (who, ssl, dn): (String, bool, Option<String>) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((who.as_str(), ssl, dn.as_deref()), ("fa_cert", true, Some("/CN=fa_cert")));
    // The key=value form, with quotes.
    let kv = key_value(
        "127.0.0.1",
        &format!(
            "sslmode=require sslcert='{}' sslkey='{}'",
            dir.join("fa_cert.crt").display(),
            dir.join("fa_cert.key").display()
        ),
    )
    .replace("user=postgres", "user=fa_cert");
    assert!(kv.contains("user=fa_cert"), "{kv}");
    drop(db::connect(&kv).unwrap_or_else(|e| panic!("{e}")));
    // A live connection too.
    db::live::Live::connect(&cert_url(&params)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
#[cfg_attr(
    missing_pg_cert,
    ignore = "needs a PostgreSQL server taking client certificates: set FA_TEST_PG, FA_TEST_PG_CA and FA_TEST_PG_CLIENT_DIR (see .ci/run)"
)]
fn without_its_certificate_or_with_another_key_the_login_is_refused_in_plain_words() {
    let dir = client_dir();
    // No certificate (and none in ~/.postgresql): refused by the server, said plainly.
    let Err(e) = db::connect(&cert_url("sslmode=require")) else { panic!("fa_cert got in without a certificate") };
    let text = e.to_string();
    assert!(matches!(e, DbError::Refused { .. }), "{e:?}");
    assert!(text.contains("valid client certificate") && text.contains("no client certificate was sent"), "{text}");
    // A key that is not the certificate's: refused before anything is sent, both files named.
    let url = cert_url(&format!(
        "sslmode=require&{}&{}",
        file_param("sslcert", &dir.join("fa_cert.crt")),
        file_param("sslkey", &dir.join("wrong.key"))
    ));
    let e = refusal(&url);
    assert!(e.contains("does not belong to") && e.contains("wrong.key") && e.contains("fa_cert.crt"), "{e}");
    // A certificate file that is not there is named.
    let e = refusal(&cert_url("sslmode=require&sslcert=/nonexistent/me.crt&sslkey=/nonexistent/me.key"));
    assert!(e.contains("/nonexistent/me.crt") && e.contains("sslcert"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_client_key_others_may_read_is_refused_as_libpq_does() {
    use db::tls::{SslMode, TlsOptions, client_identity};
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("me.crt"), dir.path().join("me.key"));
    std::fs::copy(other_ca(), &cert).unwrap();
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    let options = TlsOptions {
        mode: SslMode::Require,
        client_cert: Some(cert.clone()),
        client_key: Some(key.clone()),
        ..TlsOptions::default()
    };
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = client_identity(&options, None).unwrap_err();
    assert!(e.contains(&key.display().to_string()) && e.contains("group or world access") && e.contains("0644"), "{e}");
    // 0640: allowed only when root owns the key.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let owned_by_root = std::fs::metadata(&key).unwrap().uid() == 0;
    match client_identity(&options, None) {
        Ok(_) => assert!(owned_by_root, "a 0640 key of its user was taken"),
        Err(e) => assert!(!owned_by_root && e.contains("group or world access"), "{e}"),
    }
    // 0600 passes the check; this key is no key, which is said when the connector is built.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let identity = client_identity(&options, None).unwrap();
    let e = db::tls::connector(&db::tls::Check::Nothing, identity).err().unwrap();
    assert!(e.contains(&key.display().to_string()) && e.contains("not usable"), "{e}");
    std::fs::write(&key, "not pem\n").unwrap();
    let e = client_identity(&options, None).unwrap_err();
    assert!(e.contains("no usable private key") && e.contains(&key.display().to_string()), "{e}");
    // libpq's defaults: ~/.postgresql/postgresql.crt only when it exists; then its .key.
    let defaults = TlsOptions { mode: SslMode::Require, ..TlsOptions::default() };
    assert!(client_identity(&defaults, Some(dir.path())).unwrap().is_none());
    std::fs::copy(&cert, dir.path().join("postgresql.crt")).unwrap();
    let e = client_identity(&defaults, Some(dir.path())).unwrap_err();
    assert!(e.contains("postgresql.key") && e.contains("its key is not"), "{e}");
    // sslmode=disable never reads them.
    let off = TlsOptions { mode: SslMode::Disable, ..options };
    assert!(client_identity(&off, Some(dir.path())).unwrap().is_none());
}

#[test]
fn the_connect_dialog_takes_the_client_certificate_and_key_and_the_profile_keeps_their_paths() {
    use egui_kittest::kittest::Queryable as _;
    let mut h = common::harness();
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Team store…").click();
    h.run_steps(2);
    {
        let form = &mut h.state_mut().team.form;
        form.host = "127.0.0.1".into();
        form.port = 1;
        form.user = "fa_cert".into();
    }
    h.run_steps(1);
    h.get_by_label("Client certificate").click();
    h.run_steps(1);
    h.get_by_label("Client certificate").type_text("/home/fa/me.crt");
    h.run_steps(1);
    h.get_by_label("Client key").click();
    h.run_steps(1);
    h.get_by_label("Client key").type_text("/home/fa/me.key");
    h.run_steps(2);
    h.get_by_label("Save profile").click();
    h.run_steps(2);
    let profile = h.state().state.team_profiles.first().cloned().expect("a saved profile");
    assert_eq!((profile.client_cert.as_str(), profile.client_key.as_str()), ("/home/fa/me.crt", "/home/fa/me.key"));
    assert!(profile.url().ends_with("sslcert=%2Fhome%2Ffa%2Fme.crt&sslkey=%2Fhome%2Ffa%2Fme.key"), "{}", profile.url());
    // Without TLS the fields are not offered.
    h.state_mut().team.form.tls = frontier_atlas::db::tls::SslMode::Disable;
    h.run_steps(2);
    assert!(h.query_by_label("Client key").is_none());
}
