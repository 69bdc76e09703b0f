//! The heartbeat file and the `runclub-bot health` check (the Docker HEALTHCHECK): while the
//! bot runs it records every [`HEARTBEAT_EVERY`] whether a shard is connected, and `health`
//! passes only when that record is recent and says connected.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::registration::write_atomically;

/// How often the heartbeat file is refreshed, and how old it may be for `health` to pass.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);
pub const HEARTBEAT_MAX_AGE: Duration = Duration::from_secs(60);

/// The `health` check: the heartbeat is recent and says connected.
pub fn health(data_dir: &Path) -> Result<String, String> {
    let path = heartbeat_path(data_dir);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("no heartbeat at {}: {e}", path.display()))?;
    let mut parts = text.split_whitespace();
    let status = parts.next().unwrap_or("");
    let at: u64 = parts
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or("malformed heartbeat file")?;
    let age = unix_now().saturating_sub(at);
    if age > HEARTBEAT_MAX_AGE.as_secs() {
        return Err(format!(
            "heartbeat is {age}s old: the bot is not running or is stuck"
        ));
    }
    if status != "connected" {
        return Err(format!("not connected to Discord ({status}, {age}s ago)"));
    }
    Ok(format!("connected ({age}s ago)"))
}

pub fn heartbeat_path(data_dir: &Path) -> PathBuf {
    data_dir.join("heartbeat")
}

/// Every [`HEARTBEAT_EVERY`], records whether a shard is connected. Runs until aborted, when
/// the client generation it watches stops.
pub(super) async fn heartbeat_loop(manager: Arc<serenity::ShardManager>, data_dir: PathBuf) {
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        tick.tick().await;
        let connected = manager
            .runners
            .lock()
            .await
            .values()
            .any(|r| r.stage == serenity::ConnectionStage::Connected);
        let line = format!(
            "{} {}\n",
            if connected { "connected" } else { "connecting" },
            unix_now()
        );
        if let Err(e) = write_atomically(&heartbeat_path(&data_dir), &line) {
            tracing::warn!("cannot write the heartbeat file: {e}");
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
