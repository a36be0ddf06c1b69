import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { type LocalHandler, SimulatedServiceError } from '../../local/lambda.ts';
import { LocalStateMachineRunner } from '../../local/stepfunctions/runner.ts';
import { synthesizedApp } from '../support/synthesized-app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The synthesized Collector's own behaviour — what runs when, what is retried, what fails the
 * execution — with its two Lambda steps replaced by scripted stand-ins (the real steps run in
 * collector.synthesized.test.ts).
 */
let template: unknown;
let ids: { machine: string; collectDue: string; collectChannel: string };

beforeAll(() => {
  const app = synthesizedApp();
  template = app.template;
  ids = {
    machine: app.ids.collector,
    collectDue: app.ids.collectDue,
    collectChannel: app.ids.collectChannel,
  };
});

async function runner(collectDue: LocalHandler, collectChannel: LocalHandler) {
  return LocalStateMachineRunner.fromTemplate(template, ids.machine, {
    root: ROOT,
    clock: new VirtualClock({ start: Date.parse('2026-12-01T09:00:00.000Z') }),
    handlers: { [ids.collectDue]: collectDue, [ids.collectChannel]: collectChannel },
  });
}

const summary = (channel: string) => ({
  channel,
  requests: 1,
  collected: 3,
  deleted: 0,
  delayed: 0,
  skipped: 0,
  deferred: 0,
});

describe('the synthesized Collector state machine', () => {
  it('ends at once, without a Map, when nothing is due', async () => {
    let channelCalls = 0;
    const collector = await runner(
      async () => ({ channels: [], due: 0, planned: 0, more: false }),
      async () => {
        channelCalls++;
        return {};
      },
    );

    const run = collector.start({});
    await run.result;

    expect(run.record.status).toBe('SUCCEEDED');
    expect(channelCalls).toBe(0);
    expect(run.events.map((e) => e.state?.name).filter(Boolean)).not.toContain('CollectChannels');
  });

  it('reads every channel, retries a transient failure, finishes the others when one fails, then fails visibly', async () => {
    const calls: string[] = [];
    let throttled = false;
    const collector = await runner(
      async () => ({
        channels: ['a', 'b', 'c'].map((channel) => ({
          channel,
          postIds: [`${channel}-1`],
          due: 1,
          early: 0,
        })),
        due: 3,
        planned: 0,
        more: false,
      }),
      async (event) => {
        const { channel } = event as { channel: string };
        calls.push(channel);
        if (channel === 'b') throw new TypeError('a bug in one channel');
        if (channel === 'c' && !throttled) {
          throttled = true;
          throw new SimulatedServiceError('Lambda.TooManyRequestsException');
        }
        return summary(channel);
      },
    );

    const run = collector.start({});
    await run.result.catch(() => undefined);

    expect(run.record.status).toBe('FAILED');
    expect(run.record.error).toBe('ChannelsNotCollected');
    expect(calls.sort()).toEqual(['a', 'b', 'c', 'c']);
    const map = run.events.find((e) => e.type === 'StateExited' && e.state?.name === 'CollectChannels');
    expect((map?.state?.output as { results?: unknown[] } | undefined)?.results).toEqual([
      { summary: summary('a'), failed: false },
      { channel: 'b', failed: true, error: 'TypeError' },
      { summary: summary('c'), failed: false },
    ]);
  });

  it('does not retry a channel step on a non-transient error (it would only repeat it)', async () => {
    let calls = 0;
    const collector = await runner(
      async () => ({
        channels: [{ channel: 'a', postIds: ['a-1'], due: 1, early: 0 }],
        due: 1,
        planned: 0,
        more: false,
      }),
      async () => {
        calls++;
        throw new RangeError('deterministic');
      },
    );

    const run = collector.start({});
    await run.result.catch(() => undefined);

    expect(calls).toBe(1);
    expect(run.record.error).toBe('ChannelsNotCollected');
  });
});
