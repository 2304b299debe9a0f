//! `TANTO_TRACE_FRAMES=path`: for the bench (bench/tui.sh), appends one line per finished
//! frame to `path`: `first T` for the first frame showing the loaded list, then
//! `key K T` for each key, K when the loop got it and T when the frame showing its result
//! (the list it asked for included) was drawn; microseconds since the epoch.

use std::fs::File;
use std::io::Write;

pub struct FrameTrace {
    file: File,
    first_done: bool,
    key_at: Option<u128>,
}

fn now_us() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

impl FrameTrace {
    /// The trace asked for by the environment, if any (a file that cannot be opened: none).
    pub fn from_env() -> Option<FrameTrace> {
        let path = std::env::var_os("TANTO_TRACE_FRAMES")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(FrameTrace {
            file,
            first_done: false,
            key_at: None,
        })
    }

    /// A key reached the loop (the first of a burst counts).
    pub fn key(&mut self) {
        if self.key_at.is_none() {
            self.key_at = Some(now_us());
        }
    }

    /// True while a frame is owed to the trace.
    pub fn waiting(&self) -> bool {
        self.key_at.is_some() || !self.first_done
    }

    /// A frame was drawn; `complete` when the list on screen is the one last asked for.
    pub fn drawn(&mut self, complete: bool) {
        if !complete {
            return;
        }
        let t = now_us();
        if !self.first_done {
            self.first_done = true;
            let _ = writeln!(self.file, "first {t}");
        }
        if let Some(k) = self.key_at.take() {
            let _ = writeln!(self.file, "key {k} {t}");
        }
    }
}
