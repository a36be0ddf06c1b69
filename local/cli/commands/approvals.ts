import * as z from 'zod';
import { type CommandContext, type CommandSpec, JSON_OPTION } from '../command.ts';
import { println } from '../io.ts';
import { printJson, renderTable, truncate } from '../output.ts';
import { PostSchema, pageSchema } from '../responses.ts';

const Review = z
  .looseObject({
    step: z.number(),
    stepName: z.string().nullable(),
    steps: z.number(),
    required: z.number(),
    approved: z.number(),
    changesRequested: z.boolean(),
    waitingFor: z.array(z.string()),
  })
  .nullable();
const ReviewedPost = PostSchema.extend({ review: Review.optional() });
const ReviewPage = pageSchema(ReviewedPost);

export const approvalsListCommand: CommandSpec = {
  path: ['approvals', 'list'],
  summary: 'list posts waiting for sign-off (or, with --missed, those that missed their time)',
  options: {
    missed: { type: 'boolean', description: 'posts that fell due unapproved (APPROVAL_MISSED)' },
    limit: { type: 'string', arg: 'N', description: 'posts per page' },
    json: JSON_OPTION,
  },
  async run({ options, io, api }) {
    const page = await api.json(
      {
        method: 'GET',
        path: '/v1/approvals',
        query: {
          status: options.flag('missed') ? 'missed' : 'pending',
          limit: options.positiveInteger('limit')?.toString(),
        },
      },
      ReviewPage,
    );
    if (options.flag('json')) {
      printJson(io.stdout, page);
      return 0;
    }
    if (page.items.length === 0) {
      println(io.stdout, options.flag('missed') ? 'no missed approvals' : 'nothing waits for approval');
      return 0;
    }
    println(
      io.stdout,
      renderTable(
        ['SCHEDULED AT', 'ID', 'CHANNEL', 'STEP', 'APPROVED', 'WAITING FOR', 'TEXT'],
        page.items.map((post) => [
          post.scheduledAt,
          post.id,
          post.channel,
          post.review
            ? `${post.review.step}/${post.review.steps} ${post.review.stepName ?? ''}`
            : post.status,
          post.review
            ? `${post.review.approved}/${post.review.required}${post.review.changesRequested ? ' changes requested' : ''}`
            : '',
          post.review?.waitingFor.join(', ') ?? '',
          truncate(post.text, 40),
        ]),
      ),
    );
    return 0;
  },
};

const decisionOptions = {
  step: {
    type: 'string',
    arg: 'STEP',
    description: "the step's name or number (default: the one under review)",
  },
  as: {
    type: 'string',
    arg: 'EMAIL',
    description: 'local mode only: who decides (deployed, it is your IAM identity)',
  },
  comment: { type: 'string', arg: 'TEXT', description: 'a comment for the audit trail' },
  json: JSON_OPTION,
} as const;

async function decide(context: CommandContext, decision: 'approve' | 'request-changes'): Promise<number> {
  const { operands, options, io, api } = context;
  const id = operands[0] as string;
  const step = options.string('step');
  const approver = options.string('as');
  const comment = options.string('comment');
  const body = {
    decision,
    ...(step ? { step } : {}),
    ...(approver ? { approver } : {}),
    ...(comment ? { comment } : {}),
  };
  const post = await api.json(
    {
      method: 'POST',
      path: `/v1/posts/${encodeURIComponent(id)}/approval`,
      body: new TextEncoder().encode(JSON.stringify(body)),
      contentType: 'application/json',
    },
    ReviewedPost,
  );
  if (options.flag('json')) printJson(io.stdout, post);
  else if (post.status === 'SCHEDULED')
    println(io.stdout, `${post.id}: approved, SCHEDULED at ${post.scheduledAt}`);
  else
    println(
      io.stdout,
      `${post.id}: ${post.status}, step ${post.review?.step ?? '?'}/${post.review?.steps ?? '?'} (${post.review?.approved ?? 0}/${post.review?.required ?? 0} approved${post.review?.changesRequested ? ', changes requested' : ''})`,
    );
  return 0;
}

export const approvalsApproveCommand: CommandSpec = {
  path: ['approvals', 'approve'],
  summary: 'approve the step of a post that waits for you',
  operands: [{ name: 'ID', description: "the post's id" }],
  options: decisionOptions,
  details: `Example:
  pulsecast approvals approve spring-07 --step legal --comment "claims checked"`,
  run: (context) => decide(context, 'approve'),
};

export const approvalsRejectCommand: CommandSpec = {
  path: ['approvals', 'reject'],
  summary: 'request changes to a post (it is not published until edited and approved again)',
  operands: [{ name: 'ID', description: "the post's id" }],
  options: decisionOptions,
  details: `--comment is required: say what should change.
Example:
  pulsecast approvals reject spring-07 --comment "the discount ended on Friday"`,
  run: (context) => decide(context, 'request-changes'),
};

export const approvalsCommands = [approvalsListCommand, approvalsApproveCommand, approvalsRejectCommand];
