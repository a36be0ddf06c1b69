import { describe, expect, it } from 'vitest';
import { COLLECTOR_SWEEP, DISPATCHER_SWEEP, IdleSweeps } from '../../local/idle-sweeps.ts';
import { makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';

const at = (iso: string) => Date.parse(iso);
const sweeps = new Map([
  ['Dispatcher', DISPATCHER_SWEEP],
  ['Collector', COLLECTOR_SWEEP],
]);

/** A store holding post p-1 due at `scheduledAt`, and the sweeps over it with nothing running. */
async function idleWithOnePostDueAt(scheduledAt: string) {
  const store = new MemoryStore();
  await store.createPosts([makePost({ id: 'p-1', scheduledAt })]);
  return { store, idle: new IdleSweeps(sweeps, store, () => false) };
}

describe('IdleSweeps', () => {
  it('leaves out the Dispatcher until a minute before the next due post, and the Collector until metrics are due', async () => {
    const { idle } = await idleWithOnePostDueAt('2027-02-01T10:15:00.000Z');

    expect(await idle.due('Dispatcher', at('2027-02-01T10:13:59.000Z'))).toBe(false);
    expect(await idle.due('Collector', at('2027-02-01T10:13:59.000Z'))).toBe(false);
    expect(await idle.due('Dispatcher', at('2027-02-01T10:14:00.000Z'))).toBe(true);
    expect(idle.skipped).toBe(2);
  });

  it('runs every other schedule, and everything while a sweep is still running', async () => {
    const store = new MemoryStore();
    const idle = new IdleSweeps(sweeps, store, () => true);

    expect(await idle.due('Evaluator', at('2027-02-01T10:00:00.000Z'))).toBe(true);
    expect(await idle.due('Dispatcher', at('2027-02-01T10:00:00.000Z'))).toBe(true);
    expect(idle.skipped).toBe(0);
  });

  it('reads the due index again after letting a sweep run, since the sweep may add work', async () => {
    const { store, idle } = await idleWithOnePostDueAt('2027-02-01T10:15:00.000Z');
    expect(await idle.due('Collector', at('2027-02-01T10:10:00.000Z'))).toBe(false);
    expect(await idle.due('Dispatcher', at('2027-02-01T10:14:00.000Z'))).toBe(true);

    // What that Dispatcher run leaves behind: the post published, its first metrics due at once.
    const published = await store.getPost('p-1');
    if (!published) throw new Error('no post');
    await store.replacePost(
      {
        ...published,
        status: 'PUBLISHED',
        platformPostId: '123',
        publishedAt: '2027-02-01T10:15:00.000Z',
        version: published.version + 1,
      },
      published.version,
    );

    expect(await idle.due('Collector', at('2027-02-01T10:15:00.000Z'))).toBe(true);
    expect(await idle.due('Dispatcher', at('2027-02-01T10:16:00.000Z'))).toBe(false);
  });

  it('trusts that nothing is listened for until the table is written, and asks again after', async () => {
    const idle = new IdleSweeps(sweeps, new MemoryStore(), () => false);
    let settings: object | undefined;
    let reads = 0;
    const read = async () => {
      reads++;
      return settings;
    };

    expect(await idle.listening(read)).toBe(false);
    expect(await idle.listening(read)).toBe(false);
    expect(reads).toBe(1);

    settings = { brand: 'Pulsecast' };
    idle.tableWritten();
    expect(await idle.listening(read)).toBe(true);
    expect(await idle.listening(read)).toBe(true);
    expect(reads).toBe(3);
  });

  it('does not keep a "nothing listened for" read that a write overlapped', async () => {
    const idle = new IdleSweeps(sweeps, new MemoryStore(), () => false);
    let reads = 0;
    const racing = async () => {
      reads++;
      idle.tableWritten(); // a write lands while the read is in flight
      return undefined;
    };

    expect(await idle.listening(racing)).toBe(false);
    expect(await idle.listening(racing)).toBe(false);
    expect(reads).toBe(2);
  });
});
