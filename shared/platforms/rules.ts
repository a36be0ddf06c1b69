// twitter-text is CommonJS and sets `module.exports` to a plain object, so Node's ESM loader
// exposes it only as the default export; named imports fail at run time.
import twitterText from 'twitter-text';
import { PLATFORM_NAMES, type Platform } from '../domain/index.ts';

/**
 * What each platform accepts in a post, as pure functions, so a calendar is checked when it is
 * uploaded rather than failing at publish time (peers reported media limits only after "success").
 * Facts from the platforms' documentation (sources with each platform's fixtures in
 * test/fixtures/platforms/); where a platform counts in a way we could not confirm, we count the
 * cautious way and say so next to the rule.
 */

export interface PlatformRules {
  platform: Platform;
  /** Most media items (images or videos) in one post. */
  maxMedia: number;
  /** The platform refuses posts without media (Instagram). */
  requiresMedia: boolean;
  /** Text limit in `textUnit`s. */
  textLimit: number;
  /** What the limit counts, in words a marketer reads. */
  textUnit: string;
  /** The platform has no separate link field: the link is published inside the text. */
  linkInText: boolean;
}

export interface MeasureOptions {
  /** A server's own text limit (Mastodon's `configuration.statuses.max_characters`). */
  maxCharacters?: number;
  /** What one URL counts on Mastodon (`characters_reserved_per_url`, default 23). */
  charactersReservedPerUrl?: number;
}

export interface ValidateOptions extends MeasureOptions {
  /** A server's own media limit (Mastodon's `configuration.statuses.max_media_attachments`). */
  maxMediaAttachments?: number;
}

export interface TextMeasure {
  length: number;
  limit: number;
  unit: string;
}

export interface PlatformFinding {
  column: 'text' | 'media' | 'link';
  message: string;
  severity: 'error' | 'warning';
}

export interface PostToValidate {
  text: string;
  link?: string;
  media: string[];
}

export const PLATFORM_RULES: Record<Platform, PlatformRules> = {
  // twitter-text's weighted length: URLs count 23, emoji and CJK count 2, text NFC-normalised.
  // Up to 4 images or 1 video.
  x: {
    platform: 'x',
    maxMedia: 4,
    requiresMedia: false,
    textLimit: 280,
    textUnit: 'characters',
    linkInText: true,
  },
  // 300 graphemes and, separately, 3,000 UTF-8 bytes. Up to 4 images or 1 video.
  bluesky: {
    platform: 'bluesky',
    maxMedia: 4,
    requiresMedia: false,
    textLimit: 300,
    textUnit: 'characters',
    linkInText: true,
  },
  // Defaults of a stock server; each server publishes its own in /api/v2/instance.
  mastodon: {
    platform: 'mastodon',
    maxMedia: 4,
    requiresMedia: false,
    textLimit: 500,
    textUnit: 'characters',
    linkInText: true,
  },
  // LinkedIn multi-image posts take 2–20 images. A link is an article attachment, not text.
  linkedin: {
    platform: 'linkedin',
    maxMedia: 20,
    requiresMedia: false,
    textLimit: 3000,
    textUnit: 'characters',
    linkInText: false,
  },
  // Facebook documents no multi-photo maximum for Page posts; 10 is the cautious cap that
  // scheduling tools use. A link is a separate field (the link preview).
  facebook: {
    platform: 'facebook',
    maxMedia: 10,
    requiresMedia: false,
    textLimit: 63_206,
    textUnit: 'characters',
    linkInText: false,
  },
  // A post is a media container (carousel of up to 10); captions do not make links clickable.
  instagram: {
    platform: 'instagram',
    maxMedia: 10,
    requiresMedia: true,
    textLimit: 2200,
    textUnit: 'characters',
    linkInText: false,
  },
  // Threads API: "Text posts are limited to 500 characters. Emojis are counted as the number of
  // UTF-8 bytes." Carousels take up to 20 items; more than 5 links fail since December 2025.
  threads: {
    platform: 'threads',
    maxMedia: 20,
    requiresMedia: false,
    textLimit: 500,
    textUnit: 'characters',
    linkInText: true,
  },
};

/** Bluesky's second limit, on the encoded record text. */
export const BLUESKY_MAX_BYTES = 3000;
/** Mastodon counts every URL as this many characters unless the server says otherwise. */
export const MASTODON_CHARACTERS_PER_URL = 23;
/** Threads rejects a post with more than this many distinct links. */
export const THREADS_MAX_LINKS = 5;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const EMOJI_RE = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
/** Media URLs that are clearly videos (X, Bluesky and Mastodon take 4 images or 1 video). */
const VIDEO_RE = /\.(?:mp4|mov|m4v|webm)(?:$|[?#])/i;

/** How long `text` is in the unit the platform counts, against the limit that applies. */
export function measureText(platform: Platform, text: string, options: MeasureOptions = {}): TextMeasure {
  const rules = PLATFORM_RULES[platform];
  const limit = options.maxCharacters ?? rules.textLimit;
  const unit = rules.textUnit;
  switch (platform) {
    case 'x':
      return { length: twitterText.parseTweet(text).weightedLength, limit, unit };
    case 'bluesky':
      return { length: countGraphemes(text), limit, unit };
    case 'mastodon':
      return {
        length: mastodonLength(text, options.charactersReservedPerUrl ?? MASTODON_CHARACTERS_PER_URL),
        limit,
        unit,
      };
    case 'threads':
      return { length: threadsLength(text), limit, unit };
    case 'linkedin':
    case 'facebook':
    case 'instagram':
      // Meta and LinkedIn do not document their unit. Counting UTF-16 code units (an emoji is 2)
      // can only over-count, so a post that passes here is not cut or refused there.
      return { length: text.length, limit, unit };
  }
}

/**
 * The text as it will be published. Where the platform has no link field (X, Bluesky, Mastodon,
 * Threads) the link goes at the end of the text, unless the text already contains it.
 */
export function composePublishedText(platform: Platform, text: string, link?: string): string {
  const url = link?.trim();
  if (!url || !PLATFORM_RULES[platform].linkInText || text.includes(url)) return text;
  if (text.trim() === '') return url;
  return /\s$/.test(text) ? `${text}${url}` : `${text} ${url}`;
}

/**
 * Everything about a post that the platform would refuse (errors) or that would not come out as
 * the marketer expects (warnings). Link syntax is the caller's business (it is a schema check);
 * what is checked here is what differs per platform.
 */
export function validatePostForPlatform(
  platform: Platform,
  post: PostToValidate,
  options: ValidateOptions = {},
): PlatformFinding[] {
  const rules = PLATFORM_RULES[platform];
  const name = PLATFORM_NAMES[platform];
  const findings: PlatformFinding[] = [];
  const error = (column: PlatformFinding['column'], message: string) =>
    findings.push({ column, message, severity: 'error' });
  const warning = (column: PlatformFinding['column'], message: string) =>
    findings.push({ column, message, severity: 'warning' });

  const published = composePublishedText(platform, post.text, post.link);
  const linkAppended = published !== post.text;

  if (published.trim() === '' && post.media.length === 0) {
    error('text', `the post has no text and no media; ${name} needs at least one of them`);
  } else {
    const measure = measureText(platform, published, options);
    if (measure.length > measure.limit) {
      error(
        'text',
        `text is ${fmt(measure.length)} of ${fmt(measure.limit)} ${measure.unit} on ${name}${countingNote(platform, options)}` +
          `${linkAppended ? ', including the link added at the end' : ''}; shorten it by ${fmt(measure.length - measure.limit)}`,
      );
    }
    characterFindings(platform, published, error, warning);
    if (platform === 'bluesky') {
      const bytes = Buffer.byteLength(published, 'utf8');
      if (bytes > BLUESKY_MAX_BYTES) {
        error(
          'text',
          `text is ${fmt(bytes)} bytes on Bluesky, over its limit of ${fmt(BLUESKY_MAX_BYTES)} bytes (accented letters take 2 bytes, CJK 3, emoji 4 or more); shorten it`,
        );
      }
    }
    if (platform === 'threads') {
      const links = new Set(twitterText.extractUrls(published));
      if (links.size > THREADS_MAX_LINKS) {
        error(
          'text',
          `the post has ${links.size} different links; Threads accepts at most ${THREADS_MAX_LINKS}`,
        );
      }
    }
  }

  const maxMedia = options.maxMediaAttachments ?? rules.maxMedia;
  if (rules.requiresMedia && post.media.length === 0) {
    error('media', `${name} posts need at least one image or video`);
  }
  if (post.media.length > maxMedia) {
    error('media', `the post has ${post.media.length} media items; ${name} allows at most ${maxMedia}`);
  }
  if ((platform === 'x' || platform === 'bluesky' || platform === 'mastodon') && post.media.length > 1) {
    const video = post.media.find((url) => VIDEO_RE.test(url));
    if (video !== undefined) {
      error(
        'media',
        `${name} takes up to 4 images or a single video, not both; '${shorten(video)}' is a video`,
      );
    }
  }
  for (const url of post.media) {
    const problem = mediaUrlProblem(url);
    if (problem) error('media', problem);
  }

  if (platform === 'instagram') {
    // Instagram has no link field and does not make links in captions clickable: say so rather
    // than let the marketer believe the link went out.
    if (post.link?.trim()) {
      warning(
        'link',
        `Instagram has no place for a link, so '${shorten(post.link.trim())}' will not be published; put it in your bio or the caption (where it is not clickable)`,
      );
    }
    const captionLinks = twitterText.extractUrls(post.text);
    if (captionLinks.length > 0) {
      warning(
        'text',
        `links in an Instagram caption are not clickable ('${shorten(captionLinks[0] ?? '')}')`,
      );
    }
  }
  return findings;
}

/**
 * Characters X refuses and characters that change how a text displays, each named with its
 * position, so the marketer can find an invisible character in the calendar cell.
 *
 * X refuses what twitter-text's `hasInvalidCharacters` refuses (its own validity check, also
 * behind `parseTweet(...).valid`): in twitter-text 3 that is U+FEFF, U+FFFE and U+FFFF. (Version 1
 * also refused the direction overrides U+202A–U+202E; version 2 dropped them, so X takes them.)
 * No other platform documents refusing these characters, so there they are a warning: they are
 * invisible, usually a pasted byte-order mark or a broken export, and may show up as a box.
 *
 * Every platform, X included, gets a warning for the overrides U+202D and U+202E: they display
 * the text after them in the other direction (and are the usual trick for disguising a link). The
 * embeddings, isolates and marks around them are left alone; right-to-left text uses them.
 */
function characterFindings(
  platform: Platform,
  text: string,
  error: (column: 'text', message: string) => void,
  warning: (column: 'text', message: string) => void,
): void {
  const name = PLATFORM_NAMES[platform];
  if (twitterText.hasInvalidCharacters(text)) {
    const found = locate(text, (char) => twitterText.hasInvalidCharacters(char));
    const them = found.length > 1 ? 'them' : 'it';
    if (platform === 'x') {
      error('text', `contains ${listCharacters(found)}, which X refuses; remove ${them}`);
    } else {
      const what = found.length > 1 ? 'invisible characters' : 'an invisible character';
      warning(
        'text',
        `contains ${listCharacters(found)}, ${what} that ${name} may show as a box; remove ${them}`,
      );
    }
  }
  const overrides = locate(text, (char) => DIRECTION_OVERRIDES.has(char));
  if (overrides.length > 0) {
    warning(
      'text',
      `contains ${listCharacters(overrides)}, which forces the direction of the text after it, so ${name} can show it reversed; remove it unless that is intended`,
    );
  }
}

const DIRECTION_OVERRIDES = new Set(['\u202D', '\u202E']);

/** Names for the characters {@link characterFindings} reports (others are given by code point only). */
const CHARACTER_NAMES: Record<string, string> = {
  '\uFEFF': 'ZERO WIDTH NO-BREAK SPACE, the byte-order mark',
  '\uFFFE': 'a noncharacter',
  '\uFFFF': 'a noncharacter',
  '\u202D': 'LEFT-TO-RIGHT OVERRIDE',
  '\u202E': 'RIGHT-TO-LEFT OVERRIDE',
};

interface FoundCharacter {
  char: string;
  /** 1-based, counting characters as they are seen (graphemes). */
  position: number;
}

function locate(text: string, matches: (char: string) => boolean): FoundCharacter[] {
  const found: FoundCharacter[] = [];
  let position = 0;
  for (const { segment } of graphemes.segment(text)) {
    position += 1;
    for (const char of segment) if (matches(char)) found.push({ char, position });
  }
  return found;
}

/** "U+FEFF (…) at character 12 and U+FFFF (…) at character 30", at most three named. */
function listCharacters(found: readonly FoundCharacter[]): string {
  const named = found.slice(0, 3).map(({ char, position }) => {
    const code = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    const label = CHARACTER_NAMES[char];
    return `${code}${label ? ` (${label})` : ''} at character ${fmt(position)}`;
  });
  const more = found.length - named.length;
  if (more > 0) named.push(`${fmt(more)} more`);
  const last = named.pop() ?? '';
  return named.length > 0 ? `${named.join(', ')} and ${last}` : last;
}

function mediaUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `media '${shorten(url)}' is not a web address; give a public https:// URL`;
  }
  if (parsed.protocol !== 'https:') {
    return `media '${shorten(url)}' must be an https:// address (platforms fetch media only over HTTPS)`;
  }
  return undefined;
}

/** The part of a length message that says how the platform counts. */
function countingNote(platform: Platform, options: MeasureOptions): string {
  switch (platform) {
    case 'x':
      return ' (weighted: URLs count 23, emoji and CJK characters 2)';
    case 'bluesky':
      return ' (counted as you see them: an emoji is 1)';
    case 'mastodon':
      return ` (each link counts ${options.charactersReservedPerUrl ?? MASTODON_CHARACTERS_PER_URL})`;
    case 'threads':
      return ' (an emoji counts as its size in bytes, usually 4)';
    default:
      return ' (an emoji counts 2)';
  }
}

function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count += 1;
  return count;
}

/**
 * Mastodon's StatusLengthValidator: grapheme clusters, with every URL (with a protocol) counted
 * as `perUrl` characters and a mention `@user@domain` counted as `@user`.
 */
function mastodonLength(text: string, perUrl: number): number {
  const urls = twitterText.extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false });
  let rewritten = '';
  let from = 0;
  // Indices are UTF-16 offsets into `text`, in order.
  for (const { indices } of urls) {
    rewritten += `${text.slice(from, indices[0])}${'x'.repeat(perUrl)}`;
    from = indices[1];
  }
  rewritten += text.slice(from);
  rewritten = rewritten.replace(MASTODON_MENTION_RE, (_match, user: string) => `@${user}`);
  return countGraphemes(rewritten);
}

/**
 * A remote mention `@user@domain`, after Mastodon's Account::MENTION_RE. Written with separator
 * runs between word runs (instead of Mastodon's overlapping classes) so it cannot backtrack
 * badly on long input; it matches the same mentions.
 */
const MASTODON_MENTION_RE =
  /(?<![=/\p{L}\p{N}_])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@[\p{L}\p{N}_]+(?:[.-]+[\p{L}\p{N}_]+)*/giu;

/**
 * Threads: characters, except that an emoji counts as its UTF-8 size (a ZWJ family is one
 * emoji on screen but 18 bytes). "Characters" are read as code points, so a letter written with a
 * combining accent counts 2 — the cautious reading of an undocumented detail.
 */
function threadsLength(text: string): number {
  let length = 0;
  for (const { segment } of graphemes.segment(text)) {
    length += EMOJI_RE.test(segment) ? Buffer.byteLength(segment, 'utf8') : codePoints(segment);
  }
  return length;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function shorten(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
