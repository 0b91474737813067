//! Feature-map sizes and sliding windows, with TFLite's SAME and VALID
//! padding.

use super::QuantError;

/// One image in NHWC order without the batch: `height × width × channels`
/// values, channels fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureMap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Values per pixel.
    pub channels: usize,
}

impl FeatureMap {
    /// A map of `height × width × channels`.
    pub const fn new(height: usize, width: usize, channels: usize) -> Self {
        Self {
            height,
            width,
            channels,
        }
    }

    /// The number of values, or an error if it overflows.
    pub fn values(&self) -> Result<usize, QuantError> {
        super::error::product(&[self.height, self.width, self.channels])
    }
}

/// TFLite's two paddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Output size `ceil(input / stride)`; the zeros needed split with the
    /// odd one at the bottom and right.
    Same,
    /// No padding: output size `ceil((input − effective filter + 1) /
    /// stride)`.
    Valid,
}

/// A filter sliding over a map: its size, strides, dilations and the zeros
/// added before the first row and column (those after the last follow from
/// the output size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2d {
    /// Filter rows.
    pub filter_height: usize,
    /// Filter columns.
    pub filter_width: usize,
    /// Rows between two output rows.
    pub stride_height: usize,
    /// Columns between two output columns.
    pub stride_width: usize,
    /// Rows between two filter taps (1 for a dense filter).
    pub dilation_height: usize,
    /// Columns between two filter taps.
    pub dilation_width: usize,
    /// Zero rows before the first input row.
    pub pad_top: usize,
    /// Zero columns before the first input column.
    pub pad_left: usize,
}

impl Window2d {
    /// The window TFLite's `Prepare` computes for `padding` over an input
    /// of `height × width`, and the output's height and width: the same
    /// numbers as its `ComputePaddingHeightWidth`.
    ///
    /// ```
    /// use typenet::quant::{Padding, Window2d};
    /// // KWS's first convolution: 10×4, stride 2, SAME over 49×10.
    /// let (w, out_h, out_w) = Window2d::tflite(Padding::Same, (49, 10), (10, 4), (2, 2), (1, 1))?;
    /// assert_eq!((out_h, out_w, w.pad_top, w.pad_left), (25, 5, 4, 1));
    /// # Ok::<(), typenet::quant::QuantError>(())
    /// ```
    pub fn tflite(
        padding: Padding,
        (height, width): (usize, usize),
        (filter_height, filter_width): (usize, usize),
        (stride_height, stride_width): (usize, usize),
        (dilation_height, dilation_width): (usize, usize),
    ) -> Result<(Self, usize, usize), QuantError> {
        let (out_h, pad_top) = along(padding, height, filter_height, stride_height, dilation_height)?;
        let (out_w, pad_left) = along(padding, width, filter_width, stride_width, dilation_width)?;
        let window = Self {
            filter_height,
            filter_width,
            stride_height,
            stride_width,
            dilation_height,
            dilation_width,
            pad_top,
            pad_left,
        };
        Ok((window, out_h, out_w))
    }

    pub(crate) fn check(&self) -> Result<(), QuantError> {
        if self.stride_height == 0 || self.stride_width == 0 {
            return Err(QuantError::Geometry("stride 0"));
        }
        if self.dilation_height == 0 || self.dilation_width == 0 {
            return Err(QuantError::Geometry("dilation 0"));
        }
        if self.filter_height == 0 || self.filter_width == 0 {
            return Err(QuantError::Geometry("empty filter"));
        }
        Ok(())
    }

    /// The input row (or column) of output `out`, tap `tap` along one axis,
    /// when it lies inside `0..size`.
    #[inline]
    pub(crate) fn tap(
        out: usize,
        stride: usize,
        pad: usize,
        dilation: usize,
        tap: usize,
        size: usize,
    ) -> Option<usize> {
        // Checked: a window from the caller can have any sizes.
        let position = out
            .checked_mul(stride)?
            .checked_add(tap.checked_mul(dilation)?)?
            .checked_sub(pad)?;
        (position < size).then_some(position)
    }
}

/// Output size and padding before, along one axis.
fn along(
    padding: Padding,
    size: usize,
    filter: usize,
    stride: usize,
    dilation: usize,
) -> Result<(usize, usize), QuantError> {
    if stride == 0 || dilation == 0 || filter == 0 {
        return Err(QuantError::Geometry("zero filter, stride or dilation"));
    }
    let effective = (filter - 1).checked_mul(dilation).and_then(|f| f.checked_add(1));
    let effective = effective.ok_or(QuantError::Geometry("filter size overflows"))?;
    let out = match padding {
        Padding::Same => size.div_ceil(stride),
        Padding::Valid => (size + stride).saturating_sub(effective) / stride,
    };
    // TFLite's ComputePadding: half the total, the odd zero after.
    let total = (out.saturating_sub(1) * stride + effective).saturating_sub(size);
    Ok((out, total / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_and_valid_sizes_and_paddings() {
        let same = |size, filter, stride| along(Padding::Same, size, filter, stride, 1).unwrap();
        let valid = |size, filter, stride| along(Padding::Valid, size, filter, stride, 1).unwrap();
        assert_eq!(same(96, 3, 2), (48, 0)); // total 1: the odd zero after
        assert_eq!(same(48, 3, 1), (48, 1));
        assert_eq!(same(32, 1, 2), (16, 0));
        assert_eq!(same(5, 4, 2), (3, 1)); // total 3: one before, two after
        assert_eq!(valid(25, 25, 1), (1, 0));
        assert_eq!(valid(6, 3, 3), (2, 0));
        assert_eq!(valid(7, 3, 2), (3, 0));
        assert_eq!(valid(2, 3, 1), (0, 0));
        assert_eq!(along(Padding::Same, 10, 3, 1, 2).unwrap(), (10, 2)); // effective 5
        assert!(along(Padding::Same, 10, 3, 0, 1).is_err());
    }
}
