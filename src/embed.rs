//! Sentence embeddings, in process and in pure Rust: runclub-minilm (all-MiniLM-L6-v2, a 6-layer
//! BERT with 384 dimensions, fine-tuned on the knowledge's examples by `models/finetune.py`) run
//! by candle, with its own WordPiece tokenizer.
//!
//! The model files ship with the repository (`models/runclub-minilm/`): the weights are
//! stored in f16 to halve the file and cast to f32 at load, since f32 is both what the model was
//! trained in and the fastest to compute on a CPU without an accelerator. The embedding is the
//! mean of the last layer over the message's tokens, L2-normalised, exactly as
//! sentence-transformers computes it, so the cosine of two embeddings is their dot product.
//!
//! Long messages: the model sees at most [`MAX_TOKENS`] tokens, the first ones (a message's
//! question is nearly always in its first few sentences). The tokenizer file as shipped pads and
//! truncates at 128; we turn padding off for single messages and truncate at 256, which is what
//! the reference implementation does.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Most tokens the model reads of one message (its position table allows 512; quality falls
/// well before that, and cost grows with the square of the length).
pub const MAX_TOKENS: usize = 256;

/// Characters of a message handed to the tokenizer: far more than [`MAX_TOKENS`] tokens ever
/// need, and a bound on the tokenizer's work for a pasted essay.
pub const MAX_CHARS: usize = 4000;

/// The files a model directory must hold.
pub const MODEL_FILES: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];

/// The model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("running the model: {0}")]
    Run(String),
}

impl From<candle_core::Error> for ModelError {
    fn from(e: candle_core::Error) -> Self {
        ModelError::Run(e.to_string())
    }
}

/// A loaded sentence-embedding model. Immutable and shareable across threads and reloads.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dim: usize,
    fingerprint: u64,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dim", &self.dim)
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .finish()
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, ModelError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| ModelError::File {
        path,
        message: e.to_string(),
    })
}

/// FNV-1a, 64-bit: a stable content hash for cache keys (std's hasher may change between
/// releases, which would only cost a cache rebuild, but a stable one costs nothing).
pub fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Embedder {
    /// Loads the model from a directory holding [`MODEL_FILES`].
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let config_bytes = read(dir, "config.json")?;
        let tokenizer_bytes = read(dir, "tokenizer.json")?;
        let file_err = |name: &str, message: String| ModelError::File {
            path: dir.join(name),
            message,
        };
        let config: BertConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| file_err("config.json", e.to_string()))?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| file_err("tokenizer.json", e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| file_err("tokenizer.json", e.to_string()))?;
        tokenizer.with_padding(None);
        let mut fingerprint = fnv1a(fnv1a(0, &config_bytes), &tokenizer_bytes);
        let tensors = read_weights(&dir.join("model.safetensors"), &mut fingerprint)
            .map_err(|e| file_err("model.safetensors", e))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &config)
            .map_err(|e| file_err("model.safetensors", e.to_string()))?;
        Ok(Embedder {
            model,
            tokenizer,
            dim: config.hidden_size,
            fingerprint,
        })
    }

    /// Dimensions of an embedding (384 for MiniLM-L6).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// A hash of the model's files: embeddings cached under another fingerprint are stale.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The whole English words in the model's vocabulary (WordPiece pieces and special tokens
    /// left out): about 20,000 real words, which the typo corrector must never "correct"
    /// ("knee locked" is not a typo of "looked").
    pub fn words(&self) -> Vec<String> {
        self.tokenizer
            .get_vocab(false)
            .into_keys()
            .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_lowercase()))
            .collect()
    }

    /// Number of tokens the model reads of `text` (after truncation).
    pub fn token_count(&self, text: &str) -> Result<usize, ModelError> {
        let enc = self
            .tokenizer
            .encode(clip(text), true)
            .map_err(|e| ModelError::Run(e.to_string()))?;
        Ok(enc.get_ids().len())
    }

    /// The embedding of one message: unit length, [`dim`](Self::dim) values.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        let enc = self
            .tokenizer
            .encode(clip(text), true)
            .map_err(|e| ModelError::Run(e.to_string()))?;
        let ids = Tensor::new(enc.get_ids(), &Device::Cpu)?.unsqueeze(0)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, None)?; // (1, tokens, dim)
        let pooled = hidden.mean(1)?.squeeze(0)?;
        Ok(normalise(pooled.to_vec1::<f32>()?))
    }

    /// Embeddings of many messages, computed in batches of similar length (padding is wasted
    /// work), returned in input order. Same values as [`embed`](Self::embed) on each.
    pub fn embed_batch(&self, texts: &[&str], batch: usize) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        let mut tokenizer = self.tokenizer.clone();
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        for chunk in order.chunks(batch.max(1)) {
            let inputs: Vec<&str> = chunk.iter().map(|&i| clip(texts[i])).collect();
            let encs = tokenizer
                .encode_batch(inputs, true)
                .map_err(|e| ModelError::Run(e.to_string()))?;
            let width = encs.first().map_or(0, |e| e.get_ids().len());
            let ids: Vec<u32> = encs.iter().flat_map(|e| e.get_ids().to_vec()).collect();
            let mask: Vec<u32> = encs
                .iter()
                .flat_map(|e| e.get_attention_mask().to_vec())
                .collect();
            let n = encs.len();
            let ids = Tensor::from_vec(ids, (n, width), &Device::Cpu)?;
            let mask = Tensor::from_vec(mask, (n, width), &Device::Cpu)?;
            let types = ids.zeros_like()?;
            let hidden = self.model.forward(&ids, &types, Some(&mask))?; // (n, width, dim)
            let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&m)?.sum(1)?;
            let counts = m.sum(1)?;
            let pooled = summed.broadcast_div(&counts)?.to_vec2::<f32>()?;
            for (&i, v) in chunk.iter().zip(pooled) {
                out[i] = normalise(v);
            }
        }
        Ok(out)
    }
}

/// Reads a safetensors file one tensor at a time, each cast to f32 as it is read, so that the
/// load never holds the whole f16 file and the whole f32 model at once (the load peak is what
/// a small VPS must fit). `fingerprint` is extended with every byte read.
fn read_weights(
    path: &Path,
    fingerprint: &mut u64,
) -> Result<std::collections::HashMap<String, Tensor>, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|e| e.to_string())?;
    *fingerprint = fnv1a(*fingerprint, &len);
    let header_len = u64::from_le_bytes(len) as usize;
    if header_len > 10 << 20 {
        return Err("not a safetensors file (header too large)".into());
    }
    let mut header = vec![0u8; header_len];
    file.read_exact(&mut header).map_err(|e| e.to_string())?;
    *fingerprint = fnv1a(*fingerprint, &header);
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| format!("bad header: {e}"))?;
    let mut entries: Vec<(String, DType, Vec<usize>, usize, usize)> = Vec::new();
    for (name, meta) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = match meta["dtype"].as_str() {
            Some("F16") => DType::F16,
            Some("F32") => DType::F32,
            Some("BF16") => DType::BF16,
            // Bookkeeping tensors the model doesn't read (position ids): skipped.
            _ => continue,
        };
        let shape = meta["shape"]
            .as_array()
            .and_then(|d| d.iter().map(|v| v.as_u64().map(|n| n as usize)).collect())
            .ok_or_else(|| format!("{name}: bad shape"))?;
        let offsets = meta["data_offsets"]
            .as_array()
            .filter(|o| o.len() == 2)
            .and_then(|o| Some((o[0].as_u64()? as usize, o[1].as_u64()? as usize)))
            .ok_or_else(|| format!("{name}: bad offsets"))?;
        entries.push((name, dtype, shape, offsets.0, offsets.1));
    }
    entries.sort_by_key(|e| e.3);
    let mut tensors = std::collections::HashMap::with_capacity(entries.len());
    let mut pos = 0;
    for (name, dtype, shape, start, end) in entries {
        if start < pos || end < start {
            return Err(format!("{name}: overlapping data"));
        }
        // Skip what lies between tensors (skipped bookkeeping tensors), then read this one.
        let mut skip = vec![0u8; start - pos];
        file.read_exact(&mut skip).map_err(|e| e.to_string())?;
        *fingerprint = fnv1a(*fingerprint, &skip);
        let mut bytes = vec![0u8; end - start];
        file.read_exact(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        *fingerprint = fnv1a(*fingerprint, &bytes);
        pos = end;
        let t = Tensor::from_raw_buffer(&bytes, dtype, &shape, &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32))
            .map_err(|e| format!("{name}: {e}"))?;
        tensors.insert(name, t);
    }
    Ok(tensors)
}

/// At most [`MAX_CHARS`] characters, cut at a character boundary.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Dot product (the cosine, for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Checks that a model directory holds readable model files, without loading the model (for
/// `runclub-bot check`).
pub fn check_files(dir: &Path) -> Vec<String> {
    MODEL_FILES
        .iter()
        .filter_map(|name| {
            let path = dir.join(name);
            match std::fs::File::open(&path).and_then(|f| f.metadata()) {
                Ok(m) if m.len() > 0 => None,
                Ok(_) => Some(format!("{}: empty file", path.display())),
                Err(e) => Some(format!("{}: {e}", path.display())),
            }
        })
        .collect()
}
