import * as z from 'zod';
import { IanaTimezone, Platform, Slug } from '../domain/index.ts';

/**
 * What a deployment listens for (`PUT /v1/listening`): the brand and its competitors, each with
 * the terms people write and the handles they mention, and the platforms to search. One document
 * per deployment, stored in the table; the Listener reads it on every run.
 */

/** The subject id of the brand; competitors use their own ids. */
export const BRAND = 'brand';

const Term = z
  .string()
  .trim()
  .min(2, 'must be at least 2 characters (shorter terms match almost everything)')
  .max(100);
const Handle = z
  .string()
  .trim()
  .regex(
    /^@?[A-Za-z0-9._-]+(@[A-Za-z0-9.-]+)?$/,
    'must be a handle like @acme, acme.bsky.social or @acme@mastodon.social',
  );

const SubjectFields = {
  name: z.string().trim().min(1).max(80),
  terms: z.array(Term).max(20).default([]),
  handles: z.array(Handle).max(20).default([]),
};

const HourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a 24-hour time HH:MM');
export const LISTENING_WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** When a channel's team is at work: response times count only these minutes. */
export const BusinessHours = z
  .strictObject({
    timezone: IanaTimezone,
    days: z.array(z.enum(LISTENING_WEEKDAYS)).min(1).default(['MON', 'TUE', 'WED', 'THU', 'FRI']),
    from: HourMinute,
    to: HourMinute,
  })
  .refine((hours) => hours.from < hours.to, { message: 'from must be before to', path: ['to'] });
export type BusinessHours = z.infer<typeof BusinessHours>;

export const ListeningSettings = z
  .strictObject({
    brand: z.strictObject(SubjectFields),
    competitors: z
      .array(z.strictObject({ id: Slug, ...SubjectFields }))
      .max(20)
      .default([]),
    platforms: z.array(Platform).min(1),
    /** A negative mention spike on the brand starts a crisis hold by itself. */
    autoHold: z.boolean().default(false),
    /** Per channel id: business hours (optional; without them every minute counts). */
    channels: z.record(Slug, z.strictObject({ businessHours: BusinessHours.optional() })).default({}),
  })
  .superRefine((settings, ctx) => {
    const subjects = [{ id: BRAND, ...settings.brand }, ...settings.competitors];
    const seen = new Set<string>();
    subjects.forEach((subject, i) => {
      const path = i === 0 ? ['brand'] : ['competitors', i - 1];
      if (seen.has(subject.id)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'id'],
          message: `duplicate subject id '${subject.id}' (the brand's id is '${BRAND}')`,
        });
      }
      seen.add(subject.id);
      if (subject.terms.length === 0 && subject.handles.length === 0) {
        ctx.addIssue({ code: 'custom', path, message: 'give at least one term or handle to listen for' });
      }
    });
    if (new Set(settings.platforms).size !== settings.platforms.length) {
      ctx.addIssue({ code: 'custom', path: ['platforms'], message: 'lists a platform twice' });
    }
  });
export type ListeningSettings = z.output<typeof ListeningSettings>;
export type ListeningSettingsInput = z.input<typeof ListeningSettings>;

/** A stored settings document, with its version (each PUT increments it). */
export interface StoredListeningSettings {
  settings: ListeningSettings;
  version: number;
  updatedAt: string;
}

/** One thing listened for: the brand or a competitor. */
export interface Subject {
  id: string;
  name: string;
  terms: string[];
  handles: string[];
}

export function subjectsOf(settings: ListeningSettings): Subject[] {
  return [{ id: BRAND, ...settings.brand }, ...settings.competitors];
}

/** What a search for a subject asks a platform: its terms and its handles, each on its own. */
export function queriesOf(subject: Subject): string[] {
  return [...new Set([...subject.terms, ...subject.handles.map((h) => h.replace(/^@/, ''))])];
}

/** Which subjects a text is about: a term (case-insensitive, at word boundaries) or a handle in it. */
export function subjectsIn(text: string, subjects: readonly Subject[]): string[] {
  const lower = text.toLowerCase();
  return subjects
    .filter((subject) => queriesOf(subject).some((query) => containsWord(lower, query.toLowerCase())))
    .map((subject) => subject.id);
}

function containsWord(text: string, word: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(word, from);
    if (at < 0) return false;
    const before = text[at - 1];
    const after = text[at + word.length];
    if (!isWordChar(before) && !isWordChar(after)) return true;
    from = at + 1;
  }
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}_]/u.test(char);
}
