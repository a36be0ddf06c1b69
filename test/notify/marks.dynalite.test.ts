import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';
import { NotifyConfig } from '../../shared/notify/config.ts';
import { notify } from '../../shared/notify/notifier.ts';
import { createDocumentClient, DynamoStore } from '../../shared/store/dynamo.ts';
import { eventOf, NOW, RecordingEmail, RecordingSlack } from './support.ts';

let dynamo: LocalDynamo;
let store: DynamoStore;
let tables = 0;

beforeEach(async () => {
  dynamo ??= await startLocalDynamo();
  const tableName = `marks-${++tables}`;
  await ensureTable(dynamo.client, tableName);
  store = new DynamoStore({ tableName, client: createDocumentClient(dynamo.client) });
});
afterAll(async () => {
  await dynamo?.stop();
});

const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

describe('DynamoStore marks against dynalite (no TTL: expiry is checked on read and in the condition)', () => {
  it('lets one owner hold a live mark; a second put by another owner loses', async () => {
    expect(await store.putMark({ key: 'k', owner: 'a', expiresAt: at(5), state: 'SENDING' }, at(0))).toBe(
      true,
    );
    expect(await store.putMark({ key: 'k', owner: 'b', expiresAt: at(5), state: 'SENDING' }, at(1))).toBe(
      false,
    );
    expect(await store.putMark({ key: 'k', owner: 'a', expiresAt: at(60), state: 'SENT' }, at(1))).toBe(true);
    expect(await store.getMark('k', at(2))).toEqual({
      key: 'k',
      owner: 'a',
      expiresAt: at(60),
      state: 'SENT',
    });
  });

  it('treats an expired mark as absent, on read and for the conditional put', async () => {
    await store.putMark({ key: 'k', owner: 'a', expiresAt: at(5) }, at(0));
    expect(await store.getMark('k', at(5))).toBeUndefined();
    expect(await store.putMark({ key: 'k', owner: 'b', expiresAt: at(10) }, at(6))).toBe(true);
  });

  it('hands a mark over only from the owner named in takeFrom', async () => {
    await store.putMark({ key: 'k', owner: 'a', expiresAt: at(5) }, at(0));
    expect(await store.putMark({ key: 'k', owner: 'b', expiresAt: at(5) }, at(1), 'c')).toBe(false);
    expect(await store.putMark({ key: 'k', owner: 'b', expiresAt: at(5) }, at(1), 'a')).toBe(true);
  });

  it('deletes a mark only for its owner', async () => {
    await store.putMark({ key: 'k', owner: 'a', expiresAt: at(5) }, at(0));
    await store.deleteMark('k', 'b');
    expect(await store.getMark('k', at(1))).toBeDefined();
    await store.deleteMark('k', 'a');
    expect(await store.getMark('k', at(1))).toBeUndefined();
  });

  it('stores and reads back a digest', async () => {
    const record = {
      id: 'digest-x',
      workspaceId: 'default',
      period: 'daily',
      from: at(0),
      to: at(1440),
      createdAt: at(1500),
      content: { hello: 'world', numbers: [1, 2] },
    };
    await store.putDigest(record);
    expect(await store.getDigest('digest-x')).toEqual(record);
  });

  it('deduplicates a thrice-delivered event end to end on the real adapter', async () => {
    const slack = new RecordingSlack();
    const email = new RecordingEmail();
    const config = NotifyConfig.parse({
      workspaces: [
        {
          id: 'default',
          routes: [{ events: ['Post Failed'], slack: ['alerts'], email: ['ops@example.com'] }],
        },
      ],
    });
    const deps = { config, store, slack, email, sender: 'notify@example.com', now: () => new Date(NOW) };
    const event = eventOf('Post Failed');

    await Promise.allSettled([notify(event, deps), notify(event, deps)]);
    await notify(event, deps).catch(() => undefined);

    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
  });
});
