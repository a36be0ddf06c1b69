import { createHash } from 'node:crypto';
import { json, type SimContext, SimError, type SimRequest, type SimResponse } from './base.ts';
import { accountFollowers } from './history.ts';
import { badParameter, invalidMetric, requestedMetrics } from './meta/graph.ts';

/**
 * Who a simulated account's followers are, and when they are online, generated from the same
 * audience model as every post's numbers: the followers online in an hour are proportional to the
 * hour-of-week multiplier that also scales a post's reach, so a planted posting window shows up as
 * the audience's active hours. Countries, ages and genders are fixed shares, shuffled a little per
 * channel by the seed. Served as Meta's user insights (Instagram `follower_demographics` and
 * `online_followers`, Threads `follower_demographics`, Facebook `page_follows_country`) and
 * LinkedIn's `organizationalEntityFollowerStatistics`.
 */

const COUNTRIES: Record<string, number> = {
  US: 0.38,
  GB: 0.14,
  DE: 0.1,
  IN: 0.09,
  CA: 0.07,
  FR: 0.06,
  BR: 0.05,
};
const AGES: Record<string, number> = {
  '13-17': 0.02,
  '18-24': 0.19,
  '25-34': 0.34,
  '35-44': 0.24,
  '45-54': 0.12,
  '55-64': 0.06,
  '65+': 0.03,
};
const GENDERS: Record<string, number> = { F: 0.49, M: 0.47, U: 0.04 };
/** LinkedIn geo URNs of the same countries, in the same order. */
const LINKEDIN_GEO: Record<string, string> = {
  US: 'urn:li:geo:103644278',
  GB: 'urn:li:geo:101165590',
  DE: 'urn:li:geo:101282230',
  IN: 'urn:li:geo:102713980',
  CA: 'urn:li:geo:101174742',
  FR: 'urn:li:geo:105015875',
  BR: 'urn:li:geo:106057199',
};
const SENIORITIES: Record<string, number> = {
  'urn:li:seniority:3': 0.35,
  'urn:li:seniority:4': 0.25,
  'urn:li:seniority:5': 0.2,
  'urn:li:seniority:6': 0.12,
  'urn:li:seniority:8': 0.08,
};
const INDUSTRIES: Record<string, number> = {
  'urn:li:industry:4': 0.3,
  'urn:li:industry:96': 0.25,
  'urn:li:industry:80': 0.25,
  'urn:li:industry:1285': 0.2,
};
/** Share of the followers online in an hour at multiplier 1. */
const ONLINE_SHARE = 0.05;
/** Meta gives demographics and online followers only from this many followers. */
export const META_MIN_FOLLOWERS = 100;

/** A simulator account and the channel key of the audience model it stands for. */
interface Account {
  id: string;
  channel: string;
}

/** Followers per key: the shares, each moved by up to ±20 % per channel, times the followers. */
function counts(ctx: SimContext, account: Account, shares: Record<string, number>, label: string) {
  const { channel } = account;
  const followers = accountFollowers(ctx, account.id, channel);
  const out: Record<string, number> = {};
  for (const [key, share] of Object.entries(shares)) {
    const u = createHash('sha256')
      .update(`${ctx.audience.config.seed}\u0000${channel}\u0000${label}\u0000${key}`)
      .digest()
      .readUInt32BE(0);
    out[key] = Math.round(followers * share * (0.8 + (0.4 * u) / 2 ** 32));
  }
  return out;
}

/** Followers online in each hour of the day starting at `dayStart` (by the channel's hour-of-week curve). */
export function onlineFollowers(ctx: SimContext, account: Account, dayStart: Date): number[] {
  const followers = accountFollowers(ctx, account.id, account.channel);
  return Array.from({ length: 24 }, (_, hour) => {
    const at = new Date(dayStart.getTime() + hour * 3_600_000);
    return Math.round(followers * ONLINE_SHARE * ctx.audience.hourMultiplier(account.channel, at));
  });
}

function demographics(ctx: SimContext, account: Account, breakdown: string) {
  const tables: Record<string, Record<string, number>> = { country: COUNTRIES, age: AGES, gender: GENDERS };
  const table = tables[breakdown];
  if (!table) throw badParameter(`breakdown must be one of the following values: country, city, age, gender`);
  return Object.entries(counts(ctx, account, table, breakdown)).map(([key, value]) => ({
    dimension_values: [key],
    value,
  }));
}

function tooFewFollowers(): never {
  throw badParameter(`Insufficient followers: demographics need at least ${META_MIN_FOLLOWERS} followers`);
}

/**
 * A Meta user-insights read of demographics or online followers (Instagram `/{ig-user-id}/insights`,
 * Threads `/{threads-user-id}/threads_insights`): one metric, `follower_demographics` with one
 * `breakdown`, or (Instagram) `online_followers` per day over `since`–`until` (days end at 07:00 UTC).
 */
export function metaUserBreakdown(
  req: SimRequest,
  ctx: SimContext,
  account: Account,
  allowed: readonly string[],
): SimResponse {
  const [metric, ...rest] = requestedMetrics(req);
  if (!metric || rest.length > 0 || !allowed.includes(metric)) throw invalidMetric(metric ?? '');
  if (accountFollowers(ctx, account.id, account.channel) < META_MIN_FOLLOWERS) tooFewFollowers();
  const id = `${account.id}/insights/${metric}/lifetime`;
  if (metric === 'follower_demographics') {
    const breakdown = req.query.get('breakdown') ?? '';
    return json(200, {
      data: [
        {
          name: metric,
          period: 'lifetime',
          title: 'Follower demographics',
          total_value: {
            breakdowns: [{ dimension_keys: [breakdown], results: demographics(ctx, account, breakdown) }],
          },
          id,
        },
      ],
    });
  }
  // online_followers: one value per day, the hours of that day as keys.
  const until = Number(req.query.get('until') ?? Math.floor(ctx.now().getTime() / 1000)) * 1000;
  const since = Number(req.query.get('since') ?? Math.floor(until / 1000) - 86_400) * 1000;
  const values = [];
  const firstEnd = Math.ceil((since - 7 * 3_600_000) / 86_400_000) * 86_400_000 + 7 * 3_600_000;
  for (let end = firstEnd; end <= until; end += 86_400_000) {
    const hours = onlineFollowers(ctx, account, new Date(end - 86_400_000));
    values.push({
      value: Object.fromEntries(hours.map((n, h) => [String(h), n])),
      end_time: new Date(end).toISOString().replace(/\.\d{3}Z$/, '+0000'),
    });
  }
  return json(200, {
    data: [{ name: metric, period: 'lifetime', values, title: 'Online followers', id }],
  });
}

/** Facebook `/{page-id}/insights?metric=page_follows_country`: the Page's followers by country. */
export function facebookPageBreakdown(req: SimRequest, ctx: SimContext, page: Account): SimResponse {
  const [metric, ...rest] = requestedMetrics(req);
  if (metric !== 'page_follows_country' || rest.length > 0) throw invalidMetric(metric ?? '');
  return json(200, {
    data: [
      {
        name: metric,
        period: 'day',
        values: [
          {
            value: counts(ctx, page, COUNTRIES, 'country'),
            end_time: new Date(ctx.now().getTime()).toISOString().replace(/\.\d{3}Z$/, '+0000'),
          },
        ],
        title: 'Follows by country',
        id: `${page.id}/insights/${metric}/day`,
      },
    ],
  });
}

/**
 * LinkedIn lifetime follower statistics of the organisation: followers by country, seniority and
 * industry (organic and paid), as `GET /rest/organizationalEntityFollowerStatistics?q=organizationalEntity`
 * answers them without `timeIntervals`.
 */
export function linkedInFollowerStatistics(req: SimRequest, ctx: SimContext, account: Account): SimResponse {
  if (req.query.get('q') !== 'organizationalEntity') {
    throw new SimError(
      json(400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'Invalid value for param q' }),
    );
  }
  if (req.query.get('organizationalEntity') !== `urn:li:organization:${account.id}`) {
    throw new SimError(
      json(403, {
        status: 403,
        code: 'ACCESS_DENIED',
        message: 'Not enough permissions to access: organizationalEntityFollowerStatistics.GET.NO_VERSION',
      }),
    );
  }
  const facet = (name: string, table: Record<string, number>, label: string, key: (k: string) => string) =>
    Object.entries(counts(ctx, account, table, label)).map(([k, n]) => ({
      [name]: key(k),
      followerCounts: { organicFollowerCount: n, paidFollowerCount: 0 },
    }));
  return json(200, {
    paging: { start: 0, count: 10, links: [] },
    elements: [
      {
        organizationalEntity: `urn:li:organization:${account.id}`,
        followerCountsByGeoCountry: facet('geo', COUNTRIES, 'country', (k) => LINKEDIN_GEO[k] ?? k),
        followerCountsBySeniority: facet('seniority', SENIORITIES, 'seniority', (k) => k),
        followerCountsByIndustry: facet('industry', INDUSTRIES, 'industry', (k) => k),
        followerCountsByFunction: [],
        followerCountsByStaffCountRange: [],
        followerCountsByAssociationType: [],
      },
    ],
  });
}
