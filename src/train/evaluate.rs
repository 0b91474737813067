//! Predictions and accuracy over a whole data set, a chunk at a time, in
//! inference mode.

use crate::data::Dataset;
use crate::model::sequence_start;
use crate::{Batch, Labels, Layer, Network, Path, Row, Scalar, argmax};

/// Rows per inference pass when evaluating, at most: one pass over many
/// rows amortises the per-call work.
const MOST_ROWS: usize = 1000;

/// Scalars of activations a pass may keep (16 MiB of `f32`): a dense net
/// evaluates 1,000 rows at a time, SimpleConvNet about a hundred.
const ACTIVATIONS: usize = 1 << 22;

/// Rows per pass for `net`: as many as fit the activation budget, counting
/// the input and every layer's output, which a chain keeps side by side.
fn chunk<In: Row<Scalar: Scalar>, N: Network<In>>(net: &N) -> usize {
    let mut per_row = In::WIDTH;
    net.describe(sequence_start::<N>(Path::ROOT), &mut |l| per_row += l.output.iter().product::<usize>());
    (ACTIVATIONS / per_row.max(1)).clamp(1, MOST_ROWS)
}

fn for_each_chunk<In, N, const C: usize>(net: &N, data: &Dataset<In, C>, mut f: impl FnMut(usize, &Batch<N::Scores>))
where
    In: Row<Scalar: Scalar>,
    N: Network<In>,
{
    let mut scratch = <N as Layer<In>>::Scratch::default();
    let mut x = Batch::<In>::zeros(0);
    let mut t = Labels::<C>::default();
    let rows = chunk(net);
    let mut indices = Vec::with_capacity(rows);
    for start in (0..data.len()).step_by(rows) {
        indices.clear();
        indices.extend(start..(start + rows).min(data.len()));
        data.gather(&indices, &mut x, &mut t);
        f(start, net.scores_with(&mut scratch, &x));
    }
}

/// The predicted class of every sample, in order.
pub fn predictions<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> Vec<usize>
where
    In: Row<Scalar: Scalar>,
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
    In: Row<Scalar: Scalar>,
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
