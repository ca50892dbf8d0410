//! Newline framing of the runtime's stdout and stderr with a bound on the line length.
//!
//! `BufReader::lines()` would buffer a line of any length and stop at the first byte that is not
//! UTF-8. [`BoundedLines`] is a [`Decoder`] for [`FramedRead`](tokio_util::codec::FramedRead)
//! that never fails on content: a line longer than the bound is skipped while it streams in (at
//! most the bound plus one read stays buffered) and reported as [`Line::TooLong`] with its first
//! bytes, so the reader can record it and go on with the next line; bytes that are not UTF-8 are
//! decoded lossily (U+FFFD) instead of dropping the line. A trailing `\r` is removed.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

/// The default bound: far above any message codex sends in practice (a large `item/completed`
/// with a long command output is a few MiB), far below what would hurt the bridge.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// How many leading bytes of a skipped line are kept, to tell what it was.
pub const HEAD_BYTES: usize = 4096;

/// One framed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line within the bound; `lossy` when some bytes were not UTF-8.
    Text { text: String, lossy: bool },
    /// A line over the bound, skipped: its length in bytes (without the newline) and its first
    /// [`HEAD_BYTES`] bytes.
    TooLong { bytes: usize, head: Vec<u8> },
}

/// The decoder; see the module docs.
#[derive(Debug)]
pub struct BoundedLines {
    max: usize,
    /// How far `buf` has been searched for a newline already.
    searched: usize,
    /// While skipping an over-long line: its bytes so far and its head.
    skipping: Option<(usize, Vec<u8>)>,
}

impl BoundedLines {
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            searched: 0,
            skipping: None,
        }
    }

    fn text(line: &[u8]) -> Line {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match std::str::from_utf8(line) {
            Ok(s) => Line::Text {
                text: s.to_owned(),
                lossy: false,
            },
            Err(_) => Line::Text {
                text: String::from_utf8_lossy(line).into_owned(),
                lossy: true,
            },
        }
    }

    fn head_of(bytes: &[u8]) -> Vec<u8> {
        bytes[..bytes.len().min(HEAD_BYTES)].to_vec()
    }
}

impl Decoder for BoundedLines {
    type Item = Line;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        let newline = buf[self.searched..].iter().position(|b| *b == b'\n');
        match (newline, self.skipping.take()) {
            (Some(at), Some((skipped, head))) => {
                let end = self.searched + at;
                buf.advance(end + 1);
                self.searched = 0;
                Ok(Some(Line::TooLong {
                    bytes: skipped + end,
                    head,
                }))
            }
            (Some(at), None) => {
                let end = self.searched + at;
                let line = buf.split_to(end + 1);
                self.searched = 0;
                let line = &line[..end];
                if line.len() > self.max {
                    return Ok(Some(Line::TooLong {
                        bytes: line.len(),
                        head: Self::head_of(line),
                    }));
                }
                Ok(Some(Self::text(line)))
            }
            (None, Some((skipped, head))) => {
                self.skipping = Some((skipped + buf.len(), head));
                buf.clear();
                self.searched = 0;
                Ok(None)
            }
            (None, None) if buf.len() > self.max => {
                self.skipping = Some((buf.len(), Self::head_of(buf)));
                buf.clear();
                self.searched = 0;
                Ok(None)
            }
            (None, None) => {
                self.searched = buf.len();
                Ok(None)
            }
        }
    }

    /// The last line may lack its newline.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        self.searched = 0;
        if let Some((skipped, head)) = self.skipping.take() {
            let bytes = skipped + buf.len();
            buf.clear();
            return Ok(Some(Line::TooLong { bytes, head }));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let line = buf.split_to(buf.len());
        if line.len() > self.max {
            return Ok(Some(Line::TooLong {
                bytes: line.len(),
                head: Self::head_of(&line),
            }));
        }
        Ok(Some(Self::text(&line)))
    }
}

/// The `"threadId"` and `"method"` string values found in a skipped line's head, if any: enough
/// to put the error on the session it belongs to. A plain scan, since the head is cut JSON.
pub fn attribution(head: &[u8]) -> (Option<String>, Option<String>) {
    let head = String::from_utf8_lossy(head);
    let find = |key: &str| {
        let needle = format!("\"{key}\":\"");
        let start = head.find(&needle)? + needle.len();
        let rest = &head[start..];
        let end = rest.find('"')?;
        let value = &rest[..end];
        (!value.is_empty() && !value.contains('\\')).then(|| value.to_owned())
    };
    (find("threadId"), find("method"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `chunk` bytes, then EOF; returns every line.
    fn frame(max: usize, input: &[u8], chunk: usize) -> Vec<Line> {
        let mut codec = BoundedLines::new(max);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(line) = codec.decode(&mut buf).unwrap() {
                out.push(line);
            }
            assert!(buf.len() <= max + chunk, "buffer grew past the bound");
        }
        while let Some(line) = codec.decode_eof(&mut buf).unwrap() {
            out.push(line);
        }
        out
    }

    fn text(s: &str) -> Line {
        Line::Text {
            text: s.to_owned(),
            lossy: false,
        }
    }

    #[test]
    fn lines_are_split_and_the_last_may_lack_a_newline() {
        for chunk in [1, 3, 100] {
            let lines = frame(64, b"{\"a\":1}\r\n\n{\"b\":2}\nlast", chunk);
            assert_eq!(
                lines,
                vec![text("{\"a\":1}"), text(""), text("{\"b\":2}"), text("last")]
            );
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_and_the_next_one_read() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        for chunk in [1, 7, 64, 5000] {
            let lines = frame(16, &input, chunk);
            assert_eq!(lines.len(), 2, "chunk {chunk}: {lines:?}");
            match &lines[0] {
                Line::TooLong { bytes, head } => {
                    assert_eq!(*bytes, 1000);
                    assert!(head.iter().all(|b| *b == b'x') && !head.is_empty());
                }
                other => panic!("expected TooLong, got {other:?}"),
            }
            assert_eq!(lines[1], text("ok"));
        }
    }

    #[test]
    fn a_line_of_exactly_the_bound_is_kept() {
        let lines = frame(4, b"abcd\nabcde\n", 2);
        assert_eq!(lines[0], text("abcd"));
        assert!(matches!(lines[1], Line::TooLong { bytes: 5, .. }));
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily() {
        let lines = frame(64, b"a\xffb\n", 64);
        assert_eq!(
            lines,
            vec![Line::Text {
                text: "a\u{FFFD}b".into(),
                lossy: true
            }]
        );
    }

    #[test]
    fn an_over_long_last_line_without_newline_is_reported() {
        let lines = frame(4, b"ok\n0123456789", 3);
        assert_eq!(lines[0], text("ok"));
        assert!(matches!(lines[1], Line::TooLong { bytes: 10, .. }));
    }

    #[test]
    fn attribution_finds_thread_and_method() {
        let head = br#"{"method":"item/completed","params":{"threadId":"th_1","item":{"aggregatedOutput":"aaaa"#;
        assert_eq!(
            attribution(head),
            (Some("th_1".into()), Some("item/completed".into()))
        );
        assert_eq!(attribution(b"aaaa"), (None, None));
    }

    /// What the rules say `input` frames into (the model the decoder is checked against).
    fn model(max: usize, input: &[u8]) -> Vec<Line> {
        let mut segments: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
        if segments.last().is_some_and(|s| s.is_empty()) {
            segments.pop();
        }
        segments
            .into_iter()
            .map(|seg| {
                if seg.len() > max {
                    Line::TooLong {
                        bytes: seg.len(),
                        head: Vec::new(),
                    }
                } else {
                    BoundedLines::text(seg)
                }
            })
            .collect()
    }

    /// Heads are compared by prefix only: they are the first bytes of the skipped line.
    fn without_heads(lines: Vec<Line>) -> Vec<Line> {
        lines
            .into_iter()
            .map(|l| match l {
                Line::TooLong { bytes, .. } => Line::TooLong {
                    bytes,
                    head: Vec::new(),
                },
                text => text,
            })
            .collect()
    }

    fn bytes_with_newlines() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                3 => any::<u8>(),
                1 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => Just(b'a'),
            ],
            0..400,
        )
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary bytes, any bound, any chunking: no panic, the buffer stays bounded (checked
        /// in `frame`), and the lines are exactly the model's.
        #[test]
        fn arbitrary_bytes_frame_like_the_model(
            input in bytes_with_newlines(),
            max in 1usize..64,
            chunk in 1usize..100,
        ) {
            let framed = frame(max, &input, chunk);
            for line in &framed {
                if let Line::TooLong { head, .. } = line {
                    prop_assert!(!head.is_empty() && head.len() <= HEAD_BYTES);
                }
            }
            prop_assert_eq!(without_heads(framed), model(max, &input));
            let _ = attribution(&input);
        }

        /// Valid JSON-RPC messages written one per line (as app-server writes them) come back
        /// equal, whatever the chunking.
        #[test]
        fn json_lines_round_trip(
            messages in prop::collection::vec(crate::proptests::json(), 0..8),
            chunk in 1usize..512,
        ) {
            let mut input = Vec::new();
            for m in &messages {
                input.extend_from_slice(serde_json::to_string(m).unwrap().as_bytes());
                input.push(b'\n');
            }
            let back: Vec<serde_json::Value> = frame(DEFAULT_MAX_LINE_BYTES, &input, chunk)
                .into_iter()
                .map(|l| match l {
                    Line::Text { text, lossy: false } => serde_json::from_str(&text).unwrap(),
                    other => panic!("{other:?}"),
                })
                .collect();
            prop_assert_eq!(back, messages);
        }
    }
}
