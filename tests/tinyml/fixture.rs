//! The `.fixture` format of `tests/fixtures/tinyml` (its README describes
//! it): named arrays with their shapes. Needs nothing but `std`, so the
//! firmware's build script reads the fixtures with it too.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// One stored array.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I32(Vec<i32>),
}

/// A named array with its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Data,
}

impl Array {
    pub fn i8(&self) -> &[i8] {
        match &self.data {
            Data::I8(v) => v,
            other => panic!("not int8: {other:?}"),
        }
    }

    pub fn f32(&self) -> &[f32] {
        match &self.data {
            Data::F32(v) => v,
            other => panic!("not f32: {other:?}"),
        }
    }

    pub fn i32(&self) -> &[i32] {
        match &self.data {
            Data::I32(v) => v,
            other => panic!("not i32: {other:?}"),
        }
    }

    /// Row `i` of the outermost dimension.
    pub fn row_i8(&self, i: usize) -> &[i8] {
        let n = self.shape[1..].iter().product::<usize>();
        &self.i8()[i * n..][..n]
    }
}

/// A fixture file: arrays by name.
pub type Fixture = BTreeMap<String, Array>;

/// The format of the fixtures' README, every length checked.
pub fn parse(bytes: &[u8]) -> Result<Fixture, String> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let end = at.checked_add(n).filter(|&e| e <= bytes.len()).ok_or("truncated")?;
        let s = &bytes[at..end];
        at = end;
        Ok(s)
    };
    if take(4)? != b"TNFX" {
        return Err("not a fixture file".into());
    }
    let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap()) as usize;
    let version = u32_of(take(4)?);
    if version != 1 {
        return Err(format!("version {version}"));
    }
    let count = u32_of(take(4)?);
    let mut out = Fixture::new();
    for _ in 0..count {
        let len = u16::from_le_bytes(take(2)?.try_into().unwrap()) as usize;
        let name = std::str::from_utf8(take(len)?).map_err(|e| e.to_string())?.to_owned();
        let header = take(2)?;
        let (dtype, rank) = (header[0], header[1] as usize);
        let shape = (0..rank).map(|_| take(4).map(u32_of)).collect::<Result<Vec<_>, _>>()?;
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or("shape overflows")?;
        let size = [4, 1, 1, 4].get(dtype as usize).ok_or(format!("dtype {dtype}"))?;
        let raw = take(n.checked_mul(*size).ok_or("size overflows")?)?;
        let data = match dtype {
            0 => Data::F32(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
            1 => Data::I8(raw.iter().map(|&b| b as i8).collect()),
            2 => Data::U8(raw.to_vec()),
            _ => Data::I32(
                raw.chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
        };
        out.insert(name, Array { shape, data });
    }
    if at != bytes.len() {
        return Err("trailing bytes".into());
    }
    Ok(out)
}
