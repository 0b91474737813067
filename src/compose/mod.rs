//! Putting layers together: a [`Chain`] of layers in order (reached by
//! position with [`Chain::layer`]), an [`Input`] that fixes a net's input
//! rows, a [`Residual`] block, and two branches joined by [`Sum`] or
//! [`Concat`]. Each composite is itself a layer, so they nest.

mod branches;
mod chain;
mod fitted;
mod input;
mod position;
mod residual;

pub use branches::{BranchCache, BranchScratch, Concat, Sum};
pub use chain::{Chain, ChainCache, ChainScratch};
pub use fitted::{Fitted, Known};
pub use input::Input;
pub use position::{At, Position, Successor};
pub use residual::{Residual, ResidualCache, SameRows};
