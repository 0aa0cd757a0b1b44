//! Rendering a [`Plan`]: the chain in DESIGN.md order, latency-compensated.
//!
//! Chain: headroom trim -> gain automation -> EQ -> saturation -> reverb -> multiband
//! imager -> multiband compressor -> output gain -> true-peak limiter. Quantisation and
//! dither happen when the file is written ([`crate::io::write_wav`]).
//!
//! Stages whose settings change nothing are left out, so an empty plan returns the input
//! bit for bit. The summed latency of the stages (limiter lookahead, oversampling filters,
//! the imager's linear-phase split) is compensated by running the chain over the input plus
//! that many zeros and dropping the first samples: the output has the input's length and is
//! aligned sample for sample.
use crate::plan::Plan;
use crate::processors::automation::AutomationProcessor;
use crate::processors::eq::Eq;
use crate::processors::gain::Gain;
use crate::processors::imager::Imager;
use crate::processors::limiter::Limiter;
use crate::processors::multiband::MultibandCompressor;
use crate::processors::reverb::Reverb;
use crate::processors::saturation::Saturation;
use crate::processors::{GainReductionTrace, Processor};
use crate::resample::resample;
use crate::{Audio, Error, Result};

/// What rendering produced: the audio and the meters the reports plot.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The master, at the plan's processing rate, the input's length.
    pub audio: Audio,
    /// Limiter gain reduction over time (aligned to the output), if a limiter ran.
    pub limiter_gain_reduction: Option<GainReductionTrace>,
    /// Compressor gain reduction per band (aligned to the output), if a compressor ran.
    pub compressor_gain_reduction: Vec<GainReductionTrace>,
    /// Total latency the chain added and that was compensated, in samples.
    pub compensated_latency_samples: usize,
}

/// One stage of the chain with its name for error messages.
enum Stage {
    Plain(Box<dyn Processor>),
    Compressor(Box<MultibandCompressor>),
    Limiter(Box<Limiter>),
}

impl Stage {
    fn processor(&mut self) -> &mut dyn Processor {
        match self {
            Stage::Plain(p) => p.as_mut(),
            Stage::Compressor(c) => c.as_mut(),
            Stage::Limiter(l) => l.as_mut(),
        }
    }
}

/// The stages of `plan` that [`render`] runs first: everything before the output gain
/// (headroom trim .. compressor), with the plan's output format; no output gain, no limiter.
pub fn pre_drive_plan(plan: &Plan) -> Plan {
    Plan {
        output_gain_db: 0.0,
        limiter: None,
        ..plan.clone()
    }
}

/// The drive of `plan` (output gain and limiter) as a plan of its own, for audio already
/// rendered through [`pre_drive_plan`]: at the plan's processing rate, nothing else.
///
/// [`render`] is exactly the two in sequence: `render(mix, plan)` equals
/// `render(&render(mix, &pre_drive_plan(plan))?.audio, &drive_plan(plan))` bit for bit (with
/// [`Rendered::then_drive`] for the meters), so a fit that already rendered both need not
/// render the whole plan again.
pub fn drive_plan(plan: &Plan) -> Plan {
    let mut drive = Plan::empty(plan.processing_rate_hz());
    drive.output.bit_depth = plan.output.bit_depth;
    drive.output_gain_db = plan.output_gain_db;
    drive.limiter = plan.limiter;
    drive
}

impl Rendered {
    /// The render of a whole plan from the render of its [`pre_drive_plan`] (`self`, whose
    /// audio is dropped) and the render of that audio through its [`drive_plan`] (`drive`).
    pub fn then_drive(self, drive: Rendered) -> Rendered {
        Rendered {
            audio: drive.audio,
            limiter_gain_reduction: drive.limiter_gain_reduction,
            compressor_gain_reduction: self.compressor_gain_reduction,
            compensated_latency_samples: self.compensated_latency_samples
                + drive.compensated_latency_samples,
        }
    }
}

/// Renders `audio` through `plan`. The plan must be for the audio's sample rate.
///
/// The chain runs in two phases, each latency-compensated on its own: the stages before the
/// output gain over the input plus their latency in zeros, then output gain and limiter over
/// that phase's aligned output plus the limiter's latency in zeros (so the limiter never
/// sees the first phase's pre-ringing or tail outside the file). The phases overlap as a
/// pipeline on two threads; the bits do not depend on it (see [`drive_plan`]).
pub fn render(audio: &Audio, plan: &Plan) -> Result<Rendered> {
    plan.validate()?;
    if audio.sample_rate_hz != plan.sample_rate_hz {
        return Err(Error::Plan {
            field: "sample_rate_hz".into(),
            reason: format!(
                "the plan is for {} Hz but the audio is {} Hz",
                plan.sample_rate_hz, audio.sample_rate_hz
            ),
        });
    }
    if !(1..=2).contains(&audio.channel_count()) {
        return Err(Error::WrongChannelCount {
            expected: 2,
            actual: audio.channel_count(),
        });
    }
    let fs = plan.processing_rate_hz();
    let mut pre = build_pre_stages(plan, fs, audio.channel_count())?;
    let mut drive = build_drive_stages(plan, fs)?;
    let latency_of = |stages: &mut [Stage]| -> usize {
        stages
            .iter_mut()
            .map(|s| s.processor().latency_samples())
            .sum()
    };
    let (pre_latency, drive_latency) = (latency_of(&mut pre), latency_of(&mut drive));
    let latency = pre_latency + drive_latency;

    let source = if fs != audio.sample_rate_hz {
        resample(audio, fs)?
    } else {
        audio.clone()
    };
    let frames = source.frames();
    if pre.is_empty() && drive.is_empty() {
        return Ok(Rendered {
            audio: source,
            limiter_gain_reduction: None,
            compressor_gain_reduction: Vec::new(),
            compensated_latency_samples: 0,
        });
    }
    let mut buf: Vec<Vec<f32>> = source
        .channels
        .into_iter()
        .map(|mut c| {
            c.resize(frames + latency, 0.0);
            c
        })
        .collect();

    if drive.is_empty() {
        run_pipelined(&mut pre, &mut buf);
    } else if pre.is_empty() {
        run_pipelined(&mut drive, &mut buf);
    } else {
        run_two_phase(
            &mut pre,
            &mut drive,
            &mut buf,
            frames + pre_latency,
            pre_latency,
        );
    }
    for c in &mut buf {
        c.drain(..latency);
        c.truncate(frames);
    }

    // Align gain-reduction traces: drop the hops that belong to the latency before them
    // within their phase (each phase starts on its own aligned input).
    let mut limiter_gr = None;
    let mut comp_gr = Vec::new();
    for phase in [&mut pre, &mut drive] {
        let mut latency_before = 0usize;
        for s in phase.iter_mut() {
            let own = s.processor().latency_samples();
            match s {
                Stage::Compressor(c) => {
                    comp_gr = c
                        .gain_reduction()
                        .into_iter()
                        .map(|t| align(t, latency_before + own, frames, fs))
                        .collect();
                }
                Stage::Limiter(l) => {
                    limiter_gr = Some(align(l.gain_reduction(), latency_before + own, frames, fs));
                }
                Stage::Plain(_) => {}
            }
            latency_before += own;
        }
    }
    Ok(Rendered {
        audio: Audio::new(fs, buf),
        limiter_gain_reduction: limiter_gr,
        compressor_gain_reduction: comp_gr,
        compensated_latency_samples: latency,
    })
}

/// Frames per block: every stage's working set stays in cache.
const BLOCK: usize = 16_384;

fn run_group(group: &mut [Stage], views: &mut [&mut [f32]]) {
    for s in group.iter_mut() {
        s.processor().process(views);
    }
}

/// Runs `stages` over `buf` in blocks, as a two-stage pipeline: the chain is cut before the
/// dynamics (the first compressor or limiter; without any, before the last stage), and while the dynamics process block `b - 1`
/// the stages before them process block `b` (`rayon::join`, so on two threads when rayon has
/// them). Every stage still sees the same blocks in the same order, so the output is
/// bit-identical to running the stages one after another, whatever the thread count.
fn run_pipelined(stages: &mut [Stage], buf: &mut [Vec<f32>]) {
    let total = buf.first().map_or(0, Vec::len);
    let blocks = total.div_ceil(BLOCK);
    // Without dynamics, the last stage (the imager, when there is one) runs apart.
    let cut = stages
        .iter()
        .position(|s| !matches!(s, Stage::Plain(_)))
        .unwrap_or(stages.len().saturating_sub(1));
    let (front, back) = stages.split_at_mut(cut);
    if front.is_empty() || back.is_empty() {
        for b in 0..blocks {
            let range = b * BLOCK..((b + 1) * BLOCK).min(total);
            let mut views: Vec<&mut [f32]> =
                buf.iter_mut().map(|c| &mut c[range.clone()]).collect();
            run_group(front, &mut views);
            run_group(back, &mut views);
        }
        return;
    }
    // Step `b`: front on block `b` (if any), back on block `b - 1` (if any).
    for b in 0..=blocks {
        let mut early: Vec<&mut [f32]> = Vec::with_capacity(buf.len());
        let mut late: Vec<&mut [f32]> = Vec::with_capacity(buf.len());
        for c in buf.iter_mut() {
            let (before, after) = c.split_at_mut((b * BLOCK).min(total));
            late.push(&mut before[b.saturating_sub(1) * BLOCK..]);
            let len = BLOCK.min(after.len());
            early.push(&mut after[..len]);
        }
        let (front, back) = (&mut *front, &mut *back);
        rayon::join(
            || {
                if b < blocks {
                    run_group(front, &mut early);
                }
            },
            || {
                if b > 0 {
                    run_group(back, &mut late);
                }
            },
        );
    }
}

/// Runs the two phases of the chain over `buf` as a pipeline: `pre` over `buf[..pre_len]`
/// (the input and the first phase's latency in zeros) in blocks from 0, and `drive` over
/// `buf[drive_start..]` (the first phase's aligned output, then zeros the first phase never
/// touches) in blocks from `drive_start`, each block once the first phase has finished it.
/// Both phases see exactly the blocks a render of their own would give them, so the bits
/// equal rendering the phases one after another, whatever the thread count.
fn run_two_phase(
    pre: &mut [Stage],
    drive: &mut [Stage],
    buf: &mut [Vec<f32>],
    pre_len: usize,
    drive_start: usize,
) {
    let total = buf.first().map_or(0, Vec::len);
    assert!(drive_start <= pre_len && pre_len <= total);
    let pre_blocks = pre_len.div_ceil(BLOCK);
    let drive_len = total - drive_start;
    let drive_blocks = drive_len.div_ceil(BLOCK);
    let mut drive_done = 0;
    // Step `s`: the first phase on its block `s` (if any); the drive on every block the
    // first phase finished before this step (all the rest once it is done).
    for s in 0..=pre_blocks {
        let finished = (s * BLOCK).min(pre_len);
        let ready = if s == pre_blocks {
            drive_blocks
        } else {
            ((finished - drive_start.min(finished)) / BLOCK).min(drive_blocks)
        };
        let split = if s == pre_blocks { total } else { finished };
        let mut early: Vec<&mut [f32]> = Vec::with_capacity(buf.len());
        let mut late: Vec<&mut [f32]> = Vec::with_capacity(buf.len());
        let late_range = if ready > drive_done {
            drive_start + drive_done * BLOCK..(drive_start + ready * BLOCK).min(total)
        } else {
            0..0
        };
        for c in buf.iter_mut() {
            let (before, after) = c.split_at_mut(split);
            late.push(&mut before[late_range.clone()]);
            let len = BLOCK.min(pre_len - split.min(pre_len));
            early.push(&mut after[..len]);
        }
        let (pre, drive) = (&mut *pre, &mut *drive);
        let blocks = ready - drive_done;
        rayon::join(
            || {
                if s < pre_blocks {
                    run_group(pre, &mut early);
                }
            },
            || {
                for b in 0..blocks {
                    let mut views: Vec<&mut [f32]> = late
                        .iter_mut()
                        .map(|c| {
                            let end = ((b + 1) * BLOCK).min(c.len());
                            &mut c[b * BLOCK..end]
                        })
                        .collect();
                    run_group(drive, &mut views);
                }
            },
        );
        drive_done = ready;
    }
}

fn align(mut t: GainReductionTrace, delay: usize, frames: usize, fs: u32) -> GainReductionTrace {
    let hop_samples = (t.hop_s * f64::from(fs)).round().max(1.0);
    let skip = (delay as f64 / hop_samples).round() as usize;
    let keep = (frames as f64 / hop_samples).ceil() as usize;
    let skip = skip.min(t.reduction_db.len());
    t.reduction_db.drain(..skip);
    t.reduction_db.truncate(keep);
    t
}

/// The stages before the output gain, in chain order (identity stages left out).
fn build_pre_stages(plan: &Plan, fs: u32, channels: usize) -> Result<Vec<Stage>> {
    let mut stages = Vec::new();
    let trim = Gain::new(plan.headroom_trim_db);
    if !trim.is_identity() {
        stages.push(Stage::Plain(Box::new(trim)));
    }
    if !plan.automation.points.is_empty() {
        stages.push(Stage::Plain(Box::new(AutomationProcessor::new(
            &plan.automation,
            fs,
        )?)));
    }
    if !plan.eq.bands.is_empty() {
        stages.push(Stage::Plain(Box::new(Eq::new(&plan.eq, fs)?)));
    }
    if let Some(s) = plan.saturation.as_ref().filter(|s| !s.is_identity()) {
        stages.push(Stage::Plain(Box::new(Saturation::new(s, fs)?)));
    }
    if let Some(r) = plan.reverb.as_ref().filter(|r| !r.is_identity()) {
        stages.push(Stage::Plain(Box::new(Reverb::new(r, fs)?)));
    }
    // The imager only shapes a side: mono skips it (and its latency).
    if let Some(i) = plan
        .imager
        .as_ref()
        .filter(|i| !i.is_identity() && channels == 2)
    {
        stages.push(Stage::Plain(Box::new(Imager::new(i, fs)?)));
    }
    if let Some(c) = &plan.compressor {
        stages.push(Stage::Compressor(Box::new(MultibandCompressor::new(
            c, fs,
        )?)));
    }
    Ok(stages)
}

/// The drive: output gain and limiter (identity gain left out).
fn build_drive_stages(plan: &Plan, fs: u32) -> Result<Vec<Stage>> {
    let mut stages = Vec::new();
    let out = Gain::new(plan.output_gain_db);
    if !out.is_identity() {
        stages.push(Stage::Plain(Box::new(out)));
    }
    if let Some(l) = &plan.limiter {
        stages.push(Stage::Limiter(Box::new(Limiter::new(l, fs)?)));
    }
    Ok(stages)
}
