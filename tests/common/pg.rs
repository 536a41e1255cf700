//! The PostgreSQL/PostGIS server for the team-store tests (issue 12).
//!
//! Include with `#[path = "common/pg.rs"] mod pg;` and mark each test
//! `#[cfg_attr(missing_pg, ignore = "needs a PostgreSQL/PostGIS server: set FA_TEST_PG")]`.
//! `build.rs` sets `missing_pg` when `FA_TEST_PG` is unset, except under `CI=true`, where the test
//! runs and [`server_url`] fails it. `FA_TEST_PG` is a libpq URL such as
//! `postgresql://postgres@127.0.0.1:55432/postgres` for a superuser (tests create databases and
//! roles). Each test works in its own database ([`TestDb`]), so tests run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server URL from `FA_TEST_PG`; panics with what to do when it is unset or unreachable.
pub fn server_url() -> String {
    let url = std::env::var("FA_TEST_PG").unwrap_or_default();
    assert!(
        !url.trim().is_empty(),
        "FA_TEST_PG is not set: the team-store tests need a PostgreSQL 15 + PostGIS 3 server \
         (see .ci/run for a throwaway one); under CI this is required, elsewhere the test is ignored"
    );
    if let Err(err) = postgres::Client::connect(&url, postgres::NoTls) {
        panic!("cannot reach the test server FA_TEST_PG={url}: {err} (is it running? see .ci/run)");
    }
    url
}

/// `url` with its database name replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

/// A database of its own for one test, with PostGIS; dropped (forcibly) when the value drops.
pub struct TestDb {
    /// The database's name (`fa_<prefix>_<pid>_<n>`).
    pub name: String,
    /// A superuser URL for it.
    pub url: String,
    server: String,
}

impl TestDb {
    /// Creates a fresh database named after `prefix`, with the `postgis` extension.
    pub fn new(prefix: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let name = format!(
            "fa_{}_{}_{}",
            prefix.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect to FA_TEST_PG");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .expect("drop an old test database");
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("create the test database");
        let url = with_database(&server, &name);
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test database");
        client
            .batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
            .expect("PostGIS in the test database (apt-get install postgresql-15-postgis-3)");
        Self { name, url, server }
    }

    /// A new superuser connection to this database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test database")
    }

    /// This database's URL for logging in as `role` (trust auth: no password).
    pub fn url_as(&self, role: &str) -> String {
        let scheme_end = self.url.find("://").map_or(0, |i| i + 3);
        let rest = &self.url[scheme_end..];
        let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
        format!("{}{role}@{rest}", &self.url[..scheme_end])
    }

    /// Creates a login role unique to this test (`<db>_<who>`), granted `group`; returns its name.
    pub fn login_role(&self, who: &str, group: &str) -> String {
        let role = format!("{}_{who}", self.name);
        let mut admin = postgres::Client::connect(&self.server, postgres::NoTls).expect("connect to FA_TEST_PG");
        admin
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS \"{role}\"; CREATE ROLE \"{role}\" LOGIN; GRANT {group} TO \"{role}\""
            ))
            .expect("create a test login role");
        role
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
            // Roles are cluster-wide: drop the ones this test made (they own nothing left).
            let like = format!("{}\\_%", self.name.replace('_', "\\_"));
            if let Ok(rows) = admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", &[&like]) {
                for row in rows {
                    let role: String = row.get(0);
                    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""));
                }
            }
        }
    }
}

// Each suite uses part of these helpers: naming them here keeps `dead_code` quiet.
const _: () = {
    let _ = (server_url, with_database, TestDb::new, TestDb::client, TestDb::url_as, TestDb::login_role);
};
