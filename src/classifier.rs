//! A small multinomial logistic regression over sentence embeddings: the trained head of the
//! matcher (one class per entry plus "none of them") and the warning-sign detector (none,
//! physio, urgent, emergency) are both this.
//!
//! Training is full-batch Adam on the class-balanced cross-entropy with L2 regularisation,
//! started from zero, so it is deterministic: the same examples give the same head on every
//! machine. The matrix products run in candle (optimised even in a debug build, since
//! dependencies are); a thousand examples train in well under a second. Prediction is a few
//! thousand multiply-adds and is plain Rust.

use candle_core::{DType, Device, Tensor, D};

/// How a classifier is trained. The bot's values come from the configuration (`[training]`,
/// `head.balance`, `detector.balance`); `Default` is the same training with full class balance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights: larger keeps probabilities softer on unseen wording.
    pub l2: f64,
    /// How far rare classes are weighted up: 1 weighs every class equally whatever its size,
    /// 0 weighs every example equally (and so favours the classes with more examples).
    pub balance: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        crate::config::TrainingConfig::default().with_balance(1.0)
    }
}

/// Embeddings are unit vectors whose components are about 1/sqrt(dim); scaling them up to
/// about unit variance lets ordinary learning rates and penalties work.
fn feature_scale(dim: usize) -> f32 {
    (dim as f32).sqrt()
}

/// A trained linear classifier: `classes` rows of `dim` weights and a bias.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    dim: usize,
    classes: usize,
    /// Row-major `classes x (dim + 1)`; the last value of a row is its bias.
    weights: Vec<f32>,
}

/// Training could not run (only on an internal tensor error or empty input).
#[derive(Debug, thiserror::Error)]
#[error("training a classifier: {0}")]
pub struct TrainError(String);

impl TrainError {
    /// An example whose embedding was not computed.
    pub fn missing(text: &str) -> Self {
        TrainError(format!("no embedding for the example {text:?}"))
    }
}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        TrainError(e.to_string())
    }
}

impl Classifier {
    /// Trains on `features` (each of the same length) labelled `labels` (each `< classes`).
    /// Classes are weighted by `(examples per class on average / examples of the class)`
    /// raised to `config.balance`.
    pub fn train(
        features: &[&[f32]],
        labels: &[usize],
        classes: usize,
        config: &TrainConfig,
    ) -> Result<Self, TrainError> {
        let n = features.len();
        if n == 0 || n != labels.len() || classes == 0 {
            return Err(TrainError("no examples, or labels don't match".into()));
        }
        let dim = features[0].len();
        let scale = feature_scale(dim);
        let dev = Device::Cpu;
        let mut xs = Vec::with_capacity(n * (dim + 1));
        for f in features {
            if f.len() != dim {
                return Err(TrainError("examples of different lengths".into()));
            }
            xs.extend(f.iter().map(|v| v * scale));
            xs.push(1.0);
        }
        let mut counts = vec![0usize; classes];
        for &l in labels {
            if l >= classes {
                return Err(TrainError(format!("label {l} out of range")));
            }
            counts[l] += 1;
        }
        let present = counts.iter().filter(|&&c| c > 0).count() as f32;
        let mut target = vec![0f32; n * classes];
        let mut sample_weight = vec![0f32; n];
        for (i, &l) in labels.iter().enumerate() {
            target[i * classes + l] = 1.0;
            sample_weight[i] = (n as f32 / (present * counts[l] as f32)).powf(config.balance);
        }
        let x = Tensor::from_vec(xs, (n, dim + 1), &dev)?;
        let xt = x.t()?.contiguous()?;
        let y = Tensor::from_vec(target, (n, classes), &dev)?;
        let sw = Tensor::from_vec(sample_weight, (n, 1), &dev)?;
        let mut w = Tensor::zeros((dim + 1, classes), DType::F32, &dev)?;
        let mut m = w.zeros_like()?;
        let mut v = w.zeros_like()?;
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
        for t in 1..=config.epochs {
            let p = candle_nn::ops::softmax(&x.matmul(&w)?, D::Minus1)?;
            let diff = (p - &y)?.broadcast_mul(&sw)?;
            let grad = ((xt.matmul(&diff)? / n as f64)? + (&w * config.l2)?)?;
            m = ((m * b1)? + (&grad * (1.0 - b1))?)?;
            v = ((v * b2)? + (grad.sqr()? * (1.0 - b2))?)?;
            let m_hat = (&m / (1.0 - b1.powi(t as i32)))?;
            let v_hat = (&v / (1.0 - b2.powi(t as i32)))?;
            let step = (m_hat / (v_hat.sqrt()? + eps)?)?;
            w = (w - (step * config.learning_rate)?)?;
        }
        // Stored transposed (a row per class) for cache-friendly prediction.
        let weights = w.t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        Ok(Classifier {
            dim,
            classes,
            weights,
        })
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class probabilities for one embedding (they sum to 1).
    pub fn probabilities(&self, features: &[f32]) -> Vec<f32> {
        let scale = feature_scale(self.dim);
        let mut logits: Vec<f32> = self
            .weights
            .chunks_exact(self.dim + 1)
            .map(|row| {
                let dot: f32 = row[..self.dim]
                    .iter()
                    .zip(features)
                    .map(|(w, x)| w * x)
                    .sum();
                dot * scale + row[self.dim]
            })
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for l in &mut logits {
            *l = (*l - max).exp();
            sum += *l;
        }
        logits.iter_mut().for_each(|l| *l /= sum);
        logits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three well-separated clusters in 4 dimensions, with one outlier per class.
    #[test]
    fn learns_separable_classes_and_predicts_held_out_points() {
        let centres = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ];
        let mut feats = Vec::new();
        let mut labels = Vec::new();
        for (c, centre) in centres.iter().enumerate() {
            for k in 0..10 {
                let jitter = (k as f32 - 4.5) * 0.03;
                let mut f = centre.to_vec();
                f[3] = jitter;
                f[(c + 1) % 3] = jitter.abs();
                feats.push(f);
                labels.push(c);
            }
        }
        let refs: Vec<&[f32]> = feats.iter().map(Vec::as_slice).collect();
        let clf = Classifier::train(&refs, &labels, 3, &TrainConfig::default()).unwrap();
        for (c, centre) in centres.iter().enumerate() {
            let mut probe = centre.to_vec();
            probe[3] = 0.05;
            let p = clf.probabilities(&probe);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, c, "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn refuses_mismatched_input() {
        let f = [0.0f32; 4];
        assert!(Classifier::train(&[&f], &[0, 1], 2, &TrainConfig::default()).is_err());
        assert!(Classifier::train(&[&f], &[5], 2, &TrainConfig::default()).is_err());
    }
}
