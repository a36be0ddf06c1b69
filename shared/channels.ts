import type { Channel, ChannelInput } from './domain/index.ts';
import type { Store } from './store/port.ts';

/**
 * Creates a channel or updates the one with the same id. Credentials stay in the secret that
 * `secretRef` names; only the reference is stored.
 */
export async function saveChannel(
  input: ChannelInput,
  deps: { store: Store; now: () => Date },
): Promise<{ channel: Channel; outcome: 'created' | 'updated' | 'unchanged' }> {
  const now = deps.now().toISOString();
  const current = await deps.store.getChannel(input.id);
  if (!current) {
    const channel: Channel = { ...input, createdAt: now, updatedAt: now, version: 1 };
    await deps.store.putChannel(channel);
    return { channel, outcome: 'created' };
  }
  if (CHANNEL_FIELDS.every((field) => current[field] === input[field])) {
    return { channel: current, outcome: 'unchanged' };
  }
  const channel: Channel = {
    ...input,
    createdAt: current.createdAt,
    updatedAt: now,
    version: current.version + 1,
  };
  await deps.store.putChannel(channel, current.version);
  return { channel, outcome: 'updated' };
}

const CHANNEL_FIELDS = ['platform', 'handle', 'timezone', 'secretRef', 'apiBaseUrl'] as const;
