import type { Platform } from '../../shared/domain/index.ts';
import { EventBridgePublisher } from '../../shared/eventbridge.ts';
import type { EventPublisher } from '../../shared/events.ts';
import { FileCredentialStore, SecretsManagerCredentialStore } from '../../shared/platforms/credentials.ts';
import type { CredentialStore, PlatformAdapter } from '../../shared/platforms/port.ts';
import { adapterRegistry as defaultAdapters } from '../../shared/platforms/registry.ts';
import { requireEnv } from './runtime.ts';

/**
 * What the publishing functions need beyond the table: the event bus, channel credentials and
 * the platform adapters. Kept apart from runtime.ts so the API functions' bundles carry none of it.
 * Defaults are the AWS adapters, created on first use; local mode and tests swap in their own
 * (the local event bus, the secrets file, the simulators' adapters) before any handler runs.
 */

let events: EventPublisher | undefined;
export function eventPublisher(): EventPublisher {
  events ??= new EventBridgePublisher(requireEnv('EVENT_BUS_NAME'));
  return events;
}
export function setEventPublisher(next: EventPublisher): void {
  events = next;
}

let credentials: CredentialStore | undefined;
/** Secrets Manager on AWS; the JSON file named by PULSECAST_SECRETS_FILE when set (local mode). */
export function credentialStore(): CredentialStore {
  const file = process.env.PULSECAST_SECRETS_FILE;
  credentials ??= file ? new FileCredentialStore(file) : new SecretsManagerCredentialStore();
  return credentials;
}
export function setCredentialStore(next: CredentialStore): void {
  credentials = next;
}

let adapters: ((platform: Platform) => PlatformAdapter) | undefined;
/** The platform adapter for a channel's platform (the real ones unless replaced). */
export function adapterFor(platform: Platform): PlatformAdapter {
  adapters ??= defaultAdapters();
  return adapters(platform);
}
export function setAdapterResolver(next: (platform: Platform) => PlatformAdapter): void {
  adapters = next;
}
