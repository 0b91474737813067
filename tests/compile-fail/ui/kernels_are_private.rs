// The kernels behind the layers are not part of the API: a scalar type
// offers no matrix product to call, whatever bounds a function names.
use typenet::Scalar;

fn product<T: Scalar>() {
    let mut c = [T::ZERO; 4];
    T::gemm_nn(2, 0, 2, &[], &[], &mut c, false);
}

fn main() {
    product::<f32>();
}
