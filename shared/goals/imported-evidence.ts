import type { EvaluationInput, PostPerformance, Recommendation } from './model.ts';
import { engagementsOf, inScope } from './scope.ts';
import { round } from './stats.ts';

/**
 * Imported posts as evidence beside the Collector's measurements (docs/architecture.md#goals-and-recommendations).
 *
 * An imported post's numbers are the public counts the platform listed once, at import time,
 * months after it went out for the oldest; a measured post's are the Collector's reading a day or
 * more after publishing, with every count the platform gives its owner. The two can sit on
 * different footings (an imported X post has no clicks; counts keep growing slowly). So:
 *
 * - posting windows take a channel's imported posts only while it has no measured post
 *   (recommend.ts `windowHistory`; timing.ts would centre them on a level of their own);
 * - content comparisons scale a channel's imported engagements by the ratio of the medians of
 *   its measured and imported posts, when each side has at least {@link MIN_SIDE} posts; else
 *   they are left out where the channel has that many measured posts, and used as they are where
 *   it has fewer (for a new channel they are all there is);
 * - every recommendation says how many measured and imported posts it rests on.
 */
export const MIN_SIDE = 3;

const isImported = (p: PostPerformance) => p.post.origin === 'imported';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The factor a channel's imported engagements are scaled by, when both sides have enough posts. */
export function importedScale(posts: readonly PostPerformance[]): number | undefined {
  const values = (list: PostPerformance[]) =>
    list.map((p) => engagementsOf(p.metrics)).filter((y): y is number => y !== undefined);
  const measured = values(posts.filter((p) => !isImported(p)));
  const imported = values(posts.filter(isImported));
  if (measured.length < MIN_SIDE || imported.length < MIN_SIDE) return undefined;
  const base = median(imported);
  const factor = base > 0 ? median(measured) / base : undefined;
  return factor !== undefined && Number.isFinite(factor) && factor > 0 ? factor : undefined;
}

/**
 * One channel's posts with its imported engagements scaled to its measured posts' footing. When
 * they cannot be (the imported median is 0, or a side has too few posts) and the channel has
 * measured posts enough to stand alone, the imported ones are left out of the comparison: a
 * feature only Pulsecast's posts carry (a tag) would otherwise be compared with imported posts
 * on another footing.
 */
export function onMeasuredFooting(posts: readonly PostPerformance[]): PostPerformance[] {
  const factor = importedScale(posts);
  if (factor === undefined) {
    const measured = posts.filter((p) => !isImported(p));
    return measured.length >= MIN_SIDE ? measured : [...posts];
  }
  return posts.map((p) => {
    const y = engagementsOf(p.metrics);
    if (!isImported(p) || y === undefined) return p;
    return { ...p, metrics: { ...p.metrics, engagements: y * factor } };
  });
}

/**
 * The recommendation with `evidence.sources: {measured, imported}` — the posts of its goal's
 * scope, else of its channel, in the history it was drawn from — and, when imported posts are
 * among them, a sentence saying so.
 */
export function withSources(
  recommendation: Recommendation,
  input: EvaluationInput,
  history: readonly PostPerformance[],
): Recommendation {
  const goal = input.campaign.goals.find((g) => g.id === recommendation.goalId);
  const relevant = history.filter((p) =>
    goal
      ? inScope(p.post, { ...(goal.scope ?? {}), posts: 'all' }, input.campaign, input.channels)
      : recommendation.channel === undefined || p.post.channel === recommendation.channel,
  );
  const imported = relevant.filter(isImported).length;
  const measured = relevant.length - imported;
  const scale =
    recommendation.kind === 'content' && recommendation.channel
      ? importedScale(history.filter((p) => p.post.channel === recommendation.channel))
      : undefined;
  const note =
    imported === 0
      ? ''
      : ` Evidence: ${measured} measured and ${imported} imported posts (imported ones carry the public counts read once at import${
          recommendation.kind === 'postingWindow' ||
          recommendation.kind === 'weakWindowPost' ||
          recommendation.kind === 'boostPost'
            ? ': the channel has no post measured by Pulsecast yet'
            : scale !== undefined
              ? `, scaled ×${round(scale, 2)} to the measured posts' median`
              : ''
        }).`;
  return {
    ...recommendation,
    summary: `${recommendation.summary}${note}`,
    evidence: {
      ...recommendation.evidence,
      sources: { measured, imported, ...(scale !== undefined ? { importedScale: round(scale, 4) } : {}) },
    },
  };
}
