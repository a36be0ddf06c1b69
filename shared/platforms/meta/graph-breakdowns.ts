import * as z from 'zod';
import { withQuery } from '../account.ts';
import {
  type Breakdown,
  type BreakdownSpec,
  hourShares,
  readEach,
  shares,
  utcHourOfWeek,
} from '../audience-breakdowns.ts';
import { readAnswer } from '../http.ts';
import { parseMetaTime } from './graph.ts';

/**
 * Audience breakdowns on Meta's Graph (shared/platforms/audience-breakdowns.ts):
 *
 * - Instagram: `GET /{ig-user-id}/insights?metric=follower_demographics&period=lifetime&
 *   metric_type=total_value&timeframe=this_month&breakdown=country|age|gender` (one breakdown a
 *   request), and `metric=online_followers&period=lifetime&since&until` for the last 28 days (four
 *   whole weeks, so every weekday counts the same): one value per day, keyed by the hour after the
 *   day's start, the day ending at `end_time`.
 * - Threads: `GET /{threads-user-id}/threads_insights?metric=follower_demographics&breakdown=…`
 *   (one breakdown a request); Threads has no online-followers metric.
 * - Facebook: `GET /{page-id}/insights?metric=page_follows_country&period=day`, the replacement
 *   Meta names for the retired `page_fans_country`. Page ages and genders (`page_fans_gender_age`)
 *   and online fans were retired without replacement.
 *
 * Meta gives demographics only from 100 followers: below that, or for a retired metric, the
 * breakdown is reported as unavailable with Meta's message (readEach).
 */

const Demographics = z.object({
  data: z.array(
    z.looseObject({
      name: z.string(),
      total_value: z
        .looseObject({
          breakdowns: z
            .array(
              z.looseObject({
                results: z
                  .array(z.looseObject({ dimension_values: z.array(z.string()), value: z.number() }))
                  .optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    }),
  ),
});

const DailyValues = z.object({
  data: z.array(
    z.looseObject({
      name: z.string(),
      values: z
        .array(
          z.looseObject({
            value: z.record(z.string(), z.number()).optional(),
            end_time: z.string().optional(),
          }),
        )
        .optional(),
    }),
  ),
});

async function demographic(
  get: (url: string) => Promise<unknown>,
  platformName: string,
  url: string,
  query: Record<string, string>,
): Promise<Breakdown> {
  const body = readAnswer(
    platformName,
    Demographics,
    await get(withQuery(url, query)),
    'the demographics',
    'unavailable',
  );
  const counts: Record<string, number> = {};
  for (const entry of body.data)
    for (const breakdown of entry.total_value?.breakdowns ?? [])
      for (const result of breakdown.results ?? []) {
        const key = result.dimension_values.join(' ');
        counts[key] = (counts[key] ?? 0) + result.value;
      }
  return shares(counts);
}

/** The days' hour counts as 168 UTC hour-of-week shares (each day starts 24 h before its end_time). */
export function onlineHours(
  values: readonly { value?: Record<string, number>; end_time?: string }[],
): number[] {
  const hours = new Array<number>(168).fill(0);
  for (const day of values) {
    const end = parseMetaTime(day.end_time);
    if (!Number.isFinite(end) || !day.value) continue;
    for (const [hour, n] of Object.entries(day.value)) {
      const h = Number(hour);
      if (!Number.isInteger(h) || h < 0 || h > 23) continue;
      const index = utcHourOfWeek(end - 86_400_000 + h * 3_600_000);
      hours[index] = (hours[index] ?? 0) + n;
    }
  }
  return hourShares(hours);
}

const ONLINE_DAYS = 28;

export function instagramBreakdowns<C>(account: (credentials: C) => { id: string }): BreakdownSpec<C> {
  return {
    offers: ['countries', 'ages', 'genders', 'activeHours'],
    missing: 'Instagram offers every asked breakdown',
    read: (get, { base, credentials, now }) => {
      const url = `${base}/${encodeURIComponent(account(credentials).id)}/insights`;
      const demographics = (breakdown: string) =>
        demographic(get, 'Instagram', url, {
          metric: 'follower_demographics',
          period: 'lifetime',
          metric_type: 'total_value',
          timeframe: 'this_month',
          breakdown,
        });
      return readEach([
        { kind: 'countries', read: () => demographics('country') },
        { kind: 'ages', read: () => demographics('age') },
        { kind: 'genders', read: () => demographics('gender') },
        {
          kind: 'activeHours',
          read: async () => {
            const until = Math.floor(now.getTime() / 1000);
            const body = readAnswer(
              'Instagram',
              DailyValues,
              await get(
                withQuery(url, {
                  metric: 'online_followers',
                  period: 'lifetime',
                  since: String(until - ONLINE_DAYS * 86_400),
                  until: String(until),
                }),
              ),
              'the online followers',
              'unavailable',
            );
            return onlineHours(body.data.flatMap((entry) => entry.values ?? []));
          },
        },
      ]);
    },
  };
}

export function threadsBreakdowns<C>(account: (credentials: C) => { id: string }): BreakdownSpec<C> {
  return {
    offers: ['countries', 'ages', 'genders'],
    missing: 'Threads has no metric of when followers are online',
    read: (get, { base, credentials }) => {
      const url = `${base}/${encodeURIComponent(account(credentials).id)}/threads_insights`;
      const demographics = (breakdown: string) =>
        demographic(get, 'Threads', url, { metric: 'follower_demographics', breakdown });
      return readEach([
        { kind: 'countries', read: () => demographics('country') },
        { kind: 'ages', read: () => demographics('age') },
        { kind: 'genders', read: () => demographics('gender') },
      ]);
    },
  };
}

export function facebookBreakdowns<C>(account: (credentials: C) => { id: string }): BreakdownSpec<C> {
  return {
    offers: ['countries'],
    missing:
      'Meta retired the Page ages and genders (page_fans_gender_age) and online-fans metrics without a replacement',
    read: (get, { base, credentials }) =>
      readEach([
        {
          kind: 'countries',
          read: async () => {
            const url = withQuery(`${base}/${encodeURIComponent(account(credentials).id)}/insights`, {
              metric: 'page_follows_country',
              period: 'day',
            });
            const body = readAnswer(
              'Facebook',
              DailyValues,
              await get(url),
              'the Page insights',
              'unavailable',
            );
            const latest = body.data.flatMap((entry) => entry.values ?? []).at(-1)?.value;
            return latest ? shares(latest) : undefined;
          },
        },
      ]),
  };
}
