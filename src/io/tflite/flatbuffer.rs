//! A bounded reader of the FlatBuffers wire format: tables through their
//! vtables, scalars, offsets to tables, vectors and strings, each checked
//! against the buffer before it is read.
//!
//! Only the shapes the TFLite schema has are read, by the schema's fixed
//! paths (a model's subgraphs' tensors' quantization, …), so nesting depth
//! is the schema's and a cycle of offsets cannot be followed. What a file
//! can still do is point many offsets at the same object; every vector
//! element and string byte read is charged to a budget proportional to the
//! file's size, so the work and the memory of a parse stay linear in it.

use core::cell::Cell;

/// What went wrong at the wire level. The caller adds where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WireError {
    /// `len` bytes at `at` run past the end of the buffer.
    OutOfBounds { at: usize, len: usize },
    /// A vtable or table header that cannot be one.
    BadVtable(&'static str),
    /// A string that is not UTF-8 or lacks its terminating zero.
    BadString,
    /// More data read than the budget allows (shared sub-objects).
    Budget,
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfBounds { at, len } => write!(f, "{len} bytes at offset {at} run past the end of the file"),
            Self::BadVtable(what) => write!(f, "bad table: {what}"),
            Self::BadString => f.write_str("string is not zero-terminated UTF-8"),
            Self::Budget => f.write_str("the file refers to the same data too many times (more than its size allows)"),
        }
    }
}

pub(super) type Wire<T> = Result<T, WireError>;

/// The buffer and what is left of the read budget.
pub(super) struct Buffer<'a> {
    bytes: &'a [u8],
    budget: Cell<usize>,
}

impl<'a> Buffer<'a> {
    /// A reader over `bytes` that may read each byte about `factor` times.
    pub(super) fn new(bytes: &'a [u8], factor: usize) -> Self {
        Self {
            bytes,
            budget: Cell::new(bytes.len().saturating_mul(factor).saturating_add(1 << 16)),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    fn charge(&self, bytes: usize) -> Wire<()> {
        let left = self.budget.get().checked_sub(bytes).ok_or(WireError::Budget)?;
        self.budget.set(left);
        Ok(())
    }

    /// `len` bytes at `at`.
    pub(super) fn slice(&self, at: usize, len: usize) -> Wire<&'a [u8]> {
        let end = at.checked_add(len).ok_or(WireError::OutOfBounds { at, len })?;
        self.bytes.get(at..end).ok_or(WireError::OutOfBounds { at, len })
    }

    fn array<const N: usize>(&self, at: usize) -> Wire<[u8; N]> {
        let bytes = self.slice(at, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(super) fn u16(&self, at: usize) -> Wire<u16> {
        self.array(at).map(u16::from_le_bytes)
    }

    pub(super) fn u32(&self, at: usize) -> Wire<u32> {
        self.array(at).map(u32::from_le_bytes)
    }

    /// The position an unsigned offset stored at `at` points to.
    fn follow(&self, at: usize) -> Wire<usize> {
        let offset = self.u32(at)? as usize;
        let target = at
            .checked_add(offset)
            .ok_or(WireError::OutOfBounds { at, len: offset })?;
        if target >= self.bytes.len() {
            return Err(WireError::OutOfBounds { at: target, len: 1 });
        }
        Ok(target)
    }

    /// The root table: the offset at the start of the buffer.
    pub(super) fn root(&self) -> Wire<Table<'_, 'a>> {
        let at = self.follow(0)?;
        Table::at(self, at)
    }
}

/// A table: its position and its vtable's field offsets.
#[derive(Clone, Copy)]
pub(super) struct Table<'b, 'a> {
    buffer: &'b Buffer<'a>,
    position: usize,
    vtable: usize,
    vtable_len: usize,
    table_len: usize,
}

impl<'b, 'a> Table<'b, 'a> {
    fn at(buffer: &'b Buffer<'a>, position: usize) -> Wire<Self> {
        let soffset = i64::from(buffer.u32(position)? as i32);
        let vtable = position as i64 - soffset;
        if vtable < 0 || vtable as usize >= buffer.len() {
            return Err(WireError::BadVtable("vtable offset points outside the file"));
        }
        let vtable = vtable as usize;
        let vtable_len = usize::from(buffer.u16(vtable)?);
        let table_len = usize::from(buffer.u16(vtable + 2)?);
        if vtable_len < 4 || vtable_len % 2 != 0 {
            return Err(WireError::BadVtable("vtable size below 4 or odd"));
        }
        if table_len < 4 {
            return Err(WireError::BadVtable("table size below 4"));
        }
        buffer.slice(vtable, vtable_len)?;
        buffer.slice(position, table_len)?;
        buffer.charge(vtable_len + table_len)?;
        Ok(Self {
            buffer,
            position,
            vtable,
            vtable_len,
            table_len,
        })
    }

    /// A table with no fields present, for an absent options table whose
    /// fields then all take their defaults.
    pub(super) fn empty_like(&self) -> Table<'b, 'a> {
        Table {
            vtable_len: 4,
            table_len: 4,
            ..*self
        }
    }

    /// Where field `id` is stored, if it is present, checked to hold `size`
    /// bytes inside the table.
    fn field(&self, id: usize, size: usize) -> Wire<Option<usize>> {
        let entry = 4 + 2 * id;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        let offset = usize::from(self.buffer.u16(self.vtable + entry)?);
        if offset == 0 {
            return Ok(None);
        }
        if offset < 4 || offset + size > self.table_len {
            return Err(WireError::BadVtable("field outside its table"));
        }
        Ok(Some(self.position + offset))
    }

    fn scalar<const N: usize>(&self, id: usize) -> Wire<Option<[u8; N]>> {
        match self.field(id, N)? {
            Some(at) => self.buffer.array(at).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn u8(&self, id: usize, default: u8) -> Wire<u8> {
        Ok(self.scalar::<1>(id)?.map_or(default, |b| b[0]))
    }

    pub(super) fn i8(&self, id: usize, default: i8) -> Wire<i8> {
        Ok(self.scalar::<1>(id)?.map_or(default, |b| b[0] as i8))
    }

    pub(super) fn bool(&self, id: usize, default: bool) -> Wire<bool> {
        Ok(self.scalar::<1>(id)?.map_or(default, |b| b[0] != 0))
    }

    pub(super) fn i32(&self, id: usize, default: i32) -> Wire<i32> {
        Ok(self.scalar::<4>(id)?.map_or(default, i32::from_le_bytes))
    }

    pub(super) fn u32(&self, id: usize, default: u32) -> Wire<u32> {
        Ok(self.scalar::<4>(id)?.map_or(default, u32::from_le_bytes))
    }

    pub(super) fn u64(&self, id: usize, default: u64) -> Wire<u64> {
        Ok(self.scalar::<8>(id)?.map_or(default, u64::from_le_bytes))
    }

    pub(super) fn f32(&self, id: usize, default: f32) -> Wire<f32> {
        Ok(self.scalar::<4>(id)?.map_or(default, f32::from_le_bytes))
    }

    /// The table field `id` points to, if present.
    pub(super) fn table(&self, id: usize) -> Wire<Option<Table<'b, 'a>>> {
        match self.field(id, 4)? {
            Some(at) => {
                let target = self.buffer.follow(at)?;
                Table::at(self.buffer, target).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The vector field `id` points to (empty if absent), elements of
    /// `size` bytes, its whole extent checked and charged.
    fn vector(&self, id: usize, size: usize) -> Wire<Vector<'b, 'a>> {
        let Some(at) = self.field(id, 4)? else {
            return Ok(Vector {
                buffer: self.buffer,
                start: 0,
                len: 0,
                size,
            });
        };
        let target = self.buffer.follow(at)?;
        let len = self.buffer.u32(target)? as usize;
        let bytes = len.checked_mul(size).ok_or(WireError::OutOfBounds {
            at: target,
            len: usize::MAX,
        })?;
        self.buffer.slice(target + 4, bytes)?;
        self.buffer.charge(bytes + 4)?;
        Ok(Vector {
            buffer: self.buffer,
            start: target + 4,
            len,
            size,
        })
    }

    /// A vector of bytes as a slice of the buffer.
    pub(super) fn bytes(&self, id: usize) -> Wire<&'a [u8]> {
        let v = self.vector(id, 1)?;
        self.buffer.slice(v.start, v.len)
    }

    /// A vector of scalars, decoded.
    pub(super) fn i32s(&self, id: usize) -> Wire<Vec<i32>> {
        let v = self.vector(id, 4)?;
        (0..v.len)
            .map(|i| self.buffer.u32(v.start + 4 * i).map(|x| x as i32))
            .collect()
    }

    pub(super) fn f32s(&self, id: usize) -> Wire<Vec<f32>> {
        let v = self.vector(id, 4)?;
        (0..v.len)
            .map(|i| self.buffer.u32(v.start + 4 * i).map(f32::from_bits))
            .collect()
    }

    pub(super) fn i64s(&self, id: usize) -> Wire<Vec<i64>> {
        let v = self.vector(id, 8)?;
        (0..v.len)
            .map(|i| self.buffer.array::<8>(v.start + 8 * i).map(i64::from_le_bytes))
            .collect()
    }

    /// A vector of tables.
    pub(super) fn tables(&self, id: usize) -> Wire<Vector<'b, 'a>> {
        self.vector(id, 4)
    }

    /// A string, if present.
    pub(super) fn string(&self, id: usize) -> Wire<Option<&'a str>> {
        let Some(at) = self.field(id, 4)? else {
            return Ok(None);
        };
        let target = self.buffer.follow(at)?;
        let len = self.buffer.u32(target)? as usize;
        let with_zero = len.checked_add(1).ok_or(WireError::BadString)?;
        let bytes = self.buffer.slice(target + 4, with_zero)?;
        self.buffer.charge(with_zero + 4)?;
        if bytes[len] != 0 {
            return Err(WireError::BadString);
        }
        core::str::from_utf8(&bytes[..len])
            .map(Some)
            .map_err(|_| WireError::BadString)
    }
}

/// A vector's extent, its elements read on demand.
pub(super) struct Vector<'b, 'a> {
    buffer: &'b Buffer<'a>,
    start: usize,
    len: usize,
    size: usize,
}

impl<'b, 'a> Vector<'b, 'a> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Element `i` of a vector of tables.
    pub(super) fn table(&self, i: usize) -> Wire<Table<'b, 'a>> {
        debug_assert_eq!(self.size, 4);
        let target = self.buffer.follow(self.start + 4 * i)?;
        Table::at(self.buffer, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root table with one i32 field (id 0) = 7 and a vector of two
    /// bytes (id 1), laid out by hand.
    fn tiny() -> Vec<u8> {
        let mut b = vec![0u8; 40];
        b[0..4].copy_from_slice(&12u32.to_le_bytes()); // root at 12
        // vtable at 4: size 8, table size 12, field 0 at +4, field 1 at +8
        b[4..6].copy_from_slice(&8u16.to_le_bytes());
        b[6..8].copy_from_slice(&12u16.to_le_bytes());
        b[8..10].copy_from_slice(&4u16.to_le_bytes());
        b[10..12].copy_from_slice(&8u16.to_le_bytes());
        b[12..16].copy_from_slice(&8i32.to_le_bytes()); // vtable = 12 − 8
        b[16..20].copy_from_slice(&7i32.to_le_bytes());
        b[20..24].copy_from_slice(&8u32.to_le_bytes()); // vector at 28
        b[28..32].copy_from_slice(&2u32.to_le_bytes());
        b[32] = 0xab;
        b[33] = 0xcd;
        b
    }

    #[test]
    fn reads_fields_and_defaults() {
        let bytes = tiny();
        let buffer = Buffer::new(&bytes, 4);
        let root = buffer.root().unwrap();
        assert_eq!(root.i32(0, -1).unwrap(), 7);
        assert_eq!(root.bytes(1).unwrap(), &[0xab, 0xcd]);
        assert_eq!(root.i32(5, -1).unwrap(), -1, "a field past the vtable has its default");
        assert!(root.string(5).unwrap().is_none());
    }

    #[test]
    fn every_offset_is_checked() {
        let mut bytes = tiny();
        bytes[28..32].copy_from_slice(&1000u32.to_le_bytes()); // vector too long
        let buffer = Buffer::new(&bytes, 4);
        assert!(matches!(
            buffer.root().unwrap().bytes(1),
            Err(WireError::OutOfBounds { .. })
        ));

        let mut bytes = tiny();
        bytes[12..16].copy_from_slice(&(-100i32).to_le_bytes()); // vtable past the end
        assert!(Buffer::new(&bytes, 4).root().is_err());

        let mut bytes = tiny();
        bytes[8..10].copy_from_slice(&10u16.to_le_bytes()); // field 0 beyond the table
        let buffer = Buffer::new(&bytes, 4);
        assert!(buffer.root().unwrap().i32(0, 0).is_err());

        let mut bytes = tiny();
        bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Buffer::new(&bytes, 4).root().is_err());
        assert!(Buffer::new(&bytes[..3], 4).root().is_err());
    }

    #[test]
    fn the_budget_bounds_rereading() {
        let bytes = tiny();
        let buffer = Buffer::new(&bytes, 0);
        let root = buffer.root().unwrap();
        // The fixed allowance of 64 KiB, then nothing.
        let mut reads = 0;
        while root.bytes(1).is_ok() {
            reads += 1;
            assert!(reads < 100_000);
        }
        assert!(matches!(root.bytes(1), Err(WireError::Budget)));
    }
}
