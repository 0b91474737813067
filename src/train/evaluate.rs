//! Predictions and accuracy over a whole data set, a chunk at a time, in
//! inference mode.

use crate::data::Dataset;
use crate::model::{check_finite, sequence_start};
use crate::{Batch, InputError, Labels, Layer, Network, Path, Row, Scalar, argmax};

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
    net.describe(sequence_start::<N>(Path::ROOT), &mut |l| {
        per_row += l.output.iter().product::<usize>()
    });
    (ACTIVATIONS / per_row.max(1)).clamp(1, MOST_ROWS)
}

/// Where a sample holds NaN or infinity: its index in the data set, and
/// the value's position in it.
pub(crate) type NonFiniteAt = (usize, usize);

fn input_error((row, column): NonFiniteAt) -> InputError {
    InputError::NonFinite { row, column }
}

/// Runs `net` over `data` a chunk at a time, handing `f` each chunk's first
/// index and scores; a chunk with a non-finite input is refused, as
/// [`Network::predict`] refuses it, with the row's index in `data`.
fn for_each_chunk<In, N, const C: usize>(
    net: &N,
    data: &Dataset<In, C>,
    mut f: impl FnMut(usize, &Batch<N::Scores>),
) -> Result<(), NonFiniteAt>
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
        if let Err(InputError::NonFinite { row, column }) = check_finite(&x) {
            return Err((start + row, column));
        }
        f(start, net.scores_with(&mut scratch, &x));
    }
    Ok(())
}

/// The predicted class of every sample, in order.
///
/// # Errors
/// [`InputError::NonFinite`] if a sample holds NaN or infinity (its row
/// is its index in `data`): its scores, and so its class, would mean
/// nothing.
pub fn predictions<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> Result<Vec<usize>, InputError>
where
    In: Row<Scalar: Scalar>,
    N: Network<In>,
{
    let mut out = Vec::with_capacity(data.len());
    for_each_chunk(net, data, |_, scores| {
        out.extend(scores.rows().iter().map(|s| argmax(s.as_slice())));
    })
    .map_err(input_error)?;
    Ok(out)
}

/// The fraction of samples whose highest score is their label, in
/// inference mode (0 for an empty data set).
///
/// # Errors
/// [`InputError::NonFinite`] if a sample holds NaN or infinity (its row
/// is its index in `data`), as [`Network::accuracy`] refuses such a batch.
pub fn accuracy<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> Result<f64, InputError>
where
    In: Row<Scalar: Scalar>,
    N: Network<In>,
{
    accuracy_at(net, data).map_err(input_error)
}

/// [`accuracy`], with where a non-finite sample is.
pub(crate) fn accuracy_at<In, N, const C: usize>(net: &N, data: &Dataset<In, C>) -> Result<f64, NonFiniteAt>
where
    In: Row<Scalar: Scalar>,
    N: Network<In>,
{
    if data.is_empty() {
        return Ok(0.0);
    }
    let mut correct = 0usize;
    for_each_chunk(net, data, |start, scores| {
        for (k, s) in scores.rows().iter().enumerate() {
            correct += usize::from(argmax(s.as_slice()) == data.labels().get(start + k));
        }
    })?;
    Ok(correct as f64 / data.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// One NaN image in 2,500, or all of them, is refused by every
    /// evaluation, naming its row, as `Network::accuracy` refuses it.
    #[test]
    fn non_finite_samples_are_refused() {
        let net = Affine::<[f32; 3], 2>::from_fn(|i, j| (i + j) as f32, |_| 0.0).then(SoftmaxWithLoss);
        // more rows than one pass takes, so the row is counted across passes
        let n = 2500;
        for (bad, value) in [
            (vec![1937], f32::NAN),
            ((0..n).collect(), f32::NAN),
            (vec![0], f32::INFINITY),
        ] {
            let mut x = Batch::<[f32; 3]>::zeros(n);
            for &i in &bad {
                x[i][1] = value;
            }
            let t = Labels::<2>::from_slice(&vec![0; n]).unwrap();
            let whole = net.accuracy(&x, &t).unwrap_err();
            let data = Dataset::new(x, t).unwrap();
            let expected = InputError::NonFinite { row: bad[0], column: 1 };
            assert_eq!(whole, expected);
            assert_eq!(accuracy(&net, &data), Err(expected));
            assert_eq!(predictions(&net, &data), Err(expected));
        }
    }
}
