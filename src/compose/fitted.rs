//! The type a chaining method returns, known only once the layer it adds
//! fits: a mis-wired layer is reported once, where it is chained.

/// `T`, known once `Gate` is: what [`then`](crate::Layer::then) returns is
/// `Fitted<<L as Layer<X>>::Scratch<Const<1>>, Chain<A, L>>`, which is
/// `Chain<A, L>` for every layer `L` that takes `A`'s output rows `X`.
///
/// When `L` does not take `X`, the compiler says so where `L` is chained.
/// `L`'s [`Scratch`](crate::Layer::Scratch) for `X` then does not exist,
/// and neither does the chain's type, so the layers chained after it are
/// not checked against it again (which would repeat the same error once
/// for each of them). A layer whose type is still being inferred (sizes
/// that come from a type annotation further on) has its scratch type all
/// the same, so such chains keep compiling.
///
/// ```
/// use typenet::prelude::*;
///
/// let net: Chain<Affine<[f32; 4], 3>, Relu> = Affine::zeros().then(Relu);
/// assert_eq!(net.param_count(), 4 * 3 + 3);
/// ```
pub type Fitted<Gate, T> = <Gate as Known<T>>::Is;

/// Every type knows every `T`; what matters is that `Self` must be known
/// first (see [`Fitted`]).
pub trait Known<T> {
    /// `T`.
    type Is;
}

impl<Gate: ?Sized, T> Known<T> for Gate {
    type Is = T;
}
