import { describe, expect, it } from 'vitest';
import type { EventDetail } from '../../shared/events.ts';
import { changesSince, evaluateCampaign } from '../../shared/goals/campaign-evaluation.ts';
import { noticeFor } from '../../shared/notify/notice.ts';
import { generate, random, randomSlots, START } from './generated.ts';
import { day, goal, makeCampaign } from './helpers.ts';

/**
 * One evaluation, one story: the alert a status change sends says the evaluation's own reason
 * with its numbers, as the report and the event do — not a reason of its own.
 */
describe('a goal alert', () => {
  it('carries the status, numbers and reason of the evaluation, and promises nothing else', () => {
    const slots = randomSlots(random(11), 'x-main', 4, 4);
    const at = (target: number) => {
      const engagements = goal({
        id: 'eng',
        metric: 'engagements',
        target: { kind: 'absolute', value: target },
        window: { from: START, to: day(START, 27) },
      });
      const campaign = makeCampaign({ goals: [engagements] });
      const now = `${day(START, 10)}T07:00:00.000Z`;
      return evaluateCampaign(generate(slots, now, { seed: 11 }, ['x-main'], campaign).input);
    };
    // A target at the forecast itself sits inside the band: AT_RISK.
    const report = at(Math.round(at(1_000_000).goals[0]?.forecast?.value ?? 0));
    const [evaluation] = report.goals;
    expect(evaluation?.status).toBe('AT_RISK');

    const event = changesSince(undefined, report).find((e) => e.type === 'Goal Status Changed');
    const detail = event?.detail as EventDetail<'Goal Status Changed'>;
    expect(detail).toMatchObject({
      status: evaluation?.status,
      reason: evaluation?.reason,
      current: evaluation?.current,
      forecast: {
        value: evaluation?.forecast?.value,
        low: evaluation?.forecast?.low,
        high: evaluation?.forecast?.high,
      },
    });

    const notice = noticeFor(event as never, { timezone: 'UTC', workspaceName: 'Pulsecast' });
    expect(notice.summary).toContain(evaluation?.reason);
    expect(notice.summary).toContain("lies inside the forecast's 80 % band");
    expect(notice.summary).not.toMatch(/at the current pace|next digest/);
    expect(notice.facts).toContainEqual({ label: 'Status', value: 'AT RISK' });
    expect(notice.facts.find((f) => f.label === 'Forecast')?.value).toMatch(/80 % band/);
  });
});
