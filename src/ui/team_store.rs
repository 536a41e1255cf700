//! The team store in the app (issue #12): File > Team store… connects (saved profiles, no
//! password kept), lists the store's layers and opens one with the view's bbox and the
//! timeline's range pushed down to SQL; a layer the role may not edit is read-only and says
//! why; Save pushes the layer's changes (guarded by the versions it was opened at), reports
//! fields merged automatically and opens the Conflicts panel for the rest; a live worker
//! applies other analysts' saves to the open store layers without reloading.
//!
//! Every database call runs on a worker thread (`frontier-team`), like [`super::jobs`]; the UI
//! thread only polls the replies.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use uuid::Uuid;

use super::app::{AtlasApp, Level, Message};
use super::team_conflicts::{
    ConflictItem, ConflictsPanel, FID_MEMBER, FieldRow, MINE_COLOUR, PanelAction, THEIRS_COLOUR, feature_of, fid_of,
    geometry_parts, version_of,
};
use super::team_connect::{StoreProfile, TlsMode, pgpass_password, pgpass_path};
use crate::db::merge::{Version, geometry_eq, value_eq};
use crate::model::store::{FeatureStore, PackedTexts, TextRef};
use crate::model::{Feature, Layer, LayerUid};

/// A connection that worked: the URL without password (shown, kept as the layers' source) and
/// the one with it (memory only).
#[derive(Clone)]
pub struct Session {
    /// The URL without password.
    pub url: String,
    secret: String,
    /// The session's role, as the server names it.
    pub who: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("url", &self.url).field("who", &self.who).finish_non_exhaustive()
    }
}

/// Where the synced content of one feature is: never a second decoded copy of the layer.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseContent {
    /// The text the feature was opened from, in the layer's packed texts
    /// ([`StoreState::texts`], immutable and shared with the layer): decoded only when a save
    /// or a conflict needs it.
    Packed(TextRef),
    /// Held decoded: written, merged or read from the store since the layer was opened, or
    /// queued offline (a few features).
    Held(Box<Version>),
}

/// The base of the next guarded write of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// The version last synced.
    pub version: i64,
    /// Its content.
    pub content: BaseContent,
}

impl Base {
    /// A base held decoded.
    pub fn held(version: i64, content: Version) -> Self {
        Self { version, content: BaseContent::Held(Box::new(content)) }
    }
}

/// What the app knows of one opened store layer.
///
/// A whole million-feature layer is held packed (see [`crate::model::store`]); its merge base
/// is per fid a version and a reference to the packed text the feature was opened from. A
/// feature still packed is unchanged since it was opened (every edit holds it decoded), so a
/// save looks only at the features held decoded (the edited and added ones) and at which
/// packed ones are gone, decoding nothing else.
#[derive(Debug, Clone, Default)]
pub struct StoreState {
    /// The layer's name in the store.
    pub name: String,
    /// Per fid, the version and content last synced: the base of the next push.
    pub base: HashMap<Uuid, Base>,
    /// The packed texts of the layer as opened, which [`BaseContent::Packed`] points into.
    pub texts: Option<PackedTexts>,
    /// The fid of each feature packed when the layer was opened, by the place of its text
    /// ([`text_key`]), sorted: a packed feature's fid without decoding it.
    pub packed_fids: Vec<(u64, Uuid)>,
    /// Why the layer may not be edited (`None`: it may).
    pub read_only: Option<String>,
    /// Features with edits waiting in the offline outbox, not yet in the store (shown with
    /// their local copies; pushed by the next save or connection).
    pub pending: HashSet<Uuid>,
}

/// The sort key of a packed text's place.
pub fn text_key(at: TextRef) -> u64 {
    (u64::from(at.block) << 32) | u64::from(at.start)
}

impl StoreState {
    /// The state of a layer just opened: `rows` are its features' fids and versions, in
    /// order. The base of a packed feature is its text (nothing is decoded).
    pub fn opened(
        name: &str,
        features: &FeatureStore,
        rows: &[crate::db::StoreRow],
        read_only: Option<String>,
    ) -> Self {
        let mut state = Self {
            name: name.to_owned(),
            base: HashMap::with_capacity(rows.len()),
            texts: features.packed_texts(),
            packed_fids: Vec::with_capacity(rows.len()),
            read_only,
            pending: HashSet::new(),
        };
        for (i, r) in rows.iter().enumerate() {
            let content = match features.text_ref(i) {
                Some(at) => {
                    state.packed_fids.push((text_key(at), r.fid));
                    BaseContent::Packed(at)
                }
                None => match features.get(i) {
                    Some(f) => BaseContent::Held(Box::new(version_of(&f))),
                    None => continue,
                },
            };
            state.base.insert(r.fid, Base { version: r.version, content });
        }
        state.packed_fids.sort_unstable_by_key(|(k, _)| *k);
        state
    }

    /// The base version of `fid`.
    pub fn base_version(&self, fid: Uuid) -> Option<i64> {
        self.base.get(&fid).map(|b| b.version)
    }

    /// The base content of `fid`, decoded (`None`: no base, or its text no longer reads).
    pub fn base_content(&self, fid: Uuid) -> Option<Version> {
        self.content_of(self.base.get(&fid)?)
    }

    fn content_of(&self, base: &Base) -> Option<Version> {
        match &base.content {
            BaseContent::Held(v) => Some((**v).clone()),
            BaseContent::Packed(at) => self.texts.as_ref()?.decode(*at).as_ref().map(version_of),
        }
    }

    /// Whether `f` holds `base`'s content (a base whose text no longer reads never matches).
    fn holds(&self, f: &Feature, base: &Base) -> bool {
        match &base.content {
            BaseContent::Held(v) => same_content(f, v),
            BaseContent::Packed(_) => self.content_of(base).is_some_and(|v| same_content(f, &v)),
        }
    }

    /// Whether the positions' packed texts are those this state's fids were recorded for.
    fn knows_texts_of(&self, features: &FeatureStore) -> bool {
        self.texts.as_ref().is_some_and(|t| t.shared_with(features))
    }

    /// The fid of the feature packed at `at` when the layer was opened.
    fn packed_fid(&self, at: TextRef) -> Option<Uuid> {
        let key = text_key(at);
        self.packed_fids.binary_search_by_key(&key, |(k, _)| *k).ok().and_then(|i| self.packed_fids.get(i)).map(|p| p.1)
    }

    /// The fid of feature `i` of `features` (a packed one without decoding it).
    fn fid_at(&self, features: &FeatureStore, i: usize, known: bool) -> Option<Uuid> {
        match features.text_ref(i).filter(|_| known) {
            Some(at) => self.packed_fid(at),
            None => features.get(i).and_then(|f| fid_of(&f)),
        }
    }

    /// The positions of `fids` in `features` (the first feature with each), decoding only
    /// features held decoded already.
    pub fn find(&self, features: &FeatureStore, fids: &HashSet<Uuid>) -> HashMap<Uuid, usize> {
        let mut out = HashMap::with_capacity(fids.len());
        if fids.is_empty() {
            return out;
        }
        let known = self.knows_texts_of(features);
        for i in 0..features.len() {
            if let Some(fid) = self.fid_at(features, i, known)
                && fids.contains(&fid)
            {
                out.entry(fid).or_insert(i);
                if out.len() == fids.len() {
                    break;
                }
            }
        }
        out
    }
}

/// One change of a push, as the app sent it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The feature's fid.
    pub fid: Uuid,
    /// The version it was based on (`None`: an insert).
    pub base_version: Option<i64>,
    /// The content (without the app's fid tag); `None` deletes.
    pub feature: Option<Feature>,
}

/// A row of a store layer as read back: its version and content (`None`: not there).
type Rows = HashMap<Uuid, Option<(i64, Version)>>;

/// What a push came back with.
#[derive(Debug, Default)]
pub struct Pushed {
    /// Changes written: fid and new version.
    pub applied: Vec<(Uuid, i64)>,
    /// Features merged with others' saves: fid and the fields that came from each side.
    pub merged: Vec<(Uuid, Vec<String>, Vec<String>)>,
    /// Conflicts per feature.
    pub conflicts: Vec<crate::db::push::Conflict>,
    /// The push had been applied before (a retry).
    pub already_applied: bool,
    /// The store's rows of every merged or conflicting feature, read after the push.
    pub rows: Rows,
    /// The edits went to the offline outbox instead (the server was unreachable): why.
    pub queued: Option<String>,
    /// Operations queued offline earlier that went to the store first.
    pub drained: usize,
}

/// Another analyst's change, as the live feed reports it.
#[derive(Debug, Clone)]
pub struct LiveChange {
    /// The feature.
    pub fid: Uuid,
    /// Its new version.
    pub version: i64,
    /// `insert`, `update` or `delete`.
    pub op: String,
    /// Who made it (the server's session role).
    pub author: String,
}

/// Replies of the team store's workers.
#[derive(Debug)]
pub enum Reply {
    /// A connection attempt.
    Connected {
        /// The profile it used (boxed: the other replies are much smaller).
        profile: Box<StoreProfile>,
        /// The URL with password (memory only).
        secret: String,
        /// The role and the store's layers, or why not.
        result: Result<(String, Vec<crate::db::LayerInfo>), String>,
        /// Things to tell: the password file, operations pushed from the offline outbox.
        notes: Vec<(Level, String)>,
        /// When the offline outbox was pushed whole on connecting: the versions written as
        /// sent (fid, version), for the open layers' bases.
        drained: Option<Vec<(Uuid, i64)>>,
        /// Per store layer, the rows of the features the outbox's push merged with others'
        /// saves, read after it: the open layers show them and take them as their base.
        merged: Vec<(String, Rows)>,
    },
    /// A store layer was opened.
    Opened {
        /// The layer's name.
        name: String,
        /// What was pushed down, in words.
        scope: String,
        /// The layer and its state (its merge base, why it is read-only; built on the worker,
        /// as it takes a pass over every feature's fid), or why it could not be opened.
        result: Result<(Box<Layer>, Box<StoreState>), String>,
        /// This layer's edits still waiting in the offline outbox (their local copies), or why
        /// the outbox could not be read.
        pending: Result<Vec<crate::db::push::Change>, String>,
    },
    /// A push finished.
    Pushed {
        /// The app's layer.
        uid: LayerUid,
        /// What was sent.
        sent: Vec<Outgoing>,
        /// The outcome, or why it failed.
        result: Result<Box<Pushed>, String>,
    },
    /// Other analysts' saves.
    Live {
        /// The store layer.
        layer: String,
        /// Their changes.
        changes: Vec<LiveChange>,
        /// The changed rows as they are now.
        rows: Rows,
    },
    /// The live feed lost its connection (it retries).
    LiveLost(String),
}

/// The live worker: a thread following the change feed until stopped.
struct LiveWorker {
    stop: Arc<AtomicBool>,
    layers: Arc<Mutex<HashSet<String>>>,
    url: String,
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The team store's part of the app.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent settings: window shown, two push-down checkboxes, live on"
)]
pub struct TeamStore {
    /// Whether the Team store window is open.
    pub window: bool,
    /// The connection form (a profile being edited).
    pub form: StoreProfile,
    /// A password typed for this session (never saved).
    pub password: String,
    /// The connection, once one worked.
    pub session: Option<Session>,
    /// The store's layers (after connecting or Refresh).
    pub layers: Vec<crate::db::LayerInfo>,
    /// Open with the view's bbox pushed down.
    pub only_view: bool,
    /// Open with the timeline's range pushed down.
    pub only_range: bool,
    /// The last problem, shown in the window.
    pub problem: Option<String>,
    /// Work running on workers: id and label (for the spinner).
    pub working: Vec<(u64, String)>,
    /// Opened store layers by app layer.
    pub stores: HashMap<LayerUid, StoreState>,
    /// The Conflicts panel, after a push that met conflicts.
    pub conflicts: Option<ConflictsPanel>,
    /// Whether the live worker runs (off in tests that drive replies themselves).
    pub live_enabled: bool,
    /// Where offline outboxes are kept (one SQLite file per server); `None`: no offline saves.
    pub outbox_dir: Option<std::path::PathBuf>,
    live: Option<LiveWorker>,
    tx: Sender<(u64, Reply)>,
    rx: Receiver<(u64, Reply)>,
    next: u64,
    /// Repainted when a worker replies.
    pub ctx: Option<egui::Context>,
}

impl Default for TeamStore {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            window: false,
            form: StoreProfile::default(),
            password: String::new(),
            session: None,
            layers: Vec::new(),
            only_view: true,
            only_range: true,
            problem: None,
            working: Vec::new(),
            stores: HashMap::new(),
            conflicts: None,
            live_enabled: true,
            outbox_dir: None,
            live: None,
            tx,
            rx,
            next: 1,
            ctx: None,
        }
    }
}

impl TeamStore {
    /// A team store whose offline outboxes live in `dir` (`None`: no offline saves).
    pub fn with_outbox(dir: Option<std::path::PathBuf>) -> Self {
        Self { outbox_dir: dir, ..Self::default() }
    }

    /// Runs `work` on a `frontier-team` thread; its reply comes back through [`TeamStore::poll`].
    pub fn spawn(&mut self, label: impl Into<String>, work: impl FnOnce() -> Reply + Send + 'static) {
        let id = self.next;
        self.next += 1;
        self.working.push((id, label.into()));
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new().name("frontier-team".into()).spawn(move || {
            let _ = tx.send((id, work()));
            if let Some(ctx) = ctx {
                ctx.request_repaint();
            }
        });
        if let Err(e) = spawned {
            self.working.retain(|(i, _)| *i != id);
            self.problem = Some(format!("cannot start a worker thread: {e}"));
        }
    }

    /// Replies that arrived since the last call.
    pub fn poll(&mut self) -> Vec<Reply> {
        let done: Vec<(u64, Reply)> = self.rx.try_iter().collect();
        self.working.retain(|(id, _)| !done.iter().any(|(d, _)| d == id));
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// Waits up to `timeout` for the running work (tests).
    pub fn wait(&mut self, timeout: std::time::Duration) -> Vec<Reply> {
        let deadline = std::time::Instant::now() + timeout;
        let mut out = Vec::new();
        while !self.working.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((id, reply)) => {
                    self.working.retain(|(i, _)| *i != id);
                    out.push(reply);
                }
                Err(_) => break,
            }
        }
        out
    }

    /// Whether a connection attempt is running.
    pub fn connecting(&self) -> bool {
        self.working.iter().any(|(_, l)| l.starts_with("connecting"))
    }

    /// Starts the live worker for the session (once) and makes it follow `layer`.
    fn follow(&mut self, layer: &str) {
        let Some(session) = &self.session else { return };
        if !self.live_enabled {
            return;
        }
        if self.live.as_ref().is_some_and(|l| l.url != session.url) {
            self.live = None;
        }
        if self.live.is_none() {
            let worker = LiveWorker {
                stop: Arc::new(AtomicBool::new(false)),
                layers: Arc::new(Mutex::new(HashSet::new())),
                url: session.url.clone(),
            };
            let (stop, layers, secret) = (Arc::clone(&worker.stop), Arc::clone(&worker.layers), session.secret.clone());
            let (tx, ctx) = (self.tx.clone(), self.ctx.clone());
            let started = std::thread::Builder::new()
                .name("frontier-team-live".into())
                .spawn(move || live_loop(&secret, &stop, &layers, &tx, ctx.as_ref()));
            if let Err(e) = started {
                self.problem = Some(format!("cannot follow other analysts' saves: no thread: {e}"));
                return;
            }
            self.live = Some(worker);
        }
        if let Some(live) = &self.live
            && let Ok(mut set) = live.layers.lock()
        {
            set.insert(layer.to_owned());
        }
    }
}

/// The password for `profile`: typed, else (when `PGPASSWORD` is unset) from the pgpass file;
/// and something to tell about the file, if it was not usable.
fn password_for(profile: &StoreProfile, typed: &str) -> (Option<String>, Option<String>) {
    if !typed.is_empty() {
        return (Some(typed.to_owned()), None);
    }
    if std::env::var_os("PGPASSWORD").is_some_and(|p| !p.is_empty()) {
        return (None, None);
    }
    match pgpass_path().map(|p| pgpass_password(&p, profile)) {
        Some(Ok(pw)) => (pw, None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    }
}

/// Reads the current rows of `fids` of store layer `name`.
fn read_rows(client: &mut postgres::Client, name: &str, fids: &[Uuid]) -> Result<Rows, String> {
    let mut rows: Rows = fids.iter().map(|f| (*f, None)).collect();
    if fids.is_empty() {
        return Ok(rows);
    }
    let table = crate::db::schema::table_of(client, name).map_err(|e| e.to_string())?;
    let sql =
        format!("SELECT fid, version, ST_AsEWKB(geom), props::text, extra::text FROM {table} WHERE fid = ANY($1)");
    let found = client.query(&sql, &[&fids]).map_err(|e| crate::db::DbError::from_pg(&e).to_string())?;
    for row in found {
        let fid: Uuid = row.get(0);
        let version: i64 = row.get(1);
        let f = crate::db::open::feature_from_parts(row.get(2), row.get(3), row.get(4))
            .map_err(|e| format!("reading “{name}” fid {fid}: {e}"))?;
        rows.insert(fid, Some((version, version_of(&f))));
    }
    Ok(rows)
}

/// The live worker's loop: follows the change feed, reads the changed rows of the followed
/// layers and sends them; reconnects (catching up by sequence number) after a lost connection.
fn live_loop(
    secret: &str,
    stop: &AtomicBool,
    layers: &Mutex<HashSet<String>>,
    tx: &Sender<(u64, Reply)>,
    ctx: Option<&egui::Context>,
) {
    // Kept across reconnections, so the catch-up starts where the feed was.
    let mut tracker_kept: Option<crate::db::live::Tracker> = None;
    let send = |reply: Reply| {
        let _ = tx.send((0, reply));
        if let Some(ctx) = ctx {
            ctx.request_repaint();
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let connected = crate::db::live::Live::connect(secret)
            .and_then(|live| Ok((live, crate::db::connect(secret)?)))
            .map_err(|e| e.to_string());
        let (mut live, mut client) = match connected {
            Ok((live, client)) => (live, Some(client)),
            Err(e) => {
                send(Reply::LiveLost(e.clone()));
                std::thread::sleep(std::time::Duration::from_secs(5));
                continue;
            }
        };
        let mut tracker = match &tracker_kept {
            Some(t) => t.clone(),
            None => match live.latest_seq() {
                Ok(s) => crate::db::live::Tracker::after(s),
                Err(e) => {
                    send(Reply::LiveLost(e.to_string()));
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    continue;
                }
            },
        };
        tracker_kept = Some(tracker.clone());
        while !stop.load(Ordering::Relaxed) {
            let changes = match live.poll(&mut tracker, std::time::Duration::from_secs(1)) {
                Ok(c) => c,
                Err(e) => {
                    send(Reply::LiveLost(e.to_string()));
                    break;
                }
            };
            let followed = layers.lock().map(|s| s.clone()).unwrap_or_default();
            let mut by_layer: HashMap<String, Vec<LiveChange>> = HashMap::new();
            for c in changes.into_iter().filter(|c| followed.contains(&c.layer)) {
                by_layer.entry(c.layer.clone()).or_default().push(LiveChange {
                    fid: c.fid,
                    version: c.version,
                    op: c.op.clone(),
                    author: c.author.clone(),
                });
            }
            // Each read is bounded (db::deadline); a failed one reconnects and reads these
            // changes again (the kept tracker moves only once all of them were sent).
            let mut lost = None;
            for (layer, changes) in by_layer {
                let fids: Vec<Uuid> = changes.iter().map(|c| c.fid).collect();
                let (Some(mut c), name) = (client.take(), layer.clone()) else { break };
                let read = crate::db::deadline::within(
                    "reading other analysts' saves",
                    crate::db::deadline::save_deadline(),
                    move |_| {
                        let rows = read_rows(&mut c, &name, &fids);
                        Ok((c, rows))
                    },
                );
                match read {
                    Ok((c, Ok(rows))) => {
                        client = Some(c);
                        send(Reply::Live { layer, changes, rows });
                    }
                    Ok((_, Err(e))) => lost = Some(e),
                    Err(e) => lost = Some(e.to_string()),
                }
                if lost.is_some() {
                    break;
                }
            }
            if let Some(e) = lost {
                send(Reply::LiveLost(e));
                break;
            }
            tracker_kept = Some(tracker.clone());
        }
    }
}

/// Whether feature `f` holds `base`'s content (ignoring the app's fid tag).
pub fn same_content(f: &Feature, base: &Version) -> bool {
    let geom = match (&f.geometry, &base.geometry) {
        (Some(a), Some(b)) => geometry_eq(a, b),
        (None, None) => true,
        _ => false,
    };
    if !geom || f.properties.len() != base.properties.len() {
        return false;
    }
    let props = f.properties.iter().zip(&base.properties).all(|((ka, va), (kb, vb))| ka == kb && value_eq(va, vb));
    props && version_of(f).extra == base.extra
}

/// The changes of a store layer since its base: edited and added features (untagged ones, and
/// second copies of a tag, get a new fid) and deleted ones. Also returns, per change, the
/// feature's index in the layer (`None` for deletes) so new fids can be tagged.
///
/// A feature still packed is unchanged since the layer was opened: only features held decoded
/// are compared with their base (each base decoded from its packed text), so a one-feature
/// save of a million-feature layer decodes one or two features.
pub fn changes_of(layer: &Layer, state: &StoreState) -> Vec<(Outgoing, Option<usize>)> {
    let features = &layer.features;
    let known = state.knows_texts_of(features);
    // Pass 1, without decoding: the packed features opened with the layer (live), and the rest.
    let mut live = vec![false; state.packed_fids.len()];
    // When every packed fid's base is still its own text (no packed feature's base was
    // replaced or removed since the layer was opened; bases are made packed only then), a
    // packed feature's fid is all pass 1 needs: no lookup in the base per feature.
    let all_packed =
        state.base.values().filter(|b| matches!(b.content, BaseContent::Packed(_))).count() == state.packed_fids.len();
    let mut others = Vec::new();
    for i in 0..features.len() {
        let at = features.text_ref(i).filter(|_| known);
        let found = at.and_then(|at| {
            let p = state.packed_fids.binary_search_by_key(&text_key(at), |(k, _)| *k).ok()?;
            Some((at, p, state.packed_fids.get(p)?.1))
        });
        match found {
            Some((at, p, fid))
                if all_packed || state.base.get(&fid).is_some_and(|b| b.content == BaseContent::Packed(at)) =>
            {
                if let Some(l) = live.get_mut(p) {
                    *l = true;
                }
            }
            _ => others.push(i),
        }
    }
    // A packed original keeps its fid over a copy of it made since.
    let packed_live = |fid: &Uuid| match state.base.get(fid).map(|b| &b.content) {
        Some(BaseContent::Packed(at)) => state
            .packed_fids
            .binary_search_by_key(&text_key(*at), |(k, _)| *k)
            .ok()
            .is_some_and(|p| live.get(p).copied().unwrap_or(false)),
        _ => false,
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for i in others {
        let Some(f) = features.get(i) else { continue };
        let tagged = fid_of(&f).filter(|fid| !packed_live(fid) && seen.insert(*fid));
        let untagged = || {
            let mut g = f.clone().into_owned();
            g.foreign_members.shift_remove(FID_MEMBER);
            g
        };
        match tagged.map(|fid| (fid, state.base.get(&fid))) {
            Some((_, Some(b))) if state.holds(&f, b) => {}
            Some((fid, Some(b))) => {
                out.push((Outgoing { fid, base_version: Some(b.version), feature: Some(untagged()) }, Some(i)));
            }
            Some((fid, None)) => out.push((Outgoing { fid, base_version: None, feature: Some(untagged()) }, Some(i))),
            None => {
                let fid = Uuid::new_v4();
                seen.insert(fid);
                out.push((Outgoing { fid, base_version: None, feature: Some(untagged()) }, Some(i)));
            }
        }
    }
    // Deleted: packed originals no longer in the layer whose base is still their text (read
    // in the column's order), and features held decoded in the base that were not seen.
    let mut deleted: Vec<(&Uuid, &Base)> = Vec::new();
    for (p, (key, fid)) in state.packed_fids.iter().enumerate() {
        if live.get(p).copied().unwrap_or(true) || seen.contains(fid) {
            continue;
        }
        if let Some((fid, b)) = state.base.get_key_value(fid)
            && matches!(&b.content, BaseContent::Packed(at) if text_key(*at) == *key)
        {
            deleted.push((fid, b));
        }
    }
    deleted
        .extend(state.base.iter().filter(|(fid, b)| matches!(b.content, BaseContent::Held(_)) && !seen.contains(*fid)));
    deleted.sort_by_key(|(fid, _)| **fid);
    for (fid, b) in deleted {
        out.push((Outgoing { fid: *fid, base_version: Some(b.version), feature: None }, None));
    }
    out
}

/// Layer edits the team store makes itself (another analyst's row, a merge, an offline edit),
/// in place as the edit commands make them: the layer's other features stay packed.
fn put_feature(layer: &mut Layer, i: usize, feature: Feature) {
    if layer.features.replace(i, feature).is_some() {
        layer.refresh_after(crate::model::Change::Changed(i));
    }
}

/// Appends `feature` (see [`put_feature`]).
fn append_feature(layer: &mut Layer, feature: Feature) {
    let i = layer.features.len();
    if layer.layout.features.len() == i {
        let layout = layer.layout.typical();
        layer.layout.features.push(layout);
    }
    layer.features.push(feature);
    layer.refresh_after(crate::model::Change::Inserted(i));
}

/// Removes feature `i` (see [`put_feature`]).
fn remove_feature(layer: &mut Layer, i: usize) {
    if i >= layer.features.len() {
        return;
    }
    if layer.layout.features.len() == layer.features.len() {
        layer.layout.features.remove(i);
    }
    let old = layer.features.remove(i);
    layer.id_removed(old.as_ref().and_then(|f| f.id.as_ref()));
    layer.refresh_after(crate::model::Change::Removed(i));
}

impl AtlasApp {
    /// Connects to the store at `url` on a worker (`--db URL`); the window shows the outcome.
    pub fn connect_team_store_url(&mut self, url: &str) {
        match StoreProfile::from_url(url) {
            Ok((profile, password)) => {
                self.team.form = profile;
                self.team.password = password.unwrap_or_default();
                self.team.window = true;
                self.team_connect();
            }
            Err(e) => self.messages.push(Message::new(Level::Error, format!("--db: {e}"))),
        }
    }

    /// Connects with the form's profile on a worker and lists the store's layers.
    pub fn team_connect(&mut self) {
        let profile = self.team.form.clone();
        let typed = std::mem::take(&mut self.team.password);
        self.team.problem = None;
        let outbox = self.team.outbox_dir.as_ref().map(|d| outbox_path(d, &profile.url()));
        self.team.spawn(format!("connecting to {}", profile.label()), move || {
            let (password, note) = password_for(&profile, &typed);
            let mut notes: Vec<(Level, String)> = note.into_iter().map(|n| (Level::Warning, n)).collect();
            let secret = profile.url_with(password.as_deref());
            // Bounded (db::deadline), the outbox's drain with it: a server that stops answering
            // ends the attempt instead of holding "Connecting…" forever.
            let (given_up, given_up_secret) = (profile.clone(), secret.clone());
            let bounded =
                crate::db::deadline::within("connecting", crate::db::deadline::save_deadline(), move |watch| {
                    let result = (|| {
                        let mut client = watch.connect(&secret)?;
                        let who: String = client.query_one("SELECT session_user::text", &[])?.get(0);
                        let layers = crate::db::list_layers(&mut client)?;
                        Ok::<_, crate::db::DbError>((who, layers, client))
                    })()
                    .map_err(|e| e.to_string());
                    let mut drained = None;
                    let mut merged = Vec::new();
                    let result = result.map(|(who, layers, mut client)| {
                        if let Some(path) = outbox.as_deref() {
                            match drain_outbox(&mut client, path) {
                                Ok(None) => drained = Some(Vec::new()),
                                Ok(Some(d)) => {
                                    notes.push(d.summary());
                                    if d.remaining == 0 {
                                        drained = Some(d.written_as_sent());
                                    }
                                    for (layer, fids) in d.merged_fids() {
                                        match read_rows(&mut client, &layer, &fids) {
                                            Ok(rows) => merged.push((layer, rows)),
                                            Err(e) => notes.push((Level::Error, e)),
                                        }
                                    }
                                }
                                Err(e) => notes.push((Level::Error, e.to_string())),
                            }
                        }
                        (who, layers)
                    });
                    Ok(Reply::Connected { profile: Box::new(profile), secret, result, notes, drained, merged })
                });
            bounded.unwrap_or_else(|e| Reply::Connected {
                profile: Box::new(given_up),
                secret: given_up_secret,
                result: Err(e.to_string()),
                notes: Vec::new(),
                drained: None,
                merged: Vec::new(),
            })
        });
    }

    /// Lists the store's layers again.
    pub fn team_refresh(&mut self) {
        let Some(session) = self.team.session.clone() else { return };
        let profile = self.team.form.clone();
        self.team.spawn("listing the store's layers", move || {
            let result = crate::db::connect(&session.secret)
                .and_then(|mut c| crate::db::list_layers(&mut c))
                .map(|layers| (session.who.clone(), layers))
                .map_err(|e| e.to_string());
            Reply::Connected {
                profile: Box::new(profile),
                secret: session.secret,
                result,
                notes: Vec::new(),
                drained: None,
                merged: Vec::new(),
            }
        });
    }

    /// Opens store layer `name` on a worker, with the view's bbox and the timeline's range
    /// when the window's checkboxes say so.
    pub fn team_open(&mut self, name: &str) {
        let Some(session) = self.team.session.clone() else { return };
        let bbox = self.team.only_view.then(|| self.map.viewport.geo_bbox());
        let range = if self.team.only_range { self.filter.range.map(|r| (r.from, r.to)) } else { None };
        let mut scope = Vec::new();
        if bbox.is_some() {
            scope.push("in the current view".to_owned());
        }
        if let Some((from, to)) = range {
            scope.push(format!("dated {from} to {to}"));
        }
        let name = name.to_owned();
        let outbox = self.team.outbox_dir.as_ref().map(|d| outbox_path(d, &session.url));
        self.team.spawn(format!("opening “{name}” from the team store"), move || {
            // Bounded (db::deadline): a server that stops answering ends the open.
            let (secret, layer_name) = (session.secret.clone(), name.clone());
            let what = format!("opening “{name}”");
            let result = crate::db::deadline::within(&what, crate::db::deadline::OPEN_DEADLINE, move |watch| {
                let name = layer_name;
                let mut client = watch.connect(&secret)?;
                let layer = crate::db::open::open_layer_with_fids(&mut client, &name, bbox, range, FID_MEMBER)?;
                let why = crate::db::can_edit(&mut client, &name)?;
                let state = StoreState::opened(&name, &layer.layer.features, &layer.rows, why);
                Ok::<_, crate::db::DbError>((Box::new(layer.layer), Box::new(state)))
            })
            .map_err(|e| e.to_string());
            // Edits saved offline and not pushed yet are shown over the store's rows.
            let pending = match outbox.filter(|p| p.exists()) {
                Some(path) => {
                    crate::db::outbox::Outbox::open(&path).and_then(|o| o.pending(&name)).map_err(|e| e.to_string())
                }
                None => Ok(Vec::new()),
            };
            Reply::Opened { name, scope: scope.join(", "), result, pending }
        });
    }

    /// Whether layer `uid` came from the team store.
    pub fn is_store_layer(&self, uid: LayerUid) -> bool {
        self.team.stores.contains_key(&uid)
    }

    /// Why store layer `uid` may not be edited (`None`: it may, or it is no store layer).
    pub fn store_read_only(&self, uid: LayerUid) -> Option<&str> {
        self.team.stores.get(&uid).and_then(|s| s.read_only.as_deref())
    }

    /// Pushes the changes of store layer `uid` on a worker (Save on a store layer).
    pub fn team_push(&mut self, uid: LayerUid) {
        let Some(state) = self.team.stores.get(&uid) else { return };
        if let Some(why) = &state.read_only {
            self.messages.push(Message::new(Level::Warning, format!("Not saved: {why}")));
            return;
        }
        let Some(layer) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else { return };
        let changes = changes_of(layer, state);
        if changes.is_empty() && state.pending.is_empty() {
            self.history.mark_saved(uid);
            self.messages.push(Message::new(Level::Info, format!("“{}”: nothing to push", state.name)));
            return;
        }
        let Some(session) = self.team.session.clone() else {
            self.messages.push(Message::new(
                Level::Warning,
                format!("“{}” is not saved: connect to the team store first (File > Team store…)", state.name),
            ));
            self.team.window = true;
            return;
        };
        // New features get their fid now, so a retried push (same op id) names them the same.
        let untagged: Vec<(usize, Uuid)> = changes
            .iter()
            .filter_map(|(c, i)| {
                i.filter(|&i| layer.features.get(i).is_some_and(|f| fid_of(&f) != Some(c.fid))).map(|i| (i, c.fid))
            })
            .collect();
        if !untagged.is_empty()
            && let Some(layer) = self.catalog.layer_by_uid_mut(uid)
        {
            // Features held decoded already (new or edited): tagged in place.
            for (i, fid) in untagged {
                if let Some(f) = layer.features.get_mut(i) {
                    f.foreign_members.insert(FID_MEMBER.to_owned(), Value::String(fid.to_string()));
                }
            }
        }
        let note = self
            .safety
            .journal
            .get(&uid)
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| format!("{} {}: {}", e.action, e.feature_id.as_deref().unwrap_or(""), e.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let sent: Vec<Outgoing> = changes.into_iter().map(|(c, _)| c).collect();
        let name = state.name.clone();
        let op_id = Uuid::new_v4();
        let outbox = self.team.outbox_dir.as_ref().map(|d| outbox_path(d, &session.url));
        let label = format!("saving {} change(s) of “{name}” to the team store", sent.len());
        self.team.spawn(label, move || {
            let changes: Vec<crate::db::push::Change> = sent
                .iter()
                .map(|o| crate::db::push::Change {
                    fid: o.fid,
                    base_version: o.base_version,
                    feature: o.feature.clone(),
                })
                .collect();
            let result = push_now(&session.secret, &name, &changes, op_id, &note, outbox.as_deref()).map(Box::new);
            Reply::Pushed { uid, sent, result }
        });
    }

    /// Applies the team store's worker replies (every frame).
    pub(crate) fn team_receive(&mut self) {
        for reply in self.team.poll() {
            self.team_apply(reply);
        }
    }

    /// Waits up to `timeout` for the team store's workers and applies their replies (tests).
    pub fn finish_team_jobs(&mut self, timeout: std::time::Duration) {
        for reply in self.team.wait(timeout) {
            self.team_apply(reply);
        }
    }

    /// Applies one worker reply.
    pub fn team_apply(&mut self, reply: Reply) {
        match reply {
            Reply::Connected { profile, secret, result, notes, drained, merged } => {
                for (level, text) in notes {
                    self.messages.push(Message::new(level, text));
                }
                if let Some(written) = drained {
                    self.team_outbox_pushed(&written);
                }
                for (layer, rows) in &merged {
                    self.team_outbox_merged(layer, rows);
                }
                match result {
                    Ok((who, layers)) => {
                        let first = self.team.session.as_ref().is_none_or(|s| s.url != profile.url());
                        self.team.session = Some(Session { url: profile.url(), secret, who: who.clone() });
                        self.team.layers = layers;
                        self.team.problem = None;
                        if first {
                            self.messages.push(Message::new(
                                Level::Info,
                                format!("Connected to the team store {} as {who}", profile.url()),
                            ));
                        }
                    }
                    Err(e) => self.team.problem = Some(e),
                }
            }
            Reply::Opened { name, scope, result, pending } => match result {
                Ok((layer, state)) => {
                    let pending = pending.unwrap_or_else(|e| {
                        self.messages.push(Message::new(
                            Level::Error,
                            format!("“{name}”: the offline outbox could not be read, so edits waiting there are not shown: {e}"),
                        ));
                        Vec::new()
                    });
                    self.team_add_layer(&name, &scope, *layer, *state, pending);
                }
                Err(e) => {
                    self.team.problem = Some(e.clone());
                    self.messages.push(Message::new(Level::Error, e));
                }
            },
            Reply::Pushed { uid, sent, result } => self.team_pushed(uid, &sent, result),
            Reply::Live { layer, changes, rows } => self.team_live(&layer, &changes, &rows),
            Reply::LiveLost(why) => {
                self.team.problem = Some(format!("live updates paused (retrying): {why}"));
            }
        }
    }

    fn team_add_layer(
        &mut self,
        name: &str,
        scope: &str,
        mut layer: Layer,
        mut state: StoreState,
        pending: Vec<crate::db::push::Change>,
    ) {
        let why = state.read_only.clone();
        // Edits waiting in the offline outbox: their local copies over the store's rows, with
        // the base they were queued on, so the next diff leaves them to the outbox's push.
        let fids: HashSet<Uuid> = pending.iter().map(|c| c.fid).collect();
        let at = state.find(&layer.features, &fids);
        let mut gone = Vec::new();
        let mut words = Vec::new();
        for c in pending {
            state.pending.insert(c.fid);
            match (c.feature, at.get(&c.fid)) {
                (Some(f), i) => {
                    let v = version_of(&f);
                    let g = feature_of(&v, Some(c.fid));
                    words.push(format!("{} (edited offline)", g.display_name(layer.label_field.as_deref())));
                    state.base.insert(c.fid, Base::held(c.base_version.unwrap_or(0), v));
                    match i {
                        Some(&i) => put_feature(&mut layer, i, g),
                        None => append_feature(&mut layer, g),
                    }
                }
                (None, Some(&i)) => {
                    if let Some(f) = layer.features.get(i) {
                        words.push(format!("{} (deleted offline)", f.display_name(layer.label_field.as_deref())));
                    }
                    gone.push(i);
                    state.base.remove(&c.fid);
                }
                (None, None) => {}
            }
        }
        gone.sort_unstable();
        gone.dedup();
        for &i in gone.iter().rev() {
            remove_feature(&mut layer, i);
        }
        let count = super::load_progress::thousands(layer.features.len() as u64);
        let bounds = layer.bounds();
        let uid = layer.uid;
        let n_waiting = state.pending.len();
        self.team.stores.insert(uid, state);
        let id = self.catalog.insert(layer);
        for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
            if r.layer >= id {
                r.layer += 1;
            }
        }
        let scope = if scope.is_empty() { String::new() } else { format!(", {scope}") };
        self.messages.push(Message::new(Level::Info, format!("Opened store layer “{name}” ({count} features{scope})")));
        if let Some(why) = why {
            self.messages.push(Message::new(Level::Warning, format!("“{name}” is read-only: {why}")));
        }
        if n_waiting > 0 {
            // Not in the store yet: the layer is unsaved until they are pushed.
            self.history.mark_unsaved(uid);
            self.messages.push(
                Message::new(
                    Level::Warning,
                    format!(
                        "“{name}”: {n_waiting} feature(s) with edits saved offline are not in the team store yet; they are shown as you left them and are pushed by your next save"
                    ),
                )
                .with_details(words),
            );
        }
        if !self.team.only_view
            && let Some(b) = bounds
        {
            self.map.fit(b);
        }
        self.catalog_changed();
        self.team.follow(name);
    }

    fn team_pushed(&mut self, uid: LayerUid, sent: &[Outgoing], result: Result<Box<Pushed>, String>) {
        let Some(name) = self.team.stores.get(&uid).map(|s| s.name.clone()) else { return };
        let pushed = match result {
            Ok(p) => p,
            Err(e) => {
                self.messages.push(Message::new(
                    Level::Error,
                    format!(
                        "“{name}” was not saved to the team store: {e}. Your edits are kept in the layer (nothing was queued offline)"
                    ),
                ));
                return;
            }
        };
        if let Some(why) = &pushed.queued {
            // The outbox holds these now: the next diff starts from them.
            if let Some(state) = self.team.stores.get_mut(&uid) {
                state.pending.extend(sent.iter().map(|o| o.fid));
                for o in sent {
                    match (&o.feature, state.base.get_mut(&o.fid)) {
                        (Some(f), Some(b)) => b.content = BaseContent::Held(Box::new(version_of(f))),
                        (Some(f), None) => {
                            state.base.insert(o.fid, Base::held(0, version_of(f)));
                        }
                        (None, _) => {
                            state.base.remove(&o.fid);
                        }
                    }
                }
            }
            self.history.mark_saved(uid);
            self.safety.journal.remove(&uid);
            self.messages.push(Message::new(
                Level::Warning,
                format!(
                    "The team store is unreachable ({why}): {} change(s) of “{name}” are kept in the offline outbox and pushed when you save again online",
                    sent.len()
                ),
            ));
            return;
        }
        // The push went through after the whole outbox: nothing waits offline any more.
        for state in self.team.stores.values_mut() {
            state.pending.clear();
        }
        if pushed.drained > 0 {
            self.messages.push(Message::new(
                Level::Info,
                format!("Pushed {} operation(s) saved offline to the team store first", pushed.drained),
            ));
        }
        if pushed.already_applied {
            self.messages.push(Message::new(Level::Info, format!("“{name}”: this save had already reached the store")));
        }
        let conflicted: HashSet<Uuid> = pushed.conflicts.iter().map(|c| c.fid).collect();
        // Update the bases: applied changes are the new base; merged features take the store's row.
        let mut replace: HashMap<Uuid, Option<(i64, Version)>> = HashMap::new();
        if let Some(state) = self.team.stores.get_mut(&uid) {
            for (fid, version) in &pushed.applied {
                match sent.iter().find(|o| o.fid == *fid).map(|o| o.feature.as_ref()) {
                    Some(Some(f)) => {
                        state.base.insert(*fid, Base::held(*version, version_of(f)));
                    }
                    Some(None) => {
                        state.base.remove(fid);
                    }
                    // Pushed from the offline outbox: its content is the base already.
                    None => {
                        if let Some(b) = state.base.get_mut(fid) {
                            b.version = *version;
                        }
                    }
                }
            }
            for (fid, _, _) in &pushed.merged {
                if let Some(row) = pushed.rows.get(fid) {
                    replace.insert(*fid, row.clone());
                }
            }
        }
        let labels = self.team_labels(uid, pushed.merged.iter().map(|m| m.0));
        let merged_words: Vec<String> = pushed
            .merged
            .iter()
            .map(|(fid, mine, theirs)| {
                let label = labels.get(fid).cloned().unwrap_or_else(|| fid.to_string());
                format!("{label}: yours {}; theirs {}", list_or_none(mine), list_or_none(theirs))
            })
            .collect();
        if !replace.is_empty() {
            self.team_replace(uid, &replace, &HashSet::new());
        }
        let applied = pushed.applied.len();
        if conflicted.is_empty() {
            self.history.mark_saved(uid);
            self.safety.journal.remove(&uid);
        }
        let mut text = if applied == 0 && !conflicted.is_empty() {
            format!("Nothing of “{name}” was saved yet")
        } else {
            format!("Saved {applied} change(s) of “{name}” to the team store")
        };
        if !merged_words.is_empty() {
            let _ = write!(text, "; {} merged with others' edits automatically", merged_words.len());
        }
        let level = if conflicted.is_empty() { Level::Info } else { Level::Warning };
        if !conflicted.is_empty() {
            let _ = write!(text, "; {} in conflict: see the Conflicts panel", conflicted.len());
        }
        self.messages.push(Message::new(level, text).with_details(merged_words));
        if !pushed.conflicts.is_empty() {
            self.team_open_conflicts(uid, &name, sent, &pushed.conflicts, &pushed.rows);
        }
    }

    /// The offline outbox was pushed whole on connecting: nothing waits any more, and the
    /// versions written as sent become the open layers' bases for those features.
    fn team_outbox_pushed(&mut self, written: &[(Uuid, i64)]) {
        for state in self.team.stores.values_mut() {
            for (fid, version) in written {
                if state.pending.contains(fid)
                    && let Some(b) = state.base.get_mut(fid)
                {
                    b.version = *version;
                }
            }
            state.pending.clear();
        }
    }

    /// The offline outbox's push merged features of store layer `layer` with others' saves:
    /// every open layer of that name shows the merged rows and takes them as their base, but
    /// for features edited again since they were queued (those merge at the next save).
    fn team_outbox_merged(&mut self, layer: &str, rows: &Rows) {
        let uids: Vec<LayerUid> =
            self.team.stores.iter().filter(|(_, s)| s.name == layer).map(|(uid, _)| *uid).collect();
        for uid in uids {
            let Some(state) = self.team.stores.get(&uid) else { continue };
            let Some(l) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else { continue };
            let fids: HashSet<Uuid> = rows.keys().copied().collect();
            let mut keep = HashSet::new();
            for (fid, i) in state.find(&l.features, &fids) {
                let Some(f) = l.features.get(i) else { continue };
                if state.base.get(&fid).is_some_and(|b| !state.holds(&f, b)) {
                    keep.insert(fid);
                }
            }
            self.team_replace(uid, rows, &keep);
        }
    }

    /// The names of features `fids` of store layer `uid` (one pass over the layer's fids).
    fn team_labels(&self, uid: LayerUid, fids: impl Iterator<Item = Uuid>) -> HashMap<Uuid, String> {
        let layer = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i));
        let (Some(l), Some(state)) = (layer, self.team.stores.get(&uid)) else { return HashMap::new() };
        let at = state.find(&l.features, &fids.collect());
        at.into_iter()
            .filter_map(|(fid, i)| Some((fid, l.features.get(i)?.display_name(l.label_field.as_deref()))))
            .collect()
    }

    fn team_open_conflicts(
        &mut self,
        uid: LayerUid,
        name: &str,
        sent: &[Outgoing],
        conflicts: &[crate::db::push::Conflict],
        rows: &Rows,
    ) {
        let state = self.team.stores.get(&uid);
        let labels = self.team_labels(uid, conflicts.iter().map(|c| c.fid));
        let items: Vec<ConflictItem> = conflicts
            .iter()
            .map(|c| {
                let row = rows.get(&c.fid).cloned().flatten();
                ConflictItem {
                    fid: c.fid,
                    label: labels.get(&c.fid).cloned().unwrap_or_else(|| c.fid.to_string()),
                    theirs_version: row.as_ref().map(|(v, _)| *v).or(c.theirs_version),
                    base: state.and_then(|s| s.base_content(c.fid)),
                    mine: sent.iter().find(|o| o.fid == c.fid).and_then(|o| o.feature.as_ref()).map(version_of),
                    theirs: row.map(|(_, v)| v),
                    fields: c.fields.iter().cloned().map(FieldRow::new).collect(),
                }
            })
            .collect();
        self.team.conflicts =
            Some(ConflictsPanel { layer: uid, name: name.to_owned(), items, current: 0, problem: None });
    }

    /// Replaces (or removes, or appends) features of store layer `uid` by fid with rows read
    /// from the store, which become their base; features in `keep` are left as they are.
    /// The undo history is fitted to removed features (the analyst's other steps still undo);
    /// returns the descriptions of undo steps that lost commands on a removed feature.
    fn team_replace(&mut self, uid: LayerUid, rows: &Rows, keep: &HashSet<Uuid>) -> Vec<String> {
        let Some(state) = self.team.stores.get_mut(&uid) else { return Vec::new() };
        let Some(layer) = self.catalog.layer_by_uid_mut(uid) else { return Vec::new() };
        let fids: HashSet<Uuid> = rows.keys().filter(|fid| !keep.contains(*fid)).copied().collect();
        let at = state.find(&layer.features, &fids);
        let mut removed = Vec::new();
        for (fid, row) in rows.iter().filter(|(fid, _)| !keep.contains(*fid)) {
            match (row, at.get(fid)) {
                (Some((_, v)), Some(&i)) => put_feature(layer, i, feature_of(v, Some(*fid))),
                (Some((_, v)), None) => append_feature(layer, feature_of(v, Some(*fid))),
                (None, Some(&i)) => removed.push(i),
                (None, None) => {}
            }
            match row {
                Some((version, v)) => {
                    state.base.insert(*fid, Base::held(*version, v.clone()));
                }
                None => {
                    state.base.remove(fid);
                }
            }
        }
        removed.sort_unstable();
        for &i in removed.iter().rev() {
            remove_feature(layer, i);
        }
        let li = self.catalog.index_of(uid);
        let mut dropped = Vec::new();
        if !removed.is_empty() {
            // Indexes moved: the selection no longer fits; the undo steps are re-indexed
            // (highest first, so each index is still where it was).
            if self.selection.is_some_and(|s| Some(s.layer) == li) {
                self.selection = None;
                self.hits_here.clear();
            }
            for &i in removed.iter().rev() {
                for d in self.history.feature_removed(uid, i) {
                    if !dropped.contains(&d) {
                        dropped.push(d);
                    }
                }
            }
        }
        self.catalog_changed();
        dropped
    }

    /// Applies other analysts' changes to every open store layer of that name.
    fn team_live(&mut self, layer: &str, changes: &[LiveChange], rows: &Rows) {
        let me = self.team.session.as_ref().map(|s| s.who.clone()).unwrap_or_default();
        let uids: Vec<LayerUid> =
            self.team.stores.iter().filter(|(_, s)| s.name == layer).map(|(uid, _)| *uid).collect();
        for uid in uids {
            let Some(state) = self.team.stores.get(&uid) else { continue };
            // Only what is newer than this layer's base, and not my own saves.
            let fresh: Vec<&LiveChange> = changes
                .iter()
                .filter(|c| c.author != me)
                .filter(|c| state.base_version(c.fid).is_none_or(|v| c.version > v))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            // Features the analyst has edited since the base stay theirs until the next save merges.
            let Some(l) = self.catalog.index_of(uid).and_then(|i| self.catalog.layers.get(i)) else { continue };
            let mut keep = HashSet::new();
            let fids: HashSet<Uuid> = fresh.iter().map(|c| c.fid).collect();
            for (fid, i) in state.find(&l.features, &fids) {
                let Some(f) = l.features.get(i) else { continue };
                if state.pending.contains(&fid) || state.base.get(&fid).is_some_and(|b| !state.holds(&f, b)) {
                    keep.insert(fid);
                }
            }
            let wanted: Rows = fresh.iter().filter_map(|c| rows.get(&c.fid).map(|r| (c.fid, r.clone()))).collect();
            // Names as they were (a deleted feature has none after) and as they are now.
            let before = self.team_labels(uid, fresh.iter().map(|c| c.fid));
            let dropped = self.team_replace(uid, &wanted, &keep);
            let after = self.team_labels(uid, fresh.iter().map(|c| c.fid));
            let mut by_author: Vec<(String, Vec<String>)> = Vec::new();
            for c in &fresh {
                let name = match (before.get(&c.fid), after.get(&c.fid)) {
                    (Some(old), _) if c.op == "delete" => old.clone(),
                    (_, Some(now)) => now.clone(),
                    _ => c.fid.to_string(),
                };
                let words = format!("{} {name} (v{})", c.op, c.version);
                match by_author.iter_mut().find(|(a, _)| *a == c.author) {
                    Some((_, list)) => list.push(words),
                    None => by_author.push((c.author.clone(), vec![words])),
                }
            }
            for (author, what) in by_author {
                let n = what.len();
                let mut text = format!(
                    "{author} changed {} feature{} of “{layer}”",
                    super::load_progress::thousands(n as u64),
                    if n == 1 { "" } else { "s" }
                );
                if !keep.is_empty() {
                    let _ = write!(text, "; {} of them you are editing: they merge when you save", keep.len());
                }
                self.messages.push(Message::new(Level::Info, text).with_details(what));
            }
            if !dropped.is_empty() {
                self.messages.push(
                    Message::new(
                        Level::Warning,
                        format!(
                            "{} of your undo step(s) in “{layer}” changed a feature another analyst deleted: that part is gone from them; your other steps still undo",
                            dropped.len()
                        ),
                    )
                    .with_details(dropped),
                );
            }
        }
    }

    /// Pushes the resolution of conflict `i` of the Conflicts panel.
    fn team_resolve(&mut self, i: usize) {
        let Some(panel) = &mut self.team.conflicts else { return };
        let Some(item) = panel.items.get(i) else { return };
        let resolved = match item.resolve() {
            Ok(r) => r,
            Err(e) => {
                panel.problem = Some(e);
                return;
            }
        };
        panel.problem = None;
        let (uid, name, fid, note) = (panel.layer, panel.name.clone(), item.fid, item.note());
        let change = Outgoing {
            fid,
            base_version: item.theirs_version.filter(|_| item.theirs.is_some()),
            feature: resolved.as_ref().map(|v| feature_of(v, None)),
        };
        if change.feature.is_none() && item.theirs.is_none() {
            // Both sides agree it is gone: nothing to write.
            let rows: Rows = std::iter::once((fid, None)).collect();
            self.team_replace(uid, &rows, &HashSet::new());
            self.team_conflict_done(fid);
            return;
        }
        let Some(session) = self.team.session.clone() else {
            if let Some(panel) = &mut self.team.conflicts {
                panel.problem = Some("Not connected: connect to the team store first (File > Team store…)".to_owned());
            }
            return;
        };
        let outbox = self.team.outbox_dir.as_ref().map(|d| outbox_path(d, &session.url));
        let sent = vec![change];
        self.team.spawn(format!("saving the resolution of {fid}"), move || {
            let changes: Vec<crate::db::push::Change> = sent
                .iter()
                .map(|o| crate::db::push::Change {
                    fid: o.fid,
                    base_version: o.base_version,
                    feature: o.feature.clone(),
                })
                .collect();
            let result =
                push_now(&session.secret, &name, &changes, Uuid::new_v4(), &note, outbox.as_deref()).map(Box::new);
            Reply::Pushed { uid, sent, result }
        });
        // The local feature takes the resolution now; the push's reply sets its base version.
        let row = resolved.map(|v| (0, v));
        let rows: Rows = std::iter::once((fid, row)).collect();
        let keep_base = self.team.stores.get(&uid).and_then(|s| s.base.get(&fid).cloned());
        self.team_replace(uid, &rows, &HashSet::new());
        if let (Some(state), Some(b)) = (self.team.stores.get_mut(&uid), keep_base) {
            // Until the reply, the base stays what it was (version 0 above is only a placeholder).
            state.base.insert(fid, b);
        }
        self.team_conflict_done(fid);
    }

    fn team_conflict_done(&mut self, fid: Uuid) {
        if let Some(panel) = &mut self.team.conflicts {
            panel.items.retain(|it| it.fid != fid);
            panel.current = panel.current.min(panel.items.len().saturating_sub(1));
            if panel.items.is_empty() {
                self.team.conflicts = None;
            }
        }
    }

    /// The Team store window and the Conflicts panel.
    pub(crate) fn team_ui(&mut self, ctx: &egui::Context) {
        if self.team.ctx.is_none() {
            self.team.ctx = Some(ctx.clone());
        }
        self.team_receive();
        if self.team.window {
            self.team_window_ui(ctx);
        }
        let action = self.team.conflicts.as_mut().and_then(|p| p.ui(ctx));
        match action {
            Some(PanelAction::Resolve(i)) => self.team_resolve(i),
            Some(PanelAction::Show(i)) => {
                let item = self.team.conflicts.as_ref().and_then(|p| p.items.get(i));
                let geoms: Vec<&Value> = item
                    .into_iter()
                    .flat_map(|it| [it.mine.as_ref(), it.theirs.as_ref()])
                    .flatten()
                    .filter_map(|v| v.geometry.as_ref())
                    .collect();
                // A little around the geometries, so a point is not shown at the closest zoom.
                let pad = 0.05;
                let points: Vec<[f64; 2]> = geoms
                    .iter()
                    .flat_map(|g| {
                        let (p, l) = geometry_parts(g);
                        p.into_iter().chain(l.into_iter().flatten())
                    })
                    .flat_map(|[x, y]| {
                        [
                            crate::spatial::world_from_geo(x - pad, y - pad),
                            crate::spatial::world_from_geo(x + pad, y + pad),
                        ]
                    })
                    .collect();
                if let Some(rect) = crate::spatial::WorldRect::from_points(&points) {
                    self.map.fit(rect);
                }
            }
            Some(PanelAction::Close) => self.team.conflicts = None,
            None => {}
        }
        if !self.team.working.is_empty() {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    /// Both geometries of the shown conflict on the map: mine solid blue, theirs dashed orange.
    pub(crate) fn team_overlay_ui(&self, ui: &egui::Ui) {
        let Some(item) = self.team.conflicts.as_ref().and_then(|p| p.items.get(p.current)) else { return };
        let [ox, oy] = self.map.screen_origin;
        let to_screen = |[lon, lat]: [f64; 2]| {
            let [x, y] = self.map.viewport.screen_from_geo(lon, lat);
            egui::pos2(x + ox, y + oy)
        };
        let painter = ui.painter();
        for (side, colour, dashed) in [(&item.mine, MINE_COLOUR, false), (&item.theirs, THEIRS_COLOUR, true)] {
            let Some(g) = side.as_ref().and_then(|v| v.geometry.as_ref()) else { continue };
            let (points, paths) = geometry_parts(g);
            let stroke = egui::Stroke::new(3.0, colour);
            for p in points {
                let at = to_screen(p);
                if dashed {
                    // A dashed ring around where theirs is.
                    let ring: Vec<egui::Pos2> = (0..=32)
                        .map(|k| {
                            let a = f32::from(u8::try_from(k).unwrap_or(0)) / 32.0 * std::f32::consts::TAU;
                            at + egui::vec2(a.cos(), a.sin()) * 11.0
                        })
                        .collect();
                    painter.extend(egui::Shape::dashed_line(&ring, stroke, 5.0, 3.0));
                } else {
                    painter.circle_filled(at, 6.0, colour);
                }
            }
            for path in paths {
                let screen: Vec<egui::Pos2> = path.into_iter().map(to_screen).collect();
                if dashed {
                    painter.extend(egui::Shape::dashed_line(&screen, stroke, 8.0, 5.0));
                } else {
                    painter.add(egui::Shape::line(screen, stroke));
                }
            }
        }
    }

    fn team_window_ui(&mut self, ctx: &egui::Context) {
        let mut open = true;
        let mut connect = false;
        let mut refresh = false;
        let mut to_open = None;
        let pos = self.window_pos();
        egui::Window::new("Team store").open(&mut open).default_width(460.0).default_pos(pos).show(ctx, |ui| {
            self.team_profiles_ui(ui);
            let form = &mut self.team.form;
            egui::Grid::new("team-connection").num_columns(2).show(ui, |ui| {
                let l = ui.label("Host");
                ui.add(egui::TextEdit::singleline(&mut form.host).desired_width(220.0)).labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Port");
                ui.add(egui::DragValue::new(&mut form.port).range(1..=65535)).labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Database");
                ui.add(egui::TextEdit::singleline(&mut form.database).desired_width(220.0)).labelled_by(l.id);
                ui.end_row();
                let l = ui.label("User");
                ui.add(egui::TextEdit::singleline(&mut form.user).desired_width(220.0)).labelled_by(l.id);
                ui.end_row();
                ui.label("TLS");
                egui::ComboBox::from_id_salt("team-tls").selected_text(form.tls.label()).show_ui(ui, |ui| {
                    for (mode, label) in TlsMode::ALL {
                        ui.selectable_value(&mut form.tls, mode, label);
                    }
                });
                ui.end_row();
                super::team_connect::certificate_rows(ui, form);
                let l = ui.label("Password");
                ui.add(egui::TextEdit::singleline(&mut self.team.password).password(true).desired_width(220.0))
                    .labelled_by(l.id)
                    .on_hover_text(
                        "Used for this session only, never saved. Leave empty to use PGPASSWORD or ~/.pgpass.",
                    );
                ui.end_row();
            });
            ui.small(
                "Passwords are never saved: type one for this session, or use PGPASSWORD or ~/.pgpass (mode 0600).",
            );
            ui.horizontal(|ui| {
                let busy = self.team.connecting();
                if ui.add_enabled(!busy, egui::Button::new("Connect")).clicked() {
                    connect = true;
                }
                if busy {
                    ui.spinner();
                    ui.label("Connecting…");
                }
                if self.team.session.is_some() && ui.button("Disconnect").clicked() {
                    self.team.session = None;
                    self.team.layers.clear();
                    self.team.live = None;
                }
            });
            if let Some(p) = &self.team.problem {
                ui.colored_label(egui::Color32::from_rgb(190, 30, 30), p);
            }
            let Some(session) = &self.team.session else { return };
            ui.separator();
            ui.label(format!("Connected to {} as {}", session.url, session.who));
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.team.only_view, "Only the current view");
                let range =
                    self.filter.range.map_or_else(|| "all dates".to_owned(), |r| format!("{} – {}", r.from, r.to));
                ui.checkbox(&mut self.team.only_range, format!("Only the timeline's range ({range})"));
            });
            ui.strong("Layers in the store");
            if self.team.layers.is_empty() {
                ui.label("No layers yet: publish one with `frontier-atlas db publish URL FILE`.");
            }
            egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
                egui::Grid::new("team-layers").num_columns(3).striped(true).show(ui, |ui| {
                    for info in &self.team.layers {
                        ui.label(&info.name);
                        ui.small(format!("{}, by {}", info.kind.label(), info.created_by));
                        if ui.button(format!("Open “{}”", info.name)).clicked() {
                            to_open = Some(info.name.clone());
                        }
                        ui.end_row();
                    }
                });
            });
            if ui.button("Refresh").clicked() {
                refresh = true;
            }
            for (_, label) in &self.team.working {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{label}…"));
                });
            }
        });
        if connect {
            self.team_connect();
        }
        if refresh {
            self.team_refresh();
        }
        if let Some(name) = to_open {
            self.team_open(&name);
        }
        if !open {
            self.team.window = false;
        }
    }

    fn team_profiles_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let mut chosen = None;
            egui::ComboBox::from_label("Saved profiles").selected_text(self.team.form.name.clone()).show_ui(ui, |ui| {
                for (i, p) in self.state.team_profiles.iter().enumerate() {
                    if ui.selectable_label(p.name == self.team.form.name, &p.name).clicked() {
                        chosen = Some(i);
                    }
                }
            });
            if let Some(p) = chosen.and_then(|i| self.state.team_profiles.get(i)) {
                self.team.form = p.clone();
            }
            if ui
                .button("Save profile")
                .on_hover_text("Host, port, database, user and TLS; never the password")
                .clicked()
            {
                let mut p = self.team.form.clone();
                if p.name.trim().is_empty() {
                    p.name = p.label();
                }
                self.team.form.name.clone_from(&p.name);
                self.state.team_profiles.retain(|q| q.name != p.name);
                self.state.team_profiles.insert(0, p);
            }
            if self.state.team_profiles.iter().any(|p| p.name == self.team.form.name)
                && ui.button("Delete profile").clicked()
            {
                let name = self.team.form.name.clone();
                self.state.team_profiles.retain(|p| p.name != name);
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Profile name");
            ui.add(
                egui::TextEdit::singleline(&mut self.team.form.name)
                    .hint_text("alice@host:5432/atlas")
                    .desired_width(220.0),
            )
            .labelled_by(l.id);
        });
    }
}

fn list_or_none(fields: &[String]) -> String {
    if fields.is_empty() { "nothing".to_owned() } else { fields.join(", ") }
}

/// The offline outbox of the store at `url` in `dir` (one SQLite file per server).
pub fn outbox_path(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let name: String = url
        .trim_start_matches("postgresql://")
        .trim_start_matches("postgres://")
        .split('?')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect();
    dir.join(format!("outbox-{name}.sqlite"))
}

/// What draining the offline outbox did.
#[derive(Debug, Default)]
struct Drained {
    /// Operations pushed.
    ops: usize,
    /// Operations left (the drain stopped at an error).
    remaining: usize,
    /// Per pushed operation, its report.
    reports: Vec<crate::db::PushReport>,
    /// Per pushed operation (as `reports`), its store layer.
    layers: Vec<String>,
}

impl Drained {
    /// The versions written exactly as sent (not merged, not in conflict): fid and version.
    fn written_as_sent(&self) -> Vec<(Uuid, i64)> {
        let mut out = Vec::new();
        for r in &self.reports {
            let changed: HashSet<Uuid> =
                r.merged.iter().map(|m| m.fid).chain(r.conflicts.iter().map(|c| c.fid)).collect();
            out.extend(r.applied.iter().filter(|w| !changed.contains(&w.fid)).map(|w| (w.fid, w.version)));
        }
        out
    }

    /// Per store layer, the features merged with others' saves.
    fn merged_fids(&self) -> Vec<(String, Vec<Uuid>)> {
        let mut out: Vec<(String, Vec<Uuid>)> = Vec::new();
        for (r, layer) in self.reports.iter().zip(&self.layers) {
            let fids = r.merged.iter().map(|m| m.fid);
            match out.iter_mut().find(|(l, _)| l == layer) {
                Some((_, list)) => list.extend(fids),
                None => out.push((layer.clone(), fids.collect())),
            }
        }
        out.retain(|(_, fids)| !fids.is_empty());
        out
    }

    fn summary(&self) -> (Level, String) {
        let conflicts: Vec<String> =
            self.reports.iter().flat_map(|r| r.conflicts.iter().map(ToString::to_string)).collect();
        let mut text = format!("Pushed {} operation(s) saved offline to the team store", self.ops);
        if self.remaining > 0 {
            let _ = write!(text, "; {} still queued", self.remaining);
        }
        if conflicts.is_empty() {
            (Level::Info, text)
        } else {
            let _ = write!(text, "; in conflict (not written): {}", conflicts.join("; "));
            (Level::Warning, text)
        }
    }
}

/// Pushes what the outbox at `path` holds, oldest first (`None`: nothing queued).
fn drain_outbox(client: &mut postgres::Client, path: &std::path::Path) -> Result<Option<Drained>, crate::db::DbError> {
    if !path.exists() {
        return Ok(None);
    }
    let mut outbox = crate::db::outbox::Outbox::open(path)?;
    if outbox.is_empty()? {
        return Ok(None);
    }
    let layer_of: HashMap<Uuid, String> = outbox.queued()?.into_iter().map(|op| (op.op_id, op.layer)).collect();
    let report = outbox.drain(client)?;
    let layers = report.pushed.iter().map(|(op, _)| layer_of.get(op).cloned().unwrap_or_default()).collect();
    Ok(Some(Drained {
        ops: report.pushed.len(),
        remaining: report.remaining,
        reports: report.pushed.into_iter().map(|(_, r)| r).collect(),
        layers,
    }))
}

/// Adds a push report to what the app is told.
fn absorb(report: &crate::db::PushReport, into: &mut Pushed) {
    into.applied.extend(report.applied.iter().map(|w| (w.fid, w.version)));
    into.merged.extend(report.merged.iter().map(|m| {
        (m.fid, m.mine.iter().map(ToString::to_string).collect(), m.theirs.iter().map(ToString::to_string).collect())
    }));
    into.conflicts.extend(report.conflicts.iter().cloned());
    into.already_applied |= report.already_applied;
}

/// Pushes `changes` of layer `name` (after whatever the offline outbox held); when the server
/// cannot be reached — before the push or in the middle of it — queues them in the outbox at
/// `outbox` instead, under `op_id`. A refused login or any other failure is an error: nothing
/// is queued and the edits stay in the layer.
fn push_now(
    secret: &str,
    name: &str,
    changes: &[crate::db::push::Change],
    op_id: Uuid,
    note: &str,
    outbox: Option<&std::path::Path>,
) -> Result<Pushed, String> {
    let offline = |e: &crate::db::DbError| -> Result<Pushed, String> {
        let Some(path) = outbox else {
            return Err(format!("{e} (and this session has no offline outbox)"));
        };
        let queued = (|| {
            if changes.is_empty() {
                // Only earlier offline edits to push: they are queued already.
                return Ok(Uuid::nil());
            }
            if let Some(dir) = path.parent() {
                crate::io::private::create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            let mut o = crate::db::outbox::Outbox::open(path).map_err(|e| e.to_string())?;
            o.enqueue_as(op_id, name, changes, note, |_| Ok(())).map_err(|e| e.to_string())
        })();
        queued.map_err(|q| format!("{e}; and the offline outbox failed too: {q}"))?;
        let why = match e {
            crate::db::DbError::Unreachable(why) => why.clone(),
            other => other.to_string(),
        };
        Ok(Pushed { queued: Some(why), ..Pushed::default() })
    };
    // Bounded (db::deadline): a session that stops answering mid-save ends as unreachable.
    let owned = (secret.to_owned(), name.to_owned(), changes.to_vec(), note.to_owned(), outbox.map(Into::into));
    let work = move |watch: &crate::db::deadline::Watch| {
        let (secret, name, changes, note, outbox): (_, _, _, _, Option<std::path::PathBuf>) = owned;
        push_online(watch, &secret, &name, &changes, op_id, &note, outbox.as_deref())
    };
    match crate::db::deadline::within(&format!("saving “{name}”"), crate::db::deadline::save_deadline(), work) {
        Ok(done) => done,
        Err(e) if e.is_unreachable() => offline(&e),
        Err(e) => Err(e.to_string()),
    }
}

/// [`push_now`] while the store answers; `Err` only when it cannot be reached.
fn push_online(
    watch: &crate::db::deadline::Watch,
    secret: &str,
    name: &str,
    changes: &[crate::db::push::Change],
    op_id: Uuid,
    note: &str,
    outbox: Option<&std::path::Path>,
) -> Result<Result<Pushed, String>, crate::db::DbError> {
    let mut client = match watch.connect(secret) {
        Ok(c) => c,
        Err(e) if e.is_unreachable() => return Err(e),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut out = Pushed::default();
    let drained = match outbox.map(|path| drain_outbox(&mut client, path)).transpose() {
        Ok(d) => d.flatten(),
        Err(e) if e.is_unreachable() => return Err(e),
        Err(e) => return Ok(Err(e.to_string())),
    };
    // Changes based on a version an outbox operation just replaced are based on the new one.
    let mut changes = changes.to_vec();
    if let Some(d) = drained {
        out.drained = d.ops;
        for r in &d.reports {
            absorb(r, &mut out);
        }
        for c in &mut changes {
            if let Some((_, v)) = out.applied.iter().rev().find(|(f, _)| *f == c.fid) {
                c.base_version = Some(*v);
            }
        }
    }
    let report = if changes.is_empty() {
        // Only the outbox had something to push.
        crate::db::PushReport::default()
    } else {
        match crate::db::push(&mut client, name, &changes, op_id, note) {
            Ok(r) => r,
            // The connection closed mid-save: the server holds all of it or none of it, and
            // the operation id makes the outbox's retry apply it once.
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => return Ok(Err(e.to_string())),
        }
    };
    absorb(&report, &mut out);
    let mut fids: Vec<Uuid> = out.merged.iter().map(|m| m.0).collect();
    fids.extend(out.conflicts.iter().map(|c| c.fid));
    out.rows = match read_rows(&mut client, name, &fids) {
        Ok(rows) => rows,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LayerKind, LayerSource};
    use serde_json::json;

    fn feature(name: &str, fid: Option<Uuid>) -> Feature {
        let v = Version {
            geometry: Some(json!({"type": "Point", "coordinates": [70.0, 37.0]})),
            properties: json!({"name": name}).as_object().cloned().unwrap_or_default(),
            extra: serde_json::Map::new(),
        };
        feature_of(&v, fid)
    }

    fn state_of(base: HashMap<Uuid, Base>) -> StoreState {
        StoreState { name: "t".into(), base, ..StoreState::default() }
    }

    #[test]
    fn changes_are_edits_inserts_and_deletes_against_the_base() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let base: HashMap<Uuid, Base> = [(a, "A"), (b, "B"), (c, "C")]
            .into_iter()
            .map(|(fid, n)| (fid, Base::held(4, version_of(&feature(n, Some(fid))))))
            .collect();
        let state = state_of(base);
        // A unchanged, B edited, C deleted, a duplicate of A and a new feature added.
        let features = vec![feature("A", Some(a)), feature("B2", Some(b)), feature("A", Some(a)), feature("N", None)];
        let layer = Layer::new("t", LayerKind::Generic, LayerSource::Embedded("t"), features);
        let changes = changes_of(&layer, &state);
        let summary: Vec<(Option<i64>, bool, Option<usize>)> =
            changes.iter().map(|(o, i)| (o.base_version, o.feature.is_some(), *i)).collect();
        assert_eq!(
            summary,
            vec![(Some(4), true, Some(1)), (None, true, Some(2)), (None, true, Some(3)), (Some(4), false, None)]
        );
        assert_eq!(changes[0].0.fid, b);
        assert_eq!(changes[3].0.fid, c);
        assert_ne!(changes[1].0.fid, a, "a second copy of a tag is a new feature");
        assert!(
            changes.iter().filter_map(|(o, _)| o.feature.as_ref()).all(|f| !f.foreign_members.contains_key(FID_MEMBER))
        );
        let unchanged = Layer::new(
            "t",
            LayerKind::Generic,
            LayerSource::Embedded("t"),
            vec![feature("A", Some(a)), feature("B", Some(b)), feature("C", Some(c))],
        );
        assert!(changes_of(&unchanged, &state).is_empty());
    }

    /// A packed layer of `n` points whose texts carry their fids, as the store opens it.
    fn packed_layer(n: usize) -> (Layer, Vec<crate::db::StoreRow>) {
        let rows: Vec<crate::db::StoreRow> =
            (0..n).map(|i| crate::db::StoreRow { fid: Uuid::new_v4(), version: i as i64 + 1 }).collect();
        let texts: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    r#"{{"type":"Feature","id":"E{i}","geometry":{{"type":"Point","coordinates":[{}.5,37.5]}},"properties":{{"name":"e{i}","n":{i}}},"{FID_MEMBER}":"{}"}}"#,
                    60 + i % 20,
                    r.fid
                )
            })
            .collect();
        let mut packer = crate::io::geojson_fast::FeaturePacker::new("t", Some(LayerKind::Generic));
        assert!(packer.pack(&texts.iter().map(String::as_str).collect::<Vec<_>>()));
        let mut root = serde_json::Map::new();
        root.insert("type".into(), json!("FeatureCollection"));
        root.insert("features".into(), Value::Null);
        let layer = packer.finish(root, "t", LayerSource::Embedded("t")).unwrap().layer;
        assert_eq!(layer.features.packed_count(), n);
        (layer, rows)
    }

    /// Defect (issue 12): a save diffed every feature against a second decoded copy, so a
    /// one-feature save of a million-feature store layer decoded the whole layer. Now the
    /// base is the packed text and only the features held decoded are compared.
    #[test]
    fn a_one_feature_save_of_a_big_packed_layer_decodes_only_that_feature() {
        let (mut layer, rows) = packed_layer(20_000);
        let state = StoreState::opened("t", &layer.features, &rows, None);
        assert!(state.base.values().all(|b| matches!(b.content, BaseContent::Packed(_))));
        assert!(changes_of(&layer, &state).is_empty(), "nothing changed");
        assert_eq!(layer.features.decodes(), 0, "an unchanged packed layer is not decoded");
        // Edit one property of feature 7 (as the edit commands do: held decoded from now on),
        // delete feature 11 and add one.
        if let Some(f) = layer.features.get_mut(7) {
            f.properties.insert("name".into(), json!("edited"));
        }
        layer.refresh_after(crate::model::Change::Changed(7));
        let gone = layer.features.remove(11);
        assert!(gone.is_some());
        layer.refresh_after(crate::model::Change::Removed(11));
        layer.features.push(feature("N", None));
        layer.refresh_after(crate::model::Change::Inserted(layer.features.len() - 1));
        let before = layer.features.decodes();
        let changes = changes_of(&layer, &state);
        let summary: Vec<(Uuid, Option<i64>, bool)> =
            changes.iter().map(|(o, _)| (o.fid, o.base_version, o.feature.is_some())).collect();
        assert_eq!(summary.len(), 3, "{summary:?}");
        assert_eq!(summary[0], (rows[7].fid, Some(8), true));
        assert_eq!((summary[1].1, summary[1].2), (None, true), "the new feature");
        assert_eq!(summary[2], (rows[11].fid, Some(12), false));
        assert_eq!(changes[0].0.feature.as_ref().unwrap().properties["name"], json!("edited"));
        assert!(layer.features.decodes() - before <= 2, "decoded {}", layer.features.decodes() - before);
        assert_eq!(layer.features.packed_count(), 20_000 - 2);
        // Undoing the edit by hand: the content equals its base again (read from its text).
        if let Some(f) = layer.features.get_mut(7) {
            f.properties.insert("name".into(), json!("e7"));
        }
        let left: Vec<Uuid> = changes_of(&layer, &state).iter().map(|(o, _)| o.fid).collect();
        assert!(!left.contains(&rows[7].fid), "{left:?}");
        assert_eq!(state.base_content(rows[3].fid).unwrap().properties["name"], json!("e3"));
    }

    /// Finding features by fid (live changes, labels, replacements) reads the packed fids'
    /// column, not the features.
    #[test]
    fn features_are_found_by_fid_without_decoding() {
        let (layer, rows) = packed_layer(5_000);
        let state = StoreState::opened("t", &layer.features, &rows, None);
        let want: HashSet<Uuid> = [rows[0].fid, rows[4_321].fid, Uuid::new_v4()].into_iter().collect();
        let found = state.find(&layer.features, &want);
        assert_eq!(found.get(&rows[4_321].fid), Some(&4_321));
        assert_eq!(found.get(&rows[0].fid), Some(&0));
        assert_eq!(found.len(), 2);
        assert_eq!(layer.features.decodes(), 0);
    }
}
