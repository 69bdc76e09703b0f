//! Answer counts and the unanswered list, written off the reply path: a member's reply never
//! waits for a disk commit (about 0.4 ms of fsync each). Events go to one writer thread that
//! commits them in batches, at most [`BATCH_WINDOW`] after the first of a batch, and at once
//! when asked to flush (`/faq stats`, shutdown).
//!
//! What a `kill -9` can lose: the counts and unanswered questions of the last half second.
//! Settings and votes are not written here: they are committed before the moderator or member
//! is told they are saved.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Store;

/// How long a batch may wait for more events before it is committed.
pub const BATCH_WINDOW: Duration = Duration::from_millis(500);

/// Something worth counting for `/faq stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatEvent {
    Answered {
        guild: u64,
        entry: crate::knowledge::EntryId,
    },
    Unanswered {
        guild: u64,
        question: String,
    },
    /// What became of a member's message in a channel with auto replies.
    Auto {
        guild: u64,
        outcome: AutoOutcome,
    },
}

/// What became of a member's message in a channel with auto replies, counted so that
/// moderators can see why the bot stayed quiet as well as when it spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoOutcome {
    Replied,
    SafetyReply,
    /// Shadow mode: it would have replied.
    WouldReply,
    /// Discord refused every attempt to post the reply.
    SendFailed,
    /// Not a question the knowledge answers with enough confidence.
    NotConfident,
    Cooldown,
    IgnoredRole,
    /// Shed: every engine slot was busy with questions put to the bot.
    Busy,
}

impl AutoOutcome {
    /// Every outcome, in the order `/faq stats` shows them.
    pub const ALL: [AutoOutcome; 8] = [
        AutoOutcome::Replied,
        AutoOutcome::SafetyReply,
        AutoOutcome::WouldReply,
        AutoOutcome::SendFailed,
        AutoOutcome::NotConfident,
        AutoOutcome::Cooldown,
        AutoOutcome::IgnoredRole,
        AutoOutcome::Busy,
    ];

    /// The key stored in the database: stable across releases.
    pub fn key(self) -> &'static str {
        match self {
            AutoOutcome::Replied => "replied",
            AutoOutcome::SafetyReply => "safety_reply",
            AutoOutcome::WouldReply => "would_reply",
            AutoOutcome::SendFailed => "send_failed",
            AutoOutcome::NotConfident => "not_confident",
            AutoOutcome::Cooldown => "cooldown",
            AutoOutcome::IgnoredRole => "ignored_role",
            AutoOutcome::Busy => "busy",
        }
    }

    /// How a moderator reads it.
    pub fn label(self) -> &'static str {
        match self {
            AutoOutcome::Replied => "replied",
            AutoOutcome::SafetyReply => "safety replies",
            AutoOutcome::WouldReply => "would have replied (shadow mode)",
            AutoOutcome::SendFailed => "reply failed to post",
            AutoOutcome::NotConfident => "not a question I can answer confidently",
            AutoOutcome::Cooldown => "held back by a cooldown",
            AutoOutcome::IgnoredRole => "from an ignored role",
            AutoOutcome::Busy => "skipped while busy with questions put to me",
        }
    }
}

enum Msg {
    Event(StatEvent),
    /// Commit what is pending, then say so.
    Flush(mpsc::SyncSender<()>),
}

/// The writer: cheap to record into from any task, best effort (a failed commit is logged).
#[derive(Debug)]
pub struct StatsWriter {
    /// A std mutex held only to clone or take the sender, never across an `.await`.
    tx: Mutex<Option<Sender<Msg>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl StatsWriter {
    /// Starts the writer thread for `store`; unanswered questions older than `keep_days` are
    /// purged as batches are written.
    pub fn start(store: Arc<Store>, keep_days: u32) -> StatsWriter {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("stats-writer".into())
            .spawn(move || write_loop(&store, keep_days, &rx))
            .expect("the stats writer thread starts");
        StatsWriter {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        }
    }

    fn sender(&self) -> Option<Sender<Msg>> {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Queues an event; returns at once.
    pub fn record(&self, event: StatEvent) {
        if let Some(tx) = self.sender() {
            let _ = tx.send(Msg::Event(event));
        }
    }

    /// Commits everything queued so far, waiting for it (blocking: call it off the runtime or
    /// where a short wait is fine).
    pub fn flush(&self) {
        let Some(tx) = self.sender() else { return };
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        if tx.send(Msg::Flush(ack_tx)).is_ok() {
            let _ = ack_rx.recv_timeout(Duration::from_secs(5));
        }
    }

    /// Commits what is queued and stops the thread (at shutdown).
    pub fn stop(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for StatsWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_loop(store: &Store, keep_days: u32, rx: &Receiver<Msg>) {
    let mut batch = Vec::new();
    let mut acks = Vec::new();
    // Blocks for the first message of each batch; ends when every sender is gone.
    while let Ok(first) = rx.recv() {
        let deadline = Instant::now() + BATCH_WINDOW;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Event(e) => batch.push(e),
                Msg::Flush(ack) => {
                    acks.push(ack);
                    break;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // A timeout or the last sender gone: commit what the batch has.
            next = rx.recv_timeout(left).ok();
        }
        commit(store, keep_days, &mut batch);
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
    commit(store, keep_days, &mut batch);
}

fn commit(store: &Store, keep_days: u32, batch: &mut Vec<StatEvent>) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = store.record_stats(batch, keep_days) {
        tracing::warn!(events = batch.len(), "cannot record stats: {e}");
    }
    batch.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_committed_on_flush_and_on_stop() {
        let dir = std::env::temp_dir().join(format!("runclub-stats-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(Store::open(&dir).unwrap());
        let writer = StatsWriter::start(store.clone(), 30);
        for _ in 0..3 {
            writer.record(StatEvent::Answered {
                guild: 1,
                entry: "doms-rolling".into(),
            });
        }
        writer.record(StatEvent::Unanswered {
            guild: 1,
            question: "which gels?".into(),
        });
        for outcome in [
            AutoOutcome::Cooldown,
            AutoOutcome::Replied,
            AutoOutcome::Cooldown,
        ] {
            writer.record(StatEvent::Auto { guild: 1, outcome });
        }
        writer.record(StatEvent::Auto {
            guild: 2,
            outcome: AutoOutcome::Busy,
        });
        writer.flush();
        let s = store.stats(1, 10).unwrap();
        assert_eq!(s.most_asked, vec![("doms-rolling".to_string(), 3)]);
        assert_eq!(s.unanswered, vec!["which gels?".to_string()]);
        // In the order moderators read them, this server's only.
        assert_eq!(
            s.auto,
            vec![(AutoOutcome::Replied, 1), (AutoOutcome::Cooldown, 2)]
        );
        writer.record(StatEvent::Answered {
            guild: 1,
            entry: "doms-rolling".into(),
        });
        writer.stop();
        assert_eq!(store.stats(1, 10).unwrap().most_asked[0].1, 4);
    }
}
