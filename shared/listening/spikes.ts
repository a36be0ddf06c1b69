import type { Platform } from '../domain/index.ts';
import { VersionConflictError } from '../errors.ts';
import { type EventPublisher, makeEvent } from '../events.ts';
import { LISTENING_CAPABILITIES } from '../platforms/listening.ts';
import type { ListeningStore } from '../store/listening.ts';
import type { Mention, SpikeState } from './model.ts';
import { isNegative } from './sentiment.ts';
import { type ListeningSettings, subjectsOf } from './settings.ts';

/**
 * Mention spikes, per subject and platform. The usual level is the median of the past week's
 * hourly counts (robust: a few loud hours, an earlier spike among them, barely move it; when
 * most hours are empty, the mean stands in). The last `WINDOW_MINUTES` are compared with what a
 * Poisson count at that level would give:
 * - an episode starts when the window's count is at least `MIN_COUNT` and so high that such a
 *   level would give it less than once in a million windows (`START_TAIL`);
 * - it ends when the count falls back to what the level gives 99 times in 100 (`END_TAIL`):
 *   the gap between the two thresholds is the hysteresis that keeps one episode one event.
 * The Listener runs every 5 minutes, so the windows overlap: a run sees what arrived since.
 */
export const WINDOW_MINUTES = 15;
export const MIN_COUNT = 8;
export const START_TAIL = 1e-6;
export const END_TAIL = 0.01;
const BASELINE_HOURS = 7 * 24;
/** How often the usual level is worked out again (a week's median moves slowly). */
const REFRESH_MS = 6 * 3_600_000;
/** The level assumed when the week had next to nothing (per hour). */
const FLOOR_PER_HOUR = 0.1;
const SAMPLES = 3;

/** P(X ≥ k) for X ~ Poisson(λ). */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-lambda);
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= lambda / i;
    below += term;
  }
  return Math.max(0, 1 - below);
}

/** The smallest count whose Poisson tail is below `tail`. */
export function threshold(lambda: number, tail: number): number {
  let k = Math.ceil(lambda);
  while (poissonTail(k, lambda) >= tail) k++;
  return k;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The usual mentions per hour from the times of the past week's mentions (before the window). */
export function baselinePerHour(times: readonly number[], windowStart: number): number {
  const start = windowStart - BASELINE_HOURS * 3_600_000;
  const hours = new Array<number>(BASELINE_HOURS).fill(0);
  for (const t of times) {
    if (t < start || t >= windowStart) continue;
    const index = Math.floor((t - start) / 3_600_000);
    hours[index] = (hours[index] ?? 0) + 1;
  }
  const middle = median(hours);
  const level = middle > 0 ? middle : hours.reduce((a, b) => a + b, 0) / BASELINE_HOURS;
  return Math.max(level, FLOOR_PER_HOUR);
}

export interface WindowAssessment {
  count: number;
  /** Expected in the window at the usual level. */
  expected: number;
  perHour: number;
  start: number;
  end: number;
}

export function assessWindow(
  times: readonly number[],
  now: number,
  usualPerHour?: number,
): WindowAssessment & { high: boolean; settled: boolean } {
  const windowStart = now - WINDOW_MINUTES * 60_000;
  const perHour = usualPerHour ?? baselinePerHour(times, windowStart);
  const expected = (perHour * WINDOW_MINUTES) / 60;
  const count = times.filter((t) => t >= windowStart && t < now).length;
  return {
    count,
    expected,
    perHour,
    start: windowStart,
    end: now,
    high: count >= Math.max(MIN_COUNT, threshold(expected, START_TAIL)),
    settled: count < threshold(expected, END_TAIL),
  };
}

export interface SpikeDeps {
  listening: ListeningStore;
  events: EventPublisher;
  now: () => Date;
}

export interface SpikeReport {
  detected: string[];
  ended: string[];
  open: string[];
}

/**
 * One Listener run's spike check over every subject and platform listened on. The usual level
 * needs the past week's mentions; it is kept in each spike state and worked out again every 6
 * hours, so most runs read only the last window's mentions.
 */
export async function detectSpikes(deps: SpikeDeps): Promise<SpikeReport> {
  const report: SpikeReport = { detected: [], ended: [], open: [] };
  const stored = await deps.listening.getListeningSettings();
  if (!stored) return report;
  const now = deps.now();
  // Only where mentions are searched for: elsewhere there is nothing to count.
  const searched = stored.settings.platforms.filter(
    (platform) => LISTENING_CAPABILITIES[platform].search.supported,
  );
  const targets = subjectsOf(stored.settings).flatMap((subject) =>
    searched.map((platform) => ({
      subject: subject.id,
      subjectName: subject.name,
      platform,
    })),
  );
  const states = new Map<string, SpikeState>();
  for (const target of targets) {
    const key = `${target.subject}-${target.platform}`;
    states.set(key, (await deps.listening.getSpikeState(key)) ?? { key, ...target, version: 0 });
  }
  const period = Math.floor(now.getTime() / REFRESH_MS);
  const stale = [...states.values()].some(
    (state) => !state.usual || Math.floor(Date.parse(state.usual.computedAt) / REFRESH_MS) !== period,
  );
  const back = stale ? BASELINE_HOURS * 60 + WINDOW_MINUTES : WINDOW_MINUTES;
  const from = new Date(now.getTime() - back * 60_000).toISOString();
  const mentions = await deps.listening.mentionsBetween(from, now.toISOString());
  for (const target of targets) {
    const about = mentions.filter(
      (m) => m.platform === target.platform && m.subjects.includes(target.subject),
    );
    const state = states.get(`${target.subject}-${target.platform}`) as SpikeState;
    await checkOne({ ...target, mentions: about }, state, stale, stored.settings, deps, report);
  }
  return report;
}

async function checkOne(
  target: { subject: string; subjectName: string; platform: Platform; mentions: Mention[] },
  state: SpikeState,
  freshBaseline: boolean,
  settings: ListeningSettings,
  deps: SpikeDeps,
  report: SpikeReport,
): Promise<void> {
  const now = deps.now();
  const key = state.key;
  const times = target.mentions.map((m) => Date.parse(m.createdAt));
  const window = assessWindow(times, now.getTime(), freshBaseline ? undefined : state.usual?.perHour);
  const save = async (next: SpikeState) => {
    try {
      await deps.listening.putSpikeState({ ...next, version: state.version + 1 }, state.version || undefined);
      state.version += 1;
      return true;
    } catch (error) {
      // Another run moved it meanwhile; the next run sees what it did.
      if (error instanceof VersionConflictError) return false;
      throw error;
    }
  };
  if (freshBaseline) {
    state.usual = { perHour: window.perHour, computedAt: now.toISOString() };
    if (!(await save(state))) return;
  }
  const common = { subject: target.subject, subjectName: target.subjectName, platform: target.platform };
  const windowIso = new Date(window.start).toISOString();

  if (!state.open) {
    // An ended episode whose announcement did not go out yet goes out now (same event id).
    if (state.ended && !state.ended.endAnnounced) {
      await announceEnd(state, deps, common);
      await save({ ...state, ended: { ...state.ended, endAnnounced: true } });
      return;
    }
    if (!window.high) return;
    const episodeId = `${key}-${windowIso.replace(/[-:.]/g, '')}`;
    const open = {
      episodeId,
      startedAt: now.toISOString(),
      announced: false,
      peak: window.count,
      baseline: window.expected,
    };
    if (!(await save({ ...state, open }))) return;
    state.open = open;
  }
  const open = state.open;
  if (!open) return;
  if (!open.announced) {
    const inWindow = target.mentions.filter((m) => {
      const t = Date.parse(m.createdAt);
      return t >= window.start && t < window.end;
    });
    const negatives = inWindow.filter((m) => isNegative(m.sentiment));
    const samples = [...negatives, ...inWindow.filter((m) => !isNegative(m.sentiment))]
      .slice(0, SAMPLES)
      .map((m) => ({ author: m.author.handle, text: m.text.slice(0, 500), url: m.url }));
    await deps.events.publish([
      makeEvent('Mention Spike Detected', {
        eventId: `spike-detected-${open.episodeId}`,
        occurredAt: now.toISOString(),
        ...common,
        episodeId: open.episodeId,
        count: window.count,
        baseline: round(window.expected),
        windowMinutes: WINDOW_MINUTES,
        negativeShare: inWindow.length ? round(negatives.length / inWindow.length) : 0,
        autoHold: settings.autoHold,
        startedAt: open.startedAt,
        samples,
      }),
    ]);
    await save({ ...state, open: { ...open, announced: true, peak: Math.max(open.peak, window.count) } });
    report.detected.push(open.episodeId);
    return;
  }
  if (window.settled) {
    const ended = {
      ...open,
      peak: Math.max(open.peak, window.count),
      endedAt: now.toISOString(),
      endAnnounced: false,
    };
    const { open: _, ...rest } = state;
    if (!(await save({ ...rest, ended }))) return;
    await announceEnd({ ...rest, ended }, deps, common);
    await save({ ...rest, ended: { ...ended, endAnnounced: true } });
    report.ended.push(open.episodeId);
    return;
  }
  report.open.push(open.episodeId);
  if (window.count > open.peak) await save({ ...state, open: { ...open, peak: window.count } });
}

async function announceEnd(
  state: SpikeState,
  deps: SpikeDeps,
  common: { subject: string; subjectName: string; platform: Platform },
): Promise<void> {
  const ended = state.ended;
  if (!ended) return;
  await deps.events.publish([
    makeEvent('Mention Spike Ended', {
      eventId: `spike-ended-${ended.episodeId}`,
      occurredAt: ended.endedAt,
      ...common,
      episodeId: ended.episodeId,
      startedAt: ended.startedAt,
      endedAt: ended.endedAt,
      peak: ended.peak,
      baseline: round(ended.baseline),
      windowMinutes: WINDOW_MINUTES,
    }),
  ]);
}

const round = (value: number) => Math.round(value * 1000) / 1000;
