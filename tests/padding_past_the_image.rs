//! A convolution whose padding reaches past the image on a side (a 7×7
//! kernel with padding 3 on a 2×2 image, 5×5 with padding 2 on a width of 1,
//! 11×11 with stride 2 and padding 5 on 11×1) compiles, the size tables
//! accept it, and it computes what its definition says: a kernel tap that
//! never lands inside the image reads zeros. Its output, `predict`,
//! `classify` and the gradients of a net around it are checked, with
//! strides 1 and 2, on whatever kernels this CPU runs.

use typenet::prelude::*;
use typenet::{Scalar, gradient_check};

/// Weight (o, 0, i, j) of the test convolutions: every tap different.
fn weight<T: Scalar>(o: usize, i: usize, j: usize, k: usize) -> T {
    T::of(((o * 7 + i * k + j) % 11) as f64 / 10.0 - 0.5)
}

/// Pixel (i, j) of the test images, never zero.
fn pixel<T: Scalar>(i: usize, j: usize) -> T {
    T::of(((i * 5 + j * 3) % 7) as f64 / 7.0 + 0.1)
}

/// Filter `o`'s output at (oh, ow) from the definition, in f64: the bias
/// plus the taps that land inside the `h by w` image.
fn definition(o: usize, (oh, ow): (usize, usize), (h, w): (usize, usize), k: usize, s: usize, p: usize) -> f64 {
    let mut sum = o as f64 * 0.25;
    for i in 0..k {
        for j in 0..k {
            let (ih, iw) = ((oh * s + i).checked_sub(p), (ow * s + j).checked_sub(p));
            if let (Some(ih), Some(iw)) = (ih.filter(|&ih| ih < h), iw.filter(|&iw| iw < w)) {
                sum += weight::<f64>(o, i, j, k) * pixel::<f64>(ih, iw);
            }
        }
    }
    sum
}

macro_rules! padding_past_the_image {
    ($name:ident: $t:ty, $h:literal by $w:literal, kernel $k:literal, stride $s:literal, padding $p:literal
     gives $ho:literal by $wo:literal) => {
        #[test]
        fn $name() {
            let conv = Conv2d::<$t, 1, 2, $k, $s, $p>::from_fn(|o, _, i, j| weight(o, i, j, $k), |o| o as $t * 0.25);
            let x = Image::<$t, 1, $h, $w>([core::array::from_fn(|i| core::array::from_fn(|j| pixel(i, j)))]);
            let mut y: Batch<Image<$t, 2, $ho, $wo>> = Batch::zeros(1);
            conv.infer(&Batch::from_rows(vec![x]), &mut y);
            for (o, plane) in y[0].0.iter().enumerate() {
                for (oh, row) in plane.iter().enumerate() {
                    for (ow, &got) in row.iter().enumerate() {
                        let want = definition(o, (oh, ow), ($h, $w), $k, $s, $p);
                        let tol = 1e-5 * (1.0 + want.abs());
                        assert!(
                            (got as f64 - want).abs() <= tol,
                            "output ({o}, {oh}, {ow}): {got} vs {want}"
                        );
                    }
                }
            }

            let mut net = Input::<Image<$t, 1, $h, $w>>::new()
                .then(conv)
                .then(Affine::<_, 3>::from_fn(
                    |i, j| <$t>::of(((i + 2 * j) % 5) as f64 / 4.0 - 0.5),
                    |_| 0.0,
                ))
                .then(SoftmaxWithLoss);
            let batch = Batch::from_rows(vec![x, x]);
            let scores = net.predict(&batch).expect("finite input");
            assert!(scores.rows().iter().flatten().all(|v| v.is_finite()));
            assert!(net.classify(&x).expect("finite input") < 3);
            let t = Labels::<3>::from_slice(&[0, 2]).expect("labels below 3");
            assert!(net.gradient(&batch, &t).expect("rows match").is_finite());
            if size_of::<$t>() == 8 {
                // the taps that see only padding have a zero numerical
                // gradient, so back-propagation must give them zero too
                for d in gradient_check(&mut net, &batch, &t).expect("rows match") {
                    assert!(d.mean_abs_gradient > 0.0, "{d:?}: a zero gradient checks nothing");
                    assert!(d.max_abs <= 1e-7, "{d:?}");
                }
            }
        }
    };
}

padding_past_the_image!(kernel_7_padding_3_on_2x2: f64, 2 by 2, kernel 7, stride 1, padding 3 gives 2 by 2);
padding_past_the_image!(kernel_7_padding_3_on_2x2_f32: f32, 2 by 2, kernel 7, stride 1, padding 3 gives 2 by 2);
padding_past_the_image!(kernel_5_padding_2_on_width_1: f64, 6 by 1, kernel 5, stride 1, padding 2 gives 6 by 1);
padding_past_the_image!(kernel_11_stride_2_padding_5_on_11x1: f64, 11 by 1, kernel 11, stride 2, padding 5 gives 6 by 1);
padding_past_the_image!(kernel_11_stride_2_padding_5_on_11x1_f32: f32, 11 by 1, kernel 11, stride 2, padding 5 gives 6 by 1);
padding_past_the_image!(kernel_5_stride_2_padding_3_on_1x1: f64, 1 by 1, kernel 5, stride 2, padding 3 gives 2 by 2);
