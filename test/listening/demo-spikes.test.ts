import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CALENDAR_START } from '../../local/demo.ts';
import { ConversationConfig, subjectPosts } from '../../local/simulators/conversation.ts';
import type { PulsecastEvent } from '../../shared/events.ts';
import { ListeningSettings } from '../../shared/listening/settings.ts';
import { detectSpikes } from '../../shared/listening/spikes.ts';
import { MemoryListeningStore } from '../support/memory-listening.ts';
import { mentionOf } from './support.ts';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));
const simulator = example('simulator.json') as { seed: number; conversation: unknown };
const settings = ListeningSettings.parse(example('listening.json'));
const conversation = ConversationConfig.parse(simulator.conversation);
const DAY = 86_400_000;

describe("the demo's listening", () => {
  it('listens on every platform that can search, with the one spike on one of them', () => {
    expect([...settings.platforms].sort()).toEqual(['bluesky', 'mastodon', 'threads', 'x']);
    expect(conversation.spikes.map((spike) => spike.platforms)).toEqual([['bluesky']]);
  });

  it("raises exactly one spike over the demo's eight days, on Bluesky, and none on the other platforms", async () => {
    // What the Listener stores from the simulators: each platform's conversation from a week
    // before the hand-over (its first read) to the end of `clock advance 8d`.
    const start = Date.parse(DEMO_CALENDAR_START);
    const end = start + 8 * DAY;
    const listening = new MemoryListeningStore();
    await listening.putListeningSettings(settings, DEMO_CALENDAR_START, undefined);
    for (const platform of settings.platforms) {
      for (const post of subjectPosts(
        conversation,
        simulator.seed,
        platform,
        new Date(start - 7 * DAY),
        new Date(end),
      )) {
        await listening.putMention(mentionOf(post, settings, { platform, id: `${platform}-${post.id}` }));
      }
    }
    const published: PulsecastEvent[] = [];
    // Every Listener run: the mentions created before it are stored (`mentionsBetween` ends at now).
    for (let at = start + 5 * 60_000; at <= end; at += 5 * 60_000) {
      await detectSpikes({
        listening,
        events: { publish: async (events) => void published.push(...events) },
        now: () => new Date(at),
      });
    }

    const detected = published.filter((event) => event.type === 'Mention Spike Detected');
    expect(detected.map((event) => event.detail)).toEqual([
      expect.objectContaining({ subject: 'brand', platform: 'bluesky' }),
    ]);
    expect(published.filter((event) => event.type === 'Mention Spike Ended')).toHaveLength(1);
  });
});
