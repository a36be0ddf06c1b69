import * as z from 'zod';
import { withQuery } from '../account.ts';
import { type BreakdownSpec, readEach, shares } from '../audience-breakdowns.ts';
import { readAnswer } from '../http.ts';

/**
 * An organisation's followers by country, seniority and industry: the lifetime form of
 * `GET /rest/organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity={org URN}`
 * (no `timeIntervals`), one request for all three. Keys are LinkedIn's URNs (`urn:li:geo:…`,
 * `urn:li:seniority:…`, `urn:li:industry:…`); organic and paid followers count together. LinkedIn
 * has no follower ages, genders or online hours.
 */
const Counts = z.looseObject({
  organicFollowerCount: z.number().optional(),
  paidFollowerCount: z.number().optional(),
});
const Facet = (key: string) =>
  z.array(z.looseObject({ [key]: z.string(), followerCounts: Counts })).optional();
const Statistics = z.object({
  elements: z.array(
    z.looseObject({
      followerCountsByGeoCountry: Facet('geo'),
      followerCountsBySeniority: Facet('seniority'),
      followerCountsByIndustry: Facet('industry'),
    }),
  ),
});
type Element = z.infer<typeof Statistics>['elements'][number];

function facet(rows: readonly Record<string, unknown>[] | undefined, key: string) {
  const counts: Record<string, number> = {};
  for (const row of rows ?? []) {
    const id = row[key];
    const n = row.followerCounts as z.infer<typeof Counts>;
    if (typeof id === 'string') counts[id] = (n.organicFollowerCount ?? 0) + (n.paidFollowerCount ?? 0);
  }
  return shares(counts);
}

export function linkedInBreakdowns<C extends { organizationUrn: string }>(): BreakdownSpec<C> {
  return {
    offers: ['countries', 'seniorities', 'industries'],
    missing: 'LinkedIn follower statistics have no ages, genders or online hours',
    read: async (get, { base, credentials }) => {
      let element: Promise<Element | undefined> | undefined;
      const statistics = () => {
        element ??= get(
          withQuery(`${base}/rest/organizationalEntityFollowerStatistics`, {
            q: 'organizationalEntity',
            organizationalEntity: credentials.organizationUrn,
          }),
        ).then(
          (body) =>
            readAnswer('LinkedIn', Statistics, body, 'the follower statistics', 'unavailable').elements[0],
        );
        return element;
      };
      return readEach([
        {
          kind: 'countries',
          read: async () => facet((await statistics())?.followerCountsByGeoCountry, 'geo'),
        },
        {
          kind: 'seniorities',
          read: async () => facet((await statistics())?.followerCountsBySeniority, 'seniority'),
        },
        {
          kind: 'industries',
          read: async () => facet((await statistics())?.followerCountsByIndustry, 'industry'),
        },
      ]);
    },
  };
}
