import type { ApprovalRule, Post } from '../domain/index.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import { type EffectiveRule, effectiveRule, underRule } from './review.ts';

/** A post as planned (a calendar row, an edit), with the stored version it replaces. */
export interface PlannedPost {
  post: Post;
  stored?: Post | undefined;
}

/**
 * Puts planned posts under the approval rules of their channels and campaigns
 * (`underRule`): new posts under a rule start review, changed ones start it again. Campaigns the
 * same upload declares (`declared`) count with the rule they are about to have.
 */
export async function withApprovalRules(
  planned: readonly PlannedPost[],
  deps: {
    store: ChannelStore & CampaignStore;
    now: string;
    by: string;
    declared?: ReadonlyMap<string, { id: string; approval?: ApprovalRule | undefined }>;
  },
): Promise<Post[]> {
  if (planned.length === 0) return [];
  const channels = await deps.store.getChannels([...new Set(planned.map((p) => p.post.channel))]);
  const campaignIds = [
    ...new Set(planned.map((p) => p.post.campaign).filter((id): id is string => id !== undefined)),
  ];
  const campaigns = new Map<string, { id: string; approval?: ApprovalRule | undefined }>();
  await Promise.all(
    campaignIds.map(async (id) => {
      const campaign = deps.declared?.get(id) ?? (await deps.store.getCampaign(id));
      if (campaign) campaigns.set(id, campaign);
    }),
  );
  const rules = new Map<string, EffectiveRule | undefined>();
  return planned.map(({ post, stored }) => {
    const key = `${post.channel}\n${post.campaign ?? ''}`;
    if (!rules.has(key)) {
      rules.set(
        key,
        effectiveRule(channels.get(post.channel), post.campaign ? campaigns.get(post.campaign) : undefined),
      );
    }
    return underRule(post, stored, rules.get(key), { now: deps.now, by: deps.by });
  });
}
