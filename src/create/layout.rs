//! Maps pieces onto the files they cover: the torrent's data is the files
//! concatenated in order, cut into pieces of one size (the last one shorter).

use super::walk::SourceFile;

/// A piece's bytes inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub file: usize,
    pub offset: u64,
    pub len: u64,
}

#[derive(Debug)]
pub struct Layout {
    pub files: Vec<SourceFile>,
    /// Where each file starts in the concatenated data.
    pub starts: Vec<u64>,
    pub total: u64,
    pub piece_size: u64,
}

/// The full-size pieces that lie inside one file, which the cache stores per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholePieces {
    pub first: usize,
    pub count: usize,
    /// Where the file starts relative to the piece grid (its start offset modulo the piece size).
    pub align: u64,
}

impl Layout {
    pub fn new(files: Vec<SourceFile>, piece_size: u64) -> Layout {
        let mut starts = Vec::with_capacity(files.len());
        let mut total = 0u64;
        for f in &files {
            starts.push(total);
            total += f.len;
        }
        Layout {
            files,
            starts,
            total,
            piece_size,
        }
    }

    pub fn piece_count(&self) -> usize {
        self.total.div_ceil(self.piece_size) as usize
    }

    /// The byte range of piece `k` in the concatenated data.
    pub fn piece_range(&self, k: usize) -> (u64, u64) {
        let start = k as u64 * self.piece_size;
        (start, (start + self.piece_size).min(self.total))
    }

    /// The non-empty file pieces of the data range `[start, end)`, in order.
    pub fn segments(&self, start: u64, end: u64) -> impl Iterator<Item = Segment> + '_ {
        let first = self
            .starts
            .partition_point(|&s| s <= start)
            .saturating_sub(1);
        (first..self.files.len())
            .take_while(move |&i| self.starts[i] < end)
            .filter_map(move |i| {
                let fs = self.starts[i];
                let fe = fs + self.files[i].len;
                let (s, e) = (start.max(fs), end.min(fe));
                (s < e).then_some(Segment {
                    file: i,
                    offset: s - fs,
                    len: e - s,
                })
            })
    }

    pub fn whole_pieces(&self, file: usize) -> WholePieces {
        let (start, len, p) = (self.starts[file], self.files[file].len, self.piece_size);
        let first = start.div_ceil(p);
        let skip = first * p - start;
        let count = if len > skip { (len - skip) / p } else { 0 };
        WholePieces {
            first: first as usize,
            count: count as usize,
            align: start % p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(lens: &[u64], p: u64) -> Layout {
        let files = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| SourceFile {
                components: vec![i.to_string()],
                path: i.to_string().into(),
                canonical: i.to_string().into(),
                len,
                mtime_ns: 0,
            })
            .collect();
        Layout::new(files, p)
    }

    #[test]
    fn segments_cross_files_and_skip_empty_ones() {
        let l = layout(&[5, 0, 3, 10], 4);
        assert_eq!(l.piece_count(), 5);
        let seg = |k| {
            let (s, e) = l.piece_range(k);
            l.segments(s, e)
                .map(|g| (g.file, g.offset, g.len))
                .collect::<Vec<_>>()
        };
        assert_eq!(seg(0), vec![(0, 0, 4)]);
        assert_eq!(seg(1), vec![(0, 4, 1), (2, 0, 3)]);
        assert_eq!(seg(2), vec![(3, 0, 4)]);
        assert_eq!(seg(4), vec![(3, 8, 2)]);
    }

    #[test]
    fn whole_pieces_follow_alignment() {
        let l = layout(&[5, 0, 3, 10], 4);
        assert_eq!(
            l.whole_pieces(0),
            WholePieces {
                first: 0,
                count: 1,
                align: 0
            }
        );
        assert_eq!(l.whole_pieces(2).count, 0);
        // File 3 starts at 8: pieces 2 and 3 are whole; piece 4 is the short tail.
        assert_eq!(
            l.whole_pieces(3),
            WholePieces {
                first: 2,
                count: 2,
                align: 0
            }
        );
        let l = layout(&[6, 9], 4);
        assert_eq!(
            l.whole_pieces(1),
            WholePieces {
                first: 2,
                count: 1,
                align: 2
            }
        );
    }
}
