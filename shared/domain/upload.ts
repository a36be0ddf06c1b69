import * as z from 'zod';
import { UtcInstant } from './common.ts';

export const CALENDAR_FORMATS = ['native', 'hootsuite', 'sprout'] as const;
export const CalendarFormat = z.enum(CALENDAR_FORMATS);
export type CalendarFormat = z.infer<typeof CalendarFormat>;

export const PlanAction = z.enum(['created', 'updated', 'unchanged']);
export type PlanAction = z.infer<typeof PlanAction>;

/**
 * What an applied upload did with a row: the planned action, or `conflict` when the post was
 * created, changed, claimed or published by someone else between planning and writing.
 */
export type RowOutcome = PlanAction | 'conflict';

export const PlanSummary = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  /** Rows not applied because their post changed while the upload ran (present when > 0). */
  conflict: z.number().int().optional(),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

/** A calendar upload as recorded once it has been applied. */
export const Upload = z.object({
  id: z.string(),
  createdAt: UtcInstant,
  format: CalendarFormat,
  contentType: z.enum(['json', 'csv']),
  /** SHA-256 of the uploaded bytes: the same file uploaded again has the same hash. */
  contentHash: z.string(),
  rowCount: z.number().int(),
  summary: PlanSummary,
  warningCount: z.number().int(),
});
export type Upload = z.infer<typeof Upload>;

/** A row-level finding, `row` 1-based as in the file (counting the header line). */
export interface RowIssue {
  row: number;
  column: string;
  message: string;
}
