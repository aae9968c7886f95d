//! What a file is, from its first bytes: so `info capture.scap` and
//! `import trace.srt` say what the user handed them and what to run instead
//! of a block-layout error.

use std::io::Read;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A sysreplay trace (`SRTRACE` in the first frame).
    Trace,
    /// A sysdig/Falco capture (pcapng-like blocks with scap block types).
    Scap {
        gzip: bool,
    },
    /// A network packet capture (pcap or pcapng).
    Pcap {
        gzip: bool,
    },
    /// Other gzip data.
    Gzip,
    /// Printable text.
    Text,
    Empty,
    Unknown,
}

impl Kind {
    /// The file described for a message: "a sysdig/Falco capture (scap)".
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Trace => "a sysreplay trace (.srt)",
            Kind::Scap { gzip: false } => "a sysdig/Falco capture (scap)",
            Kind::Scap { gzip: true } => "a gzip-compressed sysdig/Falco capture (scap)",
            Kind::Pcap { gzip: false } => "a network packet capture (pcap), not a syscall capture",
            Kind::Pcap { gzip: true } => {
                "a gzip-compressed network packet capture (pcap), not a syscall capture"
            }
            Kind::Gzip => "gzip data that is neither a scap capture nor a trace",
            Kind::Text => "a text file",
            Kind::Empty => "an empty file",
            Kind::Unknown => "not a file sysreplay knows",
        }
    }
}

const SHB: u32 = 0x0A0D_0D0A;
const BYTE_ORDER: u32 = 0x1A2B_3C4D;

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
}

/// Classify `head`, the first bytes of a file (a few KiB are enough).
pub fn classify(head: &[u8], gzip: bool) -> Kind {
    if head.is_empty() {
        return Kind::Empty;
    }
    if !gzip && head.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::new();
        let _ = flate2::read::GzDecoder::new(head)
            .take(64 << 10)
            .read_to_end(&mut inner);
        return match classify(&inner, true) {
            k @ (Kind::Scap { .. } | Kind::Pcap { .. }) => k,
            _ => Kind::Gzip,
        };
    }
    if let Some(m) = u32le(head, 0) {
        if (0x184D_2A50..=0x184D_2A5F).contains(&m) && head.get(8..15) == Some(b"SRTRACE") {
            return Kind::Trace;
        }
        // classic pcap, micro- or nanosecond, either byte order
        if [0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1].contains(&m) {
            return Kind::Pcap { gzip };
        }
        if m == SHB && u32le(head, 8) == Some(BYTE_ORDER) {
            // scap and pcapng share the section header; the next block
            // tells them apart (scap's types are 0x200 and up).
            let len = u32le(head, 4).unwrap_or(0) as usize;
            return match u32le(head, len) {
                Some(t) if t >= 0x200 => Kind::Scap { gzip },
                Some(_) => Kind::Pcap { gzip },
                None => Kind::Scap { gzip },
            };
        }
    }
    let text = std::str::from_utf8(&head[..head.len().min(4096)])
        .map(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()))
        .unwrap_or(false);
    if text {
        Kind::Text
    } else {
        Kind::Unknown
    }
}

/// Classify the file at `path` (None if it cannot be read).
pub fn sniff(path: &Path) -> Option<Kind> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = Vec::new();
    f.by_ref().take(64 << 10).read_to_end(&mut head).ok()?;
    Some(classify(&head, false))
}

/// What to say when a trace was expected and `path` is something else.
pub fn not_a_trace(path: &Path) -> Option<String> {
    let k = sniff(path)?;
    let what = k.describe();
    let p = path.display();
    Some(match k {
        Kind::Trace => return None,
        Kind::Scap { .. } => format!(
            "{p}: this is {what}, not a sysreplay trace; run `sysreplay import {p} -o trace.srt` first"
        ),
        Kind::Pcap { .. } => format!(
            "{p}: this is {what}; sysreplay reads its own traces (.srt) and sysdig/Falco .scap captures (`sysreplay import`)"
        ),
        // Text, other gzip, unknown bytes: the reader's own error (offset
        // and what was expected) says it best; the caller adds `what`.
        _ => return None,
    })
}

/// What to say when a rules file (YAML) was expected and `path` is a
/// trace or a capture: most often the trace and `-r` were swapped. Only
/// regular files are looked at: a pipe (`-r /dev/stdin`) must reach the
/// loader unread, and a directory's files are the loader's.
pub fn not_rules(path: &Path) -> Option<String> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let k = sniff(path)?;
    let p = path.display();
    let what = k.describe();
    match k {
        Kind::Trace | Kind::Scap { .. } => Some(format!(
            "{p}: this is {what}, not a rules file (YAML): -r takes rules files (trace and rules swapped?)"
        )),
        Kind::Pcap { .. } => Some(format!("{p}: this is {what}; -r takes rules files (YAML)")),
        Kind::Gzip => Some(format!(
            "{p}: this is gzip data; -r takes rules files (YAML): decompress it first"
        )),
        _ => None,
    }
}

/// What the file at `path` is, for a note after another error.
pub fn describe(path: &Path) -> Option<&'static str> {
    sniff(path)
        .filter(|k| !matches!(k, Kind::Trace | Kind::Unknown))
        .map(Kind::describe)
}

/// What to say when a scap capture was expected and `path` is something else.
pub fn not_a_capture(path: &Path) -> Option<String> {
    let k = sniff(path)?;
    let what = k.describe();
    let p = path.display();
    Some(match k {
        Kind::Scap { .. } => return None,
        Kind::Trace => format!(
            "{p}: this is {what} already, nothing to import; use it directly (`sysreplay info {p}`), or `sysreplay export` to make a .scap"
        ),
        Kind::Pcap { .. } => format!(
            "{p}: this is {what}; `import` reads sysdig/Falco captures (`sysdig -w`, Falco's capture files, gzip or plain)"
        ),
        // Text, other gzip, unknown bytes: the scap reader's own error
        // (offset, what was expected) with `describe` as a note.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_files_apart() {
        let mut shb = Vec::new();
        shb.extend_from_slice(&SHB.to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        shb.extend_from_slice(&BYTE_ORDER.to_le_bytes());
        shb.resize(28, 0);
        let mut scap = shb.clone();
        scap.extend_from_slice(&0x201u32.to_le_bytes());
        let mut pcapng = shb.clone();
        pcapng.extend_from_slice(&1u32.to_le_bytes());
        assert_eq!(classify(&scap, false), Kind::Scap { gzip: false });
        assert_eq!(classify(&pcapng, false), Kind::Pcap { gzip: false });
        assert_eq!(
            classify(&0xA1B2_C3D4u32.to_le_bytes(), false),
            Kind::Pcap { gzip: false }
        );
        assert_eq!(classify(b"hello\nworld\n", false), Kind::Text);
        assert_eq!(classify(b"", false), Kind::Empty);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &scap).unwrap();
        assert_eq!(
            classify(&gz.finish().unwrap(), false),
            Kind::Scap { gzip: true }
        );
    }
}
