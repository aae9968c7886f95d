//! The one progress bar of every long command: on stderr, only on a
//! terminal, and only once the work has run for a second (short runs and
//! pipes print nothing).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    on: bool,
    start: Instant,
    label: String,
}

impl Progress {
    /// A bar that stays hidden until [`Progress::show`] is called a second
    /// after it was made, with stderr a terminal.
    pub fn new() -> Progress {
        Progress {
            bar: None,
            on: std::io::stderr().is_terminal(),
            start: Instant::now(),
            label: String::new(),
        }
    }

    /// `done` of `total` units of `what` (total 0: unknown, a counter).
    pub fn show(&mut self, what: &str, done: u64, total: u64) {
        if !self.on || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        if self.bar.is_some() && self.label != what {
            self.done();
        }
        let bar = self.bar.get_or_insert_with(|| {
            // hidden until its position is set: no "0%" flash
            let b = ProgressBar::with_draw_target(
                (total > 0).then_some(total),
                ProgressDrawTarget::hidden(),
            );
            let style = if total > 0 {
                ProgressStyle::with_template(
                    "{msg}: [{wide_bar}] {percent:>3}% {human_pos}/{human_len} ({eta} left)",
                )
            } else {
                ProgressStyle::with_template("{msg}: {human_pos} ({per_sec})")
            };
            if let Ok(s) = style {
                b.set_style(s.progress_chars("=> "));
            }
            b.set_message(what.to_string());
            // start the rate estimate here, not from 0 a second ago
            b.set_position(done);
            b.reset_eta();
            b.set_draw_target(ProgressDrawTarget::stderr());
            b
        });
        self.label = what.to_string();
        if total > 0 {
            bar.set_length(total);
        }
        bar.set_position(done);
    }

    /// Clear the bar (before the command prints its result).
    pub fn done(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done();
    }
}
