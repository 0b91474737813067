//! The shape of a window slid over an image: what convolution and pooling
//! (and depthwise convolution, average pooling, …) share.
//!
//! Layout: images `C × H × W` (channel, row, column; PyTorch's NCHW), one
//! after another in a batch. A window of `KH × KW` pixels moves `SH` rows and
//! `SW` columns at a time over the image with `top`, `bottom`, `left` and
//! `right` pixels of padding added (TFLite's SAME padding puts the odd pixel
//! at the bottom and right, so the four are separate). Each axis on its own
//! is an [`Axis`], which holds the output-size formula and the index ranges
//! every kernel clips its loops to.

use core::ops::Range;

/// Pixels added on each side of an image before a window slides over it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Padding {
    /// Rows above the image.
    pub(crate) top: usize,
    /// Rows below it.
    pub(crate) bottom: usize,
    /// Columns left of it.
    pub(crate) left: usize,
    /// Columns right of it.
    pub(crate) right: usize,
}

impl Padding {
    /// No padding.
    pub(crate) const ZERO: Padding = Padding::uniform(0);

    /// `p` pixels on every side (PyTorch's `padding=p`).
    pub(crate) const fn uniform(p: usize) -> Padding {
        Padding {
            top: p,
            bottom: p,
            left: p,
            right: p,
        }
    }

    /// TFLite's SAME padding for an `h × w` image, a `kh × kw` window and
    /// strides `sh × sw`: just enough that the output has `⌈side / stride⌉`
    /// positions, split evenly with the odd pixel at the bottom or right.
    #[cfg_attr(not(test), allow(dead_code))] // for the layers that import TFLite models
    pub(crate) const fn same((h, w): (usize, usize), (kh, kw): (usize, usize), (sh, sw): (usize, usize)) -> Padding {
        const fn total(n: usize, k: usize, s: usize) -> usize {
            ((n.div_ceil(s) - 1) * s + k).saturating_sub(n)
        }
        let (rows, cols) = (total(h, kh, sh), total(w, kw, sw));
        Padding {
            top: rows / 2,
            bottom: rows - rows / 2,
            left: cols / 2,
            right: cols - cols / 2,
        }
    }
}

/// One axis of a window: an input side `n`, a kernel (window) of `k`
/// pixels moved `s` at a time, and `before` and `after` pixels of padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Axis {
    /// Input pixels along the axis.
    pub(crate) n: usize,
    /// Kernel or window pixels.
    pub(crate) k: usize,
    /// Step between neighbouring outputs.
    pub(crate) s: usize,
    /// Padding before the first pixel (top or left).
    pub(crate) before: usize,
    /// Padding after the last pixel (bottom or right).
    pub(crate) after: usize,
}

impl Axis {
    /// Pixels after padding: `n + before + after`.
    pub(crate) const fn padded(&self) -> usize {
        self.n + self.before + self.after
    }

    /// Output positions: `(n + before + after − k) / s + 1`, a last partial
    /// window dropped (PyTorch's and TFLite's rule). The formula, once;
    /// [`Window2d::check`] makes sure it does not underflow.
    pub(crate) const fn out(&self) -> usize {
        (self.padded() - self.k) / self.s + 1
    }

    /// The outputs `o` whose tap `d` (`0..k`) lands inside the image: input
    /// `o·s + d − before` in `0..n`. Empty when the tap sees only padding.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))] // the column matrix's
    pub(crate) fn outputs_seeing(&self, d: usize) -> Range<usize> {
        // o·s + d ≥ before ⇔ o ≥ ⌈(before − d) / s⌉
        let lo = self.before.saturating_sub(d).div_ceil(self.s);
        // o·s + d < n + before ⇔ o ≤ (n + before − d − 1) / s
        let hi = match (self.n + self.before).checked_sub(d + 1) {
            Some(last) => (last / self.s + 1).min(self.out()),
            None => 0,
        };
        lo.min(hi)..hi
    }

    /// The taps `d` of output `o` that land inside the image, and the input
    /// pixel the first of them sees: `(taps, first input)`.
    pub(crate) fn taps_inside(&self, o: usize) -> (Range<usize>, usize) {
        let start = o * self.s; // in padded coordinates
        let lo = self.before.saturating_sub(start);
        let hi = self.k.min((self.n + self.before).saturating_sub(start));
        let lo = lo.min(hi);
        (lo..hi, (start + lo).saturating_sub(self.before))
    }

    /// The outputs whose whole window is inside the image (no tap in the
    /// padding); empty if there are none.
    #[cfg_attr(all(feature = "alloc", not(test)), allow(dead_code))] // the direct convolution's
    pub(crate) fn interior(&self) -> Range<usize> {
        let lo = self.before.div_ceil(self.s);
        let hi = match (self.n + self.before).checked_sub(self.k) {
            Some(last) => (last / self.s + 1).min(self.out()),
            None => 0,
        };
        lo.min(hi)..hi
    }
}

/// A window slid over `cin` planes of `h × w`: the shape of a convolution
/// (`cout` filters of `cin × kh × kw`) or of a pooling (`cout == cin`, one
/// window per plane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window2d {
    /// Input channels (planes per image).
    pub(crate) cin: usize,
    /// Output channels: a convolution's filters, a pooling's `cin`.
    pub(crate) cout: usize,
    /// Input rows.
    pub(crate) h: usize,
    /// Input columns.
    pub(crate) w: usize,
    /// Window rows.
    pub(crate) kh: usize,
    /// Window columns.
    pub(crate) kw: usize,
    /// Step between neighbouring output rows, in input rows.
    pub(crate) sh: usize,
    /// Step between neighbouring output columns, in input columns.
    pub(crate) sw: usize,
    /// Zeros (for a convolution) or nothing (for max pooling: padding is
    /// never the maximum) around each plane.
    pub(crate) pad: Padding,
}

impl Window2d {
    /// A convolution of `cout` filters over `cin × h × w` images.
    pub(crate) const fn conv(
        (cin, cout): (usize, usize),
        (h, w): (usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        pad: Padding,
    ) -> Window2d {
        Window2d {
            cin,
            cout,
            h,
            w,
            kh,
            kw,
            sh,
            sw,
            pad,
        }
    }

    /// A pooling of `c` planes of `h × w`, each on its own.
    pub(crate) const fn pool(
        c: usize,
        (h, w): (usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        pad: Padding,
    ) -> Window2d {
        Window2d::conv((c, c), (h, w), (kh, kw), (sh, sw), pad)
    }

    /// The vertical axis.
    pub(crate) const fn rows(&self) -> Axis {
        Axis {
            n: self.h,
            k: self.kh,
            s: self.sh,
            before: self.pad.top,
            after: self.pad.bottom,
        }
    }

    /// The horizontal axis.
    pub(crate) const fn cols(&self) -> Axis {
        Axis {
            n: self.w,
            k: self.kw,
            s: self.sw,
            before: self.pad.left,
            after: self.pad.right,
        }
    }

    /// Output rows.
    pub(crate) const fn ho(&self) -> usize {
        self.rows().out()
    }

    /// Output columns.
    pub(crate) const fn wo(&self) -> usize {
        self.cols().out()
    }

    /// Rows after padding.
    pub(crate) const fn hp(&self) -> usize {
        self.rows().padded()
    }

    /// Columns after padding.
    pub(crate) const fn wp(&self) -> usize {
        self.cols().padded()
    }

    /// Output pixels per channel: `HO·WO`.
    pub(crate) const fn pixels(&self) -> usize {
        self.ho() * self.wo()
    }

    /// Values per input image: `CIN·H·W`.
    pub(crate) const fn in_len(&self) -> usize {
        self.cin * self.h * self.w
    }

    /// Values per output image: `COUT·HO·WO`.
    pub(crate) const fn out_len(&self) -> usize {
        self.cout * self.pixels()
    }

    /// Weights of one convolution filter, the rows of its column matrix:
    /// `CIN·KH·KW`.
    pub(crate) const fn taps(&self) -> usize {
        self.cin * self.kh * self.kw
    }

    /// Weights of a convolution: `COUT·CIN·KH·KW`.
    pub(crate) const fn weight_len(&self) -> usize {
        self.cout * self.taps()
    }

    /// Panics unless the window has at least one output: a zero size,
    /// kernel or stride, or a kernel larger than the padded image, is a
    /// caller's bug and would make the output size underflow. Padding may
    /// reach past the image: taps that never land inside it see zeros.
    pub(crate) fn check(&self) {
        assert!(
            self.cin > 0 && self.cout > 0 && self.h > 0 && self.w > 0,
            "window over no channels or no pixels: {self:?}"
        );
        assert!(
            self.kh > 0 && self.kw > 0 && self.sh > 0 && self.sw > 0,
            "window and stride must be positive: {self:?}"
        );
        assert!(
            self.hp() >= self.kh && self.wp() >= self.kw,
            "kernel larger than the padded image: {self:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(n: usize, k: usize, s: usize, before: usize, after: usize) -> Axis {
        Axis { n, k, s, before, after }
    }

    /// Every range against its definition, on axes where the padding
    /// reaches past the image, strides skip pixels, and windows overlap.
    #[test]
    fn ranges_match_their_definitions() {
        for n in 1..7 {
            for k in 1..9 {
                for s in 1..5 {
                    for before in 0..k + 2 {
                        for after in 0..k + 2 {
                            let a = axis(n, k, s, before, after);
                            if a.padded() < k {
                                continue;
                            }
                            let inside = |o: usize, d: usize| (o * s + d).checked_sub(before).is_some_and(|i| i < n);
                            for d in 0..k {
                                let want: Vec<usize> = (0..a.out()).filter(|&o| inside(o, d)).collect();
                                let got: Vec<usize> = a.outputs_seeing(d).collect();
                                assert_eq!(got, want, "{a:?}, tap {d}");
                            }
                            for o in 0..a.out() {
                                let (taps, first) = a.taps_inside(o);
                                let want: Vec<usize> = (0..k).filter(|&d| inside(o, d)).collect();
                                assert_eq!(taps.clone().collect::<Vec<_>>(), want, "{a:?}, output {o}");
                                if let Some(&d) = want.first() {
                                    assert_eq!(first, o * s + d - before, "{a:?}, output {o}");
                                }
                            }
                            let want: Vec<usize> = (0..a.out()).filter(|&o| (0..k).all(|d| inside(o, d))).collect();
                            assert_eq!(a.interior().collect::<Vec<_>>(), want, "{a:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn output_size() {
        let g = Window2d::conv((1, 30), (28, 28), (5, 5), (1, 1), Padding::ZERO);
        assert_eq!((g.ho(), g.wo(), g.taps(), g.out_len()), (24, 24, 25, 30 * 24 * 24));
        let g = Window2d::conv((3, 2), (7, 10), (3, 3), (2, 2), Padding::uniform(1));
        assert_eq!((g.ho(), g.wo()), (4, 5));
        // non-square, independent strides, asymmetric padding
        let pad = Padding {
            top: 0,
            bottom: 2,
            left: 1,
            right: 0,
        };
        let g = Window2d::conv((1, 1), (9, 8), (3, 2), (2, 3), pad);
        assert_eq!((g.hp(), g.wp(), g.ho(), g.wo()), (11, 9, 5, 3));
        assert_eq!(Window2d::pool(4, (25, 25), (5, 5), (5, 5), Padding::ZERO).ho(), 5);
    }

    /// TFLite's SAME: `⌈n / s⌉` outputs, the odd padding pixel after.
    #[test]
    fn same_padding_is_tflites() {
        let p = Padding::same((5, 6), (2, 3), (1, 2));
        assert_eq!(
            p,
            Padding {
                top: 0,
                bottom: 1,
                left: 0,
                right: 1
            }
        );
        for n in 1..20 {
            for k in 1..6 {
                for s in 1..4 {
                    let p = Padding::same((n, n), (k, k), (s, s));
                    let g = Window2d::conv((1, 1), (n, n), (k, k), (s, s), p);
                    assert_eq!(g.ho(), n.div_ceil(s), "n {n}, k {k}, s {s}");
                    assert!(p.bottom == p.top || p.bottom == p.top + 1);
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "kernel larger")]
    fn kernel_larger_than_padded_image_panics() {
        Window2d::conv((1, 1), (2, 2), (5, 5), (1, 1), Padding::uniform(1)).check();
    }
}
