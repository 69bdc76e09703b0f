//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use runclub_bot::config::{EngineConfig, ReplyConfig};
use runclub_bot::{Embedder, Engine, KnowledgeBase};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled model, loaded once per test binary.
pub fn embedder() -> Arc<Embedder> {
    static MODEL: OnceLock<Arc<Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            Arc::new(
                Embedder::load(&repo().join("models/runclub-minilm")).expect("bundled model loads"),
            )
        })
        .clone()
}

/// The example-embedding cache shared by every test run (the first run fills it).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("embedding-cache")
}

/// The bundled knowledge with the default configuration, built once per test binary.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let kb =
            KnowledgeBase::load_dir(&repo().join("knowledge")).expect("bundled knowledge loads");
        Engine::new(
            kb,
            EngineConfig::default(),
            ReplyConfig::default(),
            embedder(),
            &runclub_bot::semantic::Caches::own(&cache_dir()),
        )
        .expect("engine builds")
    })
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

/// The binary, once the shared embedding cache is filled: a test that waits for the binary to
/// connect must not wait for it to embed the whole knowledge in a debug build first.
pub fn warm_bin() -> PathBuf {
    let _ = engine();
    bin()
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_runclub-bot"))
}
