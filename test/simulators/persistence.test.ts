import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { persistSimulatorsIn } from '../../local/simulators/base.ts';
import { startMastodonSimulator } from '../../local/simulators/mastodon.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-state-'));
afterEach(() => {
  persistSimulatorsIn(undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('simulator state', () => {
  it('remembers published and deleted posts across a restart when local mode asks it to', async () => {
    persistSimulatorsIn(dir);
    const clock = () => new Date('2027-03-01T10:00:00.000Z');
    const first = await startMastodonSimulator({ clock });
    const response = await fetch(`${first.url}/api/v1/statuses`, {
      method: 'POST',
      headers: { authorization: 'Bearer mastodon-sim-access-token-0001', 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Kept across restarts' }),
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const other = (await (
      await fetch(`${first.url}/api/v1/statuses`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer mastodon-sim-access-token-0001',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ status: 'Deleted on the platform' }),
      })
    ).json()) as { id: string };
    first.deletePost(other.id);
    await first.stop();

    const second = await startMastodonSimulator({ clock });
    try {
      expect(second.posts.map((post) => [post.id, post.deleted])).toEqual([
        [id, false],
        [other.id, true],
      ]);
      expect(second.posts[0]?.publishedAt).toBeInstanceOf(Date);
      const read = await fetch(`${second.url}/api/v1/statuses/${id}`, {
        headers: { authorization: 'Bearer mastodon-sim-access-token-0001' },
      });
      expect(read.status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('keeps state in memory only unless asked', async () => {
    const sim = await startMastodonSimulator();
    await sim.stop();
    const again = await startMastodonSimulator();
    expect(again.posts).toEqual([]);
    await again.stop();
  });
});
