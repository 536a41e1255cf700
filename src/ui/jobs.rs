//! Disk work off the UI thread: saves, exports, autosaves, recovery clean-up and opening
//! projects each run on a named worker thread (like [`super::loader`]); the app polls the
//! results every frame, so a slow disk, a network folder or a FIFO never freezes the window.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::io::progress::Progress;
use crate::model::{Catalog, Layer, LayerUid};

/// A job still running, for the status bar and the unsaved-edits dialog.
#[derive(Debug, Clone)]
pub struct Running {
    /// Job number.
    pub id: u64,
    /// What it is doing, for the status bar ("saving Security events").
    pub label: String,
    /// The layer it saves, for saves.
    pub layer: Option<LayerUid>,
    /// What kind of work it is.
    pub kind: JobKind,
    /// egui time when it started, seconds (progress shows after [`SPINNER_AFTER_SECS`]).
    pub started_secs: f64,
    /// Its bytes and features, for a progress row with Cancel (`None`: a spinner only).
    pub progress: Option<Progress>,
}

/// How long a job runs before the status bar shows it.
pub const SPINNER_AFTER_SECS: f64 = 0.5;

/// Kinds of background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Saving a layer.
    Save,
    /// Exporting the view.
    Export,
    /// Autosaving layers with unsaved edits.
    Autosave,
    /// Small writes of the app's own files: deleting recovery files after a save, the
    /// recent-projects list.
    Housekeeping,
    /// Opening a project.
    OpenProject,
    /// Saving a project.
    SaveProject,
    /// Building a Points layer's point column (`render::points`).
    PointColumn,
    /// Reading an autosave to restore it (a progress row with Cancel).
    Restore,
}

/// A project read and its layers loaded, ready to replace the app's.
#[derive(Debug)]
pub struct OpenedProject {
    /// The project file.
    pub project: crate::project::Project,
    /// Its layers.
    pub catalog: Catalog,
    /// Layers or features that could not be loaded.
    pub problems: Vec<String>,
}

/// What a successful save has to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveNotes {
    /// What the file format could not keep (one line each).
    pub not_kept: Vec<String>,
    /// Why the journal entries were not written beside the layer, if they were not.
    pub journal_problem: Option<String>,
}

/// What a finished job reports.
#[derive(Debug)]
pub enum Outcome {
    /// A Points layer's point column was built and is kept for the frames to come.
    PointColumn,
    /// A layer save finished.
    Saved {
        /// The layer.
        uid: LayerUid,
        /// The layer's edit generation that was written.
        generation: u64,
        /// The file.
        path: PathBuf,
        /// How many pending journal entries were written beside it.
        journalled: usize,
        /// What was saved with reservations, or why the save failed (naming the file).
        result: Result<SaveNotes, String>,
    },
    /// An export finished.
    Exported {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        result: Result<(), String>,
    },
    /// An autosave finished: per layer, the recovery file or why not.
    Autosaved(Vec<(LayerUid, Result<PathBuf, String>)>),
    /// Housekeeping finished; what went wrong, if anything (one message each).
    Housekeeping(Vec<String>),
    /// A project was saved (or not).
    ProjectSaved {
        /// The project file.
        path: PathBuf,
        /// Why it was not saved.
        result: Result<(), String>,
    },
    /// A layer's saved edit journal was read (for the journal window).
    JournalRead {
        /// The layer.
        uid: LayerUid,
        /// Its entries and unreadable lines, or why it could not be read.
        result: Result<crate::io::journal::JournalRead, String>,
    },
    /// User copies of shipped layers were read: per embedded file name, the layer or why not.
    UserCopies(Vec<(&'static str, Result<Box<crate::io::geojson::Loaded>, String>)>),
    /// An autosave read for restoring.
    Restored {
        /// What was offered.
        entry: Box<crate::io::recovery::RecoveryEntry>,
        /// The layer with its journal, or why it could not be read.
        result: Result<Box<crate::io::recovery::Recovered>, String>,
    },
    /// A project was opened (or not).
    ProjectOpened {
        /// The project file.
        path: PathBuf,
        /// The project, or why it could not be opened.
        result: Result<Box<OpenedProject>, String>,
    },
}

/// Background jobs and their results.
pub struct Jobs {
    tx: Sender<(u64, Outcome)>,
    rx: Receiver<(u64, Outcome)>,
    next_id: u64,
    /// Cancelled jobs whose outcome has not come back yet: dropped when it does.
    cancelled: Vec<u64>,
    /// Jobs still running.
    pub running: Vec<Running>,
    /// Repainted when a job finishes (the real app's context; `None` in tests).
    pub ctx: Option<egui::Context>,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self { tx, rx, next_id: 1, cancelled: Vec::new(), running: Vec::new(), ctx: None }
    }
}

impl Jobs {
    /// Runs `work` on a thread named `frontier-<kind>`; its outcome comes back through
    /// [`Jobs::poll`]. If no thread can be started, `work` runs here (slow, but nothing is lost).
    pub fn spawn(
        &mut self,
        kind: JobKind,
        label: String,
        layer: Option<LayerUid>,
        now_secs: f64,
        work: impl FnOnce() -> Outcome + Send + 'static,
    ) {
        self.start(Running { id: 0, label, layer, kind, started_secs: now_secs, progress: None }, work);
    }

    /// [`Jobs::spawn`] for work that reports to `progress` (and stops when it is cancelled):
    /// the window draws it as a progress row with Cancel. Returns the job's number, for
    /// [`Jobs::cancel`].
    pub fn spawn_with_progress(
        &mut self,
        kind: JobKind,
        label: String,
        now_secs: f64,
        progress: Progress,
        work: impl FnOnce() -> Outcome + Send + 'static,
    ) -> u64 {
        let running = Running { id: 0, label, layer: None, kind, started_secs: now_secs, progress: Some(progress) };
        self.start(running, work)
    }

    fn start(&mut self, mut running: Running, work: impl FnOnce() -> Outcome + Send + 'static) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        running.id = id;
        let kind = running.kind;
        self.running.push(running);
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let name = format!("frontier-{}", format!("{kind:?}").to_lowercase());
        // The closure is shared so that it can still run here if the thread cannot start.
        let work = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
        let remote = std::sync::Arc::clone(&work);
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let taken = remote.lock().ok().and_then(|mut w| w.take());
            if let Some(work) = taken {
                let _ = tx.send((id, work()));
            }
            if let Some(ctx) = ctx {
                ctx.request_repaint();
            }
        });
        if spawned.is_err()
            && let Some(work) = work.lock().ok().and_then(|mut w| w.take())
        {
            let _ = self.tx.send((id, work()));
        }
        id
    }

    /// Cancels job `id`: its progress is cancelled (its work stops at its next check), it
    /// is no longer running, and its outcome, whenever it comes, is dropped. False when no
    /// such job runs.
    pub fn cancel(&mut self, id: u64) -> bool {
        let Some(at) = self.running.iter().position(|r| r.id == id) else { return false };
        let running = self.running.remove(at);
        if let Some(progress) = &running.progress {
            progress.cancel();
        }
        self.cancelled.push(id);
        true
    }

    /// Whether the outcome of job `id` is to be dropped (it was cancelled); forgets it.
    fn drop_cancelled(&mut self, id: u64) -> bool {
        let Some(at) = self.cancelled.iter().position(|&c| c == id) else { return false };
        self.cancelled.swap_remove(at);
        true
    }

    /// Outcomes of the jobs that finished since the last call (cancelled jobs' are dropped).
    pub fn poll(&mut self) -> Vec<Outcome> {
        let done: Vec<(u64, Outcome)> = self.rx.try_iter().collect();
        self.running.retain(|r| !done.iter().any(|(id, _)| *id == r.id));
        done.into_iter().filter(|(id, _)| !self.drop_cancelled(*id)).map(|(_, o)| o).collect()
    }

    /// Waits up to `timeout` for every running job, then returns all outcomes (tests, and
    /// the last moment before the window closes).
    pub fn wait(&mut self, timeout: std::time::Duration) -> Vec<Outcome> {
        let deadline = std::time::Instant::now() + timeout;
        let mut out = Vec::new();
        while !self.running.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((id, outcome)) => {
                    self.running.retain(|r| r.id != id);
                    if !self.drop_cancelled(id) {
                        out.push(outcome);
                    }
                }
                Err(_) => break,
            }
        }
        out
    }

    /// Whether a job of `kind` is running (for `layer`, when given).
    pub fn busy(&self, kind: JobKind, layer: Option<LayerUid>) -> bool {
        self.running.iter().any(|r| r.kind == kind && (layer.is_none() || r.layer == layer))
    }
}

/// A copy of a layer with what saving needs (features, foreign members, layout), without
/// the spatial and date indexes, to hand to a worker while editing goes on.
pub fn snapshot(layer: &Layer) -> Layer {
    let mut copy = Layer::new(layer.name.clone(), layer.kind, layer.source.clone(), Vec::new());
    copy.uid = layer.uid;
    // Drawing caches (tessellations) are left out: saves write the JSON.
    copy.features = layer.features.snapshot();
    copy.foreign_members.clone_from(&layer.foreign_members);
    copy.layout = layer.layout.clone();
    copy.label_field.clone_from(&layer.label_field);
    copy.date_fields.clone_from(&layer.date_fields);
    copy.source_table.clone_from(&layer.source_table);
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_named_threads_and_report_back() {
        let mut jobs = Jobs::default();
        jobs.spawn(JobKind::Export, "export".into(), None, 0.0, || {
            let name = std::thread::current().name().map(str::to_owned);
            Outcome::Exported { path: PathBuf::from(name.unwrap_or_default()), result: Ok(()) }
        });
        assert!(jobs.busy(JobKind::Export, None));
        let out = jobs.wait(std::time::Duration::from_secs(10));
        assert!(!jobs.busy(JobKind::Export, None));
        match out.as_slice() {
            [Outcome::Exported { path, result: Ok(()) }] => assert_eq!(path, &PathBuf::from("frontier-export")),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// A cancelled job stops running at once, its progress says cancelled, and what its
    /// worker sends later is dropped by both `poll` and `wait`.
    #[test]
    fn a_cancelled_job_is_forgotten_and_its_late_outcome_dropped() {
        let mut jobs = Jobs::default();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let progress = Progress::new();
        let id = jobs.spawn_with_progress(JobKind::Restore, "restoring x".into(), 0.0, progress.clone(), move || {
            let _ = held.recv();
            Outcome::Housekeeping(vec!["late".into()])
        });
        assert!(jobs.running.iter().any(|r| r.id == id && r.progress.is_some()));
        assert!(jobs.cancel(id));
        assert!(progress.cancelled());
        assert!(jobs.running.is_empty(), "still running after Cancel");
        assert!(!jobs.cancel(id), "cancelled twice");
        // Another job, to wait for: the cancelled one's outcome comes first and is dropped.
        release.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        jobs.spawn(JobKind::Export, "export".into(), None, 0.0, || Outcome::Exported {
            path: PathBuf::from("x"),
            result: Ok(()),
        });
        let out = jobs.wait(std::time::Duration::from_secs(10));
        assert!(matches!(out.as_slice(), [Outcome::Exported { .. }]), "{out:?}");
        assert!(jobs.poll().is_empty());
    }
}
