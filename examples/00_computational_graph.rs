//! The book's shopping graph (chapter 5): 2 apples at 100 and 3 oranges at
//! 150 with 10 % tax, forward for the price and backward for how the price
//! changes with each input.
//!
//! Run with `cargo run --example apple_orange`.

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

pub fn shop(apple: f64, apple_num: f64, orange: f64, orange_num: f64, tax: f64) -> Receipt {
    let mut mul_apple = MulLayer::new();
    let mut mul_orange = MulLayer::new();
    let add_apple_orange = AddLayer::new();
    let mut mul_tax = MulLayer::new();

    // forward
    let apple_price = mul_apple.forward(apple, apple_num);
    let orange_price = mul_orange.forward(orange, orange_num);
    let all_price = add_apple_orange.forward(apple_price, orange_price);
    let price = mul_tax.forward(all_price, tax);

    // backward, in reverse order
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

#[allow(dead_code)] // the tests include this file for `shop`
fn main() {
    let r = shop(100.0, 2.0, 150.0, 3.0, 1.1);
    println!("price: {:.0}", r.price);
    println!("dApple: {:.1}", r.dapple);
    println!("dApple_num: {:.0}", r.dapple_num);
    println!("dOrange: {:.1}", r.dorange);
    println!("dOrange_num: {:.0}", r.dorange_num);
    println!("dTax: {:.0}", r.dtax);
}
