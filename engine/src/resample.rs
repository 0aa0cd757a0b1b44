//! Sample-rate conversion with rubato's synchronous FFT resampler.
//!
//! The resampler's own delay is removed and the output is trimmed to
//! `round(frames * out / in)` frames, so a converted file starts and ends where the source
//! does (alignment within one output sample).
use rubato::{FftFixedIn, Resampler};

use crate::{Audio, Error, Result};

/// Frames fed to the resampler per call.
const CHUNK_FRAMES: usize = 4096;

/// Converts `audio` to `rate_hz`; returns a clone when the rate already matches.
pub fn resample(audio: &Audio, rate_hz: u32) -> Result<Audio> {
    if rate_hz == audio.sample_rate_hz {
        return Ok(audio.clone());
    }
    if !(8_000..=768_000).contains(&rate_hz) {
        return Err(Error::OutOfRange {
            name: "sample rate",
            value: f64::from(rate_hz),
            range: "8000..=768000 Hz",
        });
    }
    let channels = audio.channel_count();
    let mut rs = FftFixedIn::<f64>::new(
        audio.sample_rate_hz as usize,
        rate_hz as usize,
        CHUNK_FRAMES,
        2,
        channels,
    )
    .map_err(|e| Error::Plan {
        field: "output.sample_rate_hz".into(),
        reason: e.to_string(),
    })?;
    let frames = audio.frames();
    let want =
        (frames as f64 * f64::from(rate_hz) / f64::from(audio.sample_rate_hz)).round() as usize;
    let delay = rs.output_delay();
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(want + delay + CHUNK_FRAMES); channels];
    let mut input: Vec<Vec<f64>> = vec![vec![0.0; CHUNK_FRAMES]; channels];
    let mut output = rs.output_buffer_allocate(true);
    let mut pos = 0usize;
    // Feed the signal, then zeros until the delayed tail is out.
    while out[0].len() < want + delay {
        let need = rs.input_frames_next();
        for (c, buf) in input.iter_mut().enumerate() {
            buf.resize(need, 0.0);
            for (i, s) in buf.iter_mut().enumerate() {
                *s = audio.channels[c]
                    .get(pos + i)
                    .map_or(0.0, |&x| f64::from(x));
            }
        }
        pos += need;
        let (_, n_out) = rs
            .process_into_buffer(&input, &mut output, None)
            .map_err(|e| Error::Plan {
                field: "output.sample_rate_hz".into(),
                reason: e.to_string(),
            })?;
        for (c, o) in out.iter_mut().enumerate() {
            o.extend(output[c][..n_out].iter().map(|&x| x as f32));
        }
    }
    for o in &mut out {
        o.drain(..delay);
        o.truncate(want);
    }
    Ok(Audio::new(rate_hz, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, freq: f64, frames: usize) -> Audio {
        let x: Vec<f32> = (0..frames)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect();
        Audio::new(rate, vec![x.clone(), x])
    }

    #[test]
    fn length_level_and_phase_survive_44k1_to_48k() {
        let a = tone(44100, 1000.0, 44100);
        let b = resample(&a, 48000).unwrap();
        assert_eq!(b.frames(), 48000);
        // Away from the edges the output is the same sine at the new rate, in phase.
        let mut max_err = 0.0f64;
        for i in 2000..46000 {
            let want = 0.5 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48000.0).sin();
            max_err = max_err.max((f64::from(b.channels[0][i]) - want).abs());
        }
        assert!(max_err < 1e-3, "max error {max_err}");
    }

    #[test]
    fn downsampling_96k_to_44k1_keeps_length() {
        let a = tone(96000, 440.0, 96000 * 2 + 17);
        let b = resample(&a, 44100).unwrap();
        let want = ((96000 * 2 + 17) as f64 * 44100.0 / 96000.0).round() as usize;
        assert_eq!(b.frames(), want);
    }
}
