import type { DigestSection, DigestSectionContext, DigestSectionProvider } from '../notify/digest.ts';
import { formatPercent } from '../notify/notice.ts';
import type { ListeningStore } from '../store/listening.ts';
import { responsesFor, shareOfVoiceFor } from './service.ts';
import { subjectsOf } from './settings.ts';

/** Width of the share-of-voice bars, in blocks (one block is 5 %). */
const BAR_BLOCKS = 20;

/**
 * The digest's listening section: share of voice per subject as a bar per subject (the renderers
 * show items as plain lines, so the chart is drawn in text), the response figures of the
 * workspace's channels, and the spikes that started in the period.
 */
export function listeningDigestSection(listening: ListeningStore, now: () => Date): DigestSectionProvider {
  return async (context: DigestSectionContext): Promise<DigestSection[]> => {
    const stored = await listening.getListeningSettings();
    if (!stored) return [];
    const { settings } = stored;
    const period = { from: context.from, to: context.to };
    const voice = await shareOfVoiceFor({ ...period, interval: 'week' }, listening);
    const items: DigestSection['items'] = [];
    for (const subject of voice.subjects) {
      const share = voice.shares[subject.id] ?? 0;
      const blocks = Math.round(share * BAR_BLOCKS);
      items.push({
        text: `${subject.name.padEnd(12)} ${'█'.repeat(blocks)}${'░'.repeat(BAR_BLOCKS - blocks)} ${formatPercent(share)} (${voice.counts[subject.id] ?? 0} mentions)`,
      });
    }
    const channels = context.workspace.channels ?? [undefined];
    for (const channel of channels) {
      const figures = await responsesFor({ ...period, ...(channel ? { channel } : {}) }, listening, now());
      const where = channel ? `${channel}: ` : '';
      items.push({
        text:
          figures.inbound === 0
            ? `${where}nothing addressed to our channels`
            : `${where}${figures.answered} of ${figures.inbound} answered (${formatPercent(figures.rate ?? 0)}), median ${figures.medianMinutes ?? '–'} min, 90 % within ${figures.p90Minutes ?? '–'} min${figures.businessHours ? ' (business hours)' : ''}`,
      });
    }
    for (const subject of subjectsOf(settings)) {
      for (const platform of settings.platforms) {
        const state = await listening.getSpikeState(`${subject.id}-${platform}`);
        for (const episode of [state?.open, state?.ended]) {
          if (!episode || episode.startedAt < context.from || episode.startedAt >= context.to) continue;
          const ended =
            'endedAt' in episode ? ` to ${String(episode.endedAt).slice(11, 16)} UTC` : ', still going';
          items.push({
            text: `Spike: ${subject.name} on ${platform} from ${episode.startedAt.slice(0, 16).replace('T', ' ')} UTC${ended}, up to ${episode.peak} mentions in 15 min (about ${Math.round(episode.baseline * 10) / 10} usual)`,
          });
        }
      }
    }
    return [
      {
        id: 'listening',
        title: 'Listening',
        summary: `Share of voice over ${voice.total} mentions found by platform search (${settings.platforms.join(', ')}); a post about two subjects counts for both. Response figures count replies from any of our channels.`,
        items,
      },
    ];
  };
}
