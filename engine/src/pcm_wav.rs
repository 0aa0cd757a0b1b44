//! Fast path for plain PCM WAV files (16- and 24-bit integer, 32-bit float): hound parses
//! the header, and the data chunk is de-interleaved in bulk with the conversions symphonia
//! applies (`i16 / 2^15`, `i24 / 2^23`, f32 as is), so the samples are identical to the
//! general decoder's, at a fraction of its per-sample cost. Anything else, or any file
//! that does not read cleanly, is left to the general path (which also words the errors).
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::io::SourceInfo;
use crate::Audio;

/// Bytes read from the data chunk at a time (bounded scratch).
const READ_BYTES: usize = 1 << 16;

/// The file decoded, or `None` if it is not a plain PCM WAV that reads cleanly.
pub(crate) fn read(path: &Path) -> Option<(Audio, SourceInfo)> {
    let is_wav = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if !is_wav {
        return None;
    }
    let file = File::open(path).ok()?;
    let file_bytes = file.metadata().ok()?.len();
    let reader = hound::WavReader::new(BufReader::new(file)).ok()?;
    let spec = reader.spec();
    let frames = reader.duration() as usize;
    let n_ch = usize::from(spec.channels);
    if frames == 0 || n_ch == 0 || spec.sample_rate == 0 {
        return None;
    }
    let (width, codec) = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => (2, "pcm_s16le"),
        (hound::SampleFormat::Int, 24) => (3, "pcm_s24le"),
        (hound::SampleFormat::Float, 32) => (4, "pcm_f32le"),
        _ => return None,
    };
    // A header claiming more data than the file holds (truncated or streamed) goes to the
    // general path, before anything is allocated for it.
    if (frames as u64).checked_mul((width * n_ch) as u64)? > file_bytes {
        return None;
    }
    let mut data = reader.into_inner();
    let channels = match width {
        2 => deinterleave(&mut data, frames, n_ch, 2, |b| {
            f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0
        })?,
        3 => deinterleave(&mut data, frames, n_ch, 3, |b| {
            (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
        })?,
        _ => deinterleave(&mut data, frames, n_ch, 4, |b| {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })?,
    };
    if width == 4 && channels.iter().flatten().any(|s| !s.is_finite()) {
        return None;
    }
    let info = SourceInfo {
        bits_per_sample: Some(u32::from(spec.bits_per_sample)),
        codec: codec.to_string(),
    };
    Some((Audio::new(spec.sample_rate, channels), info))
}

/// Reads `frames` interleaved frames of `n_ch` samples of `width` bytes into planar f32.
fn deinterleave(
    data: &mut impl Read,
    frames: usize,
    n_ch: usize,
    width: usize,
    convert: impl Fn(&[u8]) -> f32,
) -> Option<Vec<Vec<f32>>> {
    let frame_bytes = width * n_ch;
    let mut channels: Vec<Vec<f32>> = (0..n_ch).map(|_| Vec::with_capacity(frames)).collect();
    let mut buf = vec![0u8; (READ_BYTES / frame_bytes).max(1) * frame_bytes];
    let mut left = frames;
    while left > 0 {
        let n = left.min(buf.len() / frame_bytes);
        let bytes = &mut buf[..n * frame_bytes];
        data.read_exact(bytes).ok()?;
        if n_ch == 2 {
            let (l, r) = channels.split_at_mut(1);
            for f in bytes.chunks_exact(frame_bytes) {
                l[0].push(convert(&f[..width]));
                r[0].push(convert(&f[width..]));
            }
        } else {
            for f in bytes.chunks_exact(frame_bytes) {
                for (ch, s) in channels.iter_mut().zip(f.chunks_exact(width)) {
                    ch.push(convert(s));
                }
            }
        }
        left -= n;
    }
    Some(channels)
}
