//! The AVX-512 building blocks hold the kernels' `unsafe`: each load and
//! store must touch only the slice it is given (the whole-vector ones only
//! what they document), whatever the slice's length and place. Under Miri
//! (which runs these intrinsics when built with `-C
//! target-feature=+avx512f`) any access outside is an error; natively the
//! values are checked.

use super::*;
use std::vec::Vec;

/// The u32 loads and stores, as the per-type ones are tested (Miri runs
/// this too).
#[test]
fn masked_u32_accesses_stay_in_their_slices() {
    if !std::is_x86_feature_detected!("avx512f") {
        return;
    }
    let ints: Vec<u32> = (1..=40).collect();
    for start in 0..ints.len() {
        for end in start..=ints.len().min(start + 18) {
            let (slice, n) = (&ints[start..end], end - start);
            let first = n.min(16);
            // SAFETY (every call below): the CPU, or Miri, has AVX-512F.
            unsafe {
                let mut lanes = [0u32; 16];
                store_u32x16(&mut lanes, load_u32(slice));
                assert_eq!(&lanes[..first], &slice[..first]);
                assert!(lanes[first..].iter().all(|&v| v == 0));
                for store in [store_u32 as unsafe fn(&mut [u32], __m512i), |d, v| {
                    store_u32_ahead(d, 0, d.len(), v)
                }] {
                    let mut out = vec![0u32; ints.len()];
                    store(&mut out[start..end], _mm512_set1_epi32(7));
                    for (i, &v) in out.iter().enumerate() {
                        assert_eq!(v == 7, i >= start && i < start + first, "element {i}");
                    }
                }
            }
            // (Miri cannot run the compress)
            if !cfg!(miri) && detected() {
                let mut list = vec![0u32; n + 16];
                // SAFETY: the CPU has AVX-512F and POPCNT.
                let found = unsafe { push_lanes(&mut list, n, _mm512_set1_epi32(9), 0b101) };
                assert_eq!((found, &list[n..n + 2]), (n + 2, &[9, 9][..]));
            }
        }
    }
}

/// The permutes pair up and split neighbouring lanes as the pooling
/// kernels need (natively: Miri cannot run them).
#[test]
fn pairs_split_and_join() {
    if cfg!(miri) || !std::is_x86_feature_detected!("avx512f") {
        return;
    }
    let data: Vec<f32> = (0..32).map(|i| i as f32).collect();
    // SAFETY: the CPU has AVX-512F.
    unsafe {
        let (even, odd) = super::f32::deinterleave(super::f32::load(&data), super::f32::load(&data[16..]));
        let (mut e, mut o) = ([0.0f32; 16], [0.0f32; 16]);
        super::f32::store(&mut e, even);
        super::f32::store(&mut o, odd);
        assert!((0..16).all(|i| e[i] == (2 * i) as f32 && o[i] == (2 * i + 1) as f32));
        let (low, high) = super::f32::interleave(even, odd);
        let mut joined = [0.0f32; 32];
        super::f32::store(&mut joined, low);
        super::f32::store(&mut joined[16..], high);
        assert_eq!(&joined[..], &data[..]);
        let wide: Vec<f64> = data.iter().map(|&v| v as f64).collect();
        let (even, odd) = super::f64::deinterleave(super::f64::load(&wide), super::f64::load(&wide[8..]));
        let (low, high) = super::f64::interleave(even, odd);
        let mut joined = [0.0f64; 16];
        super::f64::store(&mut joined, low);
        super::f64::store(&mut joined[8..], high);
        assert_eq!(&joined[..], &wide[..16]);
        let mut lanes = [0u32; 16];
        store_u32x16(&mut lanes, super::f32::doubled_lanes());
        assert!((0..16).all(|i| lanes[i] == 2 * i as u32));
        super::f64::store_index_ahead(&mut lanes, 0, 8, super::f64::doubled_lanes());
        assert!((0..8).all(|i| lanes[i] == 2 * i as u32));
    }
}

/// The per-type loads and stores, for one scalar type.
macro_rules! masked_accesses {
    ($t:ident) => {
        mod $t {
            use crate::kernels::avx512::$t::*;
            use std::vec::Vec;

            /// `out` is -1 everywhere but `written` (from the start of
            /// `at..`), which holds `value` for the first `n` and zero
            /// after.
            fn written<T: Copy + PartialEq + core::fmt::Debug>(
                out: &[T],
                at: usize,
                (n, total): (usize, usize),
                (value, zero, untouched): (T, T, T),
            ) {
                for (i, &v) in out.iter().enumerate() {
                    let want = match i.checked_sub(at) {
                        Some(j) if j < n => value,
                        Some(j) if j < total => zero,
                        _ => untouched,
                    };
                    assert_eq!(v, want, "element {i} after a store at {at} of {n} of {total}");
                }
            }

            /// The loads and stores hold the kernels' `unsafe`: each must
            /// read and write only the slice it is given (the whole-vector
            /// ones only what they document), whatever the slice's length
            /// and place. Under Miri (which runs these intrinsics when
            /// built with `-C target-feature=+avx512f`) any access outside
            /// is an error; natively the values are checked.
            #[test]
            fn masked_accesses_stay_in_their_slices() {
                if !std::is_x86_feature_detected!("avx512f") {
                    return;
                }
                let data: Vec<$t> = (0..40).map(|i| i as $t + 1.0).collect();
                let ints: Vec<u32> = (1..=40).collect();
                for start in 0..data.len() {
                    for end in start..=data.len().min(start + 2 * LANES + 2) {
                        let (slice, int_slice, n) = (&data[start..end], &ints[start..end], end - start);
                        let first = n.min(LANES);
                        // SAFETY (every call below): the CPU, or Miri, has
                        // AVX-512F.
                        unsafe {
                            let mut lanes = [0.0 as $t; LANES];
                            store_full(&mut lanes, load(slice));
                            assert_eq!(&lanes[..first], &slice[..first]);
                            assert!(lanes[first..].iter().all(|&v| v == 0.0));
                            let mut back = [0u32; 16];
                            store_index_ahead(&mut back, 0, LANES, load_index(int_slice));
                            assert_eq!(&back[..first], &int_slice[..first]);
                            assert!(back[first..].iter().all(|&v| v == 0));

                            let mut out = vec![-1.0 as $t; data.len()];
                            store(&mut out[start..end], splat(5.0));
                            written(&out, start, (first, first), (5.0, 0.0, -1.0));
                            let mut out = vec![-1.0 as $t; data.len()];
                            store_ahead(&mut out[start..end], 0, n, splat(5.0));
                            written(&out, start, (first, first), (5.0, 0.0, -1.0));
                            let mut out = vec![u32::MAX; data.len()];
                            store_index_ahead(&mut out[start..end], 0, n, index(7));
                            let total = if n >= 16 { 16 } else { first };
                            written(&out, start, (first, total), (7, 0, u32::MAX));

                            if n >= LANES {
                                let mut out = vec![0.0 as $t; n];
                                store_full(&mut out, load_full(slice));
                                assert_eq!(&out[..LANES], &slice[..LANES]);
                            }
                            if n >= ROW_LANES {
                                let mut out = [0.0 as $t; LANES];
                                store_full(&mut out, widen(load_row(slice)));
                                assert_eq!(&out[..ROW_LANES], &slice[..ROW_LANES]);
                            }
                        }
                    }
                }
            }
        }
    };
}
masked_accesses!(f32);
masked_accesses!(f64);
