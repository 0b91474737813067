//! The small numeric examples of chapter 5, checked against hand computation.

mod common;

use common::assert_close;
use typenet::prelude::*;
use typenet::{AddLayer, MulLayer};

/// The `00_computational_graph` example itself, so the numbers checked are the ones it prints.
#[path = "../examples/00_computational_graph.rs"]
mod apple_orange;

/// The apple/orange shopping graph: 2 apples at 100, 3 oranges at 150, tax 1.1.
#[test]
fn apple_orange_prices_and_gradients() {
    let r = apple_orange::shop(100.0, 2.0, 150.0, 3.0, 1.1);
    assert_close(&[r.price], &[715.0], 1e-9);
    let grads = [r.dapple_num, r.dapple, r.dorange, r.dorange_num, r.dtax];
    assert_close(&grads, &[110.0, 2.2, 3.3, 165.0, 650.0], 1e-9);
}

/// The nodes in f32: equal up to single-precision rounding.
#[test]
fn mul_and_add_nodes_in_f32() {
    let mut mul_apple = MulLayer::new();
    let mut mul_tax = MulLayer::new();
    let add = AddLayer::new();
    let price = mul_tax.forward(add.forward(mul_apple.forward(100.0f32, 2.0), 450.0), 1.1);
    let (dprice, dtax) = mul_tax.backward(1.0);
    let (dapple_price, dorange_price) = add.backward(dprice);
    let (dapple, dapple_num) = mul_apple.backward(dapple_price);
    assert_close(
        &[price, dtax, dorange_price, dapple, dapple_num],
        &[715.0, 650.0, 1.1, 2.2, 110.0],
        1e-4,
    );
}

/// The 2→3→2 net with integer weights: every value below is worked out by
/// hand in the comments.
fn two_three_two<T: Scalar>() {
    let w1 = [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]].map(|r| r.map(T::of));
    let b1 = [1.0, 2.0, 3.0].map(T::of);
    let w2 = [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]].map(|r| r.map(T::of));
    let b2 = [1.0, 2.0].map(T::of);
    let mut net = Affine::<[T; 2], 3>::from_parts(&w1, &b1)
        .then(Relu)
        .then(Affine::<[T; 3], 2>::from_parts(&w2, &b2));

    let x: Batch<[T; 2]> = Batch::from_rows(vec![[T::of(1.0), T::of(2.0)]]);
    let mut cache = net.cache::<Dyn>();
    let mut y = Batch::zeros(1);
    net.forward(&x, &mut y, &mut cache, &mut Training::default());
    // hidden = [1·1+2·2+1, 1·3+2·4+2, 1·5+2·6+3] = [6, 13, 20] (all > 0: ReLU passes them)
    assert_close(cache.first().hidden().as_slice(), &[6.0, 13.0, 20.0].map(T::of), 0.0);
    // y = [6·1+13·2+20·3+1, 6·4+13·5+20·6+2] = [93, 211]
    assert_close(y.as_slice(), &[93.0, 211.0].map(T::of), 0.0);

    let dy: Batch<[T; 2]> = Batch::from_rows(vec![[T::of(1.0), T::of(2.0)]]);
    let mut dx = Batch::zeros(1);
    net.backward(&x, &y, &dy, &mut cache, Some(&mut dx));

    let fc2 = net.second();
    // dW2 = hiddenᵀ·dy = [[6, 12], [13, 26], [20, 40]], db2 = dy = [1, 2]
    assert_close(
        fc2.weight_grad().as_flattened(),
        &[6.0, 12.0, 13.0, 26.0, 20.0, 40.0].map(T::of),
        0.0,
    );
    assert_close(fc2.bias_grad(), &[1.0, 2.0].map(T::of), 0.0);
    // dhidden = dy·W2ᵀ = [1+8, 2+10, 3+12] = [9, 12, 15]
    let fc1 = net.first().first();
    // dW1 = xᵀ·dhidden = [[9, 12, 15], [18, 24, 30]], db1 = [9, 12, 15]
    assert_close(
        fc1.weight_grad().as_flattened(),
        &[9.0, 12.0, 15.0, 18.0, 24.0, 30.0].map(T::of),
        0.0,
    );
    assert_close(fc1.bias_grad(), &[9.0, 12.0, 15.0].map(T::of), 0.0);
    // dx = dhidden·W1ᵀ = [9+36+75, 18+48+90] = [120, 156]
    assert_close(dx.as_slice(), &[120.0, 156.0].map(T::of), 0.0);
}

/// SoftmaxWithLoss on equal scores: y = [½, ½], loss = −ln ½,
/// backward (y − t)/batch.
fn softmax_with_loss_by_hand<T: Scalar>() {
    let mut net = Affine::<[T; 2], 2>::from_parts(&[[T::ONE, T::ZERO], [T::ZERO, T::ONE]], &[T::ZERO; 2])
        .then(SoftmaxWithLoss::<2>);
    let x: Batch<[T; 2]> = Batch::from_rows(vec![[T::ZERO, T::ZERO], [T::of(2.0f64.ln()), T::ZERO]]);
    let t = Labels::<2>::from_slice(&[1, 0]).unwrap();
    let loss = net.gradient(&x, &t).unwrap();
    // row 0: y = [1/2, 1/2], target 1; row 1: y = [2/3, 1/3], target 0
    let expected = (-(0.5f64).ln() - (2.0f64 / 3.0).ln()) / 2.0;
    assert_close(&[loss], &[T::of(expected)], 1e-6);
    // dscores = (y − t)/2 = [[1/4, −1/4], [−1/6, 1/6]]; with W = I, dW = xᵀ·dscores
    let fc = net.first();
    let ln2 = 2.0f64.ln();
    let expected_dw = [-ln2 / 6.0, ln2 / 6.0, 0.0, 0.0].map(T::of);
    assert_close(fc.weight_grad().as_flattened(), &expected_dw, 1e-6);
    assert_close(fc.bias_grad(), &[0.25 - 1.0 / 6.0, -0.25 + 1.0 / 6.0].map(T::of), 1e-6);
}

/// The book's TwoLayerNet API on one object: predict, loss, accuracy,
/// gradient and numerical_gradient agree with each other.
#[test]
fn two_layer_net_has_the_books_api() {
    use rand::{SeedableRng, rngs::StdRng};
    let mut net: TwoLayerNet<f64, 4, 5, 3> = two_layer_net(0.5, &mut StdRng::seed_from_u64(2));
    let x: Batch<[f64; 4]> = Batch::from_rows(vec![[0.5, -1.0, 0.25, 2.0], [1.0, 0.0, -0.5, 0.3]]);
    let t = Labels::<3>::from_slice(&[2, 0]).unwrap();
    let scores = net.predict(&x).unwrap();
    let accuracy = net.accuracy(&x, &t).unwrap();
    let hits = (0..2).filter(|&i| typenet::argmax(&scores[i]) == t.get(i)).count();
    assert_eq!(accuracy, hits as f64 / 2.0);
    let loss = net.loss(&x, &t).unwrap();
    assert_eq!(net.gradient(&x, &t).unwrap(), loss);
    let backprop = typenet::stored_gradients(&net);
    let numerical = net.numerical_gradient(&x, &t).unwrap();
    assert_eq!(numerical.len(), 4);
    for (b, n) in backprop.iter().zip(&numerical) {
        assert_eq!((b.layer, b.name, b.shape), (n.layer, n.name, n.shape));
        assert_close(&b.values, &n.values, 1e-8);
    }
}

for_f32_and_f64!(two_three_two, softmax_with_loss_by_hand);
