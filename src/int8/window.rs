//! How a filter or pooling window sits on a map: TFLite's SAME and VALID
//! padding and PyTorch's symmetric padding, with the output size computed
//! by the compiler from the size tables of [`sides`](crate::layers::conv::sides).

use core::fmt::Debug;

use crate::layers::conv::sides::{ConvSide, Side, Strided};
use crate::quant::Window2d;

/// TFLite's `SAME` padding: the output has `ceil(input / stride)` rows and
/// columns, and the zeros this needs are split with the odd one at the
/// bottom and right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Same;

/// No padding (TFLite's `VALID`): `(input − kernel) / stride + 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid;

/// `P` zeros on every side, as typenet's and PyTorch's `Conv2d` pad:
/// `(input + 2P − kernel) / stride + 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pad<const P: usize>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Same {}
    impl Sealed for super::Valid {}
    impl<const P: usize> Sealed for super::Pad<P> {}
}

/// One of the paddings: [`Same`], [`Valid`] or [`Pad<P>`].
pub trait Padding: Copy + Debug + Default + Send + Sync + 'static + sealed::Sealed {
    /// How it is written in a summary or a message: `"SAME"`, `"VALID"`,
    /// `"2"`.
    const NAME: &'static str;

    /// The kind, for comparing with a file's padding.
    const KIND: PaddingKind;

    /// The zeros before the first row (column) of a side of `size` under
    /// a window of `kernel` moved `stride` at a time, given the `out`put
    /// size the compiler worked out.
    fn before(size: usize, kernel: usize, stride: usize, out: usize) -> usize;
}

/// Which padding a layer has, at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaddingKind {
    /// TFLite's SAME.
    Same,
    /// No padding.
    Valid,
    /// This many zeros on every side.
    Symmetric(usize),
}

impl Padding for Same {
    const NAME: &'static str = "SAME";
    const KIND: PaddingKind = PaddingKind::Same;
    #[inline]
    fn before(size: usize, kernel: usize, stride: usize, out: usize) -> usize {
        // TFLite's ComputePadding: half the total, the odd zero after.
        ((out.saturating_sub(1) * stride + kernel).saturating_sub(size)) / 2
    }
}

impl Padding for Valid {
    const NAME: &'static str = "VALID";
    const KIND: PaddingKind = PaddingKind::Valid;
    #[inline]
    fn before(_: usize, _: usize, _: usize, _: usize) -> usize {
        0
    }
}

impl<const P: usize> Padding for Pad<P> {
    const NAME: &'static str = "symmetric";
    const KIND: PaddingKind = PaddingKind::Symmetric(P);
    #[inline]
    fn before(_: usize, _: usize, _: usize, _: usize) -> usize {
        P
    }
}

/// The output side of a window of `K` moved `S` at a time under padding
/// `Pd`, from the tables typenet's float convolutions use (sides up to
/// 256, kernels up to 11 or as long as the padded side, strides up to 11,
/// padding up to 5; see [`sides`](crate::layers::conv::sides)).
#[diagnostic::on_unimplemented(
    message = "typenet has no output size for a side of `{Self}` with a window of {K}, stride {S} and padding `{Pd}`",
    note = "sides up to 256, padding up to 5, kernels up to 11 (or the whole padded side) and strides up to 11 are supported; the window must fit in the (padded) side"
)]
pub trait OutSide<Pd: Padding, const K: usize, const S: usize> {
    /// The output side.
    type Out;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const NO: usize> OutSide<Valid, K, S> for Side<N>
where
    Side<N>: ConvSide<K, S, 0, Out = Side<NO>>,
{
    type Out = Side<NO>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const NO: usize> OutSide<Same, K, S> for Side<N>
where
    Side<N>: Strided<S, Out = Side<NO>>,
{
    type Out = Side<NO>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const P: usize, const NO: usize> OutSide<Pad<P>, K, S> for Side<N>
where
    Side<N>: ConvSide<K, S, P, Out = Side<NO>>,
{
    type Out = Side<NO>;
}

/// The window of a layer over an `h × w` input with a `ho × wo` output.
#[inline]
pub(crate) fn window<Pd: Padding>(
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (h, w): (usize, usize),
    (ho, wo): (usize, usize),
) -> Window2d {
    Window2d {
        filter_height: kh,
        filter_width: kw,
        stride_height: sh,
        stride_width: sw,
        dilation_height: 1,
        dilation_width: 1,
        pad_top: Pd::before(h, kh, sh, ho),
        pad_left: Pd::before(w, kw, sw, wo),
    }
}

/// A window's geometry as a loader compares it with a file's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowInfo {
    /// Kernel rows and columns.
    pub kernel: (usize, usize),
    /// Strides along rows and columns.
    pub stride: (usize, usize),
    /// The padding.
    pub padding: PaddingKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_puts_the_odd_zero_after() {
        assert_eq!(Same::before(96, 3, 2, 48), 0);
        assert_eq!(Same::before(48, 3, 1, 48), 1);
        assert_eq!(Same::before(49, 10, 2, 25), 4);
        assert_eq!(Same::before(10, 4, 2, 5), 1);
        assert_eq!(Same::before(32, 1, 2, 16), 0);
        assert_eq!(Pad::<2>::before(5, 3, 1, 7), 2);
    }
}
