import { json } from '../base.ts';
import { accountFollowers } from '../history.ts';
import type * as Sim from '../sim.ts';
import { invalidMetric, requestedMetrics } from './graph.ts';

/**
 * Threads user insights as the account reader asks for them:
 * `GET /{threads-user-id}/threads_insights?metric=followers_count`, answered with a `total_value`
 * (the count now, whatever the period), as the Insights reference shows it. Other user metrics
 * are not simulated and are refused as unknown.
 */
export function followersInsights(
  req: Sim.Request,
  ctx: Sim.Context,
  account: { userId: string; channel: string },
): Sim.Response {
  const metrics = requestedMetrics(req);
  if (metrics.length === 0) throw invalidMetric('');
  for (const metric of metrics) if (metric !== 'followers_count') throw invalidMetric(metric);
  return json(200, {
    data: [
      {
        name: 'followers_count',
        period: 'day',
        title: 'Followers',
        description: 'The total number of followers on your profile.',
        total_value: { value: accountFollowers(ctx, account.userId, account.channel) },
        id: `${account.userId}/insights/followers_count/day`,
      },
    ],
  });
}
