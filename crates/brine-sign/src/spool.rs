//! Holding a payload whose bytes may not be released yet: in memory up to a limit, then in an
//! anonymous temporary file.

use std::fs::File;
use std::io;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};

/// Payload bytes being collected. Nothing reads them back before [`Spool::into_reader`].
pub(crate) struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
    memory_limit: usize,
    len: u64,
}

impl Spool {
    pub(crate) fn new(memory_limit: usize) -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            memory_limit,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.memory.len().saturating_add(data.len()) > self.memory_limit {
            // `tempfile()` creates the file unlinked (or unlinks it at once), readable and
            // writable by this user only, and removed by the OS when the handle closes.
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write_all(data)?,
            None => self.memory.extend_from_slice(data),
        }
        self.len += data.len() as u64;
        Ok(())
    }

    pub(crate) fn into_reader(self) -> io::Result<SpoolReader> {
        Ok(match self.file {
            Some(mut file) => {
                file.seek(SeekFrom::Start(0))?;
                SpoolReader::File(BufReader::new(file))
            }
            None => SpoolReader::Memory(io::Cursor::new(self.memory)),
        })
    }
}

/// The spooled bytes, read back from the start.
pub(crate) enum SpoolReader {
    Memory(io::Cursor<Vec<u8>>),
    File(BufReader<File>),
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SpoolReader::Memory(cursor) => cursor.read(buf),
            SpoolReader::File(file) => file.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_to_a_file_past_the_limit() {
        for limit in [0, 3, 5, 100] {
            let mut spool = Spool::new(limit);
            spool.write_all(b"abc").unwrap();
            spool.write_all(b"").unwrap();
            spool.write_all(b"defg").unwrap();
            assert_eq!(spool.len(), 7);
            let spilled = spool.file.is_some();
            assert_eq!(spilled, limit < 7, "limit {limit}");
            let mut out = Vec::new();
            spool.into_reader().unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, b"abcdefg");
        }
    }
}
