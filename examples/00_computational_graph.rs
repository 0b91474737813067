//! 00 · Backpropagation on a graph of numbers (the book's chapter 5, before
//! any net): buying 2 apples at 100 and 3 oranges at 150 with 10 % tax.
//!
//! Every node is a layer with a `forward` that remembers what it needs and
//! a `backward` that turns the gradient of the price with respect to its
//! output into the gradients with respect to its inputs. Run the nodes
//! forward in order for the price, then backward in reverse order, starting
//! from dprice/dprice = 1, for how the price moves with each input. A net
//! does the same with batches instead of numbers (`01_dense_by_hand`).
//!
//! ```text
//! cargo run --example 00_computational_graph
//! ```

use typenet::{AddLayer, MulLayer};

/// The price and its gradient with respect to every input.
#[derive(Debug)]
pub struct Receipt {
    pub price: f64,
    pub dapple: f64,
    pub dapple_num: f64,
    pub dorange: f64,
    pub dorange_num: f64,
    pub dtax: f64,
}

/// The graph: (apple · apple_num + orange · orange_num) · tax.
pub fn shop(apple: f64, apple_num: f64, orange: f64, orange_num: f64, tax: f64) -> Receipt {
    let mut mul_apple = MulLayer::new();
    let mut mul_orange = MulLayer::new();
    let add_apple_orange = AddLayer::new();
    let mut mul_tax = MulLayer::new();

    // forward: a multiplication node keeps both inputs, for its backward
    let apple_price = mul_apple.forward(apple, apple_num);
    let orange_price = mul_orange.forward(orange, orange_num);
    let all_price = add_apple_orange.forward(apple_price, orange_price);
    let price = mul_tax.forward(all_price, tax);

    // backward, in reverse order: a product swaps its inputs onto the
    // gradient (d(xy)/dx = y), a sum passes it to both sides unchanged
    let (dall_price, dtax) = mul_tax.backward(1.0);
    let (dapple_price, dorange_price) = add_apple_orange.backward(dall_price);
    let (dorange, dorange_num) = mul_orange.backward(dorange_price);
    let (dapple, dapple_num) = mul_apple.backward(dapple_price);

    Receipt {
        price,
        dapple,
        dapple_num,
        dorange,
        dorange_num,
        dtax,
    }
}

#[allow(dead_code)] // tests/book_examples.rs includes this file for `shop`
fn main() {
    let r = shop(100.0, 2.0, 150.0, 3.0, 1.1);
    println!("price: {:.0}", r.price);
    println!("dApple: {:.1}", r.dapple);
    println!("dApple_num: {:.0}", r.dapple_num);
    println!("dOrange: {:.1}", r.dorange);
    println!("dOrange_num: {:.0}", r.dorange_num);
    println!("dTax: {:.0}", r.dtax);

    // the book's figures, worked out by hand: 1.1 · (2·100 + 3·150) = 715;
    // one more apple costs 1.1 · 100 = 110, one more unit of tax 650
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    assert!(close(r.price, 715.0), "{r:?}");
    assert!(close(r.dapple, 2.2) && close(r.dapple_num, 110.0), "{r:?}");
    assert!(close(r.dorange, 3.3) && close(r.dorange_num, 165.0), "{r:?}");
    assert!(close(r.dtax, 650.0), "{r:?}");
    // and the gradient predicts a small change: 0.01 more tax adds 6.5
    let dearer = shop(100.0, 2.0, 150.0, 3.0, 1.11).price;
    assert!(close(dearer - r.price, 0.01 * r.dtax), "{dearer}");
}
