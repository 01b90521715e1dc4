//! The command line's progress bar: bytes, rate and ETA on a terminal, nothing otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Progress;

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new(label: &str) -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        Bar { bar }
    }

    pub fn update(&self, event: Progress) {
        match event {
            Progress::Planned { to_hash, .. } => {
                self.bar.set_length(to_hash);
                self.bar.reset_eta();
            }
            Progress::Hashed(n) => self.bar.inc(n),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
