import { describe, expect, it } from 'vitest';
import type { Mention, OwnReply } from '../../shared/listening/model.ts';
import { answers } from '../../shared/listening/report.ts';
import { answersIn, type PostComment } from '../../shared/platforms/comments-listening.ts';

const at = (minute: number) => new Date(Date.UTC(2027, 2, 1, 9, minute)).toISOString();

function comment(id: string, minute: number, ours: boolean, parent?: string): PostComment & { post: string } {
  return {
    id,
    post: 'P',
    url: `https://example.com/${id}`,
    author: { handle: ours ? 'pulsecast' : `user-${id}` },
    createdAt: at(minute),
    text: id,
    ours,
    ...(parent ? { parent } : {}),
  };
}

const asMention = (c: PostComment): Mention => ({
  platform: 'facebook',
  id: c.id,
  url: c.url,
  author: c.author,
  createdAt: c.createdAt,
  text: c.text,
  subjects: [],
  inbound: { channel: 'facebook-page', kind: 'comment' },
  sentiment: { score: 0, comparative: 0 },
  collectedAt: c.createdAt,
});

describe('our replies in two-level comment threads', () => {
  it('answer the thread’s first comment and the latest comment by someone else before them', () => {
    // C2 was filed under C1 although it may answer anyone in the thread; so was our R.
    const thread = [comment('C1', 0, false), comment('C2', 5, false, 'C1'), comment('R', 20, true, 'C1')];

    const [reply] = answersIn(thread);

    expect(reply).toMatchObject({ id: 'R', replyTo: 'C2', threadRoot: 'C1' });
    const own: OwnReply = {
      platform: 'facebook',
      id: 'R',
      channel: 'facebook-page',
      createdAt: at(20),
      replyTo: reply?.replyTo ?? '',
      threadRoot: reply?.threadRoot ?? '',
    };
    expect(thread.filter((c) => !c.ours).map((c) => answers(own, asMention(c)))).toEqual([true, true]);
  });

  it('answer a nested comment they were filed under, and never a later one', () => {
    const thread = [
      comment('C1', 0, false),
      comment('C3', 2, false, 'C1'),
      comment('C4', 4, false, 'C3'),
      comment('R', 10, true, 'C4'),
      comment('C5', 30, false, 'C1'),
    ];

    expect(answersIn(thread)).toEqual([
      expect.objectContaining({ id: 'R', replyTo: 'C4', threadRoot: 'C1' }),
    ]);
  });

  it('leave out our comments that reply to nobody', () => {
    expect(answersIn([comment('C1', 0, false), comment('O', 3, true)])).toEqual([]);
  });
});
