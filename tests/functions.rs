//! The activation and loss functions, including their numeric edge cases.

mod common;

use common::assert_close;
use typenet::prelude::*;
use typenet::{cross_entropy_error, relu, sigmoid, softmax, softmax_rows};

fn softmax_is_stable_and_sums_to_one<T: Scalar>() {
    let mut row = [1e4, -1e4, 1e4 - 1.0].map(T::of);
    softmax(&mut row);
    assert!(row.iter().all(|v| v.is_finite()));
    let e = (-1.0f64).exp();
    assert_close(&row, &[1.0 / (1.0 + e), 0.0, e / (1.0 + e)].map(T::of), 1e-6);

    let mut equal = [T::of(-1e4); 4];
    softmax(&mut equal);
    assert_close(&equal, &[T::of(0.25); 4], 0.0);

    let x: Batch<[T; 3]> = Batch::from_rows(vec![[0.3, 2.9, 4.0].map(T::of), [1.0, 1.0, 1.0].map(T::of)]);
    let y = softmax_rows(&x);
    // the book's example: softmax([0.3, 2.9, 4.0]) = [0.01821127, 0.24519181, 0.73659691]
    assert_close(&y[0], &[0.01821127, 0.24519181, 0.73659691].map(T::of), 1e-7);
    let total: T = y[1].iter().copied().sum();
    assert_close(&[total], &[T::ONE], 1e-7);
}

fn sigmoid_and_relu_edges<T: Scalar>() {
    assert_eq!(sigmoid(T::of(1e4)), T::ONE);
    assert_eq!(sigmoid(T::of(-1e4)), T::ZERO);
    assert_eq!(sigmoid(T::ZERO), T::of(0.5));
    assert_eq!(relu(T::ZERO), T::ZERO);
    assert_eq!(relu(T::of(-0.0)), T::ZERO);
    assert_eq!(relu(T::of(2.5)), T::of(2.5));
    assert!(relu(T::nan()).is_nan(), "NaN must not be hidden by the mask");
}

/// The book's mask is x ≤ 0: at exactly 0 the gradient is blocked.
fn relu_blocks_the_gradient_at_zero<T: Scalar>() {
    let mut relu_layer = Relu;
    let x: Batch<[T; 3]> = Batch::from_rows(vec![[T::ZERO, T::of(-1.0), T::of(1e-30)]]);
    let mut y = Batch::zeros(1);
    Trainable::<[T; 3]>::forward(&mut relu_layer, &x, &mut y, &mut (), &mut Training::default());
    let dy: Batch<[T; 3]> = Batch::from_rows(vec![[T::ONE; 3]]);
    let mut dx = Batch::zeros(1);
    Trainable::<[T; 3]>::backward(&mut relu_layer, &x, &y, &dy, &mut (), Some(&mut dx));
    assert_eq!(dx[0], [T::ZERO, T::ZERO, T::ONE]);
}

fn cross_entropy_labels_equal_one_hot<T: Scalar>() {
    let y: Batch<[T; 3]> = Batch::from_rows(vec![[0.1, 0.05, 0.85].map(T::of), [0.7, 0.2, 0.1].map(T::of)]);
    let labels = Labels::<3>::from_slice(&[2, 1]).unwrap();
    let by_label = cross_entropy_error(&y, &labels);
    let by_one_hot = cross_entropy_error(&y, &labels.one_hot::<T>());
    let expected = -(0.85f64.ln() + 0.2f64.ln()) / 2.0;
    assert_close(&[by_label, by_one_hot], &[T::of(expected); 2], 1e-6);
}

/// A true class with probability 0 costs −ln 1e-7, not infinity.
fn cross_entropy_of_zero_probability_is_finite<T: Scalar>() {
    let y: Batch<[T; 2]> = Batch::from_rows(vec![[T::ONE, T::ZERO]]);
    let loss = cross_entropy_error(&y, &Labels::<2>::from_slice(&[1]).unwrap());
    assert_close(&[loss], &[T::of(-(1e-7f64).ln())], 1e-4);
    assert!(loss.is_finite());
}

/// A NaN probability gives a NaN loss (the guard must not hide it).
fn cross_entropy_of_nan_is_nan<T: Scalar>() {
    let y: Batch<[T; 2]> = Batch::from_rows(vec![[T::nan(), T::ONE]]);
    assert!(cross_entropy_error(&y, &Labels::<2>::from_slice(&[0]).unwrap()).is_nan());
    assert!(cross_entropy_error(&y, &Labels::<2>::from_slice(&[0]).unwrap().one_hot::<T>()).is_nan());
}

/// The activations beyond the book's, at their pieces and edges.
fn tanh_leaky_relu_and_relu6_values<T: Scalar>() {
    let x: Batch<[T; 6]> = Batch::from_rows(vec![[-7.0, -0.5, 0.0, 0.5, 6.0, 7.5].map(T::of)]);
    let mut y = Batch::<[T; 6]>::zeros(1);
    Relu6.infer(&x, &mut y);
    assert_eq!(y[0], [0.0, 0.0, 0.0, 0.5, 6.0, 6.0].map(T::of));
    LeakyRelu::new(0.25).infer(&x, &mut y);
    assert_eq!(y[0], [-1.75, -0.125, 0.0, 0.5, 6.0, 7.5].map(T::of));
    assert_eq!(LeakyRelu::default().slope(), 0.01);
    Tanh.infer(&x, &mut y);
    let want = [-7.0f64, -0.5, 0.0, 0.5, 6.0, 7.5].map(|v| T::of(v.tanh()));
    assert_close(&y[0], &want, 1e-7);
    let nan: Batch<[T; 6]> = Batch::from_rows(vec![[T::nan(); 6]]);
    for (name, layer) in [("Relu6", 0), ("LeakyRelu", 1), ("Tanh", 2)] {
        match layer {
            0 => Relu6.infer(&nan, &mut y),
            1 => LeakyRelu::default().infer(&nan, &mut y),
            _ => Tanh.infer(&nan, &mut y),
        }
        assert!(y[0].iter().all(|v| v.is_nan()), "{name} must not hide NaN");
    }
}

for_f32_and_f64!(
    tanh_leaky_relu_and_relu6_values,
    cross_entropy_of_nan_is_nan,
    softmax_is_stable_and_sums_to_one,
    sigmoid_and_relu_edges,
    relu_blocks_the_gradient_at_zero,
    cross_entropy_labels_equal_one_hot,
    cross_entropy_of_zero_probability_is_finite,
);

#[test]
fn labels_out_of_range_are_rejected() {
    let err = Labels::<10>::from_slice(&[3u8, 9, 10, 2]).unwrap_err();
    assert_eq!((err.index, err.label, err.classes), (2, 10, 10));
    assert_eq!(
        err.to_string(),
        "label 10 at position 2 is out of range: there are 10 classes (0..=9)"
    );
    assert!(Labels::<3, Const<2>>::new([0, 3]).is_err());
    assert!(Labels::<10>::from_slice(&[-1i32]).is_err());
    assert_eq!(Labels::<3, Const<2>>::new([2, 0]).unwrap().get(0), 2);
}

#[test]
#[should_panic(expected = "cross_entropy_error: 2 rows of outputs but 1 targets")]
fn row_count_mismatch_is_reported() {
    let y: Batch<[f32; 2]> = Batch::from_rows(vec![[0.5, 0.5], [0.5, 0.5]]);
    cross_entropy_error(&y, &Labels::<2>::from_slice(&[1]).unwrap());
}

/// A negative label is reported as itself, not as a huge unsigned number.
#[test]
fn negative_labels_are_reported_as_given() {
    let err = Labels::<10>::from_slice(&[3i32, -1]).unwrap_err();
    assert_eq!((err.index, err.label), (1, -1));
    assert_eq!(
        err.to_string(),
        "label -1 at position 1 is out of range: there are 10 classes (0..=9)"
    );
}
