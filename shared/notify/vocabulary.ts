import { DateTime } from 'luxon';

/**
 * The words every message uses for metrics, numbers and times, defined once so the digest, the
 * alerts, the charts and the CLI report say "engagement rate 3.6 % (target 2 %)" the same way,
 * never "3.6 of 2 engagementRate".
 */

type Unit = 'count' | 'percent' | 'money' | 'minutes';

const METRIC_WORDS: Record<string, { name: string; unit: Unit }> = {
  impressions: { name: 'impressions', unit: 'count' },
  reach: { name: 'reach', unit: 'count' },
  engagements: { name: 'engagements', unit: 'count' },
  engagementRate: { name: 'engagement rate', unit: 'percent' },
  likes: { name: 'likes', unit: 'count' },
  comments: { name: 'comments', unit: 'count' },
  shares: { name: 'shares', unit: 'count' },
  saves: { name: 'saves', unit: 'count' },
  clicks: { name: 'link clicks', unit: 'count' },
  videoViews: { name: 'video views', unit: 'count' },
  conversions: { name: 'conversions', unit: 'count' },
  conversionValue: { name: 'conversion value', unit: 'money' },
  posts: { name: 'posts published', unit: 'count' },
  responseTimeMinutes: { name: 'response time', unit: 'minutes' },
};

/** A metric's name for people: `engagementRate` → "engagement rate"; an unknown one split at capitals. */
export function metricName(metric: string): string {
  return METRIC_WORDS[metric]?.name ?? metric.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
export const formatNumber = (value: number) => NUMBER.format(value);
/** A ratio (0.036) as a percentage: "3.6 %". */
export const formatPercent = (ratio: number) => `${NUMBER.format(ratio * 100)} %`;

/**
 * A goal metric's value with its unit. Goal values of `engagementRate` are already percentages
 * (2 means 2 %), as the goals stage stores them.
 */
export function formatMetric(metric: string, value: number): string {
  switch (METRIC_WORDS[metric]?.unit) {
    case 'percent':
      return `${NUMBER.format(value)} %`;
    case 'minutes':
      return `${NUMBER.format(value)} min`;
    default:
      return NUMBER.format(value);
  }
}

/** "engagement rate 3.6 % (target 2 %)", "link clicks 1,200 (target 5,000)". */
export function metricAgainstTarget(metric: string, current: number, target: number): string {
  return `${metricName(metric)} ${formatMetric(metric, current)} (target ${formatMetric(metric, target)})`;
}

/** The zone's abbreviation at that instant ("CET", "EDT"), or its offset where none is common ("GMT+9"). */
function zoneAbbreviation(time: DateTime): string {
  const us = time.setLocale('en-US').toFormat('ZZZZ');
  if (!us.startsWith('GMT') && !us.startsWith('UTC')) return us;
  const gb = time.setLocale('en-GB').toFormat('ZZZZ');
  return gb === 'GMT' && time.offset !== 0 ? us : gb;
}

/** A UTC instant in the team's or campaign's zone: "Mon 1 Mar 2027, 09:00 CET". */
export function localTime(iso: string, timezone: string): string {
  const time = DateTime.fromISO(iso, { zone: 'utc' }).setZone(timezone);
  return time.isValid ? `${time.toFormat('ccc d LLL yyyy, HH:mm')} ${zoneAbbreviation(time)}` : iso;
}

/** A calendar date (YYYY-MM-DD) as people write it: "1 Mar 2027". */
export function localDate(date: string): string {
  const day = DateTime.fromISO(date, { zone: 'utc' });
  return day.isValid ? day.toFormat('d LLL yyyy') : date;
}

/** A channel as people know it: its handle when known, with the platform ("@acme on LinkedIn"). */
export function channelWords(
  channel: { id: string; handle?: string | undefined },
  platform?: string,
): string {
  const name = channel.handle ?? channel.id;
  return platform ? `${name} on ${platform}` : name;
}
