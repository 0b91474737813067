//! TFLite's int8 ADD closing a block of two branches: [`Residual`] (a
//! branch and its input) and [`Sum`] (two branches).

use super::params::{self, clamp_range};
use crate::model::sequence_start;
use crate::ops::{Node, Op, OpKind, Operator, Operators, Setting, Visit};
use crate::quant::{ADD_LEFT_SHIFT, AddQuant, QuantError, QuantParams, QuantizedMultiplier};
use crate::{Batch, Dtype, Layer, LayerInfo, Path, Row, Rows, Tensor, TensorMut, Tensors};

/// The quantization of an int8 addition: each input rescaled to twice the
/// larger input scale, the sum to the output's, as TFLite's `Prepare`
/// computes them. Its tensors are its block's, prefixed `add_`:
/// `add_zero_points` `i32` `[3]` (first, second, output), `add_multiplier`
/// and `add_shift` `i32` `[3]` (the same order), `add_clamp` `i32` `[2]`,
/// `add_scales` `f32` `[3]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddQuantized {
    zero_points: [i32; 3],
    multiplier: [i32; 3],
    shift: [i32; 3],
    clamp: [i32; 2],
    scales: [f32; 3],
}

impl AddQuantized {
    /// Adding codes as they are: all scales 1, zero points 0.
    pub const fn new() -> Self {
        // 1 / (2 · 1) = 0.5 for each input, 2 / 2²⁰ for the sum
        AddQuantized {
            zero_points: [0; 3],
            multiplier: [1 << 30; 3],
            shift: [0, 0, 1 - ADD_LEFT_SHIFT as i32],
            clamp: [-128, 127],
            scales: [1.0; 3],
        }
    }

    /// The addition with these tensors, as baked.
    pub const fn frozen(
        zero_points: [i32; 3],
        multiplier: [i32; 3],
        shift: [i32; 3],
        clamp: [i32; 2],
        scales: [f32; 3],
    ) -> Self {
        AddQuantized {
            zero_points,
            multiplier,
            shift,
            clamp,
            scales,
        }
    }

    /// The quantization of the first input, the second and the output.
    pub fn params(&self) -> [QuantParams; 3] {
        [0, 1, 2].map(|i| QuantParams::new(self.scales[i], self.zero_points[i]))
    }

    /// The stored parameters as the kernel reads them, none of which can
    /// make it panic.
    fn quant(&self) -> AddQuant {
        let m = |i: usize| QuantizedMultiplier::saturating(self.multiplier[i], self.shift[i]);
        let (min, max) = clamp_range(self.clamp);
        AddQuant {
            input1_zero_point: self.zero_points[0],
            input1_multiplier: m(0),
            input2_zero_point: self.zero_points[1],
            input2_multiplier: m(1),
            output_zero_point: self.zero_points[2],
            output_multiplier: m(2),
            activation_min: min,
            activation_max: max,
        }
    }

    /// `out = first + second`, element by element.
    fn add(&self, first: &[i8], second: &[i8], out: &mut [i8]) {
        let q = self.quant();
        for ((o, &a), &b) in out.iter_mut().zip(first).zip(second) {
            *o = q.add(a, b);
        }
    }
}

impl Default for AddQuantized {
    fn default() -> Self {
        Self::new()
    }
}

impl Tensors for AddQuantized {
    crate::tensors! {
        "add_zero_points": Buffer, [3] => zero_points;
        "add_multiplier": Buffer, [3] => multiplier;
        "add_shift": Buffer, [3] => shift;
        "add_clamp": Buffer, [2] => clamp;
        "add_scales": Buffer, [3] => scales;
    }
}

impl Operator for AddQuantized {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Add,
            element: Dtype::I8,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        let Setting::Add {
            first,
            second,
            output,
            activation,
        } = setting
        else {
            return Err(setting.refused("int8 ADD"));
        };
        for (what, p) in [("first input", first), ("second input", second), ("output", output)] {
            params::check_params(what, *p)?;
        }
        let q = AddQuant::new(*first, *second, *output, *activation)?;
        *self = AddQuantized {
            zero_points: [first.zero_point, second.zero_point, output.zero_point],
            multiplier: [q.input1_multiplier, q.input2_multiplier, q.output_multiplier].map(|m| m.multiplier()),
            shift: [q.input1_multiplier, q.input2_multiplier, q.output_multiplier].map(|m| m.shift()),
            clamp: [q.activation_min, q.activation_max],
            scales: [first.scale, second.scale, output.scale],
        };
        Ok(())
    }
}

/// `y = x + F(x)` in int8: TFLite's ADD of a block's input (the first
/// input) and its branch `F` (the second), each rescaled, the sum
/// requantized to the output's scale and clamped by a fused activation. `F`
/// outputs the rows it takes; its layers are numbered under the block
/// (`1.0`, `1.1`), the addition's tensors at the block's own position.
///
/// ```
/// use typenet::int8::{self, Same};
/// use typenet::{Batch, Const, Image, Layer};
///
/// type Block = int8::Residual<typenet::Chain![
///     int8::Conv2d<16, 16, 3, 3, 1, 1, Same>,
///     int8::Conv2d<16, 16, 3, 3, 1, 1, Same>
/// ]>;
/// let block = Block::default();
/// let mut y = Batch::<Image<i8, 16, 32, 32>, Const<1>>::default();
/// block.infer(&Batch::default(), &mut y);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Residual<F> {
    inner: F,
    add: AddQuantized,
}

impl<F> Residual<F> {
    /// `x + inner(x)`, adding codes as they are until set.
    pub const fn new(inner: F) -> Self {
        Residual {
            inner,
            add: AddQuantized::new(),
        }
    }

    /// The block with its addition's quantization (baked).
    pub const fn frozen(inner: F, add: AddQuantized) -> Self {
        Residual { inner, add }
    }

    /// The branch.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// The addition's quantization.
    pub fn add(&self) -> &AddQuantized {
        &self.add
    }
}

impl<F: Tensors> Tensors for Residual<F> {
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.add.visit(at, f);
        self.inner.visit(sequence_start::<F>(at), f)
    }

    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.add.visit_mut(at, f);
        self.inner.visit_mut(sequence_start::<F>(at), f)
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Residual");
        self.inner.layers(sequence_start::<F>(at), f)
    }
}

/// A [`Residual`]'s or [`Sum`]'s room: its branches' and their outputs.
pub struct BlockScratch<YA: Row, YB: Row, SA, SB, R: Rows> {
    a: SA,
    b: SB,
    ya: Batch<YA, R>,
    yb: Batch<YB, R>,
}

impl<YA: Row, YB: Row, SA: Default, SB: Default, R: Rows> Default for BlockScratch<YA, YB, SA, SB, R> {
    fn default() -> Self {
        BlockScratch {
            a: SA::default(),
            b: SB::default(),
            ya: Batch::default(),
            yb: Batch::default(),
        }
    }
}

impl<X: Row<Scalar = i8>, F: Layer<X, Out = X>> Layer<X> for Residual<F> {
    type Out = X;
    type Scratch<R: Rows> = BlockScratch<X, X, F::Scratch<R>, (), R>;

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X, R>, s: &mut Self::Scratch<R>) {
        y.set_rows(x.nrows());
        s.ya.set_rows(x.nrows());
        self.inner.infer_with(x, &mut s.ya, &mut s.a);
        self.add.add(x.as_slice(), s.ya.as_slice(), y.as_mut_slice());
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            path: at,
            kind: "int8::Residual",
            input: X::DIMS,
            output: X::DIMS,
            params: 0,
            buffers: 13,
        });
        self.inner.describe(sequence_start::<F>(at), f)
    }
}

impl<X: Row<Scalar = i8>, F: Layer<X, Out = X> + Operators<X>> Operators<X> for Residual<F> {
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        f(Visit::Fork);
        self.inner.operators(sequence_start::<F>(at), f);
        f(Visit::Merge(Node {
            at,
            name: "int8::Residual",
            input: X::DIMS,
            output: X::DIMS,
            op: &mut self.add,
        }))
    }
}

/// `y = A(x) + B(x)` in int8: TFLite's ADD of two branches over the same
/// input (`A`'s output the first input, `B`'s the second), as a residual
/// block whose shortcut is a layer of its own (a 1×1 strided convolution).
/// `A`'s layers are numbered `.0`, `B` is `.1` under the block; the
/// addition's tensors are at the block's own position.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Sum<A, B> {
    a: A,
    b: B,
    add: AddQuantized,
}

impl<A, B> Sum<A, B> {
    /// `a(x) + b(x)`, adding codes as they are until set.
    pub const fn new(a: A, b: B) -> Self {
        Sum {
            a,
            b,
            add: AddQuantized::new(),
        }
    }

    /// The block with its addition's quantization (baked).
    pub const fn frozen(a: A, b: B, add: AddQuantized) -> Self {
        Sum { a, b, add }
    }

    /// The first branch.
    pub fn first(&self) -> &A {
        &self.a
    }

    /// The second branch.
    pub fn second(&self) -> &B {
        &self.b
    }

    /// The addition's quantization.
    pub fn add(&self) -> &AddQuantized {
        &self.add
    }
}

impl<A: Tensors, B: Tensors> Tensors for Sum<A, B> {
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.add.visit(at, f);
        self.a.visit(at.child(0), f);
        self.b.visit(at.child(1), f)
    }

    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.add.visit_mut(at, f);
        self.a.visit_mut(at.child(0), f);
        self.b.visit_mut(at.child(1), f)
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Sum");
        self.a.layers(at.child(0), f);
        self.b.layers(at.child(1), f)
    }
}

impl<X: Row<Scalar = i8>, A: Layer<X, Out: Row<Scalar = i8>>, B: Layer<X, Out = A::Out>> Layer<X> for Sum<A, B> {
    type Out = A::Out;
    type Scratch<R: Rows> = BlockScratch<A::Out, A::Out, A::Scratch<R>, B::Scratch<R>, R>;

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<A::Out, R>, s: &mut Self::Scratch<R>) {
        y.set_rows(x.nrows());
        s.ya.set_rows(x.nrows());
        s.yb.set_rows(x.nrows());
        self.a.infer_with(x, &mut s.ya, &mut s.a);
        self.b.infer_with(x, &mut s.yb, &mut s.b);
        self.add.add(s.ya.as_slice(), s.yb.as_slice(), y.as_mut_slice());
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            path: at,
            kind: "int8::Sum",
            input: X::DIMS,
            output: <A::Out as Row>::DIMS,
            params: 0,
            buffers: 13,
        });
        self.a.describe(at.child(0), f);
        self.b.describe(at.child(1), f)
    }
}

impl<X: Row<Scalar = i8>, A: Layer<X, Out: Row<Scalar = i8>> + Operators<X>, B: Layer<X, Out = A::Out> + Operators<X>>
    Operators<X> for Sum<A, B>
{
    fn operators(&mut self, at: Path, f: &mut dyn FnMut(Visit<'_>)) {
        f(Visit::Fork);
        self.a.operators(at.child(0), f);
        f(Visit::Switch);
        self.b.operators(at.child(1), f);
        f(Visit::Merge(Node {
            at,
            name: "int8::Sum",
            input: X::DIMS,
            output: <A::Out as Row>::DIMS,
            op: &mut self.add,
        }))
    }
}
