import * as z from 'zod';
import { IanaTimezone, UtcInstant } from './common.ts';

/**
 * Who may sign off a step. An email address names the person (approval requests are emailed to
 * it); `iam` is the AWS identity they call the API with (a user or role ARN, or the exact ARN of
 * an assumed-role session), `slack` their Slack user id (`U…`), so a click in Slack is theirs.
 */
export const Approver = z.union([
  z.email().transform((email): { email: string; iam?: string; slack?: string; timezone?: string } => ({
    email: email.toLowerCase(),
  })),
  z.strictObject({
    email: z.email().transform((email) => email.toLowerCase()),
    iam: z
      .string()
      .regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/, 'must be an IAM user, role or assumed-role ARN')
      .optional(),
    slack: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U012AB3CD')
      .optional(),
    /** The zone requests show the post's time in (default: the post's own zone). */
    timezone: IanaTimezone.optional(),
  }),
]);
export type Approver = z.output<typeof Approver>;

/** `24h`, `90m`: how long before a post's time a reminder goes to the approvers still due to act. */
export const ReminderOffset = z
  .string()
  .regex(/^[1-9]\d{0,3}[hm]$/, 'must be hours or minutes such as 24h or 30m');

export const ApprovalStep = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[^\d]/, 'must not start with a digit (a step is named by its number or its name)'),
  approvers: z.array(Approver).min(1).max(50),
  /** How many of `approvers` must approve (default 1). */
  required: z.number().int().min(1).default(1),
});
export type ApprovalStep = z.output<typeof ApprovalStep>;

export const DEFAULT_REMINDERS = ['24h', '1h'] as const;

/**
 * A channel's or campaign's approval rule: ordered steps, each needing `required` of its
 * approvers. A post under a rule waits in PENDING_APPROVAL until every step is signed off.
 */
export const ApprovalRule = z
  .strictObject({
    steps: z.array(ApprovalStep).min(1).max(10),
    /** Reminders before the post's time to approvers who have not acted (default 24h and 1h). */
    remindBefore: z
      .array(ReminderOffset)
      .max(5)
      .default([...DEFAULT_REMINDERS]),
  })
  .superRefine((rule, ctx) => {
    const names = new Set<string>();
    rule.steps.forEach((step, i) => {
      const key = step.name.toLowerCase();
      if (names.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'name'],
          message: `step '${step.name}' is named twice`,
        });
      }
      names.add(key);
      const emails = step.approvers.map((approver) => approver.email);
      const twice = emails.find((email, j) => emails.indexOf(email) !== j);
      if (twice) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'approvers'],
          message: `${twice} is listed twice`,
        });
      }
      if (step.required > step.approvers.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'required'],
          message: `needs ${step.required} approvals but the step has only ${step.approvers.length} approver(s)`,
        });
      }
    });
  });
export type ApprovalRule = z.output<typeof ApprovalRule>;

/** One decision on the current step. */
export const ApprovalDecisionRecord = z.object({
  approver: z.string(),
  decision: z.enum(['approve', 'request-changes']),
  at: UtcInstant,
  comment: z.string().optional(),
});

/**
 * Where a post stands in its review, kept on the post. `steps` is the rule as it was when the
 * post entered review (a later change of the rule applies from the next reset). `round` grows
 * with every reset: links and buttons carry it, so nothing signed for an earlier version of the
 * post can decide this one.
 */
export const PostApproval = z.object({
  steps: z.array(ApprovalStep),
  remindBefore: z.array(ReminderOffset),
  /** Where the rule came from (`channel:x`, `campaign:y`). */
  source: z.array(z.string()),
  round: z.number().int().min(1),
  /** Index of the step under review; `steps.length` once every step approved. */
  step: z.number().int().min(0),
  decisions: z.array(ApprovalDecisionRecord),
  /** A step's approvers asked for changes: nothing more is approved until the post is edited. */
  changesRequested: z.boolean().optional(),
  /** When the current step's requests went out (absent: not yet, due at once). */
  requestedAt: UtcInstant.optional(),
  /** Reminders (`24h`, `1h`) already sent for the current step. */
  remindersSent: z.array(z.string()).default([]),
});
export type PostApproval = z.output<typeof PostApproval>;

/** The audit trail: who did what to the post's review, when, and why a review started again. */
export const ApprovalLogEntry = z.object({
  at: UtcInstant,
  /** An approver's email, an IAM identity, `system`, or `api` for an unattributed edit. */
  by: z.string(),
  action: z.enum([
    'submitted',
    'approved',
    'changes-requested',
    'step-approved',
    'reset',
    'missed',
    'released',
  ]),
  step: z.string().optional(),
  round: z.number().int().optional(),
  comment: z.string().optional(),
  /** Why a review started again (the fields that changed), or why it ended. */
  reason: z.string().optional(),
  /** How the decision arrived: `api`, `link` (email), `slack`. */
  via: z.string().optional(),
});
export type ApprovalLogEntry = z.infer<typeof ApprovalLogEntry>;

/** How many entries a post keeps (the item must stay well under DynamoDB's 400 KB). */
export const APPROVAL_LOG_LIMIT = 200;

/** Milliseconds of a reminder offset (`24h`, `30m`). */
export function reminderMs(offset: string): number {
  const value = Number.parseInt(offset, 10);
  return offset.endsWith('h') ? value * 3_600_000 : value * 60_000;
}
