import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_APPROVAL_LINK_REF, LOCAL_SLACK_SIGNING_REF } from '../functions/commons/approval-runtime.ts';
import { channelPolicy } from '../functions/commons/runtime.ts';
import { saveChannel } from '../shared/channels.ts';
import type { ChannelInput } from '../shared/domain/index.ts';
import { LOCAL_SECRET_REF } from '../shared/measuring/webhook-secret.ts';
import type { DynamoStore } from '../shared/store/dynamo.ts';
import { readJsonStateSync, unexpectedState, writeFileAtomicSync } from './files.ts';

// Local mode's helpers around its start: the clock file, the secrets file, AWS kept away, demo
// channels, request bodies.

/** Calls `written` around every write the client sends (before it, and once it is done). */
export function notifyWrites(client: DynamoDBClient, written: () => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!/^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(context.commandName ?? '')) return next(args);
      written();
      try {
        return await next(args);
      } finally {
        written();
      }
    },
    { step: 'initialize', name: 'pulsecastLocalWrites' },
  );
}

/**
 * Local time survives a restart: it resumes where it was plus the real time that passed, as a
 * deployed system's would (posts that fell due meanwhile are then published late, not lost).
 * A damaged clock file stops start-up rather than restarting time from now: leases and
 * schedules in the table are in the saved local time, which may lie far ahead of now.
 */
export function restoredClock(path: string): number | undefined {
  const read = { ifDeleted: 'restart local time from now (or PULSECAST_CLOCK_START)' };
  const saved = readJsonStateSync(path, read) as { virtualMs?: unknown; realMs?: unknown } | undefined;
  if (saved === undefined) return undefined;
  if (typeof saved?.virtualMs !== 'number' || typeof saved.realMs !== 'number')
    throw unexpectedState(path, 'a local clock (virtualMs and realMs)', read);
  return saved.virtualMs + Math.max(0, Date.now() - saved.realMs);
}

export function saveClock(path: string, virtualMs: number): void {
  writeFileAtomicSync(path, JSON.stringify({ virtualMs, realMs: Date.now() }));
}

/**
 * Local mode never talks to AWS: fixed local credentials, and every AWS endpoint but
 * DynamoDB's pointed at a closed local port, so a call that slipped through fails at once here
 * instead of reaching an account. These are the AWS SDK's own variables, read by every client
 * however it was built, so they stay environment; nothing of Pulsecast's is set here (local
 * mode installs its configuration in the composition root instead).
 */
export function isolateFromAws(): void {
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
}

/**
 * The simulators' credentials, merged into `<dataDir>/secrets.json` (the user's own entries
 * kept). A damaged file stops start-up: rewriting it would drop the user's entries and the
 * webhook secret their senders sign with.
 */
/** The entry of the local secrets file with the unsubscribe links' key, `{ "secret": "…" }`. */
export const LOCAL_UNSUBSCRIBE_REF = 'pulsecast/unsubscribe';

export function writeLocalSecrets(dataDir: string, secrets: Record<string, Record<string, string>>): string {
  const path = join(dataDir, 'secrets.json');
  const read = {
    ifDeleted:
      "have local mode write the simulators' credentials afresh (your own entries and the conversion webhook's secret are then lost)",
  };
  const existing = readJsonStateSync(path, read) ?? {};
  if (typeof existing !== 'object' || existing === null || Array.isArray(existing))
    throw unexpectedState(path, 'a JSON object keyed by secretRef', read);
  const entries = existing as Record<string, unknown>;
  // The conversion webhook's HMAC secret: made once per data folder, kept across restarts.
  const webhook = entries[LOCAL_SECRET_REF] ?? { secret: randomBytes(24).toString('hex') };
  // The approval link key and a Slack signing secret (to test a Slack app against local mode).
  const own = Object.fromEntries(
    [LOCAL_APPROVAL_LINK_REF, LOCAL_SLACK_SIGNING_REF].map((ref) => [
      ref,
      entries[ref] ?? { secret: randomBytes(32).toString('hex') },
    ]),
  );
  // The unsubscribe links' HMAC key, likewise kept, so links in emails already sent keep working.
  const unsubscribe = entries[LOCAL_UNSUBSCRIBE_REF] ?? { secret: randomBytes(24).toString('hex') };
  writeFileAtomicSync(
    path,
    `${JSON.stringify({ ...entries, ...secrets, [LOCAL_SECRET_REF]: webhook, ...own, [LOCAL_UNSUBSCRIBE_REF]: unsubscribe }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return path;
}

/**
 * Demo channels point at simulators whose ports change with every start: keep their
 * `apiBaseUrl` current. A channel the user created is never touched.
 */
export async function syncDemoChannels(
  store: DynamoStore,
  channels: ChannelInput[],
  seed: boolean,
): Promise<string[]> {
  const seeded: string[] = [];
  for (const input of channels) {
    const current = await store.getChannel(input.id);
    if (current && current.secretRef !== input.secretRef) continue;
    if (!current && !seed) continue;
    const { outcome } = await saveChannel(current ? { ...current, apiBaseUrl: input.apiBaseUrl } : input, {
      store,
      now: () => new Date(),
      policy: channelPolicy(),
    });
    if (outcome === 'created') seeded.push(input.id);
  }
  return seeded;
}

export function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}
