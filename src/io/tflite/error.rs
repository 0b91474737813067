//! What is wrong with a `.tflite` file, and where in it.

use std::fmt;

/// A `.tflite` file that cannot be read: where (`"subgraph 0, operator 3
/// (CONV_2D), builtin options"`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfliteError {
    /// The path through the model to what is wrong.
    pub location: String,
    /// What is wrong with it.
    pub message: String,
}

impl TfliteError {
    /// An error at `location`.
    pub(crate) fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
        }
    }

    /// The same error seen from the enclosing object.
    pub(crate) fn within(mut self, outer: &str) -> Self {
        self.location = if self.location.is_empty() {
            outer.to_owned()
        } else {
            format!("{outer}, {}", self.location)
        };
        self
    }
}

impl fmt::Display for TfliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, ".tflite file: {}", self.message)
        } else {
            write!(f, ".tflite file, {}: {}", self.location, self.message)
        }
    }
}

impl std::error::Error for TfliteError {}
