//! Connecting to the team store (issue #12): saved profiles (host, port, database, user, TLS
//! mode, root and client certificate paths — never a password nor a key's content), the connection URL built from them, and where the password comes
//! from. Passwords are never written by the app: a password typed in the dialog lives in memory
//! for the session; otherwise it comes from `PGPASSWORD` (read by [`crate::db::connect`]) or
//! libpq's password file (`PGPASSFILE`, else `~/.pgpass`, ignored unless private as libpq
//! does), looked up here. No OS keyring: the `keyring` crate needs D-Bus system libraries on
//! Linux, which this build does not have.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::db::tls::RootCert;

/// How the connection uses TLS: libpq's `sslmode`, with the dialog's labels (one type for the
/// store and the dialog; saved profiles keep its variant name).
pub use crate::db::tls::SslMode as TlsMode;

/// A saved connection (in the app's persisted state): everything but the password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct StoreProfile {
    /// The profile's name in the list.
    pub name: String,
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Role to log in as.
    pub user: String,
    /// TLS mode.
    pub tls: TlsMode,
    /// The authority's certificate (PEM file) the server's is checked against (`sslrootcert`);
    /// empty: `~/.postgresql/root.crt` if it exists, else the system's trust store.
    pub root_cert: String,
    /// The client certificate (PEM file) offered when the server asks for one (`sslcert`);
    /// empty: `~/.postgresql/postgresql.crt` if it exists.
    pub client_cert: String,
    /// The client certificate's private key (PEM file, mode 0600; `sslkey`); empty:
    /// `~/.postgresql/postgresql.key`. Only the path is kept.
    pub client_key: String,
}

impl Default for StoreProfile {
    fn default() -> Self {
        Self {
            name: String::new(),
            host: "localhost".to_owned(),
            port: 5432,
            database: "atlas".to_owned(),
            user: crate::io::journal::default_user(),
            tls: TlsMode::Prefer,
            root_cert: String::new(),
            client_cert: String::new(),
            client_key: String::new(),
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl StoreProfile {
    /// The connection URL without a password (shown, kept as the layers' source).
    pub fn url(&self) -> String {
        self.url_with(None)
    }

    /// The connection URL, with `password` when given (kept in memory only, never shown).
    pub fn url_with(&self, password: Option<&str>) -> String {
        let user = encode(self.user.trim());
        let auth = match password {
            Some(p) if !p.is_empty() => format!("{user}:{}@", encode(p)),
            _ if user.is_empty() => String::new(),
            _ => format!("{user}@"),
        };
        let host = self.host.trim();
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
        let mut files = String::new();
        for (key, value) in
            [("sslrootcert", &self.root_cert), ("sslcert", &self.client_cert), ("sslkey", &self.client_key)]
        {
            if !value.trim().is_empty() {
                let _ = write!(files, "&{key}={}", encode(value.trim()));
            }
        }
        format!(
            "postgresql://{auth}{host}:{}/{}?sslmode={}{files}",
            self.port,
            encode(self.database.trim()),
            self.tls.name()
        )
    }

    /// The profile a libpq URL or `key=value` string describes, with the password it carries
    /// (for `--db URL`; the password is used for the session, never saved).
    pub fn from_url(url: &str) -> Result<(Self, Option<String>), String> {
        let bad = |e: String| format!("not a PostgreSQL URL: {}: {e}", crate::db::redact(url));
        let (rest, options) = crate::db::tls::split(url).map_err(bad)?;
        let config: postgres::Config = rest.parse().map_err(|e: postgres::Error| bad(e.to_string()))?;
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let root_cert = match options.root_cert {
            Some(RootCert::File(p)) => p.display().to_string(),
            Some(RootCert::System) => "system".to_owned(),
            None => String::new(),
        };
        let profile = Self {
            name: String::new(),
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            database: config.get_dbname().unwrap_or_default().to_owned(),
            user: config.get_user().unwrap_or_default().to_owned(),
            tls: options.mode,
            root_cert,
            client_cert: options.client_cert.map(|p| p.display().to_string()).unwrap_or_default(),
            client_key: options.client_key.map(|p| p.display().to_string()).unwrap_or_default(),
        };
        let password = config.get_password().map(|p| String::from_utf8_lossy(p).into_owned());
        Ok((Self { name: profile.label(), ..profile }, password))
    }

    /// `alice@host:5432/atlas`, the default profile name.
    pub fn label(&self) -> String {
        format!("{}@{}:{}/{}", self.user.trim(), self.host.trim(), self.port, self.database.trim())
    }
}

/// The dialog's certificate rows (in its two-column grid): the root certificate when the mode
/// checks the server's, and the client certificate and its key whenever TLS may be used.
pub fn certificate_rows(ui: &mut egui::Ui, form: &mut StoreProfile) {
    if form.tls.verifies() {
        let l = ui.label("Root certificate");
        ui.add(
            egui::TextEdit::singleline(&mut form.root_cert)
                .hint_text("~/.postgresql/root.crt, else the system's")
                .desired_width(220.0),
        )
        .labelled_by(l.id)
        .on_hover_text("PEM file of the authority that signed the server's certificate (sslrootcert).");
        ui.end_row();
    }
    if form.tls != TlsMode::Disable {
        let l = ui.label("Client certificate");
        ui.add(
            egui::TextEdit::singleline(&mut form.client_cert)
                .hint_text("~/.postgresql/postgresql.crt, if any")
                .desired_width(220.0),
        )
        .labelled_by(l.id)
        .on_hover_text("PEM file of your certificate, for servers that log in by certificate (sslcert).");
        ui.end_row();
        let l = ui.label("Client key");
        ui.add(
            egui::TextEdit::singleline(&mut form.client_key)
                .hint_text("~/.postgresql/postgresql.key")
                .desired_width(220.0),
        )
        .labelled_by(l.id)
        .on_hover_text("PEM file of your certificate's private key (sslkey); it must be private (chmod 0600).");
        ui.end_row();
    }
}

/// Where libpq reads passwords from: `PGPASSFILE`, else `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf`
/// on Windows).
pub fn pgpass_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("postgresql").join("pgpass.conf"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".pgpass"))
}

/// Splits a pgpass line into its fields (`:` separates, `\:` and `\\` escape).
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// The password for `profile` in the text of a pgpass file: the first line whose host, port,
/// database and user match (`*` matches anything), as libpq reads it.
pub fn pgpass_lookup(text: &str, profile: &StoreProfile) -> Option<String> {
    let port = profile.port.to_string();
    let wanted = [profile.host.trim(), port.as_str(), profile.database.trim(), profile.user.trim()];
    text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()).find_map(|line| {
        let fields = pgpass_fields(line);
        let [host, port, db, user, password] = fields.as_slice() else { return None };
        let matches = [host, port, db, user]
            .iter()
            .zip(wanted)
            .all(|(f, w)| f.as_str() == "*" || f.as_str() == w || (f.as_str() == "localhost" && w == "127.0.0.1"));
        matches.then(|| password.clone())
    })
}

/// The password for `profile` from the pgpass file at `path`, or why the file was not used
/// (`Ok(None)`: no file or no matching line). Like libpq, a file others can read is ignored.
pub fn pgpass_password(path: &Path, profile: &StoreProfile) -> Result<Option<String>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the password file {}: {e}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_or(0, |m| m.permissions().mode());
        if mode & 0o077 != 0 {
            return Err(format!(
                "the password file {} is readable by others and was ignored (chmod 0600 it)",
                path.display()
            ));
        }
    }
    Ok(pgpass_lookup(&text, profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> StoreProfile {
        StoreProfile {
            name: "t".into(),
            host: "db.example".into(),
            port: 5433,
            database: "atlas".into(),
            user: "alice".into(),
            tls: TlsMode::Require,
            root_cert: String::new(),
            client_cert: String::new(),
            client_key: String::new(),
        }
    }

    #[test]
    fn urls_carry_no_password_unless_given_and_encode_odd_characters() {
        let p = profile();
        assert_eq!(p.url(), "postgresql://alice@db.example:5433/atlas?sslmode=require");
        assert_eq!(
            p.url_with(Some("p@ss:w/rd")),
            "postgresql://alice:p%40ss%3Aw%2Frd@db.example:5433/atlas?sslmode=require"
        );
        let (back, password) = StoreProfile::from_url(&p.url_with(Some("p@ss:w/rd"))).unwrap();
        assert_eq!(password.as_deref(), Some("p@ss:w/rd"));
        assert_eq!(
            (back.host.as_str(), back.port, back.database.as_str(), back.user.as_str()),
            ("db.example", 5433, "atlas", "alice")
        );
        assert_eq!(back.tls, TlsMode::Require);
        assert!(StoreProfile::from_url("nonsense url").is_err());
    }

    #[test]
    fn checked_tls_modes_and_the_root_certificate_round_trip_through_urls() {
        let p = StoreProfile { tls: TlsMode::VerifyFull, root_cert: "/etc/atlas ca.pem".into(), ..profile() };
        assert_eq!(
            p.url(),
            "postgresql://alice@db.example:5433/atlas?sslmode=verify-full&sslrootcert=%2Fetc%2Fatlas%20ca.pem"
        );
        let (back, _) = StoreProfile::from_url(&p.url()).unwrap();
        assert_eq!((back.tls, back.root_cert.as_str()), (TlsMode::VerifyFull, "/etc/atlas ca.pem"));
        let (back, _) = StoreProfile::from_url("host=db.example sslmode=verify-ca user=alice").unwrap();
        assert_eq!((back.tls, back.user.as_str()), (TlsMode::VerifyCa, "alice"));
    }

    #[test]
    fn client_certificate_paths_round_trip_through_urls_and_profiles() {
        let p = StoreProfile {
            client_cert: "/home/a/my cert.crt".into(),
            client_key: "/home/a/my.key".into(),
            ..profile()
        };
        let url = p.url();
        assert_eq!(
            url,
            "postgresql://alice@db.example:5433/atlas?sslmode=require&sslcert=%2Fhome%2Fa%2Fmy%20cert.crt&sslkey=%2Fhome%2Fa%2Fmy.key"
        );
        let (back, _) = StoreProfile::from_url(&url).unwrap();
        assert_eq!((back.client_cert.as_str(), back.client_key.as_str()), ("/home/a/my cert.crt", "/home/a/my.key"));
        let (back, _) =
            StoreProfile::from_url("host=db sslmode=verify-full sslcert='/a b.crt' sslkey=/k.key user=alice").unwrap();
        assert_eq!((back.client_cert.as_str(), back.client_key.as_str()), ("/a b.crt", "/k.key"));
        // Saved: the paths, never a key's content; profiles saved before still load.
        let saved = serde_json::to_string(&p).unwrap();
        assert!(saved.contains("/home/a/my.key") && saved.contains("\"tls\":\"Require\""), "{saved}");
        let old = r#"{"name":"t","host":"db","port":5432,"database":"atlas","user":"alice","tls":"VerifyCa","root_cert":"/ca"}"#;
        let p: StoreProfile = serde_json::from_str(old).unwrap();
        assert_eq!((p.tls, p.client_cert.as_str(), p.client_key.as_str()), (TlsMode::VerifyCa, "", ""));
    }

    #[test]
    fn profiles_saved_before_checked_tls_still_load() {
        let old = r#"{"name":"t","host":"db","port":5432,"database":"atlas","user":"alice","tls":"Require"}"#;
        let p: StoreProfile = serde_json::from_str(old).unwrap();
        assert_eq!((p.tls, p.root_cert.as_str()), (TlsMode::Require, ""));
        let new = serde_json::to_string(&StoreProfile { tls: TlsMode::VerifyFull, ..profile() }).unwrap();
        let back: StoreProfile = serde_json::from_str(&new).unwrap();
        assert_eq!(back.tls, TlsMode::VerifyFull);
    }

    #[test]
    fn pgpass_lines_match_like_libpq() {
        let text = "# comment\nother:5433:atlas:alice:wrong\n*:5433:atlas:bob:bobs\ndb.example:5433:*:alice:pa\\:ss\\\\1\n*:*:*:*:fallback\n";
        assert_eq!(pgpass_lookup(text, &profile()).as_deref(), Some("pa:ss\\1"));
        let bob = StoreProfile { user: "bob".into(), ..profile() };
        assert_eq!(pgpass_lookup(text, &bob).as_deref(), Some("bobs"));
        let carol = StoreProfile { user: "carol".into(), port: 1, ..profile() };
        assert_eq!(pgpass_lookup(text, &carol).as_deref(), Some("fallback"));
        assert_eq!(pgpass_lookup("short:line\n", &profile()), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_pgpass_file_others_can_read_is_ignored_with_a_reason() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = pgpass_password(&path, &profile()).unwrap_err();
        assert!(err.contains("readable by others") && err.contains("pgpass"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(pgpass_password(&path, &profile()).unwrap().as_deref(), Some("secret"));
        assert_eq!(pgpass_password(&dir.path().join("none"), &profile()).unwrap(), None);
    }
}
