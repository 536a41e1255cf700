//! Exporting timeline playback as an animation: an animated GIF, an APNG, or numbered PNG
//! frames (`NAME-0001.png` …), chosen by the output's extension.
//!
//! The frames are the ranges the timeline's playback clock ([`Playback`]) steps through over
//! the data's extent, optionally jumping over steps in which nothing starts (the timeline's
//! "Skip empty"). Each frame is the ordinary headless render (scene → SVG → PNG) with the
//! frame's date range printed under the title. Frames are encoded one by one as they are
//! rendered, so memory stays at one frame; every file is written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::svg::{Furniture, RasterError, scene_to_svg, svg_to_png};
use super::{SceneOptions, build_scene};
use crate::model::{Catalog, TimeFilter};
use crate::spatial::Viewport;
use crate::time::{PlayMode, Playback, Range, Step};

/// Most frames one animation may have (a weekly step over decades would not be watchable).
pub const MAX_FRAMES: usize = 1000;

/// What to animate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct AnimationSettings {
    /// Moving window or accumulate, as on the timeline.
    pub mode: PlayMode,
    /// Step size, as on the timeline.
    pub step: Step,
    /// Limits the animation to these dates (`None`: the data's whole extent).
    pub range: Option<Range>,
    /// Jump over steps in which nothing starts.
    pub skip_empty: bool,
    /// Frames per second (clamped to 0.1–50).
    pub fps: f64,
    /// Title printed on every frame.
    pub title: Option<String>,
    /// The legend's corner on every frame (`None`: no legend).
    pub legend: Option<super::LegendCorner>,
}

impl Default for AnimationSettings {
    fn default() -> Self {
        Self {
            mode: PlayMode::MovingWindow { width_days: 90 },
            step: Step::Month,
            range: None,
            skip_empty: false,
            fps: 2.0,
            title: None,
            legend: Some(super::LegendCorner::TopRight),
        }
    }
}

/// The output format, from the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnimationFormat {
    /// An animated GIF (`.gif`).
    Gif,
    /// An animated PNG (`.apng`).
    Apng,
    /// Numbered PNG files (`.png`: `NAME.png` gives `NAME-0001.png`, `NAME-0002.png` …).
    Frames,
}

impl AnimationFormat {
    /// The format for `path`'s extension, if it is one we write.
    pub fn for_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "gif" => Some(Self::Gif),
            "apng" => Some(Self::Apng),
            "png" => Some(Self::Frames),
            _ => None,
        }
    }
}

/// Why an animation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AnimateError {
    /// The extension is not one we write.
    #[error("{}: unknown animation format (use .gif, .apng, or .png for numbered frames)", path.display())]
    Format {
        /// The output path.
        path: PathBuf,
    },
    /// No visible layer has dates in the range.
    #[error("{}: nothing to animate: no visible dated feature in the range", path.display())]
    NoData {
        /// The output path.
        path: PathBuf,
    },
    /// Too many frames.
    #[error("{}: {frames} frames is more than {MAX_FRAMES}; use a larger --step or a shorter range", path.display())]
    TooManyFrames {
        /// The output path.
        path: PathBuf,
        /// How many frames the settings give.
        frames: usize,
    },
    /// The image is too large for the format.
    #[error("{}: {width}×{height} pixels is too large for this format", path.display())]
    Size {
        /// The output path.
        path: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Rasterising failed.
    #[error("{}: {source}", path.display())]
    Raster {
        /// The output path.
        path: PathBuf,
        /// The cause.
        source: RasterError,
    },
    /// Encoding failed.
    #[error("{}: encoding failed: {message}", path.display())]
    Encode {
        /// The output path.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// Writing failed (permissions, full disk, missing folder).
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The output path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Start dates of the visible dated features, sorted.
pub fn visible_starts(catalog: &Catalog) -> Vec<NaiveDate> {
    let mut starts: Vec<NaiveDate> = dated_spans(catalog).map(|s| s.start).collect();
    starts.sort_unstable();
    starts
}

fn dated_spans(catalog: &Catalog) -> impl Iterator<Item = crate::time::DateSpan> + '_ {
    catalog.layers.iter().filter(|l| l.visible && l.time_index.is_some()).flat_map(|l| l.features.spans().flatten())
}

/// First to last date of the visible dated features (open-ended spans count by their start,
/// unless every span is open), as on the timeline.
pub fn visible_extent(catalog: &Catalog) -> Option<Range> {
    let closed = || dated_spans(catalog).filter(|s| !s.is_open_ended());
    let lo = closed().map(|s| s.start).min().or_else(|| dated_spans(catalog).map(|s| s.start).min())?;
    let hi = dated_spans(catalog).map(|s| if s.is_open_ended() { s.start } else { s.end }).max()?;
    Some(Range::new(lo, hi.max(lo)))
}

/// `range` if something starts in it; otherwise the window moved (accumulate: extended) to the
/// next start, clamped to `extent`; `None` when nothing starts on or after `range.from`.
/// The same rule as the timeline's "Skip empty".
fn next_with_data(range: Range, mode: PlayMode, starts: &[NaiveDate], extent: Range) -> Option<Range> {
    let first = starts.partition_point(|d| *d < range.from);
    let next = *starts.get(first)?;
    if next <= range.to {
        return Some(range);
    }
    if next > extent.to {
        return None;
    }
    Some(match mode {
        PlayMode::MovingWindow { .. } => {
            let width = range.to.signed_duration_since(range.from);
            Range::new(next, next.checked_add_signed(width).unwrap_or(next).min(extent.to))
        }
        PlayMode::Accumulate => Range::new(range.from, next),
    })
}

/// The date ranges of the frames: the playback clock's steps over `extent`, from its first
/// frame to the frame ending on `extent.to`. With `skip_empty`, frames in which nothing of
/// `starts` (sorted) begins are jumped over. Stops after `limit` frames (the caller can tell
/// by the length).
pub fn frame_ranges(
    mode: PlayMode,
    step: Step,
    extent: Range,
    starts: &[NaiveDate],
    skip_empty: bool,
    limit: usize,
) -> Vec<Range> {
    let mut clock = Playback::new(mode, step, 1.0);
    clock.playing = true;
    let mut range = clock.first_frame(&extent);
    let mut frames: Vec<Range> = Vec::new();
    while frames.len() < limit {
        if skip_empty {
            match next_with_data(range, mode, starts, extent) {
                Some(r) => range = r,
                None => break,
            }
        }
        if frames.last() != Some(&range) {
            frames.push(range);
        }
        // One step of one second at one step per second.
        if !clock.tick(&mut range, &extent, 1.0) || range.to >= extent.to && frames.last() == Some(&range) {
            break;
        }
    }
    frames
}

/// The frame ranges `settings` give for `catalog`: the visible data's extent, cut to
/// `settings.range`. Empty when nothing is dated there.
pub fn catalog_frames(catalog: &Catalog, settings: &AnimationSettings, limit: usize) -> Vec<Range> {
    let Some(mut extent) = visible_extent(catalog) else {
        return Vec::new();
    };
    if let Some(r) = settings.range {
        let (from, to) = (extent.from.max(r.from), extent.to.min(r.to));
        if from > to {
            return Vec::new();
        }
        extent = Range::new(from, to);
    }
    frame_ranges(settings.mode, settings.step, extent, &visible_starts(catalog), settings.skip_empty, limit)
}

/// "1 Jun 2021 – 30 Jun 2022 · times in UTC (UTC+00:00)" (see [`super::deck::range_stated`]).
pub fn describe(range: &Range) -> String {
    super::deck::range_stated(Some((range.from, range.to)))
}

/// Renders one frame as PNG bytes.
fn render_frame(
    catalog: &Catalog,
    viewport: &Viewport,
    settings: &AnimationSettings,
    range: Range,
) -> Result<Vec<u8>, RasterError> {
    let filter = TimeFilter::new(catalog, Some(range));
    let options = SceneOptions { filter: Some(&filter), ..SceneOptions::default() };
    let scene = build_scene(catalog, viewport, &options);
    let furniture =
        Furniture { title: settings.title.clone(), date_range: Some(describe(&range)), legend: settings.legend };
    svg_to_png(&scene_to_svg(&scene, &furniture), 1.0)
}

/// A decoded frame: width, height and RGBA8 pixels.
struct Rgba {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

fn decode_png(bytes: &[u8]) -> Result<Rgba, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let pixels = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err("unexpected indexed PNG".to_owned()),
    };
    Ok(Rgba { width: info.width, height: info.height, pixels })
}

/// `NAME.png` → `NAME-0001.png` (frame numbers from 1).
pub fn frame_path(out: &Path, index: usize) -> PathBuf {
    let stem = out.file_stem().map_or_else(|| "frame".to_owned(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}-{:04}.png", index + 1))
}

/// Renders the playback of `catalog` through `viewport` and writes it to `out` (format by
/// extension). `progress(done, total)` is called after each frame. Returns the number of frames.
pub fn export_animation(
    catalog: &Catalog,
    viewport: &Viewport,
    settings: &AnimationSettings,
    out: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, AnimateError> {
    let format = AnimationFormat::for_path(out).ok_or_else(|| AnimateError::Format { path: out.to_owned() })?;
    let frames = catalog_frames(catalog, settings, MAX_FRAMES + 1);
    if frames.is_empty() {
        return Err(AnimateError::NoData { path: out.to_owned() });
    }
    if frames.len() > MAX_FRAMES {
        return Err(AnimateError::TooManyFrames { path: out.to_owned(), frames: frames.len() });
    }
    let total = frames.len();
    let raster = |source| AnimateError::Raster { path: out.to_owned(), source };
    let encode = |message: String| AnimateError::Encode { path: out.to_owned(), message };
    let io = |source| AnimateError::Io { path: out.to_owned(), source };
    let fps = if settings.fps.is_finite() { settings.fps.clamp(0.1, 50.0) } else { 2.0 };
    if format == AnimationFormat::Frames {
        for (i, range) in frames.iter().enumerate() {
            let png = render_frame(catalog, viewport, settings, *range).map_err(raster)?;
            let path = frame_path(out, i);
            crate::io::atomic::write_atomic(&path, &png).map_err(|source| AnimateError::Io { path, source })?;
            progress(i + 1, total);
        }
        return Ok(total);
    }
    let mut staged = crate::io::atomic::Staged::new(out).map_err(io)?;
    {
        let mut file = std::io::BufWriter::with_capacity(1 << 20, staged.file_mut());
        let mut sink = Sink::new(format, &mut file, total, fps);
        for (i, range) in frames.iter().enumerate() {
            let png = render_frame(catalog, viewport, settings, *range).map_err(raster)?;
            let mut frame = decode_png(&png).map_err(encode)?;
            sink.add(&mut frame).map_err(|e| match e {
                SinkError::Size { width, height } => AnimateError::Size { path: out.to_owned(), width, height },
                SinkError::Encode(m) => encode(m),
            })?;
            progress(i + 1, total);
        }
        sink.finish().map_err(encode)?;
        file.flush().map_err(io)?;
    }
    staged.commit().map_err(io)?;
    Ok(total)
}

enum SinkError {
    Size { width: u32, height: u32 },
    Encode(String),
}

/// An encoder fed frame by frame (the first frame fixes the size).
enum Sink<'w, W: Write> {
    Start { format: AnimationFormat, out: Option<&'w mut W>, total: usize, fps: f64 },
    Gif(gif::Encoder<&'w mut W>, [u16; 2], u16),
    Apng(png::Writer<&'w mut W>),
}

impl<'w, W: Write> Sink<'w, W> {
    fn new(format: AnimationFormat, out: &'w mut W, total: usize, fps: f64) -> Self {
        Self::Start { format, out: Some(out), total, fps }
    }

    fn add(&mut self, frame: &mut Rgba) -> Result<(), SinkError> {
        let enc = |e: &dyn std::fmt::Display| SinkError::Encode(e.to_string());
        if let Self::Start { format, out, total, fps } = self {
            let out = out.take().ok_or_else(|| SinkError::Encode("encoder already used".to_owned()))?;
            *self = match format {
                AnimationFormat::Gif => {
                    let too_big = || SinkError::Size { width: frame.width, height: frame.height };
                    let w = u16::try_from(frame.width).map_err(|_too_wide| too_big())?;
                    let h = u16::try_from(frame.height).map_err(|_too_wide| too_big())?;
                    let mut e = gif::Encoder::new(out, w, h, &[]).map_err(|e| enc(&e))?;
                    e.set_repeat(gif::Repeat::Infinite).map_err(|e| enc(&e))?;
                    // GIF delays are in hundredths of a second.
                    let delay = (100.0 / *fps).round().clamp(2.0, 65_535.0) as u16;
                    Self::Gif(e, [w, h], delay)
                }
                AnimationFormat::Apng | AnimationFormat::Frames => {
                    let mut e = png::Encoder::new(out, frame.width, frame.height);
                    e.set_color(png::ColorType::Rgba);
                    e.set_depth(png::BitDepth::Eight);
                    let frames = u32::try_from(*total).map_err(|e| enc(&e))?;
                    e.set_animated(frames, 0).map_err(|e| enc(&e))?;
                    // Delay = numerator / denominator seconds.
                    let ms = (1000.0 / *fps).round().clamp(1.0, 65_535.0) as u16;
                    e.set_frame_delay(ms, 1000).map_err(|e| enc(&e))?;
                    let writer = e.write_header().map_err(|e| enc(&e))?;
                    Self::Apng(writer)
                }
            };
        }
        match self {
            Self::Gif(e, [w, h], delay) => {
                let mut f = gif::Frame::from_rgba_speed(*w, *h, &mut frame.pixels, 10);
                f.delay = *delay;
                e.write_frame(&f).map_err(|e| enc(&e))
            }
            Self::Apng(w) => w.write_image_data(&frame.pixels).map_err(|e| enc(&e)),
            Self::Start { .. } => Err(SinkError::Encode("encoder not ready".to_owned())),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Self::Apng(w) => w.finish().map_err(|e| e.to_string()),
            Self::Gif(..) | Self::Start { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn moving_window_steps_by_month_to_the_extent_end() {
        let extent = Range::new(d(2021, 1, 1), d(2021, 6, 30));
        let frames = frame_ranges(PlayMode::MovingWindow { width_days: 31 }, Step::Month, extent, &[], false, 100);
        assert_eq!(frames.first(), Some(&Range::new(d(2021, 1, 1), d(2021, 1, 31))));
        assert_eq!(frames.last().map(|r| r.to), Some(d(2021, 6, 30)));
        assert_eq!(frames.len(), 6);
        assert!(frames.windows(2).all(|w| w[0].to < w[1].to));
    }

    #[test]
    fn accumulate_keeps_the_start() {
        let extent = Range::new(d(2021, 1, 1), d(2021, 3, 31));
        let frames = frame_ranges(PlayMode::Accumulate, Step::Month, extent, &[], false, 100);
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(|r| r.from == extent.from));
        assert_eq!(frames[2].to, d(2021, 3, 31));
    }

    #[test]
    fn skip_empty_leaves_out_steps_in_which_nothing_starts() {
        let extent = Range::new(d(2021, 1, 1), d(2021, 12, 31));
        let starts = [d(2021, 1, 10), d(2021, 5, 3), d(2021, 5, 20), d(2021, 11, 2)];
        let mode = PlayMode::MovingWindow { width_days: 30 };
        let all = frame_ranges(mode, Step::Month, extent, &starts, false, 100);
        let skipped = frame_ranges(mode, Step::Month, extent, &starts, true, 100);
        let has_data = |r: &Range| starts.iter().any(|s| r.from <= *s && *s <= r.to);
        assert!(all.iter().any(|r| !has_data(r)), "{all:?}");
        assert!(skipped.iter().all(has_data), "{skipped:?}");
        assert!(skipped.len() < all.len());
        // Every start is shown in some frame.
        assert!(starts.iter().all(|s| skipped.iter().any(|r| r.from <= *s && *s <= r.to)), "{skipped:?}");
        // Nothing after the last start: the animation ends there.
        assert!(skipped.last().unwrap().from <= d(2021, 11, 2));
    }

    #[test]
    fn skip_empty_with_nothing_in_the_extent_gives_no_frames() {
        let extent = Range::new(d(2021, 1, 1), d(2021, 12, 31));
        let frames = frame_ranges(PlayMode::Accumulate, Step::Week, extent, &[d(2022, 1, 5)], true, 100);
        assert!(frames.is_empty(), "{frames:?}");
    }

    #[test]
    fn limit_caps_the_frames() {
        let extent = Range::new(d(2000, 1, 1), d(2021, 12, 31));
        assert_eq!(frame_ranges(PlayMode::Accumulate, Step::Week, extent, &[], false, 7).len(), 7);
    }

    #[test]
    fn frame_paths_are_numbered() {
        assert_eq!(frame_path(Path::new("/tmp/out/play.png"), 0), Path::new("/tmp/out/play-0001.png"));
        assert_eq!(frame_path(Path::new("play.PNG"), 11), Path::new("play-0012.png"));
        assert_eq!(AnimationFormat::for_path(Path::new("a.GIF")), Some(AnimationFormat::Gif));
        assert_eq!(AnimationFormat::for_path(Path::new("a.mp4")), None);
    }
}
