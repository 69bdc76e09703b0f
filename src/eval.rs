//! Cross-validation (filled below).
