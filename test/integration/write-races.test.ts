import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { cancelPost, editPost } from '../../shared/calendar/edit.ts';
import { type UploadResult, uploadCalendar } from '../../shared/calendar/upload.ts';
import type { Post } from '../../shared/domain/index.ts';
import { ConflictError, PulsecastError } from '../../shared/errors.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import type { Store } from '../../shared/store/port.ts';
import { RecordingEvents, runDispatcher, TestClock } from '../support/dispatcher-driver.ts';
import { makeChannel } from '../support/fixtures.ts';
import { RecordingAdapter } from '../support/recording-adapter.ts';

/**
 * Every write path around publishing — uploads, edits, cancellations — against the Dispatcher's
 * claims and records, on dynalite. Each of the first tests is a race that once double-posted or
 * lost an acknowledged update; the property test then interleaves all of them at random.
 */

const T0 = Date.parse('2030-03-01T10:00:00.000Z');
// Due before the Dispatcher's next run: the run at T0 claims it.
const DUE = new Date(T0 + 45_000).toISOString();

let dynamo: LocalDynamo;
let tables = 0;
let store: DynamoStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

async function freshStore(): Promise<DynamoStore> {
  const { ensureTable } = await import('../../local/dynamo.ts');
  const tableName = `races-${++tables}`;
  await ensureTable(dynamo.client, tableName);
  const fresh = new DynamoStore({ tableName, client: createDocumentClient(dynamo.client) });
  await fresh.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
  return fresh;
}

beforeEach(async () => {
  store = await freshStore();
});

function calendar(posts: { id: string; text: string; at?: string }[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      posts: posts.map(({ id, text, at }) => ({ id, channel: 'x-main', scheduledAt: at ?? DUE, text })),
    }),
  );
}

function upload(body: Uint8Array, deps: { store: Store; clock: TestClock }): Promise<UploadResult> {
  return uploadCalendar(
    { body, contentType: 'json', dryRun: false },
    { store: deps.store, now: deps.clock.now },
  );
}

/**
 * A store whose first call of `method` lets `meanwhile` run before it goes through: the gap
 * between reading a post (planning an upload, loading an edit) and writing it.
 */
function withGapBefore(
  inner: Store,
  method: 'writePosts' | 'replacePost',
  meanwhile: () => Promise<void>,
): Store {
  let once = true;
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (property === method && once) {
          once = false;
          await meanwhile();
        }
        return value.apply(target, args);
      };
    },
  });
}

function rig() {
  const clock = new TestClock(T0);
  const adapter = new RecordingAdapter(() => 'ok', clock.now);
  const events = new RecordingEvents();
  return { clock, adapter, events, deps: { store, adapter, events, clock } };
}

describe('uploads racing other writers', () => {
  it('never writes back a post that was published while the upload ran: the row is a conflict', async () => {
    const { clock, adapter, deps } = rig();
    // The small upload creates P and the Dispatcher publishes it, between the big upload's plan and write.
    const racing = withGapBefore(store, 'writePosts', async () => {
      await upload(calendar([{ id: 'p', text: 'launch' }]), { store, clock });
      await runDispatcher('exec-1', deps);
    });
    const big = await upload(
      calendar([
        { id: 'other', text: 'something else', at: new Date(T0 + 3_600_000).toISOString() },
        { id: 'p', text: 'launch' },
      ]),
      { store: racing, clock },
    );

    expect(adapter.accepted.get('p')).toBe(1);
    expect(big.summary).toEqual({ created: 1, updated: 0, unchanged: 0, conflict: 1 });
    expect(big.posts.find((row) => row.id === 'p')).toMatchObject({
      action: 'conflict',
      current: { status: 'PUBLISHED' },
    });
    expect(big.posts.find((row) => row.id === 'other')?.action).toBe('created');
    expect((await store.getPost('p'))?.status).toBe('PUBLISHED');

    // The next minutes publish nothing twice.
    for (let minute = 2; minute <= 5; minute++) {
      clock.set(new Date(T0 + minute * 60_000).toISOString());
      await runDispatcher(`exec-${minute}`, deps);
    }
    expect(adapter.accepted.get('p')).toBe(1);
  });

  it('does not bring a cancelled post back', async () => {
    const { clock, adapter, deps } = rig();
    await upload(calendar([{ id: 'p', text: 'v1' }]), { store, clock });
    const racing = withGapBefore(store, 'writePosts', async () => {
      await cancelPost('p', { store, now: clock.now });
    });
    const result = await upload(calendar([{ id: 'p', text: 'v2' }]), { store: racing, clock });

    expect(result.posts[0]).toMatchObject({ action: 'conflict', current: { status: 'CANCELLED' } });
    clock.set(DUE);
    await runDispatcher('exec-1', deps);
    expect((await store.getPost('p'))?.status).toBe('CANCELLED');
    expect(adapter.accepted.get('p')).toBeUndefined();
  });

  it('does not silently revert an edit acknowledged while the upload ran', async () => {
    const { clock } = rig();
    await upload(calendar([{ id: 'p', text: 'v1' }]), { store, clock });
    const racing = withGapBefore(store, 'writePosts', async () => {
      await editPost('p', { text: 'edited by hand' }, { store, now: clock.now });
    });
    const result = await upload(calendar([{ id: 'p', text: 'from the file' }]), { store: racing, clock });

    expect(result.posts[0]).toMatchObject({
      action: 'conflict',
      current: { status: 'SCHEDULED', version: 2 },
    });
    expect(await store.getPost('p')).toMatchObject({ text: 'edited by hand', version: 2 });
  });

  it('lets at most one of ten parallel uploads of a new id say created; the others say what happened', async () => {
    const { clock } = rig();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        upload(calendar([{ id: 'p', text: `text ${i}` }]), { store, clock }).then((r) => ({
          i,
          row: r.posts[0],
        })),
      ),
    );

    // An upload that planned after another had created the post may update it (from the
    // version it read); every other one conflicts. No two acknowledged writes share a version,
    // and the stored text is the one acknowledged last.
    expect(results.filter(({ row }) => row?.action === 'created')).toHaveLength(1);
    const acknowledged = results.filter(({ row }) => row?.action === 'created' || row?.action === 'updated');
    for (const { row } of results) expect(['created', 'updated', 'conflict']).toContain(row?.action);
    const versions = acknowledged.map(({ row }) => row?.version);
    expect(new Set(versions).size).toBe(versions.length);
    const last = acknowledged.sort((a, b) => (b.row?.version ?? 0) - (a.row?.version ?? 0))[0];
    expect(await store.getPost('p')).toMatchObject({ text: `text ${last?.i}`, version: last?.row?.version });
  });

  it('treats the same file uploaded twice at once as one upload (created, then unchanged)', async () => {
    const { clock } = rig();
    const body = calendar([{ id: 'p', text: 'same' }]);
    const actions = (await Promise.all([upload(body, { store, clock }), upload(body, { store, clock })]))
      .map((result) => result.posts[0]?.action)
      .sort();
    expect(actions).toEqual(['created', 'unchanged']);
  });
});

describe('edits racing a claim', () => {
  it('answers 409 with the post status when the Dispatcher claims the post between read and write', async () => {
    const { clock, deps } = rig();
    await upload(calendar([{ id: 'p', text: 'v1' }]), { store, clock });
    // The claim lands right after the edit has read the post.
    const racing = withGapBefore(store, 'replacePost', async () => {
      await runDispatcher('exec-1', { ...deps, clock: new TestClock(T0) });
    });

    const edit = editPost('p', { text: 'too late' }, { store: racing, now: clock.now });
    await expect(edit).rejects.toBeInstanceOf(ConflictError);
    const error = (await edit.catch((e: unknown) => e)) as ConflictError;
    expect(error.status).toBe(409);
    expect(error.extensions.currentStatus).toMatch(/QUEUED|PUBLISHING|PUBLISHED/);
  });

  it('answers 409 to a cancellation that loses to a claim, and cancelling twice at once is fine', async () => {
    const { clock, deps } = rig();
    await upload(calendar([{ id: 'p', text: 'v1' }]), { store, clock });
    const both = await Promise.all([
      cancelPost('p', { store, now: clock.now }),
      cancelPost('p', { store, now: clock.now }),
    ]);
    expect(both.map((post) => post.status)).toEqual(['CANCELLED', 'CANCELLED']);

    await upload(calendar([{ id: 'q', text: 'v1' }]), { store, clock });
    const racing = withGapBefore(store, 'replacePost', async () => {
      await runDispatcher('exec-2', { ...deps, clock: new TestClock(T0) });
    });
    const refused = await cancelPost('q', { store: racing, now: clock.now }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).extensions.currentStatus).toMatch(/QUEUED|PUBLISHING|PUBLISHED/);
    expect((await store.getPost('q'))?.status).not.toBe('CANCELLED');
  });
});

// ---------------------------------------------------------------------------------------------
// The property: any interleaving of uploads, edits, cancellations and Dispatcher runs.
// ---------------------------------------------------------------------------------------------

type Op =
  | { kind: 'upload'; rows: { id: string; text: string }[] }
  | { kind: 'edit'; id: string; text: string }
  | { kind: 'cancel'; id: string }
  | { kind: 'dispatch' };

const IDS = ['a', 'b'];
const text = fc.constantFrom('one', 'two', 'three');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('upload' as const),
    rows: fc.uniqueArray(fc.record({ id: fc.constantFrom(...IDS), text }), {
      minLength: 1,
      maxLength: 2,
      selector: (row) => row.id,
    }),
  }),
  fc.record({ kind: fc.constant('edit' as const), id: fc.constantFrom(...IDS), text }),
  fc.record({ kind: fc.constant('cancel' as const), id: fc.constantFrom(...IDS) }),
  fc.constant({ kind: 'dispatch' as const }),
);

/** An acknowledged change of a post: what the caller was told is now stored. */
interface Ack {
  id: string;
  version: number;
  text?: string;
  cancelled?: boolean;
}

describe('any interleaving of uploads, edits, cancellations, claims and records', () => {
  it('publishes each post at most once, loses no acknowledged update and resurrects nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(op, { minLength: 2, maxLength: 7 }), async (s, ops) => {
        const base = await freshStore();
        const clock = new TestClock(T0);
        const adapter = new RecordingAdapter(() => 'ok', clock.now);
        const published = new Map<string, string>();
        const realPublish = adapter.publish.bind(adapter);
        adapter.publish = async (post, channel, credentials) => {
          published.set(post.id, post.text);
          return realPublish(post, channel, credentials);
        };
        // Every store call's answer is released in an order the scheduler picks.
        const scheduled = new Proxy(base, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              const answer = Promise.resolve(value.apply(target, args));
              // Handled by the caller once released; until then it must not count as unhandled.
              answer.catch(() => undefined);
              return s.schedule(answer, String(property));
            };
          },
        }) as DynamoStore;
        const deps = { store: scheduled, adapter, events: new RecordingEvents(), clock };
        const acks: Ack[] = [];
        const expectedRefusal = (error: unknown) => {
          if (!(error instanceof PulsecastError) || error.status >= 500) throw error;
        };

        let executions = 0;
        await s.waitFor(
          Promise.all(
            ops.map(async (o) => {
              if (o.kind === 'upload') {
                const result = await upload(calendar(o.rows), { store: scheduled, clock }).catch(
                  (e: unknown) => {
                    expectedRefusal(e);
                    return undefined;
                  },
                );
                for (const row of result?.posts ?? []) {
                  if (row.action === 'created' || row.action === 'updated') {
                    acks.push({
                      id: row.id,
                      version: row.version,
                      text: o.rows.find((r) => r.id === row.id)?.text,
                    });
                  }
                }
              } else if (o.kind === 'edit') {
                const result = await editPost(
                  o.id,
                  { text: o.text },
                  { store: scheduled, now: clock.now },
                ).catch((e: unknown) => {
                  expectedRefusal(e);
                  return undefined;
                });
                if (result && result.post.text === o.text) {
                  acks.push({ id: o.id, version: result.post.version, text: o.text });
                }
              } else if (o.kind === 'cancel') {
                const result = await cancelPost(o.id, { store: scheduled, now: clock.now }).catch(
                  (e: unknown) => {
                    expectedRefusal(e);
                    return undefined;
                  },
                );
                if (result) acks.push({ id: o.id, version: result.version, cancelled: true });
              } else {
                await runDispatcher(`exec-${++executions}`, deps);
              }
            }),
          ),
        );

        // Then time goes on with nobody else writing: leases expire, everything settles.
        for (let minute = 2; minute <= 40; minute += 2) {
          clock.set(new Date(T0 + minute * 60_000).toISOString());
          await runDispatcher(`settle-${minute}`, { ...deps, store: base });
        }

        for (const id of IDS) {
          const post: Post | undefined = await base.getPost(id);
          const mine = acks.filter((ack) => ack.id === id);
          // At most once, ever.
          expect(adapter.accepted.get(id) ?? 0, `${id} published twice`).toBeLessThanOrEqual(1);
          if (!post) {
            expect(mine, `${id} acknowledged but not stored`).toEqual([]);
            continue;
          }
          // No two acknowledged writes at the same version: one would have overwritten the other.
          const versions = mine.map((ack) => ack.version);
          expect(new Set(versions).size, `${id}: ${JSON.stringify(mine)}`).toBe(versions.length);
          // The stored text is that of the last acknowledged content write (none was lost).
          const lastText = mine
            .filter((ack) => ack.text !== undefined)
            .sort((a, b) => b.version - a.version)[0];
          if (lastText) expect(post.text, `${id}: ${JSON.stringify(mine)}`).toBe(lastText.text);
          // A cancelled post stays cancelled and never goes out; a published one stays published.
          if (mine.some((ack) => ack.cancelled)) {
            expect(post.status).toBe('CANCELLED');
            expect(adapter.accepted.get(id)).toBeUndefined();
          }
          if (adapter.accepted.get(id)) {
            expect(post.status).toBe('PUBLISHED');
            expect(published.get(id)).toBe(post.text);
          } else {
            expect(['CANCELLED', 'SCHEDULED', 'FAILED']).toContain(post.status);
          }
        }
      }),
      { numRuns: Number(process.env.RACE_RUNS ?? 40) },
    );
  }, 180_000);
});
