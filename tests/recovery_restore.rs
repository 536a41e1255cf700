//! Restoring a crash-recovery autosave (issue 8: "the app never freezes: loading runs in the
//! background with a progress bar (bytes and features, time left) and Cancel; a load that is
//! cancelled or fails leaves the layers as they were"): a restore has File → Open's progress
//! row and Cancel, a cancelled restore leaves the catalog, the offer and the disk as they were,
//! and the file restored from is the layer's autosave until its next edit (a million-event
//! autosave is ~880 MB: it is not written again right after it was read).

mod common;

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use frontier_atlas::model::{LayerKind, LayerUid};
use frontier_atlas::ui::jobs::JobKind;
use frontier_atlas::ui::{AtlasApp, Command, EditIntent};

/// An app without a window whose data folder and recovery store are in `dir`.
fn app_in(dir: &Path) -> AtlasApp {
    let mut app = AtlasApp::new(None);
    app.user_dir = dir.join("user");
    app.safety = frontier_atlas::ui::Safety::with_store(dir.join("recovery"));
    app
}

fn in_harness(app: AtlasApp) -> Harness<'static, AtlasApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut AtlasApp| app.ui(ui), app)
}

fn events_layer(app: &AtlasApp) -> (usize, LayerUid, usize) {
    let (li, l) = app.catalog.layer_of_kind(LayerKind::Events).expect("events");
    (li, l.uid, l.features.len())
}

fn add_event(app: &mut AtlasApp, lon: f64) {
    let (_, uid, _) = events_layer(app);
    app.apply(Command::Edit(EditIntent::StartEditing(uid)));
    app.apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[lon, 38.1]}),
    }));
}

/// A crashed session that added a point to the shipped "Security events" and autosaved it
/// (with its journal entry): returns how many features the shipped layer has.
fn crashed_session_with_a_new_event(dir: &Path) -> usize {
    let mut app = app_in(dir);
    let shipped = events_layer(&app).2;
    add_event(&mut app, 70.5);
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    assert_eq!(app.safety.autosaved.len(), 1, "autosaved: {:?}", app.messages);
    drop(app); // kill -9: nothing else runs.
    shipped
}

/// A new start in `dir` that restores the one autosave it offers: the app, and the entry.
fn restore_the_only_offer(dir: &Path) -> (AtlasApp, frontier_atlas::io::recovery::RecoveryEntry) {
    let mut app = app_in(dir);
    assert_eq!(app.safety.offered.len(), 1, "{:?}", app.safety.offered);
    let entry = app.safety.offered.remove(0);
    app.restore(&entry);
    app.finish_jobs();
    (app, entry)
}

/// Every file of `dir`: name, type, size, modification time and inode (a file written again,
/// even with the same bytes, differs).
fn disk(dir: &Path) -> Vec<(String, bool, u64, std::time::SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("recovery folder")
        .map(|e| {
            let e = e.expect("entry");
            let m = std::fs::symlink_metadata(e.path()).expect("metadata");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, m.is_file(), m.len(), m.modified().expect("mtime"), m.ino())
        })
        .collect();
    files.sort();
    files
}

fn layers(app: &AtlasApp) -> Vec<(LayerUid, String, usize)> {
    app.catalog.layers.iter().map(|l| (l.uid, l.name.clone(), l.features.len())).collect()
}

fn data_file(recovery: &Path) -> PathBuf {
    std::fs::read_dir(recovery)
        .expect("recovery folder")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().ends_with(".recovery.geojson"))
        .expect("an autosave")
}

/// Restore → a progress row with bytes, features, time left and Cancel; Cancel → the row
/// goes, nothing joins the catalog, the entry is offered again as it was, no file changes;
/// Restore again → the layer is back. The autosave is a FIFO here while the restore runs,
/// so its read waits (a big file on a slow disk) for as long as the test looks at it.
#[cfg(unix)]
#[test]
fn a_restore_shows_its_progress_and_cancel_leaves_the_catalog_the_offer_and_the_disk_as_they_were() {
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    let data = data_file(&recovery);
    let aside = dir.path().join("autosave.geojson");
    std::fs::rename(&data, &aside).expect("set the autosave aside");
    let made = std::process::Command::new("mkfifo").arg(&data).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let fifo = dir.path().join("fifo");
    std::fs::hard_link(&data, &fifo).expect("a second name for the FIFO");

    let mut h = in_harness(app_in(dir.path()));
    h.run_steps(3);
    let offered = h.state().safety.offered.clone();
    assert_eq!(offered.len(), 1);
    let layers_before = layers(h.state());
    let disk_before = disk(&recovery);

    h.get_by_label("Restore").click();
    h.run_steps(3);
    h.get_by_label("Restoring Security events");
    h.get_by_label("Cancel");
    // What a big autosave's reader reports halfway, shown as File → Open shows it.
    let progress = h.state().jobs.running.iter().find_map(|j| j.progress.clone()).expect("a restore with progress");
    progress.set_total_bytes(880_000_000);
    progress.set_bytes_done(440_000_000);
    progress.add_features(500_000);
    std::thread::sleep(std::time::Duration::from_millis(250));
    h.run_steps(1);
    h.get_by_label_contains("440.0 of 880.0 MB · 500,000 features · about");
    // Past the time the status bar shows a running job, the restore is still shown once:
    // by its row, not also by a spinner in the status bar.
    while h.ctx.input(|i| i.time) < frontier_atlas::ui::jobs::SPINNER_AFTER_SECS + 0.1 {
        h.step();
    }
    h.run_steps(1);
    assert!(h.query_by_label("restoring Security events…").is_none(), "the status bar shows the restore too");
    h.get_by_label("Restoring Security events");

    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(progress.cancelled(), "the read is told to stop");
    assert!(h.query_by_label("Restoring Security events").is_none(), "the row is still there after Cancel");
    h.get_by_label("Restoring Security events cancelled; it is still offered");
    assert_eq!(h.state().safety.offered, offered, "offered again, as it was");
    h.get_by_label("Restore");
    assert_eq!(layers(h.state()), layers_before, "a cancelled restore changed the layers");
    assert_eq!(disk(&recovery), disk_before, "a cancelled restore changed the recovery files");

    // Let the stopped read go on (it waits for a writer of the FIFO; if it had not opened it
    // yet, it reads the file put back and stops at its first check): whatever it finds is
    // dropped.
    std::fs::rename(&aside, &data).expect("the autosave back");
    for _ in 0..100 {
        if std::fs::OpenOptions::new().write(true).custom_flags(0o4000).open(&fifo).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.run_steps(1);
    }
    assert_eq!(layers(h.state()), layers_before, "the cancelled restore's late result was used");
    assert_eq!(h.state().safety.offered, offered);

    h.get_by_label("Restore").click();
    h.run_steps(2);
    h.state_mut().finish_jobs();
    h.run_steps(2);
    let (_, uid, count) = events_layer(h.state());
    assert_eq!(count, shipped + 1, "restored: {:?}", h.state().messages);
    assert!(h.state().safety.offered.is_empty());
    assert!(h.query_by_label("Restoring Security events").is_none());
    assert_eq!(h.state().safety.autosaved.get(&uid), Some(&data));
}

/// Found reading the code: a restored layer with journal entries was autosaved again at
/// once — the same layer, ~880 MB for a million events, written to a new file while the one
/// just read was deleted. The file read is the layer's autosave until the next edit.
#[test]
fn no_autosave_is_written_after_a_restore_until_the_next_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    let mut app = app_in(dir.path());
    let entry = app.safety.offered.remove(0);
    let journal_before = std::fs::read(&entry.journal_path).expect("the crashed session's journal");
    app.restore(&entry);
    app.finish_jobs();
    let (_, uid, count) = events_layer(&app);
    assert_eq!(count, shipped + 1);
    assert_eq!(app.safety.journal.get(&uid).map(Vec::len), Some(1), "the pending journal came along");
    assert_eq!(app.safety.autosaved.get(&uid), Some(&entry.data_path), "the file read is the layer's autosave");
    let disk_before = disk(&recovery);

    // The app's frames, for longer than the autosave interval.
    let mut h = in_harness(app);
    h.run_steps(30);
    h.state_mut().autosave(f64::INFINITY);
    assert!(!h.state().jobs.busy(JobKind::Autosave, None), "an autosave started: {:?}", h.state().jobs.running);
    h.state_mut().finish_jobs();
    assert_eq!(disk(&recovery), disk_before, "recovery files written again after a restore");
    assert_eq!(std::fs::read(&entry.journal_path).expect("journal"), journal_before);

    // The next edit is autosaved, to this session's file, which supersedes the one restored.
    add_event(h.state_mut(), 71.5);
    h.state_mut().autosave(f64::INFINITY);
    h.state_mut().finish_jobs();
    h.state_mut().finish_jobs();
    let now = h.state().safety.autosaved.get(&uid).cloned().expect("autosaved");
    assert_ne!(now, entry.data_path);
    assert!(now.exists(), "the edit's autosave");
    assert!(!entry.data_path.exists(), "the file restored from is superseded");
    assert_eq!(disk(&recovery).len(), 3, "one autosave: layer, journal, sidecar");
    drop(h); // another crash: one offer, with both edits
    let (app, _) = restore_the_only_offer(dir.path());
    assert_eq!(events_layer(&app).2, shipped + 2);
    assert_eq!(app.safety.journal.get(&events_layer(&app).1).map(Vec::len), Some(2), "{:?}", app.safety.journal);
}

/// Saving a restored layer deletes the file it came from (its autosave) once, without a
/// message; an edit made while the save ran is autosaved again, and nothing else is kept.
#[test]
fn saving_a_restored_layer_removes_the_file_it_came_from_and_keeps_edits_made_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    let (mut app, entry) = restore_the_only_offer(dir.path());
    let (_, uid, _) = events_layer(&app);
    app.apply(Command::Edit(EditIntent::Save(uid)));
    add_event(&mut app, 71.5);
    app.finish_jobs();
    app.finish_jobs();
    assert!(!entry.data_path.exists(), "the file restored from is held by the save");
    assert!(app.history.is_dirty(uid), "the edit made during the save is unsaved");
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    assert_eq!(disk(&recovery).len(), 3, "the edit is autosaved: {:?}", disk(&recovery));
    let problems: Vec<_> = app.messages.iter().filter(|m| m.level != frontier_atlas::ui::Level::Info).collect();
    assert!(problems.is_empty(), "{problems:?}");
    drop(app);
    let (app, _) = restore_the_only_offer(dir.path());
    assert_eq!(events_layer(&app).2, shipped + 2);
}

/// Found walking the app: killed while autosaving a 200,000-event layer, the app left a
/// 95 MB `.NAME.recovery.geojson.tmp-PID-…` in the recovery folder. Autosave names carry
/// their session, so no later write of the same name ever removed it; the next start does,
/// when its writer's process is gone, and keeps everything else.
#[cfg(target_os = "linux")]
#[test]
fn a_crash_while_autosaving_leaves_no_temporary_file_after_the_next_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    crashed_session_with_a_new_event(dir.path());
    let recovery = dir.path().join("recovery");
    let data = data_file(&recovery);
    let name = data.file_name().expect("name").to_string_lossy().into_owned();
    // A pid far above any pid_max is never alive.
    let dead = recovery.join(".ev200k-1a2b-11.recovery.geojson.tmp-4294967290-AbC123");
    let dead_sidecar = recovery.join(".ev200k-1a2b-11.recovery.json.tmp-4294967290-XyZ789");
    let live = recovery.join(format!(".{name}.tmp-{}-Live01", std::process::id()));
    let not_ours = recovery.join(".notes.txt.tmp-4294967290-AbC123");
    for p in [&dead, &dead_sidecar, &live, &not_ours] {
        std::fs::write(p, "partial").expect("write");
    }
    let app = app_in(dir.path());
    assert!(!dead.exists() && !dead_sidecar.exists(), "a killed session's half-written autosave is left");
    assert!(live.exists(), "a running writer's temporary is kept");
    assert!(not_ours.exists(), "only autosaves' temporaries are removed");
    assert_eq!(app.safety.offered.len(), 1, "the complete autosave is still offered");
    assert!(data.exists());
}

/// A boundary file of `polygons` districts, `vertices` vertices each (a wiggly ring).
fn big_boundaries(path: &Path, polygons: usize, vertices: usize) {
    let features: Vec<_> = (0..polygons)
        .map(|p| {
            let (cx, cy) = (68.0 + (p % 10) as f64 * 0.8, 35.0 + (p / 10) as f64 * 0.8);
            let mut ring: Vec<[f64; 2]> = (0..vertices)
                .map(|i| {
                    let a = i as f64 / vertices as f64 * std::f64::consts::TAU;
                    let r = 0.3 + 0.02 * (i as f64 * 0.7).sin();
                    [cx + r * a.cos(), cy + r * a.sin()]
                })
                .collect();
            ring.push(ring[0]);
            serde_json::json!({"type":"Feature","properties":{"shapeName":format!("District {p}"),"shapeType":"ADM2"},
                "geometry":{"type":"Polygon","coordinates":[ring]}})
        })
        .collect();
    let text = serde_json::json!({"type":"FeatureCollection","features":features}).to_string();
    std::fs::write(path, text).expect("write the boundaries");
}

/// Found reading the restore path: File → Open gives a big boundary layer its simplified
/// copies per zoom band (issue 8: 200 MB boundary sets pan at 30 fps), but the same layer
/// restored after a crash, or opened with a project, was drawn at full detail at every zoom.
#[test]
fn a_big_boundary_layer_restored_or_opened_with_a_project_gets_its_simplified_copies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("adm2.geojson");
    big_boundaries(&file, 20, 3_000);
    let mut app = app_in(dir.path());
    app.open_file_now(&file);
    let li = app.catalog.layers.iter().position(|l| l.name == "adm2").expect("opened");
    assert!(app.catalog.layers[li].lod.is_some(), "File → Open builds copies");
    let uid = app.catalog.layers[li].uid;
    app.apply(Command::Edit(EditIntent::StartEditing(uid)));
    app.apply(Command::Edit(EditIntent::AddFeature {
        layer: uid,
        geometry: serde_json::json!({"type":"Point","coordinates":[70.0, 38.1]}),
    }));
    app.autosave(f64::INFINITY);
    app.finish_jobs();
    let project = dir.path().join("brief.fatlas.json");
    app.save_project_to(&project);
    app.finish_jobs();
    assert!(project.exists(), "{:?}", app.messages);
    drop(app); // a crash

    let mut app = app_in(dir.path());
    let entry = app.safety.offered.iter().find(|e| e.data_path.to_string_lossy().contains("adm2")).cloned();
    let entry = entry.expect("the boundary layer is offered");
    app.restore(&entry);
    app.finish_jobs();
    let restored = app.catalog.layers.iter().find(|l| l.name == "adm2").expect("restored");
    assert_eq!(restored.features.len(), 21);
    assert!(restored.lod.is_some(), "a restored big boundary layer gets its copies");
    // Restored as a new layer (its file is not loaded): the map shows it, as File → Open does.
    let bounds = restored.bounds().expect("bounds");
    let target = app.map.flying_to().expect("the map flies to the restored layer");
    let c = target.center;
    assert!(bounds.min[0] <= c[0] && c[0] <= bounds.max[0] && bounds.min[1] <= c[1] && c[1] <= bounds.max[1]);

    let mut app = app_in(dir.path());
    app.open_project(&project);
    app.finish_jobs();
    let opened = app.catalog.layers.iter().find(|l| l.name == "adm2").expect("opened with the project");
    assert!(opened.lod.is_some(), "a project's big boundary layer gets its copies");
}
