import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDeps } from '../../functions/commons/runtime.ts';
import { VirtualClock } from '../../local/clock.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { type BlueskySimulatorHandle, startBlueskySimulator } from '../../local/simulators/bluesky.ts';
import { LocalStateMachineRunner } from '../../local/stepfunctions/runner.ts';
import type { PulsecastEvent } from '../../shared/events.ts';
import { ListeningSettings } from '../../shared/listening/settings.ts';
import { listeningRegistry } from '../../shared/platforms/listening-registry.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { DynamoListeningStore } from '../../shared/store/listening.ts';
import { DynamoTable } from '../../shared/store/table.ts';
import { MemoryCredentialStore, noSleep } from '../platforms/helpers.ts';
import { makeChannel } from '../support/fixtures.ts';
import { synthesizedApp } from '../support/synthesized-app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPIKE = Date.parse('2027-03-03T14:00:00.000Z');

/**
 * The synthesized Listener with its real steps, against dynalite and the Bluesky simulator: a
 * planted spike is announced once, within two runs of its start.
 */
describe('the synthesized Listener state machine', () => {
  let dynamo: LocalDynamo;
  let sim: BlueskySimulatorHandle;
  let runner: LocalStateMachineRunner;
  let listening: DynamoListeningStore;
  let now = SPIKE - 10 * 60_000;
  const published: PulsecastEvent[] = [];

  beforeAll(async () => {
    const { template, stackName, ids } = synthesizedApp();
    dynamo = await startLocalDynamo();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    const clock = () => new Date(now);
    sim = await startBlueskySimulator({
      clock,
      audience: {
        seed: 3,
        conversation: {
          subjects: { brand: { term: 'acmecloud', perHour: 3 } },
          spikes: [
            {
              subject: 'brand',
              from: new Date(SPIKE).toISOString(),
              minutes: 60,
              perHour: 80,
              negativeShare: 0.8,
            },
          ],
        },
      },
    });
    const client = createDocumentClient(dynamo.client);
    const store = new DynamoStore({ tableName: dynamo.tableName, client });
    listening = new DynamoListeningStore(new DynamoTable({ tableName: dynamo.tableName, client }));
    installDeps({
      now: clock,
      listeningFor: listeningRegistry({ now: clock, sleep: noSleep }),
      credentials: new MemoryCredentialStore({
        'pulsecast/bsky-main': {
          identifier: sim.accounts[0]?.handle ?? '',
          appPassword: sim.accounts[0]?.appPassword ?? '',
        },
      }),
      events: { publish: async (events) => void published.push(...events) },
    });
    await store.putChannel(
      makeChannel({
        id: 'bsky-main',
        platform: 'bluesky',
        handle: '@pulsecast.bsky.social',
        secretRef: 'pulsecast/bsky-main',
        apiBaseUrl: sim.url,
      }),
    );
    await listening.putListeningSettings(
      ListeningSettings.parse({
        brand: { name: 'Acme', terms: ['acmecloud'] },
        platforms: ['bluesky', 'x'],
        autoHold: true,
      }),
      new Date(now).toISOString(),
      undefined,
    );
    runner = await LocalStateMachineRunner.fromTemplate(template, ids.listener, {
      root: ROOT,
      clock: new VirtualClock({ start: now }),
      names: { [ids.table]: dynamo.tableName, [ids.bus]: 'pulsecast-local' },
      stackName,
    });
  }, 60_000);

  afterAll(async () => {
    runner?.stopAll();
    await sim?.stop();
    await dynamo?.stop();
  });

  it('stores a week of mentions on its first run and announces the spike once, by the second run after it starts', async () => {
    const run = async () => {
      const execution = runner.start({});
      await execution.result;
      return execution.record.status;
    };
    expect(await run()).toBe('SUCCEEDED');
    const week = await listening.mentionsBetween(
      new Date(now - 7 * 86_400_000).toISOString(),
      new Date(now).toISOString(),
    );
    expect(week.length).toBeGreaterThan(400);
    expect(published).toEqual([]);

    for (const at of [SPIKE + 5 * 60_000, SPIKE + 10 * 60_000]) {
      now = at;
      expect(await run()).toBe('SUCCEEDED');
    }
    const detected = published.filter((e) => e.type === 'Mention Spike Detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]?.detail).toMatchObject({ subject: 'brand', platform: 'bluesky', autoHold: true });

    for (let i = 0; i < 4; i++) {
      now += 5 * 60_000;
      await run();
    }
    expect(published.filter((e) => e.type === 'Mention Spike Detected')).toHaveLength(1);
  }, 120_000);
});
