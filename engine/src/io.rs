//! Audio file I/O: decode anything symphonia reads into [`Audio`], write WAV with hound.
//!
//! Writes are atomic: samples go to a temporary file beside the target, which is renamed
//! over the target only when complete, so an interrupted run never leaves a partial file.
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL, CODEC_TYPE_VORBIS};
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
///
/// Plain 16/24-bit integer and 32-bit float PCM WAV files take a bulk path with the same
/// samples as the general one ([`read_general`]); everything else goes through symphonia.
pub fn read_with_info(path: &Path) -> Result<(Audio, SourceInfo)> {
    match crate::pcm_wav::read(path) {
        Some(decoded) => Ok(decoded),
        None => read_general(path),
    }
}

/// [`read_with_info`] through symphonia for every format (the reference for the WAV path).
pub fn read_general(path: &Path) -> Result<(Audio, SourceInfo)> {
    read_symphonia(path, true)
}

/// [`read_general`] with Vorbis decoded in one piece, not as two parallel halves (the
/// reference the split decode is tested against).
pub fn read_general_serial(path: &Path) -> Result<(Audio, SourceInfo)> {
    read_symphonia(path, false)
}

fn read_symphonia(path: &Path, split: bool) -> Result<(Audio, SourceInfo)> {
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

    let mut sink = Sink::new(params.sample_rate);
    if let (Some(n), Some(ch), false) = (
        declared_frames,
        params.channels,
        params.codec == CODEC_TYPE_VORBIS,
    ) {
        // Pre-size from the header, capped so a lying header cannot exhaust memory.
        let cap = (n as usize).min(1 << 28);
        sink.channels = (0..ch.count()).map(|_| Vec::with_capacity(cap)).collect();
    }
    if params.codec == CODEC_TYPE_VORBIS {
        // Packets read ahead so the two halves decode in parallel (Vorbis packets depend
        // only on the one before, through the overlap-add).
        let mut packets = Vec::new();
        loop {
            match format.next_packet() {
                Ok(p) if p.track_id() == track_id => packets.push(p),
                Ok(_) => {}
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(SymError::ResetRequired) => break,
                Err(e) => return Err(fmt_err(describe(&e))),
            }
        }
        let halves = split
            .then(|| decode_halves(&params, &packets, declared_frames))
            .flatten();
        match halves {
            Some((first, second)) => sink.take_halves(first, second),
            None => {
                for p in &packets {
                    if sink.feed(&mut decoder, p).map_err(fmt_err)? == Flow::Stop {
                        break;
                    }
                }
            }
        }
    } else {
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
            if sink.feed(&mut decoder, &packet).map_err(fmt_err)? == Flow::Stop {
                break;
            }
        }
    }
    let (rate, mut channels) = (sink.rate, sink.channels);
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

/// Vorbis files with fewer packets than this decode in one piece.
const MIN_SPLIT_PACKETS: usize = 64;

/// Whether decoding goes on after a packet.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Decoded planar samples and the decoding state around them.
struct Sink {
    rate: Option<u32>,
    channels: Vec<Vec<f32>>,
    sample_buf: Option<SampleBuffer<f32>>,
    decode_errors: usize,
}

impl Sink {
    fn new(rate: Option<u32>) -> Self {
        Self {
            rate,
            channels: Vec::new(),
            sample_buf: None,
            decode_errors: 0,
        }
    }

    /// Decodes one packet and appends its samples; corrupt packets are skipped (up to 16).
    fn feed(
        &mut self,
        decoder: &mut Box<dyn symphonia::core::codecs::Decoder>,
        packet: &symphonia::core::formats::Packet,
    ) -> std::result::Result<Flow, String> {
        let decoded = match decoder.decode(packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) => {
                self.decode_errors += 1;
                if self.decode_errors > 16 {
                    return Err("too many corrupt packets".into());
                }
                return Ok(Flow::Continue);
            }
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(Flow::Stop)
            }
            Err(e) => return Err(describe(&e)),
        };
        let spec = *decoded.spec();
        self.rate = Some(spec.rate);
        let n_ch = spec.channels.count();
        if self.channels.is_empty() {
            self.channels = vec![Vec::new(); n_ch];
        }
        if self.channels.len() != n_ch {
            return Err("channel count changes mid-stream".into());
        }
        let frames = decoded.frames();
        if frames == 0 {
            return Ok(Flow::Continue);
        }
        let sb = match &mut self.sample_buf {
            Some(sb) if sb.capacity() >= decoded.capacity() * n_ch => sb,
            _ => self
                .sample_buf
                .insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        sb.copy_planar_ref(decoded);
        let samples = sb.samples();
        for (c, ch) in self.channels.iter_mut().enumerate() {
            ch.extend_from_slice(&samples[c * frames..(c + 1) * frames]);
        }
        Ok(Flow::Continue)
    }

    /// Takes the samples of two consecutive halves (the first pre-sized for both).
    fn take_halves(&mut self, first: Sink, second: Sink) {
        self.rate = second.rate.or(first.rate).or(self.rate);
        self.channels = first
            .channels
            .into_iter()
            .zip(second.channels)
            .map(|(mut a, b)| {
                a.extend_from_slice(&b);
                a
            })
            .collect();
    }
}

/// Decodes the packets of a Vorbis stream as two halves in parallel, the second primed
/// with the packet before it (whose output is dropped), so every sample equals the serial
/// decode's. `None` if the stream is short, or anything is unusual (corrupt packets, an
/// early end, a channel change), which the serial decode then handles and words.
fn decode_halves(
    params: &symphonia::core::codecs::CodecParameters,
    packets: &[symphonia::core::formats::Packet],
    declared_frames: Option<u64>,
) -> Option<(Sink, Sink)> {
    if packets.len() < MIN_SPLIT_PACKETS {
        return None;
    }
    let mid = packets.len() / 2;
    let frames = declared_frames.map_or(0, |n| (n as usize).min(1 << 28));
    let run = |range: std::ops::Range<usize>, prime: bool| -> Option<Sink> {
        let mut decoder = symphonia::default::get_codecs()
            .make(params, &DecoderOptions::default())
            .ok()?;
        if prime {
            decoder.decode(&packets[range.start - 1]).ok()?;
        }
        let mut sink = Sink::new(params.sample_rate);
        if let Some(ch) = params.channels {
            // The first half holds the whole file in the end; the second a little over half.
            let cap = if prime {
                frames / 2 + frames / 8
            } else {
                frames
            };
            sink.channels = (0..ch.count()).map(|_| Vec::with_capacity(cap)).collect();
        }
        for p in &packets[range] {
            if sink.feed(&mut decoder, p).ok()? == Flow::Stop {
                return None;
            }
        }
        (sink.decode_errors == 0).then_some(sink)
    };
    let (first, second) = rayon::join(|| run(0..mid, false), || run(mid..packets.len(), true));
    let (first, second) = (first?, second?);
    (first.channels.len() == second.channels.len()).then_some((first, second))
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
