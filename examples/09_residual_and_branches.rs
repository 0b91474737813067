//! 09 · Nets that are not a single line: a residual block, two branches
//! added, two branches side by side.
//!
//! - `Residual::new(block)`: y = x + block(x), the block keeping its
//!   input's shape (one that does not is a compile error);
//! - `Sum::new(a, b)`: y = a(x) + b(x), two branches of one output shape;
//! - `Concat::new(a, b)`: both outputs side by side, a `Pair<A, B>` of
//!   rows, which an `Affine` reads as their values in order.
//!
//! A block is written with `chain![…]`, which names no input type: its
//! sizes come from where it is placed. Blocks get a number inside their
//! position (`2.0`, `2.1`): the same numbering for `summary` rows and for
//! saved tensor names (`"2.0.W"`), while `net.layer::<K>()` reaches the
//! top-level layer `K`. Back-propagation goes through the branches and
//! joins their gradients; the gradient check proves it.
//!
//! ```text
//! cargo run --example 09_residual_and_branches
//! ```

use rand::{RngExt, SeedableRng, rngs::StdRng};
use typenet::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = StdRng::seed_from_u64(9);
    let he = Init::He;
    let mut net = Affine::<[f64; 6], 16>::init(he, &mut rng)
        .then(Relu)
        // 2: x + F(x), F two layers wide 16 → 16 (sizes from the chain)
        .then(Residual::new(typenet::chain![
            Affine::<_, 16>::init(he, &mut rng),
            Relu,
            Affine::<_, 16>::init(he, &mut rng),
        ]))
        // 3: a sigmoid-gated branch plus a plain one, both 16 → 8
        .then(Sum::new(
            typenet::chain![Affine::<_, 8>::init(he, &mut rng), Sigmoid],
            Affine::<_, 8>::init(he, &mut rng),
        ))
        // 4: 8 → 4 and 8 → 2, side by side: a Pair of rows
        .then(Concat::new(
            Affine::<[f64; 8], 4>::init(he, &mut rng),
            Affine::<[f64; 8], 2>::init(he, &mut rng),
        ))
        // 5: reads the 6 concatenated values
        .then(Affine::<Pair<[f64; 4], [f64; 2]>, 3>::init(he, &mut rng))
        .then(SoftmaxWithLoss);
    println!("{}", net.summary());
    let paths: Vec<String> = net.summary().layers.iter().map(|l| l.path.to_string()).collect();
    assert_eq!(paths[2..5], ["2", "2.0", "2.1"]);
    // positions are checked when compiled: layer 5 is the Affine on pairs
    assert_eq!(net.layer::<5>().weights().len(), 6);

    // three classes: which third of the line the first two features sum in
    let data = |n: usize, rng: &mut StdRng| {
        let rows: Vec<[f64; 6]> = (0..n)
            .map(|_| core::array::from_fn(|_| rng.random_range(-1.0..1.0)))
            .collect();
        let labels: Vec<usize> = rows
            .iter()
            .map(|r| ((r[0] + r[1] + 2.0) / 4.0 * 3.0) as usize)
            .collect();
        (Batch::from_rows(rows), Labels::<3>::from_slice(&labels))
    };

    // back-propagation through every branch, against the numerical gradient
    let (x, t) = data(4, &mut rng);
    for d in typenet::gradient_check(&mut net, &x, &t?)? {
        let at = d.layer.map_or("input".to_string(), |l| l.to_string());
        assert!(
            d.mean_abs <= 1e-6 * d.mean_abs_gradient,
            "{at}.{}: {:.1e} against gradients of {:.1e}",
            d.name,
            d.mean_abs,
            d.mean_abs_gradient
        );
    }
    println!("gradient check: every tensor of every branch agrees");

    // and it trains like any chain
    let (x, t) = data(300, &mut rng);
    let t = t?;
    let mut ws = net.workspace_seeded(0);
    let mut adam = typenet::Adam::new(0.01, 0.9, 0.999);
    let before = net.loss(&x, &t)?;
    for _ in 0..200 {
        net.gradient_with(&mut ws, &x, &t, None)?;
        adam.step(&mut net)?;
    }
    let (test_x, test_t) = data(300, &mut rng);
    let accuracy = net.accuracy(&test_x, &test_t?)?;
    println!(
        "loss {before:.3} → {:.3}, test accuracy {accuracy:.3}",
        net.loss(&x, &t)?
    );
    assert!(accuracy > 0.8, "{accuracy}");

    // saved tensors are named by the same paths
    let mut names = Vec::new();
    net.tensors(&mut |t| names.push(format!("{}.{}", t.layer, t.name)));
    println!("tensors: {}", names.join(", "));
    assert!(names.contains(&"3.0.0.W".to_string()), "{names:?}");
    Ok(())
}
