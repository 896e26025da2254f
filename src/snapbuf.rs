//! The buffer a snapshot copies the index into. Allocating and first touching hundreds of
//! MiB costs more than copying into them, and that copy is the one part of a snapshot that
//! holds up commits; so the buffer is kept between snapshots and, when it must grow, is
//! allocated and touched on another thread ahead of need. It holds plaintext: zeroized when
//! dropped. The price is memory about equal to the index, kept while the vault is open.

use std::thread::JoinHandle;

use zeroize::Zeroizing;

pub(crate) type Buffer = Zeroizing<Vec<u8>>;

#[derive(Default)]
pub(crate) enum SnapshotBuffer {
    #[default]
    Empty,
    Ready(Buffer),
    Preparing(JoinHandle<Buffer>),
}

fn touched(capacity: usize) -> Buffer {
    let mut v = Vec::with_capacity(capacity);
    // Writing every page makes the kernel back it now rather than during the copy.
    v.resize(capacity, 1u8);
    v.clear();
    Zeroizing::new(v)
}

impl SnapshotBuffer {
    /// Makes sure a buffer of at least `bytes` (plus headroom for growth) will be ready,
    /// preparing it on another thread if the one at hand is too small.
    pub(crate) fn prepare(&mut self, bytes: usize) {
        let enough = bytes + bytes / 8;
        match self {
            SnapshotBuffer::Ready(b) if b.capacity() >= enough => {}
            SnapshotBuffer::Preparing(_) => {}
            _ => {
                let capacity = bytes + bytes / 4 + (1 << 20);
                // The outgrown buffer is zeroized on that thread too, not on the caller's.
                let outgrown = std::mem::take(self);
                *self = match std::thread::Builder::new()
                    .name("amanat-buffer".into())
                    .spawn(move || {
                        drop(outgrown);
                        touched(capacity)
                    }) {
                    Ok(h) => SnapshotBuffer::Preparing(h),
                    // No thread: the copy will allocate as it goes, slower but correct.
                    Err(_) => SnapshotBuffer::Empty,
                };
            }
        }
    }

    /// Takes the buffer, waiting for one being prepared.
    pub(crate) fn take(&mut self) -> Buffer {
        match std::mem::take(self) {
            SnapshotBuffer::Ready(b) => b,
            SnapshotBuffer::Preparing(h) => h.join().unwrap_or_default(),
            SnapshotBuffer::Empty => Buffer::default(),
        }
    }

    /// Returns a buffer after a snapshot, and prepares a larger one if the index outgrew it.
    pub(crate) fn give_back(&mut self, buf: Buffer) {
        let used = buf.len();
        *self = SnapshotBuffer::Ready(buf);
        self.prepare(used);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_reused_until_the_index_outgrows_it() {
        let mut s = SnapshotBuffer::default();
        s.prepare(1000);
        let mut b = s.take();
        let cap = b.capacity();
        assert!(cap >= 1000);
        b.extend_from_slice(&[7u8; 1000]);
        let ptr = b.as_ptr();
        s.give_back(b);
        let b = s.take();
        assert_eq!(
            (b.as_ptr(), b.capacity()),
            (ptr, cap),
            "the same buffer comes back"
        );
        let mut b = b;
        b.clear();
        b.extend_from_slice(&vec![1u8; cap]);
        s.give_back(b);
        assert!(
            s.take().capacity() >= cap + cap / 8,
            "a full buffer is replaced by a larger one"
        );
    }
}
