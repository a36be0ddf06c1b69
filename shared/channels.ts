import { BlockList, isIP } from 'node:net';
import type { Channel, ChannelInput } from './domain/index.ts';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  ValidationError,
  VersionConflictError,
} from './errors.ts';
import { LOCAL_SECRET_REF } from './measuring/webhook-secret.ts';
import type { ChannelStore } from './store/channels.ts';

/**
 * What a channel may point at. A channel's `apiBaseUrl` is where its adapter sends the account's
 * credentials, and its `secretRef` is a secret the publishing functions will read: both are
 * checked so that a caller of the API cannot aim the system at an internal address (the
 * instance metadata service, a VPC host) or at a secret that is not a channel's.
 */
export interface ChannelPolicy {
  /** Channel secrets live under these name prefixes (deployed: the stack's `secretPrefix`). */
  secretPrefixes: readonly string[];
  /** Secrets no channel may name (the conversion webhook's, Slack's). */
  reservedSecretRefs: readonly string[];
  /** Local mode: plain http and loopback addresses are allowed (the simulators live there). */
  allowLoopback: boolean;
}

export const DEFAULT_CHANNEL_SECRET_PREFIX = 'pulsecast/';

/**
 * The policy a configuration describes (functions/commons/config.ts): `PULSECAST_SECRET_PREFIX`
 * (default `pulsecast/`, the stack's default), `PULSECAST_RESERVED_SECRET_REFS` and
 * `PULSECAST_LOCAL_CHANNELS` (loopback http, and local mode's `local/` secrets).
 */
export function channelPolicyFrom(settings: {
  PULSECAST_SECRET_PREFIX: string;
  PULSECAST_RESERVED_SECRET_REFS: readonly string[];
  PULSECAST_LOCAL_CHANNELS: boolean;
}): ChannelPolicy {
  const local = settings.PULSECAST_LOCAL_CHANNELS;
  const prefix = settings.PULSECAST_SECRET_PREFIX;
  return {
    secretPrefixes: local ? [prefix, 'local/'] : [prefix],
    reservedSecretRefs: [LOCAL_SECRET_REF, ...settings.PULSECAST_RESERVED_SECRET_REFS],
    allowLoopback: local,
  };
}

/** Addresses a channel may never point at: private, loopback, link-local, shared, unspecified. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address written as IPv6 (`::ffff:a9fe:a9fe`) is checked as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[1] as string, 16);
    const low = Number.parseInt(mapped[2] as string, 16);
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
  }
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return { address: dotted[1] as string, family: 'ipv4' };
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Why `apiBaseUrl` is refused, or undefined. The WHATWG URL parser has already normalised the
 * odd spellings of an IPv4 address (`http://2852039166/`, `0xa9.254.169.254`) to dotted form.
 * A public name that resolves to an internal address is not caught here (that would need the
 * resolution the adapter makes at request time); names that are internal by definition are.
 */
export function apiBaseUrlProblem(value: string, policy: ChannelPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  const ip = family === 0 ? undefined : unmapped(host);
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const loopback = loopbackName || (ip !== undefined && LOOPBACK.check(ip.address, ip.family));
  if (policy.allowLoopback && loopback) return undefined;
  if (url.protocol !== 'https:') return 'must start with https:// (credentials are sent to it)';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (loopback) return `points at this machine (${host}); give the platform's public https address`;
  if (ip && INTERNAL.check(ip.address, ip.family)) {
    return `points at a private, link-local or reserved address (${host}); give the platform's public https address`;
  }
  if (family === 0 && (!host.includes('.') || /\.(internal|local|localdomain|home\.arpa)$/.test(host))) {
    return `names a host on an internal network (${host}); give the platform's public https address`;
  }
  return undefined;
}

/** The secret's name, also when `secretRef` is the secret's ARN. */
function secretName(ref: string): string {
  const arn = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(ref);
  return arn ? (arn[1] as string) : ref;
}

export function secretRefProblem(ref: string, policy: ChannelPolicy): string | undefined {
  const name = secretName(ref);
  if (policy.reservedSecretRefs.some((reserved) => secretName(reserved) === name)) {
    return `'${name}' is one of Pulsecast's own secrets, not a channel's; store the channel's credentials in a secret of their own`;
  }
  if (!policy.secretPrefixes.some((prefix) => name.startsWith(prefix))) {
    return `must name a secret under ${policy.secretPrefixes.map((p) => `'${p}'`).join(' or ')} (the functions may read only those), e.g. '${policy.secretPrefixes[0]}x-main'`;
  }
  return undefined;
}

function checkPolicy(input: ChannelInput, policy: ChannelPolicy): void {
  const issues = [];
  const secret = secretRefProblem(input.secretRef, policy);
  if (secret) issues.push({ column: 'secretRef', message: secret });
  const base = input.apiBaseUrl === undefined ? undefined : apiBaseUrlProblem(input.apiBaseUrl, policy);
  if (base) issues.push({ column: 'apiBaseUrl', message: base });
  if (issues.length > 0) throw new ValidationError('the channel has invalid fields', issues);
}

export interface ChannelDeps {
  store: ChannelStore;
  now: () => Date;
  policy: ChannelPolicy;
}

const CHANNEL_FIELDS = ['platform', 'handle', 'timezone', 'secretRef', 'apiBaseUrl'] as const;

function sameChannel(current: Channel, input: ChannelInput): boolean {
  return (
    CHANNEL_FIELDS.every((field) => current[field] === input[field]) &&
    JSON.stringify(current.approval ?? null) === JSON.stringify(input.approval ?? null)
  );
}

/**
 * Creates a channel. An id that exists is a 409 — replacing is a different act (`PUT` with the
 * version) — except that sending exactly the stored channel again (a retried request) answers
 * `unchanged`, since nothing would be overwritten.
 */
export async function createChannel(
  input: ChannelInput,
  deps: ChannelDeps,
): Promise<{ channel: Channel; outcome: 'created' | 'unchanged' }> {
  checkPolicy(input, deps.policy);
  const now = deps.now().toISOString();
  const channel: Channel = { ...input, createdAt: now, updatedAt: now, version: 1 };
  try {
    await deps.store.putChannel(channel);
    return { channel, outcome: 'created' };
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = await deps.store.getChannel(input.id);
    if (current && sameChannel(current, input)) return { channel: current, outcome: 'unchanged' };
    throw new ConflictError(
      `channel '${input.id}' already exists; to change it, PUT /v1/channels/${input.id} with If-Match: "${current?.version ?? 1}"`,
      { cause: error, extensions: { currentVersion: current?.version } },
    );
  }
}

/**
 * Replaces the channel `id` if it is still at `expectedVersion` (the caller's `If-Match`), so
 * two people editing a channel cannot silently undo each other.
 */
export async function replaceChannel(
  id: string,
  input: ChannelInput,
  expectedVersion: number | undefined,
  deps: ChannelDeps,
): Promise<{ channel: Channel; outcome: 'updated' | 'unchanged' }> {
  if (input.id !== id) {
    throw new ValidationError('the body does not match the path', [
      { column: 'id', message: `is '${input.id}' but the path names '${id}'; a channel's id cannot change` },
    ]);
  }
  checkPolicy(input, deps.policy);
  const current = await deps.store.getChannel(id);
  if (!current) throw new NotFoundError('channel', id);
  if (expectedVersion === undefined) {
    throw new PreconditionRequiredError(
      `send If-Match: "${current.version}" (the version you read with GET /v1/channels/${id}) so a concurrent change is not overwritten`,
      { extensions: { currentVersion: current.version } },
    );
  }
  const stale = () =>
    new PreconditionFailedError(
      `channel '${id}' is at version ${current.version}, not ${expectedVersion}; read it again and retry`,
      { extensions: { currentVersion: current.version } },
    );
  if (expectedVersion !== current.version) throw stale();
  if (sameChannel(current, input)) return { channel: current, outcome: 'unchanged' };
  const channel: Channel = {
    ...input,
    createdAt: current.createdAt,
    updatedAt: deps.now().toISOString(),
    version: current.version + 1,
  };
  try {
    await deps.store.putChannel(channel, current.version);
  } catch (error) {
    if (error instanceof VersionConflictError) throw stale();
    throw error;
  }
  return { channel, outcome: 'updated' };
}

/**
 * Local mode's seeding: creates the channel or brings the stored one up to date, each write
 * conditional on what was read (its demo channels' simulator ports change with every start).
 */
export async function saveChannel(
  input: ChannelInput,
  deps: ChannelDeps,
): Promise<{ channel: Channel; outcome: 'created' | 'updated' | 'unchanged' }> {
  const current = await deps.store.getChannel(input.id);
  if (!current) return createChannel(input, deps);
  return replaceChannel(input.id, input, current.version, deps);
}
