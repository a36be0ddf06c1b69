import type { GoalProgress } from './digest.ts';
import { Raster, type Rgb } from './png.ts';

/**
 * A goal's progress against its pace line as a PNG: the actual value day by day (solid), the
 * pace line that reaches the target on the window's last day (dashed), the target (dashed,
 * green) and the forecast to the window's end (dotted). Plain raster, no fonts to load: it
 * renders the same in Lambda, local mode and tests.
 */
export const CHART_SIZE = { width: 640, height: 300 } as const;

const COLORS = {
  axis: [120, 120, 120],
  grid: [232, 232, 232],
  text: [40, 40, 40],
  actual: [29, 99, 237],
  pace: [150, 150, 150],
  target: [22, 163, 74],
  forecast: [96, 150, 250],
} satisfies Record<string, Rgb>;

const STATUS_COLORS: Record<string, Rgb> = {
  ON_TRACK: [22, 163, 74],
  ACHIEVED: [22, 163, 74],
  AT_RISK: [217, 119, 6],
  OFF_TRACK: [220, 38, 38],
  MISSED: [220, 38, 38],
};

/** 1234 → "1.2K", 3400000 → "3.4M": labels the 5×7 font can draw. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const [divisor, suffix] =
    abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'K'] : [1, ''];
  const scaled = value / divisor;
  const digits = Math.abs(scaled) >= 100 || divisor === 1 ? 0 : 1;
  const text = scaled.toFixed(divisor === 1 && abs < 10 && !Number.isInteger(value) ? 2 : digits);
  return `${text.replace(/\.0+$/, '')}${suffix}`;
}

const DAY = 86_400_000;
const dayIndex = (from: string, date: string) => Math.round((Date.parse(date) - Date.parse(from)) / DAY);

/** A chart file name that is safe everywhere (Content-ID, file system, URL). */
export function chartName(goal: Pick<GoalProgress, 'campaignId' | 'goalId'>): string {
  return `goal-${goal.campaignId}-${goal.goalId}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

export function renderGoalChart(goal: GoalProgress): Buffer {
  const { width, height } = CHART_SIZE;
  const raster = new Raster(width, height);
  const plot = { left: 64, right: width - 24, top: 56, bottom: height - 52 };

  // Title and status.
  const title = `${goal.campaignName ?? goal.campaignId} / ${goal.goalId}`;
  const maxTitle = Math.floor((width - 40) / 12);
  raster.text(16, 12, title.length > maxTitle ? `${title.slice(0, maxTitle - 1)}.` : title, COLORS.text, 2);
  const status = goal.status.replaceAll('_', ' ');
  const summary = `${compactNumber(goal.current)} OF ${compactNumber(goal.target)} ${goal.metric} - `;
  const x = 16 + raster.text(16, 34, summary, COLORS.text);
  raster.text(x, 34, status, STATUS_COLORS[goal.status] ?? COLORS.text);

  // Scales.
  const days = Math.max(1, dayIndex(goal.window.from, goal.window.to));
  const values = [
    goal.target,
    goal.current,
    goal.expected,
    goal.forecast ?? 0,
    ...goal.points.flatMap((p) => [p.pace, p.actual ?? 0]),
  ].filter(Number.isFinite);
  const top = niceCeiling(Math.max(1, ...values) * 1.05);
  const sx = (day: number) => plot.left + ((plot.right - plot.left) * day) / days;
  const sy = (value: number) => plot.bottom - ((plot.bottom - plot.top) * Math.max(0, value)) / top;

  // Grid and axes.
  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    const y = sy(value);
    raster.line(plot.left, y, plot.right, y, i === 0 ? COLORS.axis : COLORS.grid);
    const label = compactNumber(value);
    raster.text(plot.left - 8 - Raster.textWidth(label), y - 3, label, COLORS.text);
  }
  raster.line(plot.left, plot.top, plot.left, plot.bottom, COLORS.axis);
  raster.text(plot.left, plot.bottom + 8, goal.window.from.slice(5), COLORS.text);
  const end = goal.window.to.slice(5);
  raster.text(plot.right - Raster.textWidth(end), plot.bottom + 8, end, COLORS.text);

  // Target.
  raster.line(plot.left, sy(goal.target), plot.right, sy(goal.target), COLORS.target, 1, [6, 4]);

  // Pace line: the given points, or straight from zero to the target over the window.
  const pace =
    goal.points.length > 0
      ? goal.points.map((p) => ({ day: dayIndex(goal.window.from, p.date), value: p.pace }))
      : [];
  if (pace.length === 0 || (pace.at(-1)?.day ?? 0) < days) {
    if (pace.length === 0) pace.push({ day: 0, value: 0 });
    pace.push({ day: days, value: goal.target });
  }
  polyline(
    raster,
    pace.map((p) => [sx(p.day), sy(p.value)]),
    COLORS.pace,
    2,
    [8, 5],
  );

  // Actual, then the forecast from the last measured day to the window's end.
  const actual = goal.points
    .filter((p) => p.actual !== undefined)
    .map((p) => ({ day: dayIndex(goal.window.from, p.date), value: p.actual ?? 0 }));
  polyline(
    raster,
    actual.map((p) => [sx(p.day), sy(p.value)]),
    COLORS.actual,
    3,
  );
  for (const p of actual) raster.dot(sx(p.day), sy(p.value), 3, COLORS.actual);
  const last = actual.at(-1);
  if (goal.forecast !== undefined && last && last.day < days) {
    raster.line(sx(last.day), sy(last.value), sx(days), sy(goal.forecast), COLORS.forecast, 2, [2, 4]);
  }

  // Legend.
  const legendY = height - 20;
  let lx = plot.left;
  for (const [label, color] of [
    ['ACTUAL', COLORS.actual],
    ['PACE', COLORS.pace],
    ['TARGET', COLORS.target],
    ['FORECAST', COLORS.forecast],
  ] as const) {
    raster.fillRect(lx, legendY + 2, 14, 3, color);
    lx += 20 + raster.text(lx + 20, legendY, label, COLORS.text) + 16;
  }
  return raster.toPng();
}

function polyline(
  raster: Raster,
  points: [number, number][],
  color: Rgb,
  thickness: number,
  dash?: [number, number],
) {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1] as [number, number];
    const [x1, y1] = points[i] as [number, number];
    raster.line(x0, y0, x1, y1, color, thickness, dash);
  }
}

/** The next "nice" axis maximum (a round step × a power of ten) at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
