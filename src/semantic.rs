//! The trained side of the matcher: embeddings of every example in the knowledge (cached on
//! disk), and the two classifiers trained on them at load:
//!
//! - the **head**: one class per entry plus a last "none of them" class, learnt from the
//!   entries' example questions and the `none` examples;
//! - the **warning-sign detector**: none, physio, urgent, emergency, learnt from the
//!   `warning_signs` examples, with every entry question, `none` example and `not_warning`
//!   look-alike as "none".
//!
//! Embedding an example costs about 10 ms and training both classifiers well under a second,
//! so only the embeddings are cached: one file per model (its fingerprint in the name), one
//! record per example text, so an edited knowledge file costs only its new examples.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::classifier::{Classifier, TrainConfig, TrainError};
use crate::embed::{fnv1a, Embedder, ModelError};
use crate::knowledge::KnowledgeBase;
use crate::triage::Tier;

/// Examples embedded per batch when filling the cache (similar lengths are batched together).
const BATCH: usize = 8;
const MAGIC: &[u8; 8] = b"RCBEMB01";

/// Every example text of a knowledge base, each once.
pub fn example_texts(kb: &KnowledgeBase) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    kb.entries
        .iter()
        .flat_map(|e| e.questions.iter())
        .chain(kb.none.iter())
        .chain(kb.warning_signs.iter().map(|s| &s.text))
        .map(String::as_str)
        .filter(|t| seen.insert(*t))
        .collect()
}

/// Embeddings of example texts, by text.
#[derive(Debug, Default, Clone)]
pub struct Vectors {
    by_text: HashMap<String, Vec<f32>>,
}

impl Vectors {
    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.by_text.get(text).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.by_text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_text.is_empty()
    }

    /// Embeds `texts`, taking what it can from the caches (the own one first, then the seed)
    /// and writing the own cache back when it lacked anything. A cache that can't be read or
    /// written costs time, never correctness: it is logged and the embeddings are computed.
    pub fn compute(
        embedder: &Embedder,
        texts: &[&str],
        caches: &Caches,
    ) -> Result<(Self, CacheStats), ModelError> {
        let path = caches
            .own
            .as_deref()
            .map(|d| cache_path(d, embedder.fingerprint()));
        let mut cached = path
            .as_deref()
            .map(|p| read_or_log(p, embedder.dim()))
            .unwrap_or_default();
        let mut by_text = HashMap::with_capacity(texts.len());
        let mut missing = Vec::new();
        for &t in texts {
            match cached.remove(&text_key(t)) {
                Some(v) => {
                    by_text.insert(t.to_string(), v);
                }
                None => missing.push(t),
            }
        }
        let own_complete = missing.is_empty();
        if let (false, Some(seed)) = (own_complete, caches.seed.as_deref()) {
            let mut seeded = read_or_log(&cache_path(seed, embedder.fingerprint()), embedder.dim());
            missing.retain(|t| match seeded.remove(&text_key(t)) {
                Some(v) => {
                    by_text.insert((*t).to_string(), v);
                    false
                }
                None => true,
            });
        }
        let stats = CacheStats {
            reused: by_text.len(),
            computed: missing.len(),
        };
        if !missing.is_empty() {
            let vectors = embedder.embed_batch(&missing, BATCH)?;
            for (t, v) in missing.iter().zip(vectors) {
                by_text.insert((*t).to_string(), v);
            }
        }
        if !own_complete {
            if let Some(p) = &path {
                // Written whole (only today's examples), so the file never grows stale.
                if let Err(e) = write_cache(p, embedder.dim(), &by_text) {
                    tracing::warn!(path = %p.display(), error = %e, "could not write the embedding cache");
                }
            }
        }
        Ok((Vectors { by_text }, stats))
    }
}

/// Where example embeddings are cached: the bot's own cache (read and written), and a
/// read-only seed built with the install, for what the own cache lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caches {
    pub own: Option<PathBuf>,
    pub seed: Option<PathBuf>,
}

impl Caches {
    /// Only the bot's own cache in `dir`.
    pub fn own(dir: &Path) -> Caches {
        Caches {
            own: Some(dir.to_path_buf()),
            seed: None,
        }
    }

    /// No cache: every embedding is computed.
    pub fn none() -> Caches {
        Caches::default()
    }
}

/// A cache file's vectors by text key; a missing file is an empty cache, an unreadable one is
/// logged and treated as empty.
fn read_or_log(path: &Path, dim: usize) -> HashMap<u64, Vec<f32>> {
    read_cache(path, dim).unwrap_or_else(|e| {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "embedding cache unreadable; recomputing");
        }
        HashMap::new()
    })
}

/// What [`Vectors::compute`] took from the cache and what it computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub reused: usize,
    pub computed: usize,
}

fn text_key(text: &str) -> u64 {
    fnv1a(0, text.as_bytes())
}

fn cache_path(dir: &Path, fingerprint: u64) -> PathBuf {
    dir.join(format!("embeddings-{fingerprint:016x}.bin"))
}

fn read_cache(path: &Path, dim: usize) -> std::io::Result<HashMap<u64, Vec<f32>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an embedding cache");
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err(bad());
    }
    let file_dim = u32::from_le_bytes(bytes[8..12].try_into().map_err(|_| bad())?) as usize;
    let count = u64::from_le_bytes(bytes[12..20].try_into().map_err(|_| bad())?) as usize;
    let record = 8 + 4 * dim;
    if file_dim != dim || bytes.len() != 20 + count * record {
        return Err(bad());
    }
    let mut out = HashMap::with_capacity(count);
    for rec in bytes[20..].chunks_exact(record) {
        let key = u64::from_le_bytes(rec[..8].try_into().map_err(|_| bad())?);
        let v = rec[8..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.insert(key, v);
    }
    Ok(out)
}

fn write_cache(
    path: &Path,
    dim: usize,
    vectors: &HashMap<String, Vec<f32>>,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = Vec::with_capacity(20 + vectors.len() * (8 + 4 * dim));
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(dim as u32).to_le_bytes());
    bytes.extend_from_slice(&(vectors.len() as u64).to_le_bytes());
    for (t, v) in vectors {
        bytes.extend_from_slice(&text_key(t).to_le_bytes());
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    // Write then rename: a crash mid-write leaves the old cache, never half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The classifiers trained from one knowledge base.
#[derive(Debug, Clone)]
pub struct Trained {
    /// Classes: the entries in order, then "none".
    pub head: Classifier,
    /// Classes: none, physio, urgent, emergency.
    pub signs: Classifier,
}

/// Class index of a tier in the warning-sign detector (0 is "no warning sign").
fn tier_class(tier: Option<Tier>) -> usize {
    match tier {
        None => 0,
        Some(Tier::Physio) => 1,
        Some(Tier::Urgent) => 2,
        Some(Tier::Emergency) => 3,
    }
}

/// Trains both classifiers on the knowledge's examples; `vector_of` gives an example's
/// embedding (of its prepared text, see [`crate::prepared`]) and must know every example.
pub fn train<'a>(
    kb: &KnowledgeBase,
    vector_of: &dyn Fn(&str) -> Option<&'a [f32]>,
    has_signs: &dyn Fn(&str) -> bool,
    head_config: &TrainConfig,
    sign_config: &TrainConfig,
) -> Result<Trained, TrainError> {
    let missing = |t: &str| TrainError::missing(t);
    let none_class = kb.entries.len();
    let mut feats: Vec<&[f32]> = Vec::new();
    let mut labels = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        for q in &e.questions {
            feats.push(vector_of(q).ok_or_else(|| missing(q))?);
            labels.push(i);
        }
    }
    for t in &kb.none {
        feats.push(vector_of(t).ok_or_else(|| missing(t))?);
        labels.push(none_class);
    }
    let head = Classifier::train(&feats, &labels, none_class + 1, head_config)?;

    // Everything the head learnt from is a "no warning sign" example for the detector, except
    // the examples the physio signs' phrases fire on: "my knee has hurt for three weeks, is it
    // ITBS?" asks an entry's question *and* describes a warning sign, so it must not teach the
    // detector that weeks of pain are nothing. (The head still learns its entry from it: it is
    // the background under the physio advice.)
    let mut sign_feats: Vec<&[f32]> = Vec::with_capacity(feats.len() + kb.warning_signs.len());
    let mut sign_labels = Vec::with_capacity(sign_feats.capacity());
    let questions = kb.entries.iter().flat_map(|e| e.questions.iter());
    for (f, text) in feats.iter().zip(questions.chain(&kb.none)) {
        if has_signs(text) {
            continue;
        }
        sign_feats.push(f);
        sign_labels.push(0);
    }
    let mut feats = sign_feats;
    for s in &kb.warning_signs {
        feats.push(vector_of(&s.text).ok_or_else(|| missing(&s.text))?);
        sign_labels.push(tier_class(s.tier));
    }
    let signs = Classifier::train(&feats, &sign_labels, 4, sign_config)?;
    Ok(Trained { head, signs })
}
