//! Versioned migrations of the store's schema, roles, grants and triggers.
//!
//! `atlas.migrations` records each version applied. [`migrate`] applies the missing ones, each
//! in its own transaction, under an advisory lock so two clients initialising at once do not
//! race; running it again changes nothing. Roles are cluster-wide, so creating them tolerates
//! another database (or client) having made them first.

use postgres::Client;

use super::DbError;

/// The lock key serialising migrations (any constant; "atlas" in ASCII).
const LOCK_KEY: i64 = 0x61_74_6c_61_73;

/// A role created if missing (cluster-wide; a concurrent creator is not an error).
fn create_role(name: &str) -> String {
    format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE {name} NOLOGIN; \
         END IF; EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL; END $$;\n"
    )
}

/// `member` made a member of `group` if it is not yet (tolerating a concurrent grant).
fn grant_role(group: &str, member: &str) -> String {
    format!(
        "DO $$ BEGIN IF NOT pg_has_role('{member}', '{group}', 'MEMBER') THEN GRANT {group} TO {member}; END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL; END $$;\n"
    )
}

/// Migration 1: schema, catalogue, history, change log, applied operations, the row triggers'
/// functions, roles and grants.
fn v1() -> String {
    let mut roles: String = ["atlas_viewer", "atlas_analyst", "atlas_owner"].into_iter().map(create_role).collect();
    roles.push_str(&grant_role("atlas_viewer", "atlas_analyst"));
    roles.push_str(&grant_role("atlas_analyst", "atlas_owner"));
    format!(
        r"
{roles}
CREATE TABLE IF NOT EXISTS atlas.layers (
    name text PRIMARY KEY,
    table_name text UNIQUE NOT NULL,
    kind text,
    has_z bool,
    geometry_type text,
    collection_extra json,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT session_user
);
CREATE TABLE IF NOT EXISTS atlas.history (
    layer text NOT NULL,
    fid uuid NOT NULL,
    version bigint NOT NULL,
    op text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    geom geometry,
    props json,
    extra json,
    author text NOT NULL,
    at timestamptz NOT NULL,
    note text,
    op_id uuid
);
CREATE INDEX IF NOT EXISTS history_feature ON atlas.history (layer, fid, version);
CREATE TABLE IF NOT EXISTS atlas.changes (
    seq bigserial PRIMARY KEY,
    layer text NOT NULL,
    fid uuid NOT NULL,
    version bigint NOT NULL,
    op text NOT NULL,
    author text NOT NULL,
    at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS atlas.applied_ops (
    op_id uuid PRIMARY KEY,
    layer text,
    author text NOT NULL DEFAULT session_user,
    at timestamptz NOT NULL DEFAULT now()
);

-- Before each row write: the server, not the client, sets the version and the author.
CREATE OR REPLACE FUNCTION atlas.stamp() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := coalesce((SELECT max(h.version) FROM atlas.history h
                                 WHERE h.layer = TG_ARGV[0] AND h.fid = NEW.fid), 0) + 1;
    ELSE
        NEW.version := OLD.version + 1;
        NEW.fid := OLD.fid;
    END IF;
    NEW.updated_by := session_user;
    NEW.updated_at := now();
    RETURN NEW;
END $f$;

-- After each row write: the version into the history, the change log, a wake-up for
-- listeners. The journal note and the operation id travel as transaction-local settings.
CREATE OR REPLACE FUNCTION atlas.record() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
DECLARE
    layer_name text := TG_ARGV[0];
    journal text := nullif(current_setting('atlas.note', true), '');
    op uuid := nullif(current_setting('atlas.op_id', true), '')::uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO atlas.history (layer, fid, version, op, geom, props, extra, author, at, note, op_id)
        VALUES (layer_name, OLD.fid, OLD.version + 1, 'delete', NULL, NULL, NULL, session_user, now(), journal, op);
        INSERT INTO atlas.changes (layer, fid, version, op, author, at)
        VALUES (layer_name, OLD.fid, OLD.version + 1, 'delete', session_user, now());
    ELSE
        INSERT INTO atlas.history (layer, fid, version, op, geom, props, extra, author, at, note, op_id)
        VALUES (layer_name, NEW.fid, NEW.version, lower(TG_OP), NEW.geom, NEW.props, NEW.extra, session_user, now(),
                journal, op);
        INSERT INTO atlas.changes (layer, fid, version, op, author, at)
        VALUES (layer_name, NEW.fid, NEW.version, lower(TG_OP), session_user, now());
    END IF;
    PERFORM pg_notify('atlas_changes', layer_name);
    RETURN NULL;
END $f$;

REVOKE ALL ON FUNCTION atlas.stamp() FROM PUBLIC;
REVOKE ALL ON FUNCTION atlas.record() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION atlas.stamp(), atlas.record() TO atlas_owner;
GRANT USAGE ON SCHEMA atlas TO atlas_viewer;
GRANT SELECT ON atlas.migrations, atlas.layers, atlas.history, atlas.changes, atlas.applied_ops TO atlas_viewer;
GRANT INSERT ON atlas.applied_ops TO atlas_analyst;
GRANT CREATE ON SCHEMA atlas TO atlas_owner;
GRANT INSERT, UPDATE, DELETE ON atlas.layers TO atlas_owner;
"
    )
}

/// Migration 2: an index on each layer table's publish order (`ord`), so a layer is read in
/// order from the index instead of sorting every row (issue 12: sorting a million rows of
/// text spilled to disk and took about half of opening the whole layer).
fn v2() -> String {
    "DO $$ DECLARE t text; BEGIN FOR t IN SELECT table_name FROM atlas.layers LOOP \
     EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON atlas.%I (ord)', t || '_ord_idx', t); END LOOP; END $$;"
        .to_owned()
}

/// The migrations in order: (version, SQL).
fn migrations() -> Vec<(i32, String)> {
    vec![(1, v1()), (2, v2())]
}

/// The newest schema version this build knows.
pub fn latest() -> i32 {
    migrations().last().map_or(0, |(v, _)| *v)
}

/// Brings the store in the connected database up to [`latest`]: creates the `postgis`
/// extension if missing, the schema `atlas`, and applies each missing migration in its own
/// transaction. Returns the versions applied (empty when already current).
pub fn migrate(client: &mut Client) -> Result<Vec<i32>, DbError> {
    let has_postgis: bool = client
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')", &[])
        .map_err(DbError::during("checking for PostGIS"))?
        .get(0);
    if !has_postgis {
        client.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis").map_err(|e| {
            DbError::Sql(format!(
                "the database lacks PostGIS and it could not be added ({}); install postgresql-15-postgis-3 \
                 and run `CREATE EXTENSION postgis` as a superuser",
                DbError::from_pg(&e)
            ))
        })?;
    }
    let mut applied = Vec::new();
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).map_err(DbError::during("locking for migration"))?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS atlas; \
         CREATE TABLE IF NOT EXISTS atlas.migrations (version int PRIMARY KEY, applied_at timestamptz DEFAULT now())",
    )
    .map_err(DbError::during("creating schema atlas"))?;
    tx.commit()?;
    for (version, sql) in migrations() {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .map_err(DbError::during("locking for migration"))?;
        let done = tx.query_opt("SELECT 1 FROM atlas.migrations WHERE version = $1", &[&version])?.is_some();
        if done {
            continue;
        }
        tx.batch_execute(&sql).map_err(|e| match DbError::from_pg(&e) {
            DbError::Sql(t) => DbError::Sql(format!("migration {version}: {t}")),
            other => other,
        })?;
        tx.execute("INSERT INTO atlas.migrations (version) VALUES ($1)", &[&version])?;
        tx.commit()?;
        applied.push(version);
    }
    Ok(applied)
}

/// `frontier-atlas db init URL`: connects and migrates. Returns the versions applied.
pub fn init(url: &str) -> Result<Vec<i32>, DbError> {
    let mut client = super::connect(url)?;
    migrate(&mut client)
}

/// The schema version of the connected store (`None` before `db init`).
pub fn current(client: &mut Client) -> Result<Option<i32>, DbError> {
    let exists: bool = client.query_one("SELECT to_regclass('atlas.migrations') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client.query_one("SELECT max(version) FROM atlas.migrations", &[])?.get(0))
}
