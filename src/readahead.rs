//! A reader that reads (and so decrypts) ahead on a second thread, so that decrypting a large
//! snapshot and hashing and loading it overlap instead of taking turns. Buffers circulate
//! between the two threads and are zeroized when dropped: they hold plaintext.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use zeroize::Zeroizing;

const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 4;

type Chunk = Zeroizing<Vec<u8>>;

pub(crate) struct ReadAhead {
    full: Receiver<io::Result<Chunk>>,
    empty: SyncSender<Chunk>,
    current: Chunk,
    pos: usize,
    done: bool,
}

/// Starts reading `source` on another thread. The thread ends at the end of the source, on
/// an error (handed to the reader), or when the `ReadAhead` is dropped.
pub(crate) fn read_ahead<R: Read + Send + 'static>(mut source: R) -> io::Result<ReadAhead> {
    let (full_tx, full) = sync_channel::<io::Result<Chunk>>(IN_FLIGHT);
    let (empty, empty_rx) = sync_channel::<Chunk>(IN_FLIGHT + 1);
    for _ in 0..IN_FLIGHT {
        let _ = empty.send(Zeroizing::new(vec![0u8; CHUNK]));
    }
    std::thread::Builder::new()
        .name("amanat-read-ahead".into())
        .spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                buf.resize(CHUNK, 0);
                let mut filled = 0;
                let result = loop {
                    match source.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == CHUNK {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(filled);
                let last = filled == 0 || result.is_err();
                let msg = result.map(|_| buf);
                if full_tx.send(msg).is_err() || last {
                    return;
                }
            }
        })?;
    Ok(ReadAhead {
        full,
        empty,
        current: Zeroizing::new(Vec::new()),
        pos: 0,
        done: false,
    })
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.full.recv() {
                Ok(r) => r?,
                Err(_) => return Err(io::Error::other("the read-ahead thread stopped")),
            };
            let used = std::mem::replace(&mut self.current, next);
            if used.capacity() > 0 {
                let _ = self.empty.send(used);
            }
            self.pos = 0;
            if self.current.is_empty() {
                self.done = true;
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exactly_what_the_source_holds_across_chunk_boundaries() -> io::Result<()> {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i % 251) as u8).collect();
        let mut r = read_ahead(io::Cursor::new(data.clone()))?;
        let mut out = Vec::new();
        let mut small = [0u8; 7000];
        loop {
            let n = r.read(&mut small)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&small[..n]);
        }
        assert_eq!(out, data);
        Ok(())
    }

    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "bad chunk"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_source_error_reaches_the_reader() -> io::Result<()> {
        let mut r = read_ahead(Failing(CHUNK + 10))?;
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::InvalidData));
        Ok(())
    }
}
