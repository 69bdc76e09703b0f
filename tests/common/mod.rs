//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use runclub_bot::config::{MatcherConfig, ReplyConfig};
use runclub_bot::{Engine, KnowledgeBase};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled knowledge, with the default configuration.
pub fn engine() -> Engine {
    let kb = KnowledgeBase::load_dir(&repo().join("knowledge")).expect("bundled knowledge loads");
    Engine::new(kb, MatcherConfig::default(), ReplyConfig::default()).expect("engine builds")
}

/// A fresh temporary directory under the target dir (no extra crate needed).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = repo()
        .join("target")
        .join("test-tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_runclub-bot"))
}
