//! Sizes the compiler computes: a convolution's or pooling's output side
//! from its input side, kernel, stride and padding, on stable Rust.
//!
//! Stable Rust cannot write `{H - K + 1}` in a type, so each side is a
//! type, [`Side<N>`], and arithmetic is a lookup: the traits below map a
//! side to another through an associated type, and a layer's impl binds
//! them in its where-clause (`Side<H>: ConvSide<K, S, P, Out = Side<HO>>`),
//! which lets rustc infer `HO` and report a wrong size as a type mismatch
//! under `cargo check`. Three small steps compose into any output size:
//! padding `HP = H + 2P` (P steps of [`Next`] each side), the valid
//! positions `HV = HP − K + 1` (K − 1 steps of [`Prev`]) and the stride
//! `HO = (HV − 1) / S + 1` (the [`Strided`] table). The tables cover sides
//! up to 256, kernels up to 11, padding up to 5 and strides up to
//! 4; anything outside is a compile error saying so.
//!
//! The tables were written by this Python, and every entry is checked by a
//! constant assertion when the crate compiles:
//!
//! ```text
//! next = [(n, n + 1) for n in range(1, 266)]
//! prev = [(n, n - 1) for n in range(2, 267)]
//! strided(s) = [(v, (v - 1) // s + 1) for v in range(1, 267)], s = 2..=4
//! ```

/// A side length (rows or columns of an image) as a type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Side<const N: usize>;

/// The side one longer.
#[diagnostic::on_unimplemented(
    message = "typenet's size tables end at a padded side of 266: `{Self}` is too long",
    note = "convolutions and pooling take sides up to 256, with padding up to 5"
)]
pub trait Next {
    /// `Side<N + 1>`.
    type Out;
}

/// The side one shorter (never 0).
#[diagnostic::on_unimplemented(
    message = "a kernel or window does not fit in a side of `{Self}`",
    note = "the kernel must be no larger than the (padded) image, and sides up to 266 after padding are supported"
)]
pub trait Prev {
    /// `Side<N - 1>`.
    type Out;
}

/// Every `S`-th of the valid positions of a side: `(N − 1) / S + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet has no stride-{S} size for `{Self}`",
    note = "strides 1 to 4 are supported, on sides up to 266 after padding"
)]
pub trait Strided<const S: usize> {
    /// `Side<(N - 1) / S + 1>`.
    type Out;
}

/// A side after padding `P` on both ends: `N + 2P`.
#[diagnostic::on_unimplemented(
    message = "typenet has no padding-{P} size for `{Self}`",
    note = "padding 0 to 5 is supported, on sides up to 256"
)]
pub trait Padded<const P: usize> {
    /// `Side<N + 2P>`.
    type Out;
}

/// The positions a kernel of side `K` fits in a side: `N − K + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet cannot fit a kernel or window of {K} in a side of `{Self}`",
    label = "the kernel or window of this layer",
    note = "a kernel must be no larger than the (padded) image it slides over",
    note = "sides up to 256 (266 after padding), kernels and windows up to 11 are supported"
)]
pub trait Fits<const K: usize> {
    /// `Side<N − K + 1>`.
    type Out;
}

/// The output side of a convolution or pooling with kernel `K`, stride `S`
/// and padding `P`: `(N + 2P − K) / S + 1`.
#[diagnostic::on_unimplemented(
    message = "typenet has no output size for a side of `{Self}` with kernel {K}, stride {S} and padding {P}",
    note = "the kernel must fit in the padded side; sides up to 256, kernels up to 11, strides up to 4 and padding up to 5 are supported"
)]
pub trait ConvSide<const K: usize, const S: usize, const P: usize> {
    /// The output side.
    type Out;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const P: usize, const NP: usize, const NV: usize, const NO: usize>
    ConvSide<K, S, P> for Side<N>
where
    Side<N>: Padded<P, Out = Side<NP>>,
    Side<NP>: Fits<K, Out = Side<NV>>,
    Side<NV>: Strided<S, Out = Side<NO>>,
{
    type Out = Side<NO>;
}

impl<const N: usize> Padded<0> for Side<N> {
    type Out = Side<N>;
}

impl<const N: usize> Fits<1> for Side<N> {
    type Out = Side<N>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize> Padded<1> for Side<N>
where
    Side<N>: Next<Out = Side<A0>>,
    Side<A0>: Next<Out = Side<A1>>,
{
    type Out = Side<A1>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize, const A2: usize, const A3: usize> Padded<2> for Side<N>
where
    Side<N>: Next<Out = Side<A0>>,
    Side<A0>: Next<Out = Side<A1>>,
    Side<A1>: Next<Out = Side<A2>>,
    Side<A2>: Next<Out = Side<A3>>,
{
    type Out = Side<A3>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
> Padded<3> for Side<N>
where
    Side<N>: Next<Out = Side<A0>>,
    Side<A0>: Next<Out = Side<A1>>,
    Side<A1>: Next<Out = Side<A2>>,
    Side<A2>: Next<Out = Side<A3>>,
    Side<A3>: Next<Out = Side<A4>>,
    Side<A4>: Next<Out = Side<A5>>,
{
    type Out = Side<A5>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
    const A7: usize,
> Padded<4> for Side<N>
where
    Side<N>: Next<Out = Side<A0>>,
    Side<A0>: Next<Out = Side<A1>>,
    Side<A1>: Next<Out = Side<A2>>,
    Side<A2>: Next<Out = Side<A3>>,
    Side<A3>: Next<Out = Side<A4>>,
    Side<A4>: Next<Out = Side<A5>>,
    Side<A5>: Next<Out = Side<A6>>,
    Side<A6>: Next<Out = Side<A7>>,
{
    type Out = Side<A7>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
    const A7: usize,
    const A8: usize,
    const A9: usize,
> Padded<5> for Side<N>
where
    Side<N>: Next<Out = Side<A0>>,
    Side<A0>: Next<Out = Side<A1>>,
    Side<A1>: Next<Out = Side<A2>>,
    Side<A2>: Next<Out = Side<A3>>,
    Side<A3>: Next<Out = Side<A4>>,
    Side<A4>: Next<Out = Side<A5>>,
    Side<A5>: Next<Out = Side<A6>>,
    Side<A6>: Next<Out = Side<A7>>,
    Side<A7>: Next<Out = Side<A8>>,
    Side<A8>: Next<Out = Side<A9>>,
{
    type Out = Side<A9>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize> Fits<2> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
{
    type Out = Side<A0>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize> Fits<3> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
{
    type Out = Side<A1>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize, const A2: usize> Fits<4> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
{
    type Out = Side<A2>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize, const A2: usize, const A3: usize> Fits<5> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
{
    type Out = Side<A3>;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const A0: usize, const A1: usize, const A2: usize, const A3: usize, const A4: usize> Fits<6>
    for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
{
    type Out = Side<A4>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
> Fits<7> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
    Side<A4>: Prev<Out = Side<A5>>,
{
    type Out = Side<A5>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
> Fits<8> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
    Side<A4>: Prev<Out = Side<A5>>,
    Side<A5>: Prev<Out = Side<A6>>,
{
    type Out = Side<A6>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
    const A7: usize,
> Fits<9> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
    Side<A4>: Prev<Out = Side<A5>>,
    Side<A5>: Prev<Out = Side<A6>>,
    Side<A6>: Prev<Out = Side<A7>>,
{
    type Out = Side<A7>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
    const A7: usize,
    const A8: usize,
> Fits<10> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
    Side<A4>: Prev<Out = Side<A5>>,
    Side<A5>: Prev<Out = Side<A6>>,
    Side<A6>: Prev<Out = Side<A7>>,
    Side<A7>: Prev<Out = Side<A8>>,
{
    type Out = Side<A8>;
}

impl<
    const N: usize,
    const A0: usize,
    const A1: usize,
    const A2: usize,
    const A3: usize,
    const A4: usize,
    const A5: usize,
    const A6: usize,
    const A7: usize,
    const A8: usize,
    const A9: usize,
> Fits<11> for Side<N>
where
    Side<N>: Prev<Out = Side<A0>>,
    Side<A0>: Prev<Out = Side<A1>>,
    Side<A1>: Prev<Out = Side<A2>>,
    Side<A2>: Prev<Out = Side<A3>>,
    Side<A3>: Prev<Out = Side<A4>>,
    Side<A4>: Prev<Out = Side<A5>>,
    Side<A5>: Prev<Out = Side<A6>>,
    Side<A6>: Prev<Out = Side<A7>>,
    Side<A7>: Prev<Out = Side<A8>>,
    Side<A8>: Prev<Out = Side<A9>>,
{
    type Out = Side<A9>;
}

macro_rules! table {
    ($trait:ident, |$n:ident| $formula:expr; $($a:literal => $b:literal),* $(,)?) => {
        $(
            #[diagnostic::do_not_recommend]
            impl $trait for Side<$a> {
                type Out = Side<$b>;
            }
        )*
        const _: () = {
            $( let $n: usize = $a; assert!($b == $formula); )*
        };
    };
}

macro_rules! strided_table {
    ($s:literal; $($a:literal => $b:literal),* $(,)?) => {
        $(
            #[diagnostic::do_not_recommend]
            impl Strided<$s> for Side<$a> {
                type Out = Side<$b>;
            }
        )*
        const _: () = {
            $( assert!($b == ($a - 1) / $s + 1); )*
        };
    };
}

impl<const N: usize> Strided<1> for Side<N> {
    type Out = Side<N>;
}

table!(Next, |n| n + 1;
    1 => 2, 2 => 3, 3 => 4, 4 => 5, 5 => 6, 6 => 7, 7 => 8, 8 => 9,
    9 => 10, 10 => 11, 11 => 12, 12 => 13, 13 => 14, 14 => 15, 15 => 16, 16 => 17,
    17 => 18, 18 => 19, 19 => 20, 20 => 21, 21 => 22, 22 => 23, 23 => 24, 24 => 25,
    25 => 26, 26 => 27, 27 => 28, 28 => 29, 29 => 30, 30 => 31, 31 => 32, 32 => 33,
    33 => 34, 34 => 35, 35 => 36, 36 => 37, 37 => 38, 38 => 39, 39 => 40, 40 => 41,
    41 => 42, 42 => 43, 43 => 44, 44 => 45, 45 => 46, 46 => 47, 47 => 48, 48 => 49,
    49 => 50, 50 => 51, 51 => 52, 52 => 53, 53 => 54, 54 => 55, 55 => 56, 56 => 57,
    57 => 58, 58 => 59, 59 => 60, 60 => 61, 61 => 62, 62 => 63, 63 => 64, 64 => 65,
    65 => 66, 66 => 67, 67 => 68, 68 => 69, 69 => 70, 70 => 71, 71 => 72, 72 => 73,
    73 => 74, 74 => 75, 75 => 76, 76 => 77, 77 => 78, 78 => 79, 79 => 80, 80 => 81,
    81 => 82, 82 => 83, 83 => 84, 84 => 85, 85 => 86, 86 => 87, 87 => 88, 88 => 89,
    89 => 90, 90 => 91, 91 => 92, 92 => 93, 93 => 94, 94 => 95, 95 => 96, 96 => 97,
    97 => 98, 98 => 99, 99 => 100, 100 => 101, 101 => 102, 102 => 103, 103 => 104, 104 => 105,
    105 => 106, 106 => 107, 107 => 108, 108 => 109, 109 => 110, 110 => 111, 111 => 112, 112 => 113,
    113 => 114, 114 => 115, 115 => 116, 116 => 117, 117 => 118, 118 => 119, 119 => 120, 120 => 121,
    121 => 122, 122 => 123, 123 => 124, 124 => 125, 125 => 126, 126 => 127, 127 => 128, 128 => 129,
    129 => 130, 130 => 131, 131 => 132, 132 => 133, 133 => 134, 134 => 135, 135 => 136, 136 => 137,
    137 => 138, 138 => 139, 139 => 140, 140 => 141, 141 => 142, 142 => 143, 143 => 144, 144 => 145,
    145 => 146, 146 => 147, 147 => 148, 148 => 149, 149 => 150, 150 => 151, 151 => 152, 152 => 153,
    153 => 154, 154 => 155, 155 => 156, 156 => 157, 157 => 158, 158 => 159, 159 => 160, 160 => 161,
    161 => 162, 162 => 163, 163 => 164, 164 => 165, 165 => 166, 166 => 167, 167 => 168, 168 => 169,
    169 => 170, 170 => 171, 171 => 172, 172 => 173, 173 => 174, 174 => 175, 175 => 176, 176 => 177,
    177 => 178, 178 => 179, 179 => 180, 180 => 181, 181 => 182, 182 => 183, 183 => 184, 184 => 185,
    185 => 186, 186 => 187, 187 => 188, 188 => 189, 189 => 190, 190 => 191, 191 => 192, 192 => 193,
    193 => 194, 194 => 195, 195 => 196, 196 => 197, 197 => 198, 198 => 199, 199 => 200, 200 => 201,
    201 => 202, 202 => 203, 203 => 204, 204 => 205, 205 => 206, 206 => 207, 207 => 208, 208 => 209,
    209 => 210, 210 => 211, 211 => 212, 212 => 213, 213 => 214, 214 => 215, 215 => 216, 216 => 217,
    217 => 218, 218 => 219, 219 => 220, 220 => 221, 221 => 222, 222 => 223, 223 => 224, 224 => 225,
    225 => 226, 226 => 227, 227 => 228, 228 => 229, 229 => 230, 230 => 231, 231 => 232, 232 => 233,
    233 => 234, 234 => 235, 235 => 236, 236 => 237, 237 => 238, 238 => 239, 239 => 240, 240 => 241,
    241 => 242, 242 => 243, 243 => 244, 244 => 245, 245 => 246, 246 => 247, 247 => 248, 248 => 249,
    249 => 250, 250 => 251, 251 => 252, 252 => 253, 253 => 254, 254 => 255, 255 => 256, 256 => 257,
    257 => 258, 258 => 259, 259 => 260, 260 => 261, 261 => 262, 262 => 263, 263 => 264, 264 => 265,
    265 => 266,
);

table!(Prev, |n| n - 1;
    2 => 1, 3 => 2, 4 => 3, 5 => 4, 6 => 5, 7 => 6, 8 => 7, 9 => 8,
    10 => 9, 11 => 10, 12 => 11, 13 => 12, 14 => 13, 15 => 14, 16 => 15, 17 => 16,
    18 => 17, 19 => 18, 20 => 19, 21 => 20, 22 => 21, 23 => 22, 24 => 23, 25 => 24,
    26 => 25, 27 => 26, 28 => 27, 29 => 28, 30 => 29, 31 => 30, 32 => 31, 33 => 32,
    34 => 33, 35 => 34, 36 => 35, 37 => 36, 38 => 37, 39 => 38, 40 => 39, 41 => 40,
    42 => 41, 43 => 42, 44 => 43, 45 => 44, 46 => 45, 47 => 46, 48 => 47, 49 => 48,
    50 => 49, 51 => 50, 52 => 51, 53 => 52, 54 => 53, 55 => 54, 56 => 55, 57 => 56,
    58 => 57, 59 => 58, 60 => 59, 61 => 60, 62 => 61, 63 => 62, 64 => 63, 65 => 64,
    66 => 65, 67 => 66, 68 => 67, 69 => 68, 70 => 69, 71 => 70, 72 => 71, 73 => 72,
    74 => 73, 75 => 74, 76 => 75, 77 => 76, 78 => 77, 79 => 78, 80 => 79, 81 => 80,
    82 => 81, 83 => 82, 84 => 83, 85 => 84, 86 => 85, 87 => 86, 88 => 87, 89 => 88,
    90 => 89, 91 => 90, 92 => 91, 93 => 92, 94 => 93, 95 => 94, 96 => 95, 97 => 96,
    98 => 97, 99 => 98, 100 => 99, 101 => 100, 102 => 101, 103 => 102, 104 => 103, 105 => 104,
    106 => 105, 107 => 106, 108 => 107, 109 => 108, 110 => 109, 111 => 110, 112 => 111, 113 => 112,
    114 => 113, 115 => 114, 116 => 115, 117 => 116, 118 => 117, 119 => 118, 120 => 119, 121 => 120,
    122 => 121, 123 => 122, 124 => 123, 125 => 124, 126 => 125, 127 => 126, 128 => 127, 129 => 128,
    130 => 129, 131 => 130, 132 => 131, 133 => 132, 134 => 133, 135 => 134, 136 => 135, 137 => 136,
    138 => 137, 139 => 138, 140 => 139, 141 => 140, 142 => 141, 143 => 142, 144 => 143, 145 => 144,
    146 => 145, 147 => 146, 148 => 147, 149 => 148, 150 => 149, 151 => 150, 152 => 151, 153 => 152,
    154 => 153, 155 => 154, 156 => 155, 157 => 156, 158 => 157, 159 => 158, 160 => 159, 161 => 160,
    162 => 161, 163 => 162, 164 => 163, 165 => 164, 166 => 165, 167 => 166, 168 => 167, 169 => 168,
    170 => 169, 171 => 170, 172 => 171, 173 => 172, 174 => 173, 175 => 174, 176 => 175, 177 => 176,
    178 => 177, 179 => 178, 180 => 179, 181 => 180, 182 => 181, 183 => 182, 184 => 183, 185 => 184,
    186 => 185, 187 => 186, 188 => 187, 189 => 188, 190 => 189, 191 => 190, 192 => 191, 193 => 192,
    194 => 193, 195 => 194, 196 => 195, 197 => 196, 198 => 197, 199 => 198, 200 => 199, 201 => 200,
    202 => 201, 203 => 202, 204 => 203, 205 => 204, 206 => 205, 207 => 206, 208 => 207, 209 => 208,
    210 => 209, 211 => 210, 212 => 211, 213 => 212, 214 => 213, 215 => 214, 216 => 215, 217 => 216,
    218 => 217, 219 => 218, 220 => 219, 221 => 220, 222 => 221, 223 => 222, 224 => 223, 225 => 224,
    226 => 225, 227 => 226, 228 => 227, 229 => 228, 230 => 229, 231 => 230, 232 => 231, 233 => 232,
    234 => 233, 235 => 234, 236 => 235, 237 => 236, 238 => 237, 239 => 238, 240 => 239, 241 => 240,
    242 => 241, 243 => 242, 244 => 243, 245 => 244, 246 => 245, 247 => 246, 248 => 247, 249 => 248,
    250 => 249, 251 => 250, 252 => 251, 253 => 252, 254 => 253, 255 => 254, 256 => 255, 257 => 256,
    258 => 257, 259 => 258, 260 => 259, 261 => 260, 262 => 261, 263 => 262, 264 => 263, 265 => 264,
    266 => 265,
);

strided_table!(2;
    1 => 1, 2 => 1, 3 => 2, 4 => 2, 5 => 3, 6 => 3, 7 => 4, 8 => 4,
    9 => 5, 10 => 5, 11 => 6, 12 => 6, 13 => 7, 14 => 7, 15 => 8, 16 => 8,
    17 => 9, 18 => 9, 19 => 10, 20 => 10, 21 => 11, 22 => 11, 23 => 12, 24 => 12,
    25 => 13, 26 => 13, 27 => 14, 28 => 14, 29 => 15, 30 => 15, 31 => 16, 32 => 16,
    33 => 17, 34 => 17, 35 => 18, 36 => 18, 37 => 19, 38 => 19, 39 => 20, 40 => 20,
    41 => 21, 42 => 21, 43 => 22, 44 => 22, 45 => 23, 46 => 23, 47 => 24, 48 => 24,
    49 => 25, 50 => 25, 51 => 26, 52 => 26, 53 => 27, 54 => 27, 55 => 28, 56 => 28,
    57 => 29, 58 => 29, 59 => 30, 60 => 30, 61 => 31, 62 => 31, 63 => 32, 64 => 32,
    65 => 33, 66 => 33, 67 => 34, 68 => 34, 69 => 35, 70 => 35, 71 => 36, 72 => 36,
    73 => 37, 74 => 37, 75 => 38, 76 => 38, 77 => 39, 78 => 39, 79 => 40, 80 => 40,
    81 => 41, 82 => 41, 83 => 42, 84 => 42, 85 => 43, 86 => 43, 87 => 44, 88 => 44,
    89 => 45, 90 => 45, 91 => 46, 92 => 46, 93 => 47, 94 => 47, 95 => 48, 96 => 48,
    97 => 49, 98 => 49, 99 => 50, 100 => 50, 101 => 51, 102 => 51, 103 => 52, 104 => 52,
    105 => 53, 106 => 53, 107 => 54, 108 => 54, 109 => 55, 110 => 55, 111 => 56, 112 => 56,
    113 => 57, 114 => 57, 115 => 58, 116 => 58, 117 => 59, 118 => 59, 119 => 60, 120 => 60,
    121 => 61, 122 => 61, 123 => 62, 124 => 62, 125 => 63, 126 => 63, 127 => 64, 128 => 64,
    129 => 65, 130 => 65, 131 => 66, 132 => 66, 133 => 67, 134 => 67, 135 => 68, 136 => 68,
    137 => 69, 138 => 69, 139 => 70, 140 => 70, 141 => 71, 142 => 71, 143 => 72, 144 => 72,
    145 => 73, 146 => 73, 147 => 74, 148 => 74, 149 => 75, 150 => 75, 151 => 76, 152 => 76,
    153 => 77, 154 => 77, 155 => 78, 156 => 78, 157 => 79, 158 => 79, 159 => 80, 160 => 80,
    161 => 81, 162 => 81, 163 => 82, 164 => 82, 165 => 83, 166 => 83, 167 => 84, 168 => 84,
    169 => 85, 170 => 85, 171 => 86, 172 => 86, 173 => 87, 174 => 87, 175 => 88, 176 => 88,
    177 => 89, 178 => 89, 179 => 90, 180 => 90, 181 => 91, 182 => 91, 183 => 92, 184 => 92,
    185 => 93, 186 => 93, 187 => 94, 188 => 94, 189 => 95, 190 => 95, 191 => 96, 192 => 96,
    193 => 97, 194 => 97, 195 => 98, 196 => 98, 197 => 99, 198 => 99, 199 => 100, 200 => 100,
    201 => 101, 202 => 101, 203 => 102, 204 => 102, 205 => 103, 206 => 103, 207 => 104, 208 => 104,
    209 => 105, 210 => 105, 211 => 106, 212 => 106, 213 => 107, 214 => 107, 215 => 108, 216 => 108,
    217 => 109, 218 => 109, 219 => 110, 220 => 110, 221 => 111, 222 => 111, 223 => 112, 224 => 112,
    225 => 113, 226 => 113, 227 => 114, 228 => 114, 229 => 115, 230 => 115, 231 => 116, 232 => 116,
    233 => 117, 234 => 117, 235 => 118, 236 => 118, 237 => 119, 238 => 119, 239 => 120, 240 => 120,
    241 => 121, 242 => 121, 243 => 122, 244 => 122, 245 => 123, 246 => 123, 247 => 124, 248 => 124,
    249 => 125, 250 => 125, 251 => 126, 252 => 126, 253 => 127, 254 => 127, 255 => 128, 256 => 128,
    257 => 129, 258 => 129, 259 => 130, 260 => 130, 261 => 131, 262 => 131, 263 => 132, 264 => 132,
    265 => 133, 266 => 133,
);

strided_table!(3;
    1 => 1, 2 => 1, 3 => 1, 4 => 2, 5 => 2, 6 => 2, 7 => 3, 8 => 3,
    9 => 3, 10 => 4, 11 => 4, 12 => 4, 13 => 5, 14 => 5, 15 => 5, 16 => 6,
    17 => 6, 18 => 6, 19 => 7, 20 => 7, 21 => 7, 22 => 8, 23 => 8, 24 => 8,
    25 => 9, 26 => 9, 27 => 9, 28 => 10, 29 => 10, 30 => 10, 31 => 11, 32 => 11,
    33 => 11, 34 => 12, 35 => 12, 36 => 12, 37 => 13, 38 => 13, 39 => 13, 40 => 14,
    41 => 14, 42 => 14, 43 => 15, 44 => 15, 45 => 15, 46 => 16, 47 => 16, 48 => 16,
    49 => 17, 50 => 17, 51 => 17, 52 => 18, 53 => 18, 54 => 18, 55 => 19, 56 => 19,
    57 => 19, 58 => 20, 59 => 20, 60 => 20, 61 => 21, 62 => 21, 63 => 21, 64 => 22,
    65 => 22, 66 => 22, 67 => 23, 68 => 23, 69 => 23, 70 => 24, 71 => 24, 72 => 24,
    73 => 25, 74 => 25, 75 => 25, 76 => 26, 77 => 26, 78 => 26, 79 => 27, 80 => 27,
    81 => 27, 82 => 28, 83 => 28, 84 => 28, 85 => 29, 86 => 29, 87 => 29, 88 => 30,
    89 => 30, 90 => 30, 91 => 31, 92 => 31, 93 => 31, 94 => 32, 95 => 32, 96 => 32,
    97 => 33, 98 => 33, 99 => 33, 100 => 34, 101 => 34, 102 => 34, 103 => 35, 104 => 35,
    105 => 35, 106 => 36, 107 => 36, 108 => 36, 109 => 37, 110 => 37, 111 => 37, 112 => 38,
    113 => 38, 114 => 38, 115 => 39, 116 => 39, 117 => 39, 118 => 40, 119 => 40, 120 => 40,
    121 => 41, 122 => 41, 123 => 41, 124 => 42, 125 => 42, 126 => 42, 127 => 43, 128 => 43,
    129 => 43, 130 => 44, 131 => 44, 132 => 44, 133 => 45, 134 => 45, 135 => 45, 136 => 46,
    137 => 46, 138 => 46, 139 => 47, 140 => 47, 141 => 47, 142 => 48, 143 => 48, 144 => 48,
    145 => 49, 146 => 49, 147 => 49, 148 => 50, 149 => 50, 150 => 50, 151 => 51, 152 => 51,
    153 => 51, 154 => 52, 155 => 52, 156 => 52, 157 => 53, 158 => 53, 159 => 53, 160 => 54,
    161 => 54, 162 => 54, 163 => 55, 164 => 55, 165 => 55, 166 => 56, 167 => 56, 168 => 56,
    169 => 57, 170 => 57, 171 => 57, 172 => 58, 173 => 58, 174 => 58, 175 => 59, 176 => 59,
    177 => 59, 178 => 60, 179 => 60, 180 => 60, 181 => 61, 182 => 61, 183 => 61, 184 => 62,
    185 => 62, 186 => 62, 187 => 63, 188 => 63, 189 => 63, 190 => 64, 191 => 64, 192 => 64,
    193 => 65, 194 => 65, 195 => 65, 196 => 66, 197 => 66, 198 => 66, 199 => 67, 200 => 67,
    201 => 67, 202 => 68, 203 => 68, 204 => 68, 205 => 69, 206 => 69, 207 => 69, 208 => 70,
    209 => 70, 210 => 70, 211 => 71, 212 => 71, 213 => 71, 214 => 72, 215 => 72, 216 => 72,
    217 => 73, 218 => 73, 219 => 73, 220 => 74, 221 => 74, 222 => 74, 223 => 75, 224 => 75,
    225 => 75, 226 => 76, 227 => 76, 228 => 76, 229 => 77, 230 => 77, 231 => 77, 232 => 78,
    233 => 78, 234 => 78, 235 => 79, 236 => 79, 237 => 79, 238 => 80, 239 => 80, 240 => 80,
    241 => 81, 242 => 81, 243 => 81, 244 => 82, 245 => 82, 246 => 82, 247 => 83, 248 => 83,
    249 => 83, 250 => 84, 251 => 84, 252 => 84, 253 => 85, 254 => 85, 255 => 85, 256 => 86,
    257 => 86, 258 => 86, 259 => 87, 260 => 87, 261 => 87, 262 => 88, 263 => 88, 264 => 88,
    265 => 89, 266 => 89,
);

strided_table!(4;
    1 => 1, 2 => 1, 3 => 1, 4 => 1, 5 => 2, 6 => 2, 7 => 2, 8 => 2,
    9 => 3, 10 => 3, 11 => 3, 12 => 3, 13 => 4, 14 => 4, 15 => 4, 16 => 4,
    17 => 5, 18 => 5, 19 => 5, 20 => 5, 21 => 6, 22 => 6, 23 => 6, 24 => 6,
    25 => 7, 26 => 7, 27 => 7, 28 => 7, 29 => 8, 30 => 8, 31 => 8, 32 => 8,
    33 => 9, 34 => 9, 35 => 9, 36 => 9, 37 => 10, 38 => 10, 39 => 10, 40 => 10,
    41 => 11, 42 => 11, 43 => 11, 44 => 11, 45 => 12, 46 => 12, 47 => 12, 48 => 12,
    49 => 13, 50 => 13, 51 => 13, 52 => 13, 53 => 14, 54 => 14, 55 => 14, 56 => 14,
    57 => 15, 58 => 15, 59 => 15, 60 => 15, 61 => 16, 62 => 16, 63 => 16, 64 => 16,
    65 => 17, 66 => 17, 67 => 17, 68 => 17, 69 => 18, 70 => 18, 71 => 18, 72 => 18,
    73 => 19, 74 => 19, 75 => 19, 76 => 19, 77 => 20, 78 => 20, 79 => 20, 80 => 20,
    81 => 21, 82 => 21, 83 => 21, 84 => 21, 85 => 22, 86 => 22, 87 => 22, 88 => 22,
    89 => 23, 90 => 23, 91 => 23, 92 => 23, 93 => 24, 94 => 24, 95 => 24, 96 => 24,
    97 => 25, 98 => 25, 99 => 25, 100 => 25, 101 => 26, 102 => 26, 103 => 26, 104 => 26,
    105 => 27, 106 => 27, 107 => 27, 108 => 27, 109 => 28, 110 => 28, 111 => 28, 112 => 28,
    113 => 29, 114 => 29, 115 => 29, 116 => 29, 117 => 30, 118 => 30, 119 => 30, 120 => 30,
    121 => 31, 122 => 31, 123 => 31, 124 => 31, 125 => 32, 126 => 32, 127 => 32, 128 => 32,
    129 => 33, 130 => 33, 131 => 33, 132 => 33, 133 => 34, 134 => 34, 135 => 34, 136 => 34,
    137 => 35, 138 => 35, 139 => 35, 140 => 35, 141 => 36, 142 => 36, 143 => 36, 144 => 36,
    145 => 37, 146 => 37, 147 => 37, 148 => 37, 149 => 38, 150 => 38, 151 => 38, 152 => 38,
    153 => 39, 154 => 39, 155 => 39, 156 => 39, 157 => 40, 158 => 40, 159 => 40, 160 => 40,
    161 => 41, 162 => 41, 163 => 41, 164 => 41, 165 => 42, 166 => 42, 167 => 42, 168 => 42,
    169 => 43, 170 => 43, 171 => 43, 172 => 43, 173 => 44, 174 => 44, 175 => 44, 176 => 44,
    177 => 45, 178 => 45, 179 => 45, 180 => 45, 181 => 46, 182 => 46, 183 => 46, 184 => 46,
    185 => 47, 186 => 47, 187 => 47, 188 => 47, 189 => 48, 190 => 48, 191 => 48, 192 => 48,
    193 => 49, 194 => 49, 195 => 49, 196 => 49, 197 => 50, 198 => 50, 199 => 50, 200 => 50,
    201 => 51, 202 => 51, 203 => 51, 204 => 51, 205 => 52, 206 => 52, 207 => 52, 208 => 52,
    209 => 53, 210 => 53, 211 => 53, 212 => 53, 213 => 54, 214 => 54, 215 => 54, 216 => 54,
    217 => 55, 218 => 55, 219 => 55, 220 => 55, 221 => 56, 222 => 56, 223 => 56, 224 => 56,
    225 => 57, 226 => 57, 227 => 57, 228 => 57, 229 => 58, 230 => 58, 231 => 58, 232 => 58,
    233 => 59, 234 => 59, 235 => 59, 236 => 59, 237 => 60, 238 => 60, 239 => 60, 240 => 60,
    241 => 61, 242 => 61, 243 => 61, 244 => 61, 245 => 62, 246 => 62, 247 => 62, 248 => 62,
    249 => 63, 250 => 63, 251 => 63, 252 => 63, 253 => 64, 254 => 64, 255 => 64, 256 => 64,
    257 => 65, 258 => 65, 259 => 65, 260 => 65, 261 => 66, 262 => 66, 263 => 66, 264 => 66,
    265 => 67, 266 => 67,
);
