//! TLS to the team store (issue 12), with libpq's `sslmode` meanings.
//!
//! | `sslmode` | TLS | the server's certificate |
//! | --- | --- | --- |
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | when the server offers it, else plain | not checked, unless a root certificate is given (then as `verify-ca`) |
//! | `require` | always | not checked, unless a root certificate is given (then as `verify-ca`) |
//! | `verify-ca` | always | signed by a trusted authority |
//! | `verify-full` | always | signed by a trusted authority and issued for the host name |
//!
//! The trusted authorities are `sslrootcert=FILE` (PEM), else libpq's `~/.postgresql/root.crt`
//! when it exists, else (for `verify-ca` / `verify-full`) the system's trust store, which
//! `sslrootcert=system` asks for explicitly (with `verify-full` only, as libpq 16). `PGSSLMODE` and
//! `PGSSLROOTCERT` apply when the URL does not say. The `postgres` client knows only
//! disable/prefer/require, so [`split`] takes these options out of the URL (or `key=value`
//! string) first and [`connector`] builds the rustls connector that checks what the mode asks.
//! rustls runs on the `ring` provider; nothing is fetched from the network.
//!
//! A client certificate (libpq's `sslcert` / `sslkey`, else `PGSSLCERT` / `PGSSLKEY`, else
//! `~/.postgresql/postgresql.crt` / `.key` when the certificate file exists) is offered to a
//! server that asks for one ([`client_identity`]). As libpq, a key file others may read is refused
//! (on Unix: mode 0600 or less, or 0640 or less when owned by root). Unlike libpq, a certificate
//! file named explicitly but missing is an error, not silently skipped. Encrypted keys
//! (`sslpassword`) are not supported.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode as ClientSslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` (also the connect dialog's choice, kept in saved profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SslMode {
    /// Plain connection.
    Disable,
    /// TLS when the server offers it (libpq's default; `allow` is read as this too).
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked unless a root certificate is given.
    Require,
    /// TLS with the certificate's chain checked, not its host name.
    VerifyCa,
    /// TLS with the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    /// Reads an `sslmode` value.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "disable" => Ok(Self::Disable),
            "allow" | "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            other => {
                Err(format!("sslmode “{other}” is not one of disable, allow, prefer, require, verify-ca, verify-full"))
            }
        }
    }

    /// Every mode with its label in the connect dialog, in menu order.
    pub const ALL: [(Self, &'static str); 5] = [
        (Self::Prefer, "TLS if the server offers it"),
        (Self::Require, "TLS required"),
        (Self::VerifyFull, "TLS, certificate checked (verify-full)"),
        (Self::VerifyCa, "TLS, certificate's authority checked (verify-ca)"),
        (Self::Disable, "No TLS"),
    ];

    /// The label shown in the connect dialog.
    pub fn label(self) -> &'static str {
        Self::ALL.iter().find(|(m, _)| *m == self).map_or("", |(_, l)| l)
    }

    /// Whether the mode checks the server's certificate (so a root certificate matters).
    pub fn verifies(self) -> bool {
        matches!(self, Self::VerifyCa | Self::VerifyFull)
    }

    /// The `sslmode` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    /// What the `postgres` client is told: whether to ask for TLS and whether it must get it.
    pub fn client_mode(self) -> ClientSslMode {
        match self {
            Self::Disable => ClientSslMode::Disable,
            Self::Prefer => ClientSslMode::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => ClientSslMode::Require,
        }
    }
}

/// Where the trusted authorities come from (`sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
    /// The system's trust store (`sslrootcert=system`).
    System,
}

impl RootCert {
    fn parse(value: &str) -> Self {
        if value == "system" { Self::System } else { Self::File(PathBuf::from(value)) }
    }

    /// Words for messages: where the trusted authorities were looked for.
    fn describe(&self) -> String {
        match self {
            Self::File(p) => format!("the root certificate file {}", p.display()),
            Self::System => "the system's trust store".to_owned(),
        }
    }
}

/// The TLS options of a connection string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// `sslmode` (URL, else `PGSSLMODE`, else prefer).
    pub mode: SslMode,
    /// `sslrootcert` (URL, else `PGSSLROOTCERT`), if given.
    pub root_cert: Option<RootCert>,
    /// `sslcert` (URL, else `PGSSLCERT`), if given: the client certificate (PEM).
    pub client_cert: Option<PathBuf>,
    /// `sslkey` (URL, else `PGSSLKEY`), if given: the client certificate's private key (PEM).
    pub client_key: Option<PathBuf>,
}

/// What the connector checks of the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Nothing but the handshake's own signatures (libpq's `require` without a root certificate).
    Nothing,
    /// The chain up to an authority in `RootCert`.
    Chain(RootCert),
    /// The chain and the host name.
    Full(RootCert),
}

/// Takes `sslmode`, `sslrootcert`, `sslcert` and `sslkey` out of a libpq URL or `key=value`
/// string; returns the rest (for `postgres::Config`) and the options, with `PGSSLMODE`,
/// `PGSSLROOTCERT`, `PGSSLCERT` and `PGSSLKEY` filling what the string does not say.
pub fn split(url: &str) -> Result<(String, TlsOptions), String> {
    split_with(url, &|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

/// [`split`] with the environment given (for tests).
pub fn split_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(String, TlsOptions), String> {
    let (rest, found) = if url.starts_with("postgresql://") || url.starts_with("postgres://") {
        split_url(url)?
    } else {
        split_kv(url)?
    };
    let mut mode = None;
    let mut root = None;
    let mut cert = None;
    let mut key = None;
    for (name, value) in found {
        match name.as_str() {
            "sslmode" => mode = Some(value),
            "sslcert" => cert = Some(value),
            "sslkey" => key = Some(value),
            _ => root = Some(value),
        }
    }
    let mode = mode.or_else(|| env("PGSSLMODE"));
    let root = root.or_else(|| env("PGSSLROOTCERT"));
    let path = |v: Option<String>, var: &str| v.or_else(|| env(var)).filter(|v| !v.is_empty()).map(PathBuf::from);
    let client_cert = path(cert, "PGSSLCERT");
    let client_key = path(key, "PGSSLKEY");
    let mode = match mode {
        Some(m) => SslMode::parse(m.trim())?,
        None => SslMode::default(),
    };
    let root_cert = root.filter(|r| !r.is_empty()).map(|r| RootCert::parse(&r));
    Ok((rest, TlsOptions { mode, root_cert, client_cert, client_key }))
}

/// The options this module owns.
fn is_tls_key(key: &str) -> bool {
    matches!(key, "sslmode" | "sslrootcert" | "sslcert" | "sslkey")
}

/// URL form: the query's TLS pairs taken out (values percent-decoded).
fn split_url(url: &str) -> Result<(String, Vec<(String, String)>), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), Vec::new())) };
    let mut kept = Vec::new();
    let mut found = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?;
        if is_tls_key(&key) {
            found.push((key, percent_decode(value)?));
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, found))
}

/// Decodes `%XX` escapes (and `+` is kept: libpq does not read it as a space).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                return Err(format!("a bad %-escape in the URL near “{}”", &text[i..]));
            };
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| format!("the URL's “{text}” is not UTF-8 once decoded: {e}"))
}

/// `key=value` form: the TLS pairs cut out of the string, the rest kept as
/// written (quotes and escapes as libpq reads them: `'a b'`, `\'`, `\\`).
fn split_kv(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    let bytes = text.as_bytes();
    let mut rest = String::with_capacity(text.len());
    let mut found = Vec::new();
    let mut kept_from = 0;
    let mut i = 0;
    let skip_ws = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    loop {
        i = skip_ws(i);
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'=') {
            i += 1;
        }
        let key = &text[start..i];
        i = skip_ws(i);
        if bytes.get(i) != Some(&b'=') {
            return Err(format!("“{key}” has no value (key=value) in the connection string"));
        }
        i = skip_ws(i + 1);
        let mut value = String::new();
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(format!("the value of “{key}” has no closing quote")),
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        if let Some(c) = text[i + 1..].chars().next() {
                            value.push(c);
                            i += 1 + c.len_utf8();
                        } else {
                            i += 1;
                        }
                    }
                    Some(_) => {
                        let c = text[i..].chars().next().unwrap_or_default();
                        value.push(c);
                        i += c.len_utf8();
                    }
                }
            }
        } else {
            while let Some(&b) = bytes.get(i) {
                if b.is_ascii_whitespace() {
                    break;
                }
                let from = if b == b'\\' { i + 1 } else { i };
                let Some(c) = text.get(from..).and_then(|t| t.chars().next()) else {
                    i = from;
                    break;
                };
                value.push(c);
                i = from + c.len_utf8();
            }
        }
        if is_tls_key(key) {
            rest.push_str(&text[kept_from..start]);
            kept_from = i;
            found.push((key.to_owned(), value));
        }
    }
    rest.push_str(&text[kept_from..]);
    Ok((rest.trim().to_owned(), found))
}

/// libpq's default root certificate file: `~/.postgresql/root.crt`
/// (`%APPDATA%\postgresql\root.crt` on Windows).
pub fn default_root_file() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("postgresql").join("root.crt"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".postgresql").join("root.crt"))
}

/// What `options` asks of the server's certificate, with libpq's rules; `default_root` is
/// libpq's `~/.postgresql/root.crt` when it exists.
pub fn check(options: &TlsOptions, default_root: Option<&Path>) -> Result<Check, String> {
    let mode = options.mode;
    let weak = matches!(mode, SslMode::Disable | SslMode::Prefer | SslMode::Require | SslMode::VerifyCa);
    if options.root_cert == Some(RootCert::System) && weak {
        return Err(format!(
            "sslrootcert=system needs sslmode=verify-full (the system's authorities vouch for host names), not sslmode={}",
            mode.name()
        ));
    }
    let root = options.root_cert.clone().or_else(|| default_root.map(|p| RootCert::File(p.to_path_buf())));
    Ok(match mode {
        SslMode::Disable => Check::Nothing,
        SslMode::Prefer | SslMode::Require => root.map_or(Check::Nothing, Check::Chain),
        SslMode::VerifyCa => Check::Chain(root.unwrap_or(RootCert::System)),
        SslMode::VerifyFull => Check::Full(root.unwrap_or(RootCert::System)),
    })
}

/// The trusted authorities of `root`: the certificates of a PEM file, or the system's store.
pub fn load_roots(root: &RootCert) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match root {
        RootCert::File(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("cannot read the root certificate file {} (sslrootcert): {e}", path.display()))?;
            let mut n = 0;
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|e| format!("the root certificate file {} is not PEM: {e}", path.display()))?;
                n += 1;
                store.add(cert).map_err(|e| {
                    format!("certificate {n} in the root certificate file {} is not usable: {e}", path.display())
                })?;
            }
            if n == 0 {
                return Err(format!(
                    "the root certificate file {} holds no certificate (-----BEGIN CERTIFICATE-----)",
                    path.display()
                ));
            }
        }
        RootCert::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found.errors.first().map_or_else(String::new, |e| format!(" ({e})"));
                return Err(format!(
                    "the system's trust store has no certificates{why}: install ca-certificates, or give the \
                     server's authority with sslrootcert=FILE"
                ));
            }
        }
    }
    Ok(store)
}

/// libpq's default client certificate folder: `~/.postgresql` (`%APPDATA%\postgresql` on
/// Windows), where `postgresql.crt` and `postgresql.key` are looked for.
pub fn default_client_dir() -> Option<PathBuf> {
    default_root_file().and_then(|root| root.parent().map(Path::to_path_buf))
}

/// A client certificate chain with its private key, offered to a server that asks.
#[derive(Debug)]
pub struct ClientIdentity {
    /// The certificate file (for messages).
    pub cert_file: PathBuf,
    /// The key file (for messages).
    pub key_file: PathBuf,
    certs: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

/// The client certificate `options` name, else libpq's default in `default_dir`
/// (`postgresql.crt`, used only when it exists); `None` when there is none. Its key is `sslkey`,
/// else `postgresql.key` beside the default. Errors name the file: unreadable, not PEM, a key
/// readable by others (as libpq refuses it), an encrypted key.
pub fn client_identity(options: &TlsOptions, default_dir: Option<&Path>) -> Result<Option<ClientIdentity>, String> {
    if options.mode == SslMode::Disable {
        return Ok(None);
    }
    let cert_file = match (&options.client_cert, default_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) if dir.join("postgresql.crt").is_file() => dir.join("postgresql.crt"),
        (None, _) => return Ok(None),
    };
    let key_file = match (&options.client_key, default_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) => dir.join("postgresql.key"),
        (None, None) => {
            return Err(format!(
                "the client certificate {} has no key: give its private key with sslkey=FILE",
                cert_file.display()
            ));
        }
    };
    let bytes = std::fs::read(&cert_file)
        .map_err(|e| format!("cannot read the client certificate file {} (sslcert): {e}", cert_file.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the client certificate file {} is not PEM: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "the client certificate file {} holds no certificate (-----BEGIN CERTIFICATE-----)",
            cert_file.display()
        ));
    }
    let unreadable = |e: std::io::Error| {
        format!(
            "the client certificate {} is there but its key is not: cannot read {} (sslkey): {e}",
            cert_file.display(),
            key_file.display()
        )
    };
    key_file_private(&std::fs::metadata(&key_file).map_err(unreadable)?, &key_file)?;
    let key_bytes = std::fs::read(&key_file).map_err(unreadable)?;
    if key_bytes.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(format!(
            "the client key {} is encrypted, which is not supported (sslpassword): decrypt it with \
             `openssl pkey -in KEY -out KEY.plain` and keep it private (chmod 0600)",
            key_file.display()
        ));
    }
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_bytes)
        .map_err(|e| format!("the client key file {} holds no usable private key (PEM): {e}", key_file.display()))?;
    Ok(Some(ClientIdentity { cert_file, key_file, certs, key }))
}

/// libpq's rule for a private key file: a regular file, not readable by others (on Unix: mode
/// 0600 or less, or 0640 or less when owned by root).
fn key_file_private(meta: &std::fs::Metadata, path: &Path) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!("the client key file {} is not a regular file", path.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let mode = meta.permissions().mode();
        let too_open = if meta.uid() == 0 { mode & 0o037 != 0 } else { mode & 0o077 != 0 };
        if too_open {
            return Err(format!(
                "the client key file {} has group or world access (mode {:04o}); it must be u=rw (0600) or less if \
                 owned by the current user, or u=rw,g=r (0640) or less if owned by root: chmod 0600 it",
                path.display(),
                mode & 0o7777
            ));
        }
    }
    Ok(())
}

/// The rustls connector for `check`, offering `identity` when the server asks for a client
/// certificate.
pub fn connector(check: &Check, identity: Option<ClientIdentity>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (webpki, names) = match check {
        Check::Nothing => (None, false),
        Check::Chain(root) | Check::Full(root) => {
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(load_roots(root)?), Arc::clone(&provider))
                    .build()
                    .map_err(|e| format!("cannot check certificates against {}: {e}", root.describe()))?;
            (Some(webpki), matches!(check, Check::Full(_)))
        }
    };
    let verifier = Verifier { provider: Arc::clone(&provider), webpki, names };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(id) => builder.with_client_auth_cert(id.certs, id.key).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => format!(
                "the client key {} does not belong to the client certificate {}",
                id.key_file.display(),
                id.cert_file.display()
            ),
            other => format!(
                "the client certificate {} with the key {} is not usable: {other}",
                id.cert_file.display(),
                id.key_file.display()
            ),
        })?,
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The server-certificate check of every mode: nothing but the handshake's own signatures
/// (`webpki: None`, libpq's `require` without a root certificate); the chain (`verify-ca`: a
/// certificate for another host name passes — webpki checks the chain before the name, so a
/// name error means the chain was good); or the chain and the host name (`names`, `verify-full`).
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    names: bool,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Ok(ServerCertVerified::assertion()) };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls error somewhere in a failed connection's causes (tokio-rustls wraps it in an
/// `io::Error`, whose `source()` skips it, so each `io::Error` is opened too).
pub fn rustls_error(err: &postgres::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && let Some(r) = r.downcast_ref::<rustls::Error>()
        {
            return Some(r);
        }
        next = e.source();
    }
    None
}

/// Whether `err` is the client's "the server answered no to TLS" (`sslmode=require` and up).
pub fn server_refused_tls(err: &postgres::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = next {
        if e.to_string().contains("server does not support TLS") {
            return true;
        }
        next = e.source();
    }
    false
}

/// Plain words for a failed connection that TLS explains; `None` when TLS is not the cause.
pub fn tls_words(err: &postgres::Error, options: &TlsOptions, check: &Check, host: &str) -> Option<String> {
    let mode = options.mode.name();
    if server_refused_tls(err) {
        return Some(format!("the server does not offer TLS (sslmode={mode})"));
    }
    let tls = rustls_error(err)?;
    let roots = match check {
        Check::Chain(r) | Check::Full(r) => r.describe(),
        Check::Nothing => "the trusted authorities".to_owned(),
    };
    let hint = match check {
        Check::Chain(RootCert::System) | Check::Full(RootCert::System) => {
            "; give the server's authority with sslrootcert=FILE"
        }
        _ => "",
    };
    let rustls::Error::InvalidCertificate(cert) = tls else {
        return Some(format!("the TLS handshake with {host} failed (sslmode={mode}): {tls}"));
    };
    let why = match cert {
        CertificateError::UnknownIssuer => format!("it is not signed by an authority in {roots}{hint}"),
        CertificateError::NotValidForName => {
            format!(
                "it is not issued for the host name “{host}” (use the name it was issued for, or sslmode=verify-ca)"
            )
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "it is issued for {} but not for the host name “{host}” (use one of those, or sslmode=verify-ca)",
            if presented.is_empty() {
                "no host name".to_owned()
            } else {
                presented.iter().map(|n| bare_name(n)).collect::<Vec<_>>().join(", ")
            }
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "it has expired".to_owned(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "it is not valid yet".to_owned(),
        CertificateError::Revoked => "it has been revoked".to_owned(),
        other => format!("{other:?}"),
    };
    Some(format!("the server's certificate is not trusted (sslmode={mode}): {why}"))
}

/// `127.0.0.1` for rustls's `IpAddress(127.0.0.1)`, `localhost` for `DnsName("localhost")`.
fn bare_name(presented: &str) -> &str {
    let inner = presented.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).unwrap_or(presented);
    inner.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn urls_lose_their_tls_options_and_keep_the_rest() {
        let (rest, o) = split_with(
            "postgresql://alice@db:5432/atlas?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fmy%20ca.crt",
            &no_env,
        )
        .unwrap();
        assert_eq!(rest, "postgresql://alice@db:5432/atlas?application_name=x");
        assert_eq!(o.mode, SslMode::VerifyFull);
        assert_eq!(o.root_cert, Some(RootCert::File(PathBuf::from("/tmp/my ca.crt"))));
        let (rest, o) = split_with("postgres://db/atlas?sslmode=verify-ca", &no_env).unwrap();
        assert_eq!((rest.as_str(), o.mode, o.root_cert), ("postgres://db/atlas", SslMode::VerifyCa, None));
        let (rest, o) = split_with("postgresql://db/atlas", &no_env).unwrap();
        assert_eq!((rest.as_str(), o.mode), ("postgresql://db/atlas", SslMode::Prefer));
        assert!(split_with("postgresql://db/atlas?sslmode=sometimes", &no_env).unwrap_err().contains("sometimes"));
    }

    #[test]
    fn key_value_strings_lose_their_tls_options_quotes_and_all() {
        let (rest, o) =
            split_with("host=db sslmode = verify-full  sslrootcert='/tmp/my \\'odd\\' ca.crt' user=alice", &no_env)
                .unwrap();
        assert_eq!(rest, "host=db    user=alice");
        assert_eq!(o.mode, SslMode::VerifyFull);
        assert_eq!(o.root_cert, Some(RootCert::File(PathBuf::from("/tmp/my 'odd' ca.crt"))));
        let config: postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_user(), Some("alice"));
        let (_, o) = split_with("host=db sslrootcert=system sslmode=verify-full", &no_env).unwrap();
        assert_eq!(o.root_cert, Some(RootCert::System));
        assert!(split_with("host=db sslrootcert='open", &no_env).unwrap_err().contains("quote"));
        assert!(split_with("host=db sslmode", &no_env).unwrap_err().contains("sslmode"));
    }

    #[test]
    fn the_environment_fills_what_the_url_does_not_say() {
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-full".to_owned()),
            "PGSSLROOTCERT" => Some("/etc/ca.pem".to_owned()),
            _ => None,
        };
        let (_, o) = split_with("postgresql://db/atlas", &env).unwrap();
        assert_eq!((o.mode, o.root_cert), (SslMode::VerifyFull, Some(RootCert::File("/etc/ca.pem".into()))));
        let (_, o) = split_with("postgresql://db/atlas?sslmode=disable", &env).unwrap();
        assert_eq!(o.mode, SslMode::Disable);
        let certs = |k: &str| match k {
            "PGSSLCERT" => Some("/env/me.crt".to_owned()),
            "PGSSLKEY" => Some("/env/me.key".to_owned()),
            _ => None,
        };
        let (rest, o) = split_with("postgresql://db/atlas?sslcert=%2Fmine.crt", &certs).unwrap();
        assert_eq!(rest, "postgresql://db/atlas");
        assert_eq!(
            (o.client_cert, o.client_key),
            (Some(PathBuf::from("/mine.crt")), Some(PathBuf::from("/env/me.key")))
        );
        let (rest, o) = split_with("host=db sslkey='/my key' user=a", &certs).unwrap();
        assert_eq!((rest.as_str(), o.client_key), ("host=db  user=a", Some(PathBuf::from("/my key"))));
    }

    #[test]
    fn modes_check_what_libpq_checks() {
        let opts = |mode, root_cert| TlsOptions { mode, root_cert, ..TlsOptions::default() };
        let file = || RootCert::File("/ca.crt".into());
        let home = Path::new("/home/a/.postgresql/root.crt");
        let home_root = || RootCert::File(home.to_path_buf());
        assert_eq!(check(&opts(SslMode::Require, None), None), Ok(Check::Nothing));
        assert_eq!(check(&opts(SslMode::Prefer, None), None), Ok(Check::Nothing));
        assert_eq!(check(&opts(SslMode::Require, Some(file())), None), Ok(Check::Chain(file())));
        assert_eq!(check(&opts(SslMode::Require, None), Some(home)), Ok(Check::Chain(home_root())));
        assert_eq!(check(&opts(SslMode::VerifyCa, None), None), Ok(Check::Chain(RootCert::System)));
        assert_eq!(check(&opts(SslMode::VerifyFull, None), None), Ok(Check::Full(RootCert::System)));
        assert_eq!(check(&opts(SslMode::VerifyFull, Some(file())), Some(home)), Ok(Check::Full(file())));
        assert_eq!(check(&opts(SslMode::VerifyFull, None), Some(home)), Ok(Check::Full(home_root())));
        assert!(check(&opts(SslMode::Require, Some(RootCert::System)), None).unwrap_err().contains("verify-full"));
    }

    #[test]
    fn names_a_certificate_lists_read_plainly() {
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(bare_name("db.example"), "db.example");
    }

    #[test]
    fn a_bad_root_certificate_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.crt");
        let e = connector(&Check::Full(RootCert::File(missing.clone())), None).err().unwrap();
        assert!(e.contains(&missing.display().to_string()) && e.contains("cannot read"), "{e}");
        let empty = dir.path().join("empty.crt");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(&Check::Chain(RootCert::File(empty.clone())), None).err().unwrap();
        assert!(e.contains(&empty.display().to_string()) && e.contains("no certificate"), "{e}");
        let bad = dir.path().join("bad.crt");
        std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let e = connector(&Check::Chain(RootCert::File(bad.clone())), None).err().unwrap();
        assert!(e.contains(&bad.display().to_string()), "{e}");
        assert!(connector(&Check::Nothing, None).is_ok());
    }
}
