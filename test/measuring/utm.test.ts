import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editPost } from '../../shared/calendar/edit.ts';
import { toCsv } from '../../shared/calendar/export.ts';
import { uploadCalendar } from '../../shared/calendar/upload.ts';
import { parseUtmFlag, readUtm, tagLink } from '../../shared/calendar/utm.ts';
import { makeChannel } from '../support/fixtures.ts';
import { MemoryStore } from '../support/memory-store.ts';

const NOW = new Date('2026-12-01T09:00:00.000Z');

describe('tagLink', () => {
  it('adds source = platform, medium = social, campaign and content = post id', () => {
    expect(tagLink('https://shop.example/winter', { platform: 'x', campaign: 'spring', postId: 'p-1' })).toBe(
      'https://shop.example/winter?utm_source=x&utm_medium=social&utm_campaign=spring&utm_content=p-1',
    );
  });

  it('keeps an existing query string byte for byte, and the fragment', () => {
    expect(
      tagLink('https://shop.example/p?q=a%20b&sort=price+asc&empty=&flag#reviews', {
        platform: 'mastodon',
        postId: 'p.2',
      }),
    ).toBe(
      'https://shop.example/p?q=a%20b&sort=price+asc&empty=&flag&utm_source=mastodon&utm_medium=social&utm_content=p.2#reviews',
    );
  });

  it('replaces UTM parameters it sets, but keeps a hand-written utm_campaign when the post has no campaign', () => {
    expect(
      tagLink('https://shop.example/?utm_source=newsletter&utm_campaign=black-friday&utm_term=boots', {
        platform: 'bluesky',
        postId: 'p-3',
      }),
    ).toBe(
      'https://shop.example/?utm_campaign=black-friday&utm_term=boots&utm_source=bluesky&utm_medium=social&utm_content=p-3',
    );
  });

  it('changes nothing when applied twice (a re-upload of an export, an edit)', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.constantFrom('x', 'bluesky', 'linkedin' as const),
        fc.option(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { nil: undefined }),
        (url, platform, campaign) => {
          const post = { platform, postId: 'p-9', ...(campaign ? { campaign } : {}) };
          const once = tagLink(url, post);
          expect(tagLink(once, post)).toBe(once);
          expect(readUtm(once)).toMatchObject({ source: platform, medium: 'social', content: 'p-9' });
        },
      ),
    );
  });
});

describe('parseUtmFlag', () => {
  it.each([
    ['', true],
    ['yes', true],
    ['TRUE', true],
    ['false', false],
    [' no ', false],
    ['0', false],
  ])('reads %j as tag=%s', (cell, tag) => {
    expect(parseUtmFlag(cell)).toEqual({ ok: true, tag });
  });

  it('refuses anything else', () => {
    expect(parseUtmFlag('maybe')).toEqual({ ok: false });
  });
});

describe('UTM tagging of calendar uploads', () => {
  async function setup() {
    const store = new MemoryStore();
    await store.putChannel(makeChannel({ id: 'x-main', platform: 'x' }));
    await store.putChannel(makeChannel({ id: 'bsky-main', platform: 'bluesky' }));
    return store;
  }
  const csv = (text: string) => ({
    body: new TextEncoder().encode(text),
    contentType: 'csv' as const,
    dryRun: false,
  });
  const upload = (store: MemoryStore, text: string) => uploadCalendar(csv(text), { store, now: () => NOW });

  it("tags each row's link with its platform, campaign and post id, keeping the link's own query", async () => {
    const store = await setup();
    await upload(
      store,
      'id,channel,scheduled_at,text,link,campaign\n' +
        'p-1,x-main,2026-12-10T09:00:00Z,Hello,https://shop.example/a?ref=cal,winter\n' +
        'p-2,bsky-main,2026-12-10T10:00:00Z,Hi,https://shop.example/b,\n',
    );

    expect((await store.getPost('p-1'))?.link).toBe(
      'https://shop.example/a?ref=cal&utm_source=x&utm_medium=social&utm_campaign=winter&utm_content=p-1',
    );
    expect((await store.getPost('p-2'))?.link).toBe(
      'https://shop.example/b?utm_source=bluesky&utm_medium=social&utm_content=p-2',
    );
  });

  it('leaves the link alone on a row that opts out (CSV utm=false, JSON "utm": false)', async () => {
    const store = await setup();
    await upload(
      store,
      'id,channel,scheduled_at,text,link,utm\np-1,x-main,2026-12-10T09:00:00Z,Hello,https://shop.example/a?x=1,false\n',
    );
    const json = {
      posts: [
        {
          id: 'p-2',
          channel: 'x-main',
          scheduledAt: '2026-12-10T10:00:00Z',
          text: 'Hi',
          link: 'https://shop.example/b',
          utm: false,
        },
      ],
    };
    await uploadCalendar(
      { body: new TextEncoder().encode(JSON.stringify(json)), contentType: 'json', dryRun: false },
      { store, now: () => NOW },
    );

    expect(await store.getPost('p-1')).toMatchObject({ link: 'https://shop.example/a?x=1', utm: false });
    expect(await store.getPost('p-2')).toMatchObject({ link: 'https://shop.example/b', utm: false });
  });

  it('refuses a utm cell that is neither yes nor no, naming the row', async () => {
    const store = await setup();
    await expect(
      upload(
        store,
        'channel,scheduled_at,text,link,utm\nx-main,2026-12-10T09:00:00Z,Hi,https://a.example,sometimes\n',
      ),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ row: 2, column: 'utm' })] });
  });

  it('tags the same link inside the text too, so the platform does not get it twice', async () => {
    const store = await setup();
    await upload(
      store,
      'id,channel,scheduled_at,text,link\np-1,x-main,2026-12-10T09:00:00Z,New in: https://shop.example/n today,https://shop.example/n\n',
    );
    const post = await store.getPost('p-1');
    expect(post?.text).toBe(`New in: ${post?.link} today`);
  });

  it('keys a post without an id by the text as written, so a re-upload and an export round trip change nothing', async () => {
    const store = await setup();
    const file = csv(
      'channel,scheduled_at,text,link\nx-main,2026-12-10T09:00:00Z,Hello,https://shop.example/a\n',
    );
    const first = await uploadCalendar(file, { store, now: () => NOW });
    const again = await uploadCalendar(file, { store, now: () => NOW });
    expect(again.posts).toEqual([expect.objectContaining({ id: first.posts[0]?.id, action: 'unchanged' })]);

    const exported = toCsv([...store.posts.values()], { bom: false });
    const roundTrip = await uploadCalendar(csv(exported), { store, now: () => NOW });
    expect(roundTrip.summary).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });

  it('re-tags on an edit that changes the campaign', async () => {
    const store = await setup();
    await upload(
      store,
      'id,channel,scheduled_at,text,link,campaign\np-1,x-main,2026-12-10T09:00:00Z,Hi,https://shop.example/a,winter\n',
    );

    const { post } = await editPost('p-1', { campaign: 'spring' }, { store, now: () => NOW });

    expect(readUtm(post.link ?? '')).toEqual({
      source: 'x',
      medium: 'social',
      campaign: 'spring',
      content: 'p-1',
    });
  });
});
