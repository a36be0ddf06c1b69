import { describe, expect, it } from 'vitest';
import type { Hold } from '../../shared/domain/hold.ts';
import { heldPostsSection } from '../../shared/holds/digest.ts';
import { Workspace } from '../../shared/notify/config.ts';
import { makePost } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';

const context = (workspace: Record<string, unknown> = {}) => ({
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-02T00:00:00.000Z',
  timezone: 'Europe/Berlin',
  workspace: Workspace.parse({ id: 'team', ...workspace }),
});

const hold: Hold = {
  id: 'crisis',
  scope: 'all',
  reason: 'false claim spreading',
  createdAt: '2026-11-30T08:00:00.000Z',
  createdBy: 'api',
  version: 1,
};

async function storeWithHeldPosts(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const held = (id: string, channel: string, scheduledAt: string) =>
    makePost({
      id,
      channel,
      scheduledAt,
      status: 'HELD',
      heldAt: scheduledAt,
      holdIds: ['crisis'],
      text: `Cheerful launch text for ${id} that goes on and on well beyond what a digest line shows`,
    });
  await store.createPosts([
    held('x-1', 'x-main', '2026-11-30T09:00:00.000Z'),
    held('bsky-1', 'bsky-main', '2026-12-01T10:00:00.000Z'),
    makePost({ id: 'fine', scheduledAt: '2026-12-01T11:00:00.000Z' }),
  ]);
  return store;
}

describe('the digest section of held posts', () => {
  it('lists every post still HELD, older ones too, with the active holds and what to do', async () => {
    const store = await storeWithHeldPosts();
    await store.createHold(hold);

    const [section, ...rest] = await heldPostsSection(store)(context());

    expect(rest).toEqual([]);
    expect(section).toMatchObject({ id: 'held', title: 'Posts held by a crisis hold' });
    expect(section?.summary).toMatch(/^2 posts were due during a crisis hold .* pulsecast posts reschedule/);
    expect(section?.summary).toContain(
      'Active: crisis since Mon 30 Nov 2026, 09:00 CET (false claim spreading)',
    );
    expect(section?.items.map((item) => item.text)).toEqual([
      expect.stringMatching(
        /^x-1 on x-main, due Mon 30 Nov 2026, 10:00 CET: "Cheerful launch text for x-1 .*…"$/,
      ),
      expect.stringMatching(/^bsky-1 on bsky-main, due Tue 1 Dec 2026, 11:00/),
    ]);
  });

  it("keeps to the workspace's channels", async () => {
    const store = await storeWithHeldPosts();
    const [section] = await heldPostsSection(store)(context({ channels: ['bsky-main'] }));
    expect(section?.items.map((item) => item.text.split(' ')[0])).toEqual(['bsky-1']);
  });

  it('says nothing when no post is held and no hold is active', async () => {
    const store = new MemoryStore();
    await store.createHold({ ...hold, releasedAt: '2026-11-30T12:00:00.000Z' });
    expect(await heldPostsSection(store)(context())).toEqual([]);
  });
});
