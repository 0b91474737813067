//! The convolution on seeded random geometries, both backends and the
//! direct loops, forward and backward, against the reference.

use super::Window2d;
use super::tests::{check_backward, check_forward, pad};
use crate::kernels::testing::{Stream, on_each_path};

/// A convolution of random shape: kernels 1–11 on each axis, strides 1–4
/// each, images of 1–24 (so the kernel is often larger than the image),
/// padding on each side from none to past the kernel (where a whole kernel
/// row or column sees only zeros), channels 1–4 in and 1–20 out. Half of the
/// draws keep the padding below the kernel, as most layers do.
fn random_geometry(stream: &mut Stream) -> Window2d {
    loop {
        let (kh, kw) = (stream.below(1..=11), stream.below(1..=11));
        let (sh, sw) = (stream.below(1..=4), stream.below(1..=4));
        let (h, w) = (stream.below(1..=24), stream.below(1..=24));
        let reach = |k: usize, stream: &mut Stream| {
            if stream.chance(0.5) {
                stream.below(0..=k - 1)
            } else {
                stream.below(0..=k + 1)
            }
        };
        let p = pad(
            reach(kh, stream),
            reach(kh, stream),
            reach(kw, stream),
            reach(kw, stream),
        );
        let channels = (stream.below(1..=4), stream.below(1..=20));
        let g = Window2d::conv(channels, (h, w), (kh, kw), (sh, sw), p);
        // a kernel that fits the padded image, and not too much work
        if g.hp() >= kh && g.wp() >= kw && g.pixels() * g.weight_len() <= 200_000 {
            return g;
        }
    }
}

fn random_geometries_match_reference<T: crate::Scalar>(cases: u64) {
    let mut stream = Stream::new(0x00c0_ffee);
    for case in 0..cases {
        let g = random_geometry(&mut stream);
        let b = stream.below(1..=3);
        let zeros = [0.0, 0.5, 0.9][stream.below(0..=2)];
        on_each_path(|path| {
            let what = format!(
                "{path}, {} {g:?}, batch {b}, {zeros} zeros",
                core::any::type_name::<T>()
            );
            check_forward::<T>(&what, &g, b, case * 3, zeros);
            check_backward::<T>(&what, &g, b, case * 3 + 1, zeros);
        });
    }
}

#[test]
fn random_geometries_match_reference_f32() {
    random_geometries_match_reference::<f32>(250);
}

#[test]
fn random_geometries_match_reference_f64() {
    random_geometries_match_reference::<f64>(120);
}
