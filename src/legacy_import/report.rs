//! What the import prints: one line per legacy row (its id and name escaped,
//! as they come from another system) and a summary.

use super::convert::{LegacyTorrent, LegacyUser, Skip};

/// A legacy row, as the report names it.
pub enum Row<'a> {
    Member(&'a LegacyUser),
    Torrent(&'a LegacyTorrent),
}

pub enum Outcome<'a> {
    /// Stored (or would be, in a dry run); what it is here.
    Imported(String),
    /// A run before this one brought it over already.
    Present(String),
    Skipped(&'a Skip),
}

#[derive(Default)]
struct Tally {
    imported: usize,
    present: usize,
    skipped: usize,
}

impl Tally {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Imported(_) => self.imported += 1,
            Outcome::Present(_) => self.present += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    fn line(&self, what: &str, imported: &str) -> String {
        format!(
            "{what}: {} {imported}, {} already here, {} skipped",
            self.imported, self.present, self.skipped
        )
    }
}

pub struct Report {
    dry_run: bool,
    members: Tally,
    torrents: Tally,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            members: Tally::default(),
            torrents: Tally::default(),
        }
    }

    pub fn start(&self, at: &str, members: usize, torrents: usize) {
        let doing = if self.dry_run {
            "dry run: checking"
        } else {
            "importing"
        };
        println!("{doing} {members} members and {torrents} torrents from {at}");
    }

    pub fn row(&mut self, row: Row, outcome: Outcome) {
        let (kind, id, name, tally) = match row {
            Row::Member(u) => ("member", u.id.to_string(), &u.label, &mut self.members),
            Row::Torrent(t) => ("torrent", t.id.to_string(), &t.name, &mut self.torrents),
        };
        tally.count(&outcome);
        let what = match &outcome {
            Outcome::Imported(here) if self.dry_run => format!("would be imported as {here}"),
            Outcome::Imported(here) => format!("imported as {here}"),
            Outcome::Present(here) => format!("already here as {here}"),
            Outcome::Skipped(why) => format!("skipped: {why}"),
        };
        println!("{kind} {id} {name:?}: {what}");
    }

    pub fn finish(&self) {
        let imported = if self.dry_run {
            "to import"
        } else {
            "imported"
        };
        println!("{}", self.members.line("members", imported));
        println!("{}", self.torrents.line("torrents", imported));
        if self.dry_run {
            println!("dry run: nothing was written");
        }
    }
}
