//! Sizes the compiler computes: a convolution's or pooling's output side
//! from its input side, kernel, stride and padding, on stable Rust.
//!
//! Stable Rust cannot write `{H - K + 1}` in a type, so each side is a
//! type, [`Side<N>`], and arithmetic is a lookup: the traits below map a
//! side to another through an associated type, and a layer's impl binds
//! them in its where-clause (`Side<H>: ConvSide<K, S, P, Out = Side<HO>>`),
//! which lets rustc infer `HO` and report a wrong size as a type mismatch
//! under `cargo check`. Three small steps compose into any output size:
//! padding `HP = H + 2P` (P steps of [`Next`] each side), the valid
//! positions `HV = HP − K + 1` (K − 1 steps of [`Prev`]) and the stride
//! `HO = (HV − 1) / S + 1` (the [`Strided`] table). Rows and columns are
//! separate sides, so a layer may have different kernels, strides and
//! sizes along them.
//!
//! # Limits
//!
//! Each operation takes, along each of rows and columns:
//!
//! - sides from 1 to [`MAX_SIDE`] (256);
//! - padding from 0 to [`MAX_PADDING`] (5) zeros on each end, enough for
//!   an 11 × 11 kernel to keep the side ("same" padding);
//! - any kernel or pooling window from 1 to [`MAX_KERNEL`] (11) that fits
//!   in the padded side, and a window as long as the whole padded side
//!   (a global pool) whatever that length;
//! - strides from 1 to [`MAX_STRIDE`] (11), as large as the largest
//!   kernel, whatever the kernel (a 1 × 1 convolution of stride 2 is a
//!   common shortcut); where the window has one position (a global pool),
//!   any stride.
//!
//! Anything outside is a compile error naming these limits.
//!
//! # How the tables are made, and what they cost
//!
//! The impls are written by the crate's build script (`build.rs`) from
//! those four limits into `OUT_DIR` and included here: [`Next`] and
//! [`Prev`] over every padded side (265 impls each), one generic impl per
//! padding and per kernel (chains of `Next` and `Prev`), a table of
//! [`Strided`] for each prime stride (2, 3, 5, 7 and 11; 265 impls each)
//! and one generic impl per composite stride, which strides by its
//! factors in turn (`⌊⌊x / q⌋ / p⌋ = ⌊x / pq⌋`). A table for every stride
//! from 2 to 11 would be 2,650 impls instead of 1,325.
//!
//! Measured on a 2-core machine shared with another build (rustc 1.95,
//! CPU seconds of three runs each; "before" is the hand-listed tables of
//! strides up to 4, checked by constant assertions), the difference is
//! within the noise:
//!
//! | command, after `touch src/lib.rs` | now | before |
//! | --- | --- | --- |
//! | `cargo check -p typenet --lib` | 1.13–1.24 | 1.09–1.17 |
//! | the same, `CARGO_INCREMENTAL=0` | 3.02–3.53 | 3.58–3.68 |
//! | `cargo build --test conv_relu_pool` | 1.42–1.64 | 1.47–1.62 |
//! | the same, `CARGO_INCREMENTAL=0` | 20.9–22.8 | 21.7–22.5 |
//!
//! This module alone in a crate (`cargo check`, rustc's `-Z time-passes`)
//! takes 0.33–0.37 s, against 0.76–0.93 s before (0.5–0.7 s of which were
//! the assertions) and 0.51–0.62 s with one table per stride; 1,225
//! `ConvSide` queries in a crate using it take 0.27–0.30 s of its check
//! (0.30–0.32 s with one table per stride, 0.21–0.27 s before, strides up
//! to 4 only). The build script compiles in 0.3 s, on a clean build.

/// A side length (rows or columns of an image) as a type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Side<const N: usize>;

/// The side one longer.
#[diagnostic::on_unimplemented(
    message = "typenet's size tables end at a padded side of 266: `{Self}` is too long",
    note = "convolutions and pooling take sides up to 256, with padding up to 5"
)]
pub trait Next {
    /// `Side<N + 1>`.
    type Out;
}

/// The side one shorter (never 0).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no side one shorter in typenet's size tables",
    note = "sides from 1 to 266 after padding are supported"
)]
pub trait Prev {
    /// `Side<N - 1>`.
    type Out;
}

/// Every `S`-th of the valid positions of a side: `(N − 1) / S + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet has no stride-{S} size for `{Self}`",
    note = "strides 1 to 11 are supported, on sides up to 266 after padding; a single position takes any stride"
)]
pub trait Strided<const S: usize> {
    /// `Side<(N - 1) / S + 1>`.
    type Out;
}

/// A side after padding `P` on both ends: `N + 2P`.
#[diagnostic::on_unimplemented(
    message = "typenet has no padding-{P} size for `{Self}`",
    note = "padding 0 to 5 is supported, on sides up to 256"
)]
pub trait Padded<const P: usize> {
    /// `Side<N + 2P>`.
    type Out;
}

/// The positions a kernel of side `K` fits in a side: `N − K + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet cannot fit a kernel or window of {K} in a side of `{Self}`",
    label = "the kernel or window of this layer",
    note = "a kernel must be no larger than the (padded) image it slides over",
    note = "sides up to 256 (266 after padding) and kernels or windows up to 11, or as long as the whole side, are supported"
)]
pub trait Fits<const K: usize> {
    /// `Side<N − K + 1>`.
    type Out;
}

/// The output side of a convolution or pooling with kernel `K`, stride `S`
/// and padding `P`: `(N + 2P − K) / S + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet has no output size for a side of `{Self}` with kernel {K}, stride {S} and padding {P}",
    note = "the kernel must fit in the padded side; sides up to 256, padding up to 5, kernels up to 11 (or the whole padded side) and strides up to 11 are supported"
)]
pub trait ConvSide<const K: usize, const S: usize, const P: usize> {
    /// The output side.
    type Out;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const P: usize, const NP: usize, const NV: usize, const NO: usize>
    ConvSide<K, S, P> for Side<N>
where
    Side<N>: Padded<P, Out = Side<NP>>,
    Side<NP>: Fits<K, Out = Side<NV>>,
    Side<NV>: Strided<S, Out = Side<NO>>,
{
    type Out = Side<NO>;
}

impl<const N: usize> Padded<0> for Side<N> {
    type Out = Side<N>;
}

/// A window as long as the side has one position, whatever the length:
/// what a global pool needs, with no table. The generated impls for
/// shorter kernels require one more `Prev` step than this needs, which
/// keeps them apart from it.
impl<const N: usize> Fits<N> for Side<N> {
    type Out = Side<1>;
}

/// One position stays one under any stride. The generated impls for
/// longer sides require a `Prev` step, which keeps them apart from it.
impl<const S: usize> Strided<S> for Side<1> {
    type Out = Side<1>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize> Strided<1> for Side<N>
where
    Side<N>: Prev,
{
    type Out = Side<N>;
}

include!(concat!(env!("OUT_DIR"), "/sides.rs"));
