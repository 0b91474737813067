//! Nets at the limits of the size tables (src/layers/conv/sides.rs):
//! pooling windows whose default stride is the window, an 11 × 11 kernel
//! at stride 11, sides of 256, a global pool wider than any table, and
//! rows and columns of different sizes, kernels and strides. Each output
//! side the compiler worked out is compared with `(n + 2p − k) / s + 1`,
//! and each output with a direct computation.

mod common;

use common::{rng, uniform_batch};
use typenet::int8::{self, Pad, Padding, Valid};
use typenet::layers::conv::sides::{ConvSide, MAX_KERNEL, MAX_PADDING, MAX_SIDE, MAX_STRIDE, Side};
use typenet::prelude::*;
use typenet::{Const, Element, Rows};

/// The output side of a window of `k` moved `s` at a time over `n` padded
/// by `p` on each end.
fn side(n: usize, k: usize, s: usize, p: usize) -> usize {
    (n + 2 * p - k) / s + 1
}

/// Channels, rows and columns of a batch of images, as its type has them.
fn dims<T: Element, const C: usize, const H: usize, const W: usize, R: Rows>(
    _: &Batch<Image<T, C, H, W>, R>,
) -> (usize, usize, usize) {
    (C, H, W)
}

/// `(rows, columns)` of the output as the compiler works it out.
fn conv_side<const N: usize, const K: usize, const S: usize, const P: usize, const O: usize>() -> usize
where
    Side<N>: ConvSide<K, S, P, Out = Side<O>>,
{
    O
}

/// Every stride from 1 to 11 and every kernel from 1 to 11 at the table's
/// ends and in between, with and without padding, against the formula.
#[test]
fn every_stride_and_kernel_gives_the_formula() {
    macro_rules! check {
        ($(($n:literal, $k:literal, $s:literal, $p:literal)),* $(,)?) => {
            $(assert_eq!(conv_side::<$n, $k, $s, $p, _>(), side($n, $k, $s, $p), "n {} k {} s {} p {}", $n, $k, $s, $p);)*
        };
    }
    check!(
        (256, 1, 1, 0),
        (256, 1, 2, 0),
        (256, 2, 3, 0),
        (256, 3, 4, 1),
        (256, 5, 5, 2),
        (256, 6, 6, 0),
        (256, 7, 7, 3),
        (256, 8, 8, 0),
        (256, 9, 9, 4),
        (256, 10, 10, 5),
        (256, 11, 11, 5),
        (256, 11, 11, 0),
        (255, 11, 8, 1),
        (254, 4, 9, 5),
        (253, 11, 10, 3),
        (252, 7, 6, 2),
        (251, 3, 4, 5),
        (1, 1, 11, 0),
        (1, 3, 11, 1),
        (2, 2, 4, 0),
        (11, 11, 1, 0),
        (11, 11, 7, 0),
        (12, 11, 11, 0),
        (22, 11, 11, 0),
        (23, 11, 11, 0),
        (1, 11, 2, 5),
        (100, 11, 6, 0),
        (101, 9, 8, 4),
        (97, 5, 10, 0),
        (64, 2, 2, 0),
    );
    // a window as long as the padded side, beyond any table
    check!(
        (300, 300, 1, 0),
        (300, 300, 300, 0),
        (1000, 1000, 77, 0),
        (256, 266, 3, 5)
    );
    assert_eq!((MAX_SIDE, MAX_PADDING, MAX_KERNEL, MAX_STRIDE), (256, 5, 11, 11));
}

/// `MaxPool2d::<5>` moves its window 5 at a time, beyond the strides the
/// tables once had: a 25 × 25 map pools to 5 × 5, each output the largest
/// of its block, and a net of it predicts and trains.
#[test]
fn a_five_by_five_pool_on_25_by_25() {
    let mut g = rng(5);
    let x = uniform_batch::<Image<f32, 1, 25, 25>>(3, -1.0, 1.0, &mut g);
    let mut y = Batch::zeros(0);
    MaxPool2d::<5>.infer(&x, &mut y);
    assert_eq!(dims(&y), (1, side(25, 5, 5, 0), side(25, 5, 5, 0)));
    for n in 0..3 {
        for (i, j) in (0..5).flat_map(|i| (0..5).map(move |j| (i, j))) {
            let block = (0..25).map(|t| x[n].0[0][5 * i + t / 5][5 * j + t % 5]);
            assert_eq!(y[n].0[0][i][j], block.fold(f32::MIN, f32::max), "image {n} ({i}, {j})");
        }
    }

    let mut net = Input::<Image<f32, 1, 25, 25>>::new()
        .then(Conv2d::<f32, 1, 2, 3, 1, 1>::init(Init::He, &mut g))
        .then(Relu)
        .then(MaxPool2d::<5>)
        .then(Affine::<Image<f32, 2, 5, 5>, 3>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let t = Labels::<3>::from_slice(&[0, 1, 2]).unwrap();
    let scores = net.predict(&x).unwrap();
    assert_eq!(scores.nrows(), 3);
    assert!(scores.is_finite());
    let before = net.loss(&x, &t).unwrap();
    let gradient_loss = net.gradient(&x, &t).unwrap();
    assert_eq!(gradient_loss, before);
    Sgd::new(0.05).step(&mut net).unwrap();
    let after = net.loss(&x, &t).unwrap();
    assert!(after < before, "a gradient step raised the loss: {before} → {after}");
}

/// An 11 × 11 kernel at stride 11 over 35 × 24 (three by two positions),
/// each output the filter's sum over its block plus the bias.
#[test]
fn an_eleven_kernel_at_stride_eleven() {
    let conv = Conv2d::<f32, 2, 1, 11, 11, 0>::from_fn(|_, c, i, j| (c * 121 + i * 11 + j) as f32 / 242.0, |_| 0.5);
    let x = uniform_batch::<Image<f32, 2, 35, 24>>(2, -1.0, 1.0, &mut rng(11));
    let mut y = Batch::zeros(0);
    conv.infer(&x, &mut y);
    assert_eq!(dims(&y), (1, side(35, 11, 11, 0), side(24, 11, 11, 0)));
    assert_eq!(dims(&y), (1, 3, 2));
    for n in 0..2 {
        for (r, c) in [(0, 0), (1, 1), (2, 0), (2, 1)] {
            let mut want = 0.5f64;
            for (ch, i, j) in (0..2).flat_map(|ch| (0..11).flat_map(move |i| (0..11).map(move |j| (ch, i, j)))) {
                let w = (ch * 121 + i * 11 + j) as f64 / 242.0;
                want += w * f64::from(x[n].0[ch][11 * r + i][11 * c + j]);
            }
            let got = f64::from(y[n].0[0][r][c]);
            assert!((got - want).abs() < 1e-4, "image {n} ({r}, {c}): {got} vs {want}");
        }
    }
}

/// Sides of 256, the largest the tables take, through every step of a net:
/// an 11 × 11 kernel at stride 11 with padding 5 ((256 + 10 − 11) / 11 + 1
/// = 24) and a pool at stride 3, and the whole net trains.
#[test]
fn sides_of_256() {
    let mut g = rng(256);
    let mut net = Input::<Image<f32, 1, 256, 256>>::new()
        .then(Conv2d::<f32, 1, 2, 11, 11, 5>::init(Init::He, &mut g))
        .then(Relu)
        .then(MaxPool2d::<3, 3>)
        .then(Affine::<Image<f32, 2, 8, 8>, 2>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    assert_eq!(side(side(256, 11, 11, 5), 3, 3, 0), 8);
    let x = uniform_batch::<Image<f32, 1, 256, 256>>(2, 0.0, 1.0, &mut g);
    let t = Labels::<2>::from_slice(&[0, 1]).unwrap();
    let before = net.gradient(&x, &t).unwrap();
    Sgd::new(0.05).step(&mut net).unwrap();
    let after = net.loss(&x, &t).unwrap();
    assert!(after < before, "a gradient step raised the loss: {before} → {after}");

    let mut y = Batch::zeros(0);
    Conv2d::<f32, 1, 1, 3, 1, 1>::init(Init::He, &mut g).infer(&x, &mut y);
    assert_eq!(dims(&y), (1, 256, 256));
}

/// A pool over the whole map has one position, so it takes any size and
/// stride: 300 × 300, past the tables, pools to its largest value.
#[test]
fn a_global_pool_of_any_size() {
    let mut x = Batch::<Image<f32, 1, 300, 300>>::zeros(1);
    x.as_mut_slice()[300 * 211 + 17] = 3.0;
    let mut y = Batch::zeros(0);
    MaxPool2d::<300>.infer(&x, &mut y);
    assert_eq!(dims(&y), (1, 1, 1));
    assert_eq!(y[0].0, [[[3.0]]]);
}

/// Rows and columns of different sizes, through kernels moved different
/// strides along them (a 5 × 5 kernel at stride 3 with padding 2 over
/// 17 × 40, then a 3-wide pool at stride 2): 6 × 14, then 2 × 6; and the
/// net trains.
#[test]
fn rows_and_columns_apart() {
    let mut g = rng(17);
    let mut net = Input::<Image<f32, 2, 17, 40>>::new()
        .then(Conv2d::<f32, 2, 3, 5, 3, 2>::init(Init::He, &mut g))
        .then(Relu)
        .then(MaxPool2d::<3, 2>)
        .then(Affine::<Image<f32, 3, 2, 6>, 2>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    assert_eq!((side(17, 5, 3, 2), side(40, 5, 3, 2)), (6, 14));
    assert_eq!((side(6, 3, 2, 0), side(14, 3, 2, 0)), (2, 6));
    let x = uniform_batch::<Image<f32, 2, 17, 40>>(2, -1.0, 1.0, &mut g);
    let t = Labels::<2>::from_slice(&[1, 0]).unwrap();
    let before = net.gradient(&x, &t).unwrap();
    Sgd::new(0.05).step(&mut net).unwrap();
    let after = net.loss(&x, &t).unwrap();
    assert!(after < before, "a gradient step raised the loss: {before} → {after}");

    let mut y = Batch::zeros(0);
    Conv2d::<f32, 2, 1, 5, 3, 2>::init(Init::He, &mut g).infer(&x, &mut y);
    assert_eq!(dims(&y), (1, 6, 14));
}

/// An int8 convolution with a 3-row by 5-column filter of ones, moved 2
/// rows and 3 columns at a time, equals the window sums of a direct loop
/// (zero points 0, the multiplier 1): `Pd` padding zeros on each end.
fn int8_window_sums<Pd: Padding, const H: usize, const W: usize, const HO: usize, const WO: usize>(p: usize)
where
    int8::Conv2d<1, 1, 3, 5, 2, 3, Pd>: Layer<Image<i8, 1, H, W>, Out = Image<i8, 1, HO, WO>>,
    int8::Conv2d<1, 1, 3, 5, 2, 3, Pd, Frozen>: Layer<Image<i8, 1, H, W>, Out = Image<i8, 1, HO, WO>>,
{
    assert_eq!((HO, WO), (side(H, 3, 2, p), side(W, 5, 3, p)));
    let conv = int8::Conv2d::<1, 1, 3, 5, 2, 3, Pd, Frozen>::frozen(
        [[[[1; 5]; 3]; 1]; 1],
        [0],
        [1.0],
        [1.0, 1.0],
        [0, 0],
        [-128, 127],
        [1 << 30],
        [1],
    );
    let mut image = Image::<i8, 1, H, W>::ZERO;
    for (r, row) in image.0[0].iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = ((r * 7 + c * 3) % 9) as i8 - 4;
        }
    }
    let x = Batch::<_, Const<1>>::new([image]);
    let mut y: Batch<Image<i8, 1, HO, WO>, Const<1>> = Batch::default();
    conv.infer(&x, &mut y);
    let at = |r: isize, c: isize| {
        let inside = (0..H as isize).contains(&r) && (0..W as isize).contains(&c);
        if inside {
            i32::from(image.0[0][r as usize][c as usize])
        } else {
            0
        }
    };
    for (i, row) in y[0].0[0].iter().enumerate() {
        for (j, &got) in row.iter().enumerate() {
            let (r0, c0) = ((2 * i) as isize - p as isize, (3 * j) as isize - p as isize);
            let want: i32 = (0..3)
                .flat_map(|di| (0..5).map(move |dj| (di, dj)))
                .map(|(di, dj)| at(r0 + di, c0 + dj))
                .sum();
            assert_eq!(i32::from(got), want, "output ({i}, {j})");
        }
    }
}

#[test]
fn int8_conv_with_rows_and_columns_apart() {
    int8_window_sums::<Valid, 13, 23, 6, 7>(0);
    int8_window_sums::<Pad<2>, 13, 23, 8, 8>(2);
    // the zero-weight layer sizes the same
    let mut y = Batch::<_, Const<1>>::default();
    int8::Conv2d::<1, 4, 3, 5, 2, 3>::zeros().infer(&Batch::<Image<i8, 1, 13, 23>, Const<1>>::default(), &mut y);
    assert_eq!(dims(&y), (4, 6, 7));
}
