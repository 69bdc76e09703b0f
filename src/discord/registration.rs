//! Slash-command registration, skipped when nothing changed: Discord limits command creations
//! per day, and a bot that restarts often must not burn them. The last successful
//! registration is remembered in the data dir.

use std::path::{Path, PathBuf};

use poise::serenity_prelude as serenity;

/// Registers the commands, but only when their definitions (or the target) changed since the
/// last successful registration.
pub(super) async fn register_commands(
    ctx: &serenity::Context,
    config: &crate::Config,
    application: serenity::ApplicationId,
    defs: Vec<serenity::CreateCommand>,
) {
    let scope = match config.discord.dev_guild_id {
        Some(g) => format!("guild {g}"),
        None => "global".to_string(),
    };
    let fingerprint = fingerprint(application, &scope, &defs);
    let path = registration_path(&config.data_dir);
    if !fingerprint.is_empty()
        && std::fs::read_to_string(&path).ok().as_deref() == Some(fingerprint.as_str())
    {
        tracing::info!(%scope, "commands unchanged since the last registration; not registering");
        return;
    }
    let result = match config.discord.dev_guild_id {
        Some(g) => serenity::GuildId::new(g)
            .set_commands(ctx, defs)
            .await
            .map(|c| c.len()),
        None => serenity::Command::set_global_commands(ctx, defs)
            .await
            .map(|c| c.len()),
    };
    match result {
        Ok(n) => {
            tracing::info!(%scope, commands = n, "commands registered");
            if let Err(e) = write_atomically(&path, &fingerprint) {
                tracing::warn!(
                    "registered, but cannot remember it in {}: {e}",
                    path.display()
                );
            }
        }
        Err(e) => {
            tracing::error!(%scope, "command registration failed (the previous commands stay): {e}")
        }
    }
}

/// What a registration is remembered by: the application, the target and every definition.
/// Empty when the definitions cannot be serialised, which never matches a remembered one, so
/// the bot registers rather than risk keeping stale commands.
fn fingerprint(
    application: serenity::ApplicationId,
    scope: &str,
    defs: &[serenity::CreateCommand],
) -> String {
    match serde_json::to_string(defs) {
        Ok(json) => format!("application {application}, {scope}\n{json}"),
        Err(e) => {
            tracing::warn!("cannot serialise command definitions: {e}");
            String::new()
        }
    }
}

fn registration_path(data_dir: &Path) -> PathBuf {
    data_dir.join("registered-commands.txt")
}

/// Writes via a temporary file and a rename, so a crash never leaves half a file. Shared with
/// the heartbeat, the other file the bot keeps in the data dir.
pub(super) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}
