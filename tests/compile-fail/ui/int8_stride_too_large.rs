// The int8 layers share the size tables: a row stride of 12 is refused
// with the limits, while columns move by 2.
use typenet::int8;
use typenet::{Batch, Const, Image, Layer};

fn main() {
    let conv = int8::Conv2d::<1, 4, 3, 3, 12, 2>::zeros();
    let mut y = Batch::<_, Const<1>>::default();
    conv.infer(&Batch::<Image<i8, 1, 30, 30>, Const<1>>::default(), &mut y);
}
