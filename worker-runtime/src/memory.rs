//! Access to the guest's linear memory, by copy.
//!
//! The guest (python.wasm) has its own shared `WebAssembly.Memory`; this crate never holds a
//! reference into it. Every read copies out and every write copies in, bounds-checked against
//! the memory's current size (which may grow between calls, from any thread), and an
//! out-of-bounds pointer is `EFAULT`, not a host crash.

use crate::errno::Errno;
use std::cell::RefCell;

pub trait GuestMemory {
    /// Current size in bytes.
    fn size(&self) -> u64;
    /// Copies `buf.len()` bytes at `ptr` out of guest memory. Callers use the checked helpers.
    fn read_raw(&self, ptr: u32, buf: &mut [u8]);
    /// Copies `data` into guest memory at `ptr`. Callers use the checked helpers.
    fn write_raw(&self, ptr: u32, data: &[u8]);
    /// Called when an access falls outside `size()`: an embedder that caches a view of a
    /// growable memory rebuilds it here, and the access is checked once more.
    fn refresh(&self) {}
}

fn check(mem: &(impl GuestMemory + ?Sized), ptr: u32, len: usize) -> Result<(), Errno> {
    let end = ptr as u64 + len as u64;
    if end <= mem.size() {
        return Ok(());
    }
    // Another thread may have grown the memory since the embedder built its view.
    mem.refresh();
    if end <= mem.size() {
        Ok(())
    } else {
        Err(Errno::Fault)
    }
}

/// Checked, typed access on top of [`GuestMemory`]. All integers are little-endian.
pub trait GuestMemoryExt: GuestMemory {
    fn read(&self, ptr: u32, buf: &mut [u8]) -> Result<(), Errno> {
        check(self, ptr, buf.len())?;
        self.read_raw(ptr, buf);
        Ok(())
    }
    fn write(&self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        check(self, ptr, data.len())?;
        self.write_raw(ptr, data);
        Ok(())
    }
    fn read_vec(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
        let mut v = vec![0; len as usize];
        self.read(ptr, &mut v)?;
        Ok(v)
    }
    /// A path or name argument: must be valid UTF-8 (WASI strings are UTF-8).
    fn read_str(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        String::from_utf8(self.read_vec(ptr, len)?).map_err(|_| Errno::Ilseq)
    }
    fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let mut b = [0; 4];
        self.read(ptr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn write_u8(&self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, &[v])
    }
    fn write_u32(&self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    fn write_u64(&self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    /// Reads an array of `(ptr, len)` iovec pairs in one copy.
    fn read_iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let raw = self.read_vec(iovs, count.checked_mul(8).ok_or(Errno::Inval)?)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let p = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let l = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                (p, l)
            })
            .collect())
    }
}

impl<M: GuestMemory + ?Sized> GuestMemoryExt for M {}

/// A `Vec<u8>` standing in for guest memory: used by native tests and tools.
#[derive(Debug, Default)]
pub struct VecMemory(pub RefCell<Vec<u8>>);

impl VecMemory {
    pub fn new(size: usize) -> Self {
        VecMemory(RefCell::new(vec![0; size]))
    }
}

impl GuestMemory for VecMemory {
    fn size(&self) -> u64 {
        self.0.borrow().len() as u64
    }
    fn read_raw(&self, ptr: u32, buf: &mut [u8]) {
        let p = ptr as usize;
        buf.copy_from_slice(&self.0.borrow()[p..p + buf.len()]);
    }
    fn write_raw(&self, ptr: u32, data: &[u8]) {
        let p = ptr as usize;
        self.0.borrow_mut()[p..p + data.len()].copy_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_is_efault_not_panic() {
        let m = VecMemory::new(16);
        assert_eq!(m.write_u32(12, 7), Ok(()));
        assert_eq!(m.read_u32(12), Ok(7));
        assert_eq!(m.write_u32(13, 7), Err(Errno::Fault));
        assert_eq!(m.read_u32(u32::MAX), Err(Errno::Fault));
        assert_eq!(m.read_iovecs(0, u32::MAX), Err(Errno::Inval));
    }

    #[test]
    fn strings_must_be_utf8() {
        let m = VecMemory::new(8);
        m.write(0, b"h\xc3\xa9").unwrap();
        assert_eq!(m.read_str(0, 3).as_deref(), Ok("hé"));
        m.write(0, b"\xff").unwrap();
        assert_eq!(m.read_str(0, 1), Err(Errno::Ilseq));
    }
}
