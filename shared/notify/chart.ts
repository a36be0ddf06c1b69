import type { TopLevelSpec } from 'vega-lite';
import type { Digest, DigestPost, GoalProgress } from './digest.ts';
import { formatMetric, formatNumber, localDate, metricAgainstTarget, metricName } from './vocabulary.ts';

/**
 * The charts of the digest as Vega-Lite specs (pure data, tested as such); `chart-render.ts`
 * draws them. Laid out for a phone: 480 units wide with 13–16 unit text, drawn at 2× (960 px),
 * so an email or Slack client that shows the image 390 px wide still shows text of about 11 px.
 */
export const CHART_WIDTH = 480;

export const CHART_COLORS = {
  actual: '#1d4ed8',
  pace: '#6b7280',
  forecast: '#7c3aed',
  band: '#ddd6fe',
  target: '#15803d',
  today: '#111827',
  top: '#15803d',
  bottom: '#b91c1c',
} as const;

/** The series, in legend order, with their colours: every layer uses this one scale. */
const SERIES = [
  ['Actual', CHART_COLORS.actual],
  ['Pace to target', CHART_COLORS.pace],
  ['Forecast', CHART_COLORS.forecast],
  ['80 % band', CHART_COLORS.band],
  ['Target', CHART_COLORS.target],
] as const;
const SERIES_SCALE = { domain: SERIES.map((s) => s[0]), range: SERIES.map((s) => s[1]) };

const STATUS_WORDS: Record<string, string> = {
  ON_TRACK: 'on track',
  ACHIEVED: 'achieved',
  AT_RISK: 'at risk',
  OFF_TRACK: 'off track',
  MISSED: 'missed',
};
export const statusWords = (status: string) =>
  STATUS_WORDS[status] ?? status.replaceAll('_', ' ').toLowerCase();

const BASE_CONFIG = {
  font: 'DejaVu Sans',
  background: '#ffffff',
  padding: 12,
  view: { stroke: null },
  title: { anchor: 'start', fontSize: 16, subtitleFontSize: 13, subtitleColor: '#374151', offset: 10 },
  axis: {
    labelFontSize: 13,
    titleFontSize: 13,
    labelColor: '#374151',
    titleColor: '#374151',
    gridColor: '#e5e7eb',
    domainColor: '#9ca3af',
    tickColor: '#9ca3af',
  },
  legend: { orient: 'bottom', labelFontSize: 13, symbolStrokeWidth: 3, columns: 3, title: null },
} as const;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A chart file name that is safe everywhere (Content-ID, file system, URL). */
export function chartName(goal: Pick<GoalProgress, 'campaignId' | 'goalId'>): string {
  return `goal-${goal.campaignId}-${goal.goalId}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** The date the chart marks as today: the evaluation's own date, else the last measured day. */
function todayOf(goal: GoalProgress): string | undefined {
  if (goal.asOf) return goal.asOf.slice(0, 10);
  return goal.points.filter((p) => p.actual !== undefined).at(-1)?.date;
}

/**
 * One goal: the actual value day by day, the pace line that reaches the target on the window's
 * last day, the forecast from the last measured day to the end with its 80 % band shaded, the
 * target as a rule, and today marked.
 */
export function goalChartSpec(goal: GoalProgress): TopLevelSpec {
  const actual = goal.points.filter((p) => p.actual !== undefined);
  const last = actual.at(-1);
  const pace = goal.points.map((p) => ({ date: p.date, value: p.pace }));
  if (pace.length === 0 || (pace.at(-1)?.date ?? '') < goal.window.to) {
    if (pace.length === 0) pace.push({ date: goal.window.from, value: 0 });
    pace.push({ date: goal.window.to, value: goal.target });
  }
  const forecast =
    goal.forecast !== undefined && last && last.date < goal.window.to
      ? [
          { date: last.date, value: last.actual ?? 0 },
          { date: goal.window.to, value: goal.forecast },
        ]
      : [];
  const band =
    forecast.length > 0 && goal.forecastLow !== undefined && goal.forecastHigh !== undefined
      ? [
          { date: last?.date, low: last?.actual ?? 0, high: last?.actual ?? 0 },
          { date: goal.window.to, low: goal.forecastLow, high: goal.forecastHigh },
        ]
      : [];
  const today = todayOf(goal);
  const x = {
    field: 'date',
    type: 'temporal',
    title: null,
    scale: { type: 'utc', domain: [`${goal.window.from}T00:00:00Z`, `${goal.window.to}T00:00:00Z`] },
    axis: { format: '%-d %b', tickCount: 4, labelOverlap: true },
  } as const;
  const y = {
    field: 'value',
    type: 'quantitative',
    // The unit in the axis title: "engagement rate (%)".
    title: formatMetric(goal.metric, 0).endsWith(' %')
      ? `${metricName(goal.metric)} (%)`
      : metricName(goal.metric),
    axis: { tickCount: 5, format: '~s' },
  } as const;
  const line = (series: string, values: object[], strokeDash?: number[]) => ({
    data: { values },
    mark: { type: 'line', strokeWidth: 3, ...(strokeDash ? { strokeDash } : {}) },
    encoding: { x, y, color: { datum: series, scale: SERIES_SCALE, title: null } },
  });
  const title = clip(`${goal.campaignName ?? goal.campaignId} · ${goal.goalId}`, 48);
  const subtitle = [
    `${clip(metricAgainstTarget(goal.metric, goal.current, goal.target), 52)}: ${statusWords(goal.status)}`,
    goal.forecast !== undefined
      ? `forecast ${formatMetric(goal.metric, goal.forecast)}${
          goal.forecastLow !== undefined && goal.forecastHigh !== undefined
            ? ` (80 % band ${formatMetric(goal.metric, goal.forecastLow)}–${formatMetric(goal.metric, goal.forecastHigh)})`
            : ''
        } by ${localDate(goal.window.to)}`
      : `window ${localDate(goal.window.from)} – ${localDate(goal.window.to)}`,
  ];
  const layers: object[] = [];
  if (band.length > 0) {
    layers.push({
      data: { values: band },
      mark: { type: 'area', opacity: 1 },
      encoding: {
        x,
        y: { ...y, field: 'low' },
        y2: { field: 'high' },
        color: { datum: '80 % band', scale: SERIES_SCALE, title: null },
      },
    });
  }
  layers.push(line('Pace to target', pace, [6, 4]));
  if (forecast.length > 0) layers.push(line('Forecast', forecast, [2, 3]));
  layers.push(
    line(
      'Actual',
      actual.map((p) => ({ date: p.date, value: p.actual })),
    ),
  );
  layers.push({
    data: { values: [{ value: goal.target }] },
    mark: { type: 'rule', strokeWidth: 2, strokeDash: [8, 4] },
    encoding: { y, color: { datum: 'Target', scale: SERIES_SCALE, title: null } },
  });
  if (today && today >= goal.window.from && today <= goal.window.to) {
    const at = { date: `${today}T00:00:00Z` };
    layers.push(
      {
        data: { values: [at] },
        mark: { type: 'rule', color: CHART_COLORS.today, strokeWidth: 1.5 },
        encoding: { x },
      },
      {
        data: { values: [at] },
        mark: {
          type: 'text',
          text: 'today',
          dx: 4,
          dy: 2,
          align: 'left',
          baseline: 'top',
          fontSize: 13,
          y: 0,
        },
        encoding: { x },
      },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH - 90,
    height: 220,
    title: { text: title, subtitle },
    config: BASE_CONFIG,
    layer: layers,
  } as TopLevelSpec;
}

/** The best and worst posts of the period as horizontal bars, best first. */
export function postsChartSpec(top: DigestPost[], bottom: DigestPost[], rankedBy: string): TopLevelSpec {
  const seen = new Set<string>();
  const rows = [
    ...top.map((post) => ({ post, group: 'Top' })),
    ...[...bottom].reverse().map((post) => ({ post, group: 'Bottom' })),
  ]
    .filter(({ post }) => !seen.has(post.postId) && seen.add(post.postId))
    .map(({ post, group }, i) => ({
      label: `${i + 1}. ${clip(post.excerpt, 26)}`,
      value: post.metrics[rankedBy] ?? 0,
      shown: formatNumber(post.metrics[rankedBy] ?? 0),
      group,
    }));
  const y = {
    field: 'label',
    type: 'nominal',
    sort: null,
    title: null,
    axis: { labelFontSize: 12, labelLimit: 0 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH - 250,
    height: { step: 26 },
    title: { text: `Top and bottom posts by ${metricName(rankedBy)}` },
    config: BASE_CONFIG,
    data: { values: rows },
    encoding: { y },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 3 },
        encoding: {
          x: {
            field: 'value',
            type: 'quantitative',
            title: metricName(rankedBy),
            axis: { tickCount: 3, format: '~s' },
          },
          color: {
            field: 'group',
            type: 'nominal',
            scale: { domain: ['Top', 'Bottom'], range: [CHART_COLORS.top, CHART_COLORS.bottom] },
            title: null,
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 12 },
        encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'shown' } },
      },
    ],
  } as TopLevelSpec;
}

export const POSTS_CHART_NAME = 'posts-top-bottom';

/** The PNG of a goal's chart (vega is loaded only when a chart is drawn). */
export async function renderGoalChart(goal: GoalProgress): Promise<Buffer> {
  const { renderChartPng } = await import('./chart-render.ts');
  return renderChartPng(goalChartSpec(goal));
}

/** The PNG of the top/bottom posts chart. */
export async function renderPostsChart(
  top: DigestPost[],
  bottom: DigestPost[],
  rankedBy: string,
): Promise<Buffer> {
  const { renderChartPng } = await import('./chart-render.ts');
  return renderChartPng(postsChartSpec(top, bottom, rankedBy));
}

/**
 * Every chart of a digest by file name (without `.png`): one per goal and the top/bottom posts.
 * Drawn once per digest, then shared by the email (inline images) and Slack (image blocks).
 */
export async function renderDigestCharts(digest: Digest): Promise<Map<string, Buffer>> {
  const charts = new Map<string, Buffer>();
  if (digest.top.length + digest.bottom.length > 0) {
    charts.set(POSTS_CHART_NAME, await renderPostsChart(digest.top, digest.bottom, digest.rankedBy));
  }
  for (const goal of digest.goals) charts.set(chartName(goal), await renderGoalChart(goal));
  return charts;
}
