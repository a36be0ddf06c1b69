import type {
  DigestRecord,
  Mark,
  NotificationStore,
  RecipientPreference,
} from '../../shared/store/notifications.ts';
import { clone, stripUndefined, type WriteHook } from './memory-base.ts';

/** NotificationStore in memory: a mark is put only over an absent, expired, own or taken-over one. */
export class MemoryNotificationStore implements NotificationStore {
  readonly marks = new Map<string, Mark>();
  readonly digests = new Map<string, DigestRecord>();
  readonly preferences = new Map<string, RecipientPreference>();

  constructor(private readonly hook: WriteHook) {}

  async putMark(mark: Mark, now: string, takeFrom?: string) {
    this.hook.beforeWrite('putMark');
    const current = this.marks.get(mark.key);
    if (current && current.expiresAt > now && current.owner !== mark.owner && current.owner !== takeFrom) {
      return false;
    }
    this.marks.set(mark.key, clone(stripUndefined(mark)));
    return true;
  }
  async getMark(key: string, now: string) {
    const mark = this.marks.get(key);
    return mark && mark.expiresAt > now ? clone(mark) : undefined;
  }
  async deleteMark(key: string, owner: string) {
    if (this.marks.get(key)?.owner === owner) this.marks.delete(key);
  }
  async putDigest(digest: DigestRecord) {
    this.hook.beforeWrite('putDigest');
    this.digests.set(digest.id, clone(digest));
  }
  async getDigest(id: string) {
    return clone(this.digests.get(id));
  }
  async getRecipientPreference(address: string) {
    return clone(this.preferences.get(address.toLowerCase()));
  }
  async putRecipientPreference(preference: RecipientPreference) {
    this.hook.beforeWrite('putRecipientPreference');
    const address = preference.address.toLowerCase();
    this.preferences.set(address, clone({ ...preference, address }));
  }
}
