//! Predictions and accuracy over a whole data set, a chunk at a time, in
//! inference mode.

use crate::data::Dataset;
use crate::{Batch, Labels, Network, Row, argmax};

/// Rows per forward pass when evaluating: bounds the activations kept in
/// memory whatever the data set's size.
const CHUNK: usize = 1000;

fn for_each_chunk<In, N, const C: usize>(net: &N, data: &Dataset<In, C>, mut f: impl FnMut(usize, &Batch<N::Out>))
where
    In: Row,
    N: Network<In>,
{
    let mut scores = Batch::<N::Out>::zeros(0);
    let mut x = Batch::<In>::zeros(0);
    let mut t = Labels::<C>::default();
    let mut indices = Vec::with_capacity(CHUNK);
    for start in (0..data.len()).step_by(CHUNK) {
        indices.clear();
        indices.extend(start..(start + CHUNK).min(data.len()));
        data.gather(&indices, &mut x, &mut t);
        net.infer_scores(&x, &mut scores);
        f(start, &scores);
    }
}

/// The predicted class of every sample, in order.
pub fn predictions<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> Vec<usize>
where
    In: Row,
    N: Network<In>,
{
    let mut out = Vec::with_capacity(data.len());
    for_each_chunk(net, data, |_, scores| {
        out.extend(scores.rows().iter().map(|s| argmax(s.as_slice())));
    });
    out
}

/// The fraction of samples whose highest score is their label, in
/// inference mode (0 for an empty data set).
pub fn accuracy<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> f64
where
    In: Row,
    N: Network<In>,
{
    if data.is_empty() {
        return 0.0;
    }
    let mut correct = 0usize;
    for_each_chunk(net, data, |start, scores| {
        for (k, s) in scores.rows().iter().enumerate() {
            correct += usize::from(argmax(s.as_slice()) == data.labels().get(start + k));
        }
    });
    correct as f64 / data.len() as f64
}
