import { NotFoundError } from '../errors.ts';
import { LISTENING_CAPABILITIES } from '../platforms/listening.ts';
import type { ListeningStore } from '../store/listening.ts';
import {
  checkPeriod,
  type Responses,
  type ResponsesQuery,
  responses,
  type ShareOfVoice,
  type ShareOfVoiceQuery,
  shareOfVoice,
} from './report.ts';
import type { ListeningSettings, StoredListeningSettings } from './settings.ts';

/** How long after a period's end a reply still counts for it (its inbound posts may be answered late). */
export const REPLY_GRACE_DAYS = 7;

/** Replaces the settings (the version read is the condition: a concurrent PUT makes this a 409). */
export async function saveListeningSettings(
  settings: ListeningSettings,
  deps: { listening: ListeningStore; now: () => Date },
): Promise<StoredListeningSettings & { capabilities: ReturnType<typeof capabilitiesOf> }> {
  const current = await deps.listening.getListeningSettings();
  const stored = await deps.listening.putListeningSettings(
    settings,
    deps.now().toISOString(),
    current?.version,
  );
  return { ...stored, capabilities: capabilitiesOf(settings) };
}

/** What each platform listened on can and cannot do (the reasons are for a person). */
export function capabilitiesOf(settings: ListeningSettings) {
  return Object.fromEntries(
    settings.platforms.map((platform) => [platform, LISTENING_CAPABILITIES[platform]]),
  );
}

export async function readSettings(listening: ListeningStore): Promise<StoredListeningSettings> {
  const stored = await listening.getListeningSettings();
  if (!stored) throw new NotFoundError('listening settings', 'listening');
  return stored;
}

export async function shareOfVoiceFor(
  query: ShareOfVoiceQuery,
  listening: ListeningStore,
): Promise<ShareOfVoice> {
  // Checked before reading: a reversed period is the caller's mistake, not a failed query.
  checkPeriod(query);
  const { settings } = await readSettings(listening);
  return shareOfVoice(query, settings, await listening.mentionsBetween(query.from, query.to));
}

export async function responsesFor(
  query: ResponsesQuery,
  listening: ListeningStore,
  now: Date,
): Promise<Responses> {
  checkPeriod(query);
  const stored = await listening.getListeningSettings();
  const until = new Date(
    Math.min(Date.parse(query.to) + REPLY_GRACE_DAYS * 86_400_000, now.getTime() + 1),
  ).toISOString();
  const [mentions, replies] = await Promise.all([
    listening.mentionsBetween(query.from, query.to),
    listening.ownRepliesBetween(query.from, until > query.from ? until : query.to),
  ]);
  return responses(query, stored?.settings, mentions, replies);
}
