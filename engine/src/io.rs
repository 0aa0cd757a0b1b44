//! Audio file I/O: decode anything symphonia reads into [`Audio`], write WAV with hound.
//!
//! Writes are atomic: samples go to a temporary file beside the target, which is renamed
//! over the target only when complete, so an interrupted run never leaves a partial file.
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::processors::dither::{quantise, Dither};
use crate::{Audio, Error, Result};

/// Sample format of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BitDepth {
    /// 16-bit integer PCM, TPDF-dithered.
    #[serde(rename = "16")]
    Int16,
    /// 24-bit integer PCM, TPDF-dithered.
    #[serde(rename = "24")]
    Int24,
    /// 32-bit IEEE float, written as is.
    #[serde(rename = "32f")]
    Float32,
}

impl BitDepth {
    /// Parses `16`, `24` or `32f`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "16" => Some(Self::Int16),
            "24" => Some(Self::Int24),
            "32f" | "32" => Some(Self::Float32),
            _ => None,
        }
    }

    /// Bits per sample in the file.
    pub fn bits(self) -> u16 {
        match self {
            Self::Int16 => 16,
            Self::Int24 => 24,
            Self::Float32 => 32,
        }
    }

    /// The label used in file names and reports (`16`, `24`, `32f`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Int16 => "16",
            Self::Int24 => "24",
            Self::Float32 => "32f",
        }
    }
}

/// What the decoder found in a file besides the samples.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// Bits per sample of the source, where the format says.
    pub bits_per_sample: Option<u32>,
    /// Codec short name (e.g. `pcm_s24le`, `vorbis`, `flac`).
    pub codec: String,
}

/// Decodes a whole file into planar f32 audio.
///
/// Fails with a message naming the file for: missing or unreadable files, non-audio data,
/// zero-length audio, truncated files (fewer frames than the header declares) and NaN or
/// infinite samples.
pub fn read(path: &Path) -> Result<Audio> {
    read_with_info(path).map(|(a, _)| a)
}

/// Like [`read`], and also returns what the decoder found about the source.
pub fn read_with_info(path: &Path) -> Result<(Audio, SourceInfo)> {
    let fmt_err = |reason: String| Error::Format {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Err(fmt_err("empty file (0 bytes)".into()));
    }
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| fmt_err(describe(&e)))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| fmt_err("no audio track".into()))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let declared_frames = params.n_frames;
    let codec = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map_or_else(|| "unknown".to_string(), |d| d.short_name.to_string());
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| fmt_err(describe(&e)))?;

    let mut rate = params.sample_rate;
    let mut channels: Vec<Vec<f32>> = Vec::new();
    if let (Some(n), Some(ch)) = (declared_frames, params.channels) {
        // Pre-size from the header, capped so a lying header cannot exhaust memory.
        let cap = (n as usize).min(1 << 28);
        channels = (0..ch.count()).map(|_| Vec::with_capacity(cap)).collect();
    }
    let mut sample_buf: Option<SampleBuffer<f32>> = None;
    let mut decode_errors = 0usize;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(fmt_err(describe(&e))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) => {
                decode_errors += 1;
                if decode_errors > 16 {
                    return Err(fmt_err("too many corrupt packets".into()));
                }
                continue;
            }
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(fmt_err(describe(&e))),
        };
        let spec = *decoded.spec();
        rate = Some(spec.rate);
        let n_ch = spec.channels.count();
        if channels.is_empty() {
            channels = vec![Vec::new(); n_ch];
        }
        if channels.len() != n_ch {
            return Err(fmt_err("channel count changes mid-stream".into()));
        }
        let frames = decoded.frames();
        if frames == 0 {
            continue;
        }
        let sb = match &mut sample_buf {
            Some(sb) if sb.capacity() >= decoded.capacity() * n_ch => sb,
            _ => sample_buf.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        sb.copy_planar_ref(decoded);
        let samples = sb.samples();
        for (c, ch) in channels.iter_mut().enumerate() {
            ch.extend_from_slice(&samples[c * frames..(c + 1) * frames]);
        }
    }
    let rate = rate.ok_or_else(|| fmt_err("unknown sample rate".into()))?;
    let frames = channels.first().map_or(0, Vec::len);
    if frames == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if let Some(n) = declared_frames {
        // Lossy codecs may pad or trim a frame's worth; PCM must match, give or take the
        // one frame symphonia's AIFF reader over-declares.
        let lossless = params.bits_per_sample.is_some();
        if lossless && (frames as u64) + 1 < n {
            return Err(fmt_err(format!(
                "truncated: header declares {n} frames, file holds {frames}"
            )));
        }
    }
    let mut bad = 0usize;
    let mut first_bad = usize::MAX;
    for ch in &channels {
        for (i, s) in ch.iter().enumerate() {
            if !s.is_finite() {
                bad += 1;
                first_bad = first_bad.min(i);
            }
        }
    }
    if bad > 0 {
        return Err(Error::NonFinite {
            path: path.to_path_buf(),
            count: bad,
            first_index: first_bad,
        });
    }
    for ch in &mut channels {
        ch.shrink_to_fit();
    }
    Ok((
        Audio::new(rate, channels),
        SourceInfo {
            bits_per_sample: params.bits_per_sample,
            codec,
        },
    ))
}

fn describe(e: &SymError) -> String {
    match e {
        SymError::Unsupported(what) => format!("unsupported format or codec: {what}"),
        SymError::DecodeError(what) => format!("corrupt data: {what}"),
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated or not an audio file".into()
        }
        other => other.to_string(),
    }
}

/// Options for writing a WAV file.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Output sample format.
    pub bit_depth: BitDepth,
    /// Seed of the TPDF dither noise (fixed, so output is deterministic).
    pub dither_seed: u64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            bit_depth: BitDepth::Int24,
            dither_seed: 0x636f_6461,
        }
    }
}

/// Decodes a WAV file held in memory (as written by [`encode_wav`]) to planar f32.
pub fn decode_wav_bytes(bytes: &[u8]) -> Result<Audio> {
    let err = |e: hound::Error| Error::Format {
        path: PathBuf::from("<memory>"),
        reason: e.to_string(),
    };
    let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(err)?;
    let spec = r.spec();
    let n = usize::from(spec.channels.max(1));
    let frames = r.duration() as usize;
    let mut channels = vec![Vec::with_capacity(frames); n];
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for (i, s) in r.samples::<f32>().enumerate() {
                channels[i % n].push(s.map_err(err)?);
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            for (i, s) in r.samples::<i32>().enumerate() {
                channels[i % n].push(s.map_err(err)? as f32 * scale);
            }
        }
    }
    Ok(Audio::new(spec.sample_rate, channels))
}

/// Writes `audio` as WAV at `path`, atomically (temp file + rename).
pub fn write_wav(path: &Path, audio: &Audio, opts: WriteOptions) -> Result<()> {
    let bytes = encode_wav(audio, opts)?;
    write_atomic(path, &bytes)
}

/// Encodes `audio` as a complete WAV file in memory.
pub fn encode_wav(audio: &Audio, opts: WriteOptions) -> Result<Vec<u8>> {
    let werr = |e: hound::Error| Error::Write {
        path: PathBuf::from("<memory>"),
        reason: e.to_string(),
    };
    let spec = hound::WavSpec {
        channels: audio.channel_count() as u16,
        sample_rate: audio.sample_rate_hz,
        bits_per_sample: opts.bit_depth.bits(),
        sample_format: match opts.bit_depth {
            BitDepth::Float32 => hound::SampleFormat::Float,
            _ => hound::SampleFormat::Int,
        },
    };
    let mut cursor = std::io::Cursor::new(Vec::with_capacity(
        audio.frames() * audio.channel_count() * usize::from(opts.bit_depth.bits() / 8) + 64,
    ));
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).map_err(werr)?;
        let frames = audio.frames();
        match opts.bit_depth {
            BitDepth::Float32 => {
                for i in 0..frames {
                    for ch in &audio.channels {
                        w.write_sample(ch[i]).map_err(werr)?;
                    }
                }
            }
            depth => {
                // Each channel has its own dither stream: quantise them in parallel.
                let quantised: Vec<Vec<i32>> = audio
                    .channels
                    .par_iter()
                    .enumerate()
                    .map(|(c, ch)| {
                        let mut d = Dither::new(opts.dither_seed.wrapping_add(c as u64));
                        quantise(ch, depth.bits() as u32, &mut d)
                    })
                    .collect();
                for i in 0..frames {
                    for ch in &quantised {
                        w.write_sample(ch[i]).map_err(werr)?;
                    }
                }
            }
        }
        w.finalize().map_err(werr)?;
    }
    Ok(cursor.into_inner())
}

/// Writes bytes to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let werr = |reason: String| Error::Write {
        path: path.to_path_buf(),
        reason,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| werr("no file name".into()))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(werr(e.to_string()));
    }
    Ok(())
}
