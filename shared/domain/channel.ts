import * as z from 'zod';
import { ApprovalRule } from './approval.ts';
import { HttpUrl, IanaTimezone, Slug, STORED_FIELDS } from './common.ts';

export const PLATFORMS = [
  'x',
  'bluesky',
  'mastodon',
  'linkedin',
  'facebook',
  'instagram',
  'threads',
] as const;
export const Platform = z.enum(PLATFORMS);
export type Platform = z.infer<typeof Platform>;

/** How each platform is written for people. */
export const PLATFORM_NAMES: Record<Platform, string> = {
  x: 'X',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  linkedin: 'LinkedIn',
  facebook: 'Facebook',
  instagram: 'Instagram',
  threads: 'Threads',
};

/** A platform's name for people; an unknown one as given. */
export const platformName = (platform: string): string =>
  Object.hasOwn(PLATFORM_NAMES, platform) ? PLATFORM_NAMES[platform as Platform] : platform;

/** What a user sends to create or change a channel (a social account). */
export const ChannelInput = z.strictObject({
  /** User-chosen; what a calendar's `channel` column names. */
  id: Slug,
  platform: Platform,
  handle: z.string().trim().min(1).max(200),
  timezone: IanaTimezone,
  /** Name of the secret holding the credentials; the credentials themselves never enter the table. */
  secretRef: z.string().min(1).max(512),
  /** Points the adapter at another server (a Mastodon instance, a simulator). */
  apiBaseUrl: HttpUrl.optional(),
  /** Sign-off every post on this channel needs before it is scheduled (shared/approvals). */
  approval: ApprovalRule.optional(),
});
export type ChannelInput = z.infer<typeof ChannelInput>;

export const Channel = ChannelInput.extend(STORED_FIELDS);
export type Channel = z.infer<typeof Channel>;
