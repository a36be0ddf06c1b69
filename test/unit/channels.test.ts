import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/commons/config.ts';
import {
  apiBaseUrlProblem,
  type ChannelPolicy,
  channelPolicyFrom,
  createChannel,
  replaceChannel,
  secretRefProblem,
} from '../../shared/channels.ts';
import type { ChannelInput } from '../../shared/domain/index.ts';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  ValidationError,
} from '../../shared/errors.ts';
import { MemoryStore } from '../support/memory-store.ts';

/** The policy of a function with this environment. */
const channelPolicyFromEnv = (env: NodeJS.ProcessEnv) => channelPolicyFrom(parseConfig(env));

const deployed = channelPolicyFromEnv({});
const local = channelPolicyFromEnv({ PULSECAST_LOCAL_CHANNELS: '1' });

const input = (overrides: Partial<ChannelInput> = {}): ChannelInput => ({
  id: 'x-main',
  platform: 'x',
  handle: '@acme',
  timezone: 'Europe/Berlin',
  secretRef: 'pulsecast/x-main',
  ...overrides,
});

function deps(policy: ChannelPolicy = deployed) {
  return { store: new MemoryStore(), now: () => new Date('2026-12-01T09:00:00Z'), policy };
}

describe('apiBaseUrlProblem', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data',
    'https://169.254.169.254',
    'https://2852039166/',
    'https://0xa9.0xfe.0xa9.0xfe/',
    'https://[::ffff:169.254.169.254]/',
    'https://10.0.0.5',
    'https://172.16.3.4',
    'https://192.168.1.1',
    'https://127.0.0.1',
    'https://[::1]',
    'https://[fd00::1]',
    'https://[fe80::1]',
    'https://localhost',
    'https://api.localhost',
    'https://metadata.google.internal',
    'https://intranet',
    'http://mastodon.social',
    'https://user:pass@mastodon.social',
  ])('refuses %s once deployed', (url) => {
    expect(apiBaseUrlProblem(url, deployed)).toBeTypeOf('string');
  });

  it.each(['https://mastodon.social', 'https://api.x.com/2', 'https://8.8.8.8', 'https://[2001:4860::8888]'])(
    'accepts the public https address %s',
    (url) => {
      expect(apiBaseUrlProblem(url, deployed)).toBeUndefined();
    },
  );

  it('lets local mode point at a simulator on http://127.0.0.1, but still not at link-local addresses', () => {
    expect(apiBaseUrlProblem('http://127.0.0.1:4010', local)).toBeUndefined();
    expect(apiBaseUrlProblem('http://localhost:4010', local)).toBeUndefined();
    expect(apiBaseUrlProblem('http://169.254.169.254', local)).toBeTypeOf('string');
  });
});

describe('secretRefProblem', () => {
  it('takes a secret under the channel prefix, by name or by ARN', () => {
    expect(secretRefProblem('pulsecast/x-main', deployed)).toBeUndefined();
    expect(
      secretRefProblem(
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulsecast/x-main-AbCdEf',
        deployed,
      ),
    ).toBeUndefined();
  });

  it("refuses a secret outside the prefix and Pulsecast's own secrets", () => {
    expect(secretRefProblem('prod/database', deployed)).toMatch(/under 'pulsecast\/'/);
    expect(secretRefProblem('pulsecast/conversions-webhook', deployed)).toMatch(/Pulsecast's own secrets/);
    const withSlack = channelPolicyFromEnv({
      PULSECAST_RESERVED_SECRET_REFS: 'pulsecast/slack, pulsecast/other',
    });
    expect(secretRefProblem('pulsecast/slack', withSlack)).toMatch(/Pulsecast's own secrets/);
  });

  it('follows the stack-configured prefix', () => {
    const policy = channelPolicyFromEnv({ PULSECAST_SECRET_PREFIX: 'acme/social/' });
    expect(secretRefProblem('acme/social/x', policy)).toBeUndefined();
    expect(secretRefProblem('pulsecast/x', policy)).toBeTypeOf('string');
  });
});

describe('createChannel and replaceChannel', () => {
  it('creates once; the same body again is unchanged; a different body for the same id is a 409', async () => {
    const d = deps();
    expect((await createChannel(input(), d)).outcome).toBe('created');
    expect((await createChannel(input(), d)).outcome).toBe('unchanged');
    await expect(createChannel(input({ handle: '@other' }), d)).rejects.toBeInstanceOf(ConflictError);
    expect((await d.store.getChannel('x-main'))?.handle).toBe('@acme');
  });

  it('names the fields a policy refuses, and writes nothing', async () => {
    const d = deps();
    const refused = await createChannel(
      input({ apiBaseUrl: 'http://169.254.169.254', secretRef: 'pulsecast/conversions-webhook' }),
      d,
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues.map((issue) => issue.column).sort()).toEqual([
      'apiBaseUrl',
      'secretRef',
    ]);
    expect(await d.store.getChannel('x-main')).toBeUndefined();
  });

  it('replaces only at the version If-Match names', async () => {
    const d = deps();
    await createChannel(input(), d);
    await expect(replaceChannel('x-main', input({ handle: '@new' }), undefined, d)).rejects.toBeInstanceOf(
      PreconditionRequiredError,
    );
    await expect(replaceChannel('x-main', input({ handle: '@new' }), 7, d)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const { channel, outcome } = await replaceChannel('x-main', input({ handle: '@new' }), 1, d);
    expect({ outcome, version: channel.version, handle: channel.handle }).toEqual({
      outcome: 'updated',
      version: 2,
      handle: '@new',
    });
    // The second of two editors who both read version 1 loses.
    await expect(replaceChannel('x-main', input({ handle: '@late' }), 1, d)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(replaceChannel('nope', input({ id: 'nope' }), 1, d)).rejects.toBeInstanceOf(NotFoundError);
    await expect(replaceChannel('x-main', input({ id: 'other' }), 2, d)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
