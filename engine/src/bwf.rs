//! Broadcast WAV metadata: the `bext` chunk (EBU Tech 3285 version 2, with its loudness
//! fields) and a `LIST`/`INFO` chunk (title, artist, comment), inserted into a WAV file
//! written by [`crate::io::encode_wav`] ahead of its `data` chunk.
//!
//! Written by hand: no maintained crate writes `bext` v2 loudness fields (hound writes only
//! `fmt ` and `data`; the `bwavfile` crate is unmaintained and reads v1 layouts).
use crate::{Error, Result};

/// Bytes of the fixed part of a `bext` chunk (everything before CodingHistory).
pub const BEXT_FIXED_LEN: usize = 602;

/// The `bext` fields coda fills in. Loudness values are stored as `round(x * 100)` in an
/// int16, as Tech 3285 v2 specifies; `None` writes the spec's "not set" value 0x7fff.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bext {
    /// Free description (at most 256 bytes, ASCII).
    pub description: String,
    /// Originator (application), at most 32 bytes.
    pub originator: String,
    /// Originator reference (unique id), at most 32 bytes.
    pub originator_reference: String,
    /// `yyyy-mm-dd`.
    pub origination_date: String,
    /// `hh:mm:ss`.
    pub origination_time: String,
    /// Integrated loudness, LUFS.
    pub loudness_value: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range: Option<f64>,
    /// Maximum true peak, dBTP.
    pub max_true_peak_level: Option<f64>,
    /// Maximum momentary loudness, LUFS.
    pub max_momentary_loudness: Option<f64>,
    /// Maximum short-term loudness, LUFS.
    pub max_short_term_loudness: Option<f64>,
    /// Coding history (free text, e.g. `A=PCM,F=48000,W=24,M=stereo,T=coda`).
    pub coding_history: String,
}

/// Title, artist and comment for the `LIST`/`INFO` chunk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InfoTags {
    /// `INAM`: title.
    pub title: Option<String>,
    /// `IART`: artist.
    pub artist: Option<String>,
    /// `ICMT`: comment.
    pub comment: Option<String>,
    /// `ISFT`: software.
    pub software: Option<String>,
}

const NOT_SET: i16 = 0x7fff;

fn loud(v: Option<f64>) -> i16 {
    v.filter(|x| x.is_finite())
        .map(|x| (x * 100.0).round().clamp(-32768.0, 32766.0) as i16)
        .unwrap_or(NOT_SET)
}

fn unloud(v: i16) -> Option<f64> {
    (v != NOT_SET).then(|| f64::from(v) / 100.0)
}

fn put_str(out: &mut Vec<u8>, s: &str, len: usize) {
    let b = s.as_bytes();
    let n = b.len().min(len);
    out.extend_from_slice(&b[..n]);
    out.resize(out.len() + len - n, 0);
}

/// Pads text to an even length with a NUL inside the text. RIFF wants a pad byte after an
/// odd-sized chunk, outside its declared size, and some readers (hound 3.5 among them)
/// skip only the declared size and then lose their place; an even size needs no pad.
fn even(text: &mut Vec<u8>) {
    if text.len() % 2 == 1 {
        text.push(0);
    }
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(body.len() + 9);
    c.extend_from_slice(id);
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

impl Bext {
    /// The chunk body (fixed part + coding history).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(BEXT_FIXED_LEN + self.coding_history.len());
        put_str(&mut b, &self.description, 256);
        put_str(&mut b, &self.originator, 32);
        put_str(&mut b, &self.originator_reference, 32);
        put_str(&mut b, &self.origination_date, 10);
        put_str(&mut b, &self.origination_time, 8);
        b.extend_from_slice(&0u32.to_le_bytes()); // TimeReferenceLow
        b.extend_from_slice(&0u32.to_le_bytes()); // TimeReferenceHigh
        b.extend_from_slice(&2u16.to_le_bytes()); // Version
        b.resize(b.len() + 64, 0); // UMID
        for v in [
            self.loudness_value,
            self.loudness_range,
            self.max_true_peak_level,
            self.max_momentary_loudness,
            self.max_short_term_loudness,
        ] {
            b.extend_from_slice(&loud(v).to_le_bytes());
        }
        b.resize(b.len() + 180, 0); // Reserved
        debug_assert_eq!(b.len(), BEXT_FIXED_LEN);
        b.extend_from_slice(self.coding_history.as_bytes());
        even(&mut b);
        b
    }

    /// Parses a chunk body (for checks and `--merge`).
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() < BEXT_FIXED_LEN {
            return None;
        }
        let s = |from: usize, len: usize| {
            String::from_utf8_lossy(&b[from..from + len])
                .trim_end_matches('\0')
                .to_string()
        };
        let i16_at = |at: usize| i16::from_le_bytes([b[at], b[at + 1]]);
        Some(Self {
            description: s(0, 256),
            originator: s(256, 32),
            originator_reference: s(288, 32),
            origination_date: s(320, 10),
            origination_time: s(330, 8),
            loudness_value: unloud(i16_at(412)),
            loudness_range: unloud(i16_at(414)),
            max_true_peak_level: unloud(i16_at(416)),
            max_momentary_loudness: unloud(i16_at(418)),
            max_short_term_loudness: unloud(i16_at(420)),
            coding_history: String::from_utf8_lossy(&b[BEXT_FIXED_LEN..])
                .trim_end_matches('\0')
                .to_string(),
        })
    }
}

impl InfoTags {
    fn to_chunk(&self) -> Option<Vec<u8>> {
        let mut body = b"INFO".to_vec();
        for (id, v) in [
            (b"INAM", &self.title),
            (b"IART", &self.artist),
            (b"ICMT", &self.comment),
            (b"ISFT", &self.software),
        ] {
            if let Some(v) = v {
                let mut text = v.as_bytes().to_vec();
                text.push(0);
                even(&mut text);
                body.extend(chunk(id, &text));
            }
        }
        (body.len() > 4).then(|| chunk(b"LIST", &body))
    }
}

/// The chunks of a RIFF/WAVE file: (id, body start, body length).
fn chunks(wav: &[u8]) -> Result<Vec<([u8; 4], usize, usize)>> {
    let bad = |reason: &str| Error::Write {
        path: "<memory>".into(),
        reason: reason.into(),
    };
    if wav.len() < 12 || &wav[0..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return Err(bad("not a RIFF/WAVE file"));
    }
    let mut out = Vec::new();
    let mut at = 12;
    while at + 8 <= wav.len() {
        let id: [u8; 4] = wav[at..at + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        let start = at + 8;
        if start + len > wav.len() {
            return Err(bad("chunk runs past the end of the file"));
        }
        out.push((id, start, len));
        at = start + len + (len % 2);
    }
    Ok(out)
}

/// Inserts `bext` (and `LIST`/`INFO` when any tag is set) before the `data` chunk.
pub fn add_bwf_chunks(wav: &[u8], bext: &Bext, info: &InfoTags) -> Result<Vec<u8>> {
    let list = chunks(wav)?;
    let (_, data_start, _) = *list
        .iter()
        .find(|(id, _, _)| id == b"data")
        .ok_or_else(|| Error::Write {
            path: "<memory>".into(),
            reason: "no data chunk".into(),
        })?;
    let data_header = data_start - 8;
    let mut extra = chunk(b"bext", &bext.to_bytes());
    if let Some(l) = info.to_chunk() {
        extra.extend(l);
    }
    let mut out = Vec::with_capacity(wav.len() + extra.len());
    out.extend_from_slice(&wav[..data_header]);
    out.extend_from_slice(&extra);
    out.extend_from_slice(&wav[data_header..]);
    let riff_len = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff_len.to_le_bytes());
    Ok(out)
}

/// Reads the `bext` chunk of a WAV file's bytes, if any.
pub fn read_bext(wav: &[u8]) -> Option<Bext> {
    let list = chunks(wav).ok()?;
    let (_, start, len) = *list.iter().find(|(id, _, _)| id == b"bext")?;
    Bext::from_bytes(&wav[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{encode_wav, WriteOptions};
    use crate::Audio;

    #[test]
    fn loudness_fields_round_trip_and_the_file_still_decodes() {
        let audio = Audio::new(48_000, vec![vec![0.25; 4800], vec![-0.25; 4800]]);
        let wav = encode_wav(&audio, WriteOptions::default()).unwrap();
        let bext = Bext {
            description: "coda master".into(),
            originator: "coda".into(),
            origination_date: "2026-12-03".into(),
            origination_time: "08:30:00".into(),
            loudness_value: Some(-14.04),
            loudness_range: Some(6.5),
            max_true_peak_level: Some(-1.02),
            max_momentary_loudness: Some(-9.87),
            max_short_term_loudness: Some(-11.2),
            coding_history: "A=PCM,F=48000,W=24,M=stereo,T=coda\r\n".into(),
            ..Bext::default()
        };
        let info = InfoTags {
            title: Some("Heroes".into()),
            artist: Some("Composer".into()),
            ..InfoTags::default()
        };
        let out = add_bwf_chunks(&wav, &bext, &info).unwrap();
        let back = read_bext(&out).unwrap();
        assert_eq!(back.loudness_value, Some(-14.04));
        assert_eq!(back.loudness_range, Some(6.5));
        assert_eq!(back.max_true_peak_level, Some(-1.02));
        assert_eq!(back.max_momentary_loudness, Some(-9.87));
        assert_eq!(back.max_short_term_loudness, Some(-11.2));
        assert_eq!(back.description, "coda master");
        // Version 2 at offset 346, loudness at 412.
        let list = chunks(&out).unwrap();
        let (_, start, _) = *list.iter().find(|(id, _, _)| id == b"bext").unwrap();
        assert_eq!(u16::from_le_bytes([out[start + 346], out[start + 347]]), 2);
        assert_eq!(
            i16::from_le_bytes([out[start + 412], out[start + 413]]),
            -1404
        );
        // hound still reads the samples.
        let mut r = hound::WavReader::new(std::io::Cursor::new(out)).unwrap();
        assert_eq!(r.duration(), 4800);
        let first: i32 = r.samples::<i32>().next().unwrap().unwrap();
        assert!((first as f64 / 8_388_608.0 - 0.25).abs() < 1e-5);
    }

    #[test]
    fn odd_length_texts_make_even_chunks_that_hound_reads() {
        // Regression: a 45-byte coding history made an odd `bext` chunk; hound skipped its
        // size but not the pad byte and failed on every 16-bit batch output.
        let audio = Audio::new(44_100, vec![vec![0.1; 441], vec![-0.1; 441]]);
        let wav = encode_wav(
            &audio,
            WriteOptions {
                bit_depth: crate::io::BitDepth::Int16,
                ..WriteOptions::default()
            },
        )
        .unwrap();
        let bext = Bext {
            coding_history: "A=PCM,F=44100,W=16,M=stereo,T=coda 0.1.0 tv\r\n".into(),
            ..Bext::default()
        };
        assert_eq!(bext.coding_history.len() % 2, 1);
        let info = InfoTags {
            title: Some("t1".into()),
            software: Some("coda 0.1.0".into()),
            ..InfoTags::default()
        };
        let out = add_bwf_chunks(&wav, &bext, &info).unwrap();
        for (id, _, len) in chunks(&out).unwrap() {
            assert_eq!(
                len % 2,
                0,
                "{} is {len} bytes",
                String::from_utf8_lossy(&id)
            );
        }
        let r = hound::WavReader::new(std::io::Cursor::new(&out)).unwrap();
        assert_eq!(r.duration(), 441);
        let back = read_bext(&out).unwrap();
        assert_eq!(back.coding_history, bext.coding_history);
    }

    #[test]
    fn unset_loudness_writes_0x7fff() {
        let b = Bext::default().to_bytes();
        assert_eq!(i16::from_le_bytes([b[412], b[413]]), 0x7fff);
        assert_eq!(Bext::from_bytes(&b).unwrap().loudness_value, None);
    }
}
