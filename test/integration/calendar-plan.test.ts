import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import type { RawRow } from '../../shared/calendar/csv.ts';
import { cancelPost, editPost } from '../../shared/calendar/edit.ts';
import { derivedId, planCalendar } from '../../shared/calendar/plan.ts';
import { uploadCalendar } from '../../shared/calendar/upload.ts';
import { ConflictError, ValidationError } from '../../shared/errors.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { makeChannel, makePost } from '../support/fixtures.ts';

const NOW = new Date('2026-12-01T09:00:00.000Z');
let dynamo: LocalDynamo;
let store: DynamoStore;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  const tableName = `plan-${++tables}`;
  await ensureTable(dynamo.client, tableName);
  store = new DynamoStore({ tableName, client: createDocumentClient(dynamo.client) });
  await store.putChannel(makeChannel({ id: 'x-main', platform: 'x', timezone: 'Europe/Berlin' }));
  await store.putChannel(makeChannel({ id: 'bsky', platform: 'bluesky', timezone: 'Asia/Kolkata' }));
});

function row(n: number, fields: RawRow['fields']): RawRow {
  return { row: n, fields: { channel: 'x-main', text: `Post ${n}`, ...fields } };
}

describe('planCalendar', () => {
  it('resolves a local time in the channel time zone when the row gives none', async () => {
    const result = await planCalendar(
      [row(2, { scheduled_at: '2026-12-10T09:00', channel: 'bsky' })],
      store,
      {
        format: 'native',
        columnName: (c) => c,
        now: NOW,
      },
    );
    expect(result.issues).toEqual([]);
    expect(result.rows[0]?.post).toMatchObject({
      scheduledAt: '2026-12-10T03:30:00.000Z',
      timezone: 'Asia/Kolkata',
    });
  });

  it('rejects a row whose local time falls in a DST gap, naming row and column', async () => {
    const result = await planCalendar(
      [row(2, { scheduled_at: '2027-03-28T02:30', timezone: 'Europe/Berlin' })],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(result.issues).toEqual([
      { row: 2, column: 'scheduled_at', message: expect.stringContaining('Europe/Berlin') },
    ]);
  });

  it('takes the earlier instant of a time that happens twice, with a warning', async () => {
    const result = await planCalendar(
      [row(2, { scheduled_at: '2027-10-31T02:30', timezone: 'Europe/Berlin' })],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(result.issues).toEqual([]);
    expect(result.rows[0]?.scheduledAt).toBe('2027-10-31T00:30:00.000Z');
    expect(result.warnings).toEqual([expect.objectContaining({ row: 2, column: 'scheduled_at' })]);
  });

  it('rejects a time in the past, an unknown channel and an over-long X post in one pass', async () => {
    const result = await planCalendar(
      [
        row(2, { scheduled_at: '2026-11-30T09:00:00Z' }),
        row(3, { scheduled_at: '2026-12-10T09:00:00Z', channel: 'nope' }),
        row(4, { scheduled_at: '2026-12-10T09:00:00Z', text: 'a'.repeat(281) }),
        row(5, { scheduled_at: '2026-12-10T09:00:00Z', text: 'a'.repeat(280) }),
      ],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(result.issues.map((issue) => `${issue.row}:${issue.column}`)).toEqual([
      '2:scheduled_at',
      '3:channel',
      '4:text',
    ]);
    expect(result.rows.map((r) => r.row)).toEqual([5]);
  });

  it('flags a duplicate row and warns about the same text within 3 days', async () => {
    const result = await planCalendar(
      [
        row(2, { scheduled_at: '2026-12-10T09:00:00Z', text: 'Same' }),
        row(3, { scheduled_at: '2026-12-10T09:00:00Z', text: 'Same' }),
        row(4, { scheduled_at: '2026-12-12T09:00:00Z', text: 'Same' }),
        row(5, { scheduled_at: '2026-12-20T09:00:00Z', text: 'Same' }),
      ],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(result.issues).toEqual([
      { row: 3, column: 'id', message: expect.stringContaining('duplicates row 2') },
    ]);
    expect(result.warnings.map((warning) => warning.row)).toEqual([2, 4]);
  });

  it('derives a stable id from channel, time and text when the row has none', async () => {
    const first = await planCalendar([row(2, { scheduled_at: '2026-12-10T10:00:00+01:00' })], store, {
      format: 'native',
      columnName: (c) => c,
      now: NOW,
    });
    expect(first.rows[0]?.id).toBe(
      derivedId({ channel: 'x-main', scheduledAt: '2026-12-10T09:00:00.000Z', text: 'Post 2' }),
    );
  });

  it('refuses to change a post that is already claimed, but leaves an identical one alone', async () => {
    await store.createPosts([
      makePost({
        id: 'queued',
        channel: 'x-main',
        text: 'Post 2',
        scheduledAt: '2026-12-10T09:00:00.000Z',
        timezone: 'Europe/Berlin',
        status: 'QUEUED',
      }),
      makePost({
        id: 'gone',
        channel: 'x-main',
        text: 'Post 3',
        scheduledAt: '2026-11-01T09:00:00.000Z',
        timezone: 'Europe/Berlin',
        status: 'PUBLISHED',
      }),
    ]);
    const result = await planCalendar(
      [
        row(2, { id: 'queued', scheduled_at: '2026-12-10T09:00:00Z', text: 'Changed' }),
        row(3, { id: 'gone', scheduled_at: '2026-11-01T09:00:00Z', timezone: 'Europe/Berlin' }),
      ],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(result.issues).toEqual([
      { row: 2, column: 'id', message: expect.stringContaining('already QUEUED') },
    ]);
    expect(result.rows).toEqual([expect.objectContaining({ row: 3, action: 'unchanged' })]);
  });
});

describe('uploadCalendar', () => {
  const csv = (lines: string[]) => new TextEncoder().encode(lines.join('\n'));
  const deps = () => ({ store, now: () => NOW });

  it('writes nothing when any row is invalid', async () => {
    const body = csv([
      'id,channel,scheduled_at,text',
      'a,x-main,2026-12-10T09:00:00Z,fine',
      'b,x-main,not a time,broken',
    ]);
    await expect(uploadCalendar({ body, contentType: 'csv', dryRun: false }, deps())).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await store.listPosts({}, { limit: 10 })).items).toEqual([]);
  });

  it('updates a changed post and reports the rest unchanged on re-upload', async () => {
    const lines = [
      'id,channel,scheduled_at,text',
      'a,x-main,2026-12-10T09:00:00Z,one',
      'b,x-main,2026-12-11T09:00:00Z,two',
    ];
    await uploadCalendar({ body: csv(lines), contentType: 'csv', dryRun: false }, deps());
    lines[2] = 'b,x-main,2026-12-11T10:00:00Z,"two, moved"';
    const result = await uploadCalendar({ body: csv(lines), contentType: 'csv', dryRun: false }, deps());
    expect(result.summary).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect(await store.getPost('b')).toMatchObject({
      text: 'two, moved',
      version: 2,
      scheduledAt: '2026-12-11T10:00:00.000Z',
    });
    expect(
      (await store.duePosts('2026-12-11T09:30:00.000Z', { limit: 10 })).items.map((e) => e.postId),
    ).toEqual(['a']);
  });

  it('answers 422 naming the row and the text column when the text has a character X refuses', async () => {
    // prepare: an invisible byte-order mark pasted into the middle of the second post
    const body = csv([
      'id,channel,scheduled_at,text',
      'a,x-main,2026-12-10T09:00:00Z,fine',
      'b,x-main,2026-12-11T09:00:00Z,Big \uFEFFnews',
    ]);

    // act
    const failure = await uploadCalendar({ body, contentType: 'csv', dryRun: false }, deps()).catch(
      (error: unknown) => error,
    );

    // assert
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).status).toBe(422);
    expect((failure as ValidationError).issues).toEqual([
      {
        row: 3,
        column: 'text',
        message: expect.stringContaining(
          'U+FEFF (ZERO WIDTH NO-BREAK SPACE, the byte-order mark) at character 5, which X refuses',
        ),
      },
    ]);
    expect((await store.listPosts({}, { limit: 10 })).items).toEqual([]);
  });

  it('rejects bytes that are not UTF-8', async () => {
    await expect(
      uploadCalendar(
        { body: Uint8Array.from([0xc3, 0x28, 0xff]), contentType: 'csv', dryRun: false },
        deps(),
      ),
    ).rejects.toThrow(/UTF-8/);
  });
});

describe('editing and cancelling', () => {
  const deps = () => ({ store, now: () => NOW });

  it('moves an edited post in the due index and refuses edits once it is claimed', async () => {
    await store.createPosts([makePost({ id: 'p', channel: 'x-main' })]);
    const { post } = await editPost('p', { scheduledAt: '2026-12-20T12:00:00Z' }, deps());
    expect(post.version).toBe(2);
    expect((await store.duePosts('2026-12-19T00:00:00.000Z', { limit: 10 })).items).toEqual([]);

    await store.replacePost({ ...post, status: 'QUEUED', version: 3 }, 2);
    await expect(editPost('p', { text: 'late' }, deps())).rejects.toBeInstanceOf(ConflictError);
    await expect(cancelPost('p', deps())).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects an edit that breaks a platform rule and leaves the post as it was', async () => {
    await store.createPosts([makePost({ id: 'p', channel: 'x-main' })]);
    await expect(editPost('p', { text: 'x'.repeat(300) }, deps())).rejects.toBeInstanceOf(ValidationError);
    expect((await store.getPost('p'))?.version).toBe(1);
  });

  it('names the field and its limit for ids past DynamoDB key limits, in a row or an edit', async () => {
    const long = 'c'.repeat(2100);
    const plan = await planCalendar(
      [
        row(2, { scheduled_at: '2026-12-10T09:00:00Z', channel: long }),
        row(3, { id: long, scheduled_at: '2026-12-10T09:00:00Z' }),
      ],
      store,
      { format: 'native', columnName: (c) => c, now: NOW },
    );
    expect(plan.issues.map((issue) => `${issue.row}:${issue.column}`)).toEqual(['2:channel', '3:id']);
    expect(plan.issues.map((issue) => issue.message).join(' ')).toMatch(/up to 64/);

    await store.createPosts([makePost({ id: 'p', channel: 'x-main' })]);
    const refused = await editPost('p', { channel: long }, deps()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues[0]).toMatchObject({
      column: 'channel',
      message: expect.stringMatching(/up to 64/),
    });
  });

  it('takes a cancelled post out of the due index', async () => {
    await store.createPosts([makePost({ id: 'p' })]);
    await cancelPost('p', deps());
    expect((await store.duePosts('2027-01-01T00:00:00.000Z', { limit: 10 })).items).toEqual([]);
  });
});
