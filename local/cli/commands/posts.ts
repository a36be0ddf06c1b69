import {
  answer,
  type CommandContext,
  type CommandSpec,
  JSON_OPTION,
  POST_FILTERS,
  postFilters,
  readCommand,
} from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { println, type TextSink } from '../io.ts';
import { printJson, renderTable, truncate } from '../output.ts';
import { type Post, PostSchema, pageSchema } from '../responses.ts';

const PostPageSchema = pageSchema(PostSchema);

/** How much of a post's text the list shows: enough to recognise it, short enough for one line. */
const TEXT_PREVIEW = 50;

/** A post's latest numbers (absent before its first metrics snapshot). */
function latest(post: Post): { impressions?: number; engagements?: number; rate?: number } {
  const snapshot = post.latestMetrics;
  if (!snapshot) return {};
  const m = snapshot.metrics;
  const engagements =
    m.engagements ??
    (['likes', 'comments', 'shares', 'saves'].some((k) => m[k] !== undefined)
      ? (m.likes ?? 0) + (m.comments ?? 0) + (m.shares ?? 0) + (m.saves ?? 0)
      : undefined);
  return {
    ...(m.impressions !== undefined ? { impressions: m.impressions } : {}),
    ...(engagements !== undefined ? { engagements } : {}),
    ...(snapshot.engagementRate !== undefined ? { rate: snapshot.engagementRate } : {}),
  };
}

/** Highest first for metrics; a post without the number goes last. */
const byMetric =
  (key: 'impressions' | 'engagements' | 'rate') =>
  (a: Post, b: Post): number =>
    (latest(b)[key] ?? -1) - (latest(a)[key] ?? -1) || a.scheduledAt.localeCompare(b.scheduledAt);

const SORTS = {
  scheduled: (a: Post, b: Post) => a.scheduledAt.localeCompare(b.scheduledAt),
  impressions: byMetric('impressions'),
  engagements: byMetric('engagements'),
  rate: byMetric('rate'),
} as const;

export const postsListCommand: CommandSpec = {
  path: ['posts', 'list'],
  summary: 'list posts, soonest first',
  options: {
    ...POST_FILTERS,
    sort: {
      type: 'string',
      arg: 'KEY',
      description: `order by ${Object.keys(SORTS).join(', ')} (default: scheduled; metrics highest first)`,
    },
    limit: { type: 'string', arg: 'N', description: 'posts per page' },
    all: { type: 'boolean', description: 'fetch every page, not just the first' },
    cursor: { type: 'string', arg: 'CURSOR', description: 'start at this page (as printed when more exist)' },
    json: JSON_OPTION,
  },
  async run({ options, io, api }) {
    const sortKey = options.string('sort') ?? 'scheduled';
    const sort = SORTS[sortKey as keyof typeof SORTS];
    if (!sort) {
      throw new UsageError(`--sort must be one of ${Object.keys(SORTS).join(', ')}, not "${sortKey}"`, [
        'posts',
        'list',
      ]);
    }
    const filters = { ...postFilters(options), limit: options.positiveInteger('limit')?.toString() };
    const all = options.flag('all');
    const seen = new Set<string>();
    const items: Post[] = [];
    let cursor = options.string('cursor');
    let nextCursor: string | undefined;
    do {
      const page = await api.json(
        { method: 'GET', path: '/v1/posts', query: { ...filters, cursor } },
        PostPageSchema,
      );
      items.push(...page.items);
      nextCursor = page.nextCursor ?? undefined;
      // A cursor seen before would loop forever; it means the API is broken, not that we should spin.
      if (nextCursor !== undefined && seen.has(nextCursor)) {
        throw new CliError(`the API returned the cursor "${nextCursor}" twice; stopping`);
      }
      if (nextCursor !== undefined) seen.add(nextCursor);
      cursor = nextCursor;
    } while (all && cursor !== undefined);

    // Sorted here, within what was fetched (the API lists by time): say so when pages are left.
    items.sort(sort);
    if (options.flag('json')) {
      printJson(io.stdout, all || nextCursor === undefined ? { items } : { items, nextCursor });
      return 0;
    }
    printPostTable(io.stdout, items);
    if (!all && nextCursor !== undefined) {
      // On stderr, so that `pulsecast posts list > posts.txt` holds only the table.
      println(io.stderr, `more posts exist: add --all, or --cursor ${nextCursor} for the next page`);
    }
    return 0;
  },
};

const number = (value: number | undefined) => (value === undefined ? '–' : value.toLocaleString('en-US'));

function printPostTable(sink: TextSink, posts: readonly Post[]): void {
  if (posts.length === 0) {
    println(sink, 'no posts');
    return;
  }
  println(
    sink,
    renderTable(
      ['SCHEDULED AT', 'ID', 'CHANNEL', 'STATUS', 'IMPRESSIONS', 'ENGAGEMENTS', 'RATE', 'TEXT'],
      posts.map((post) => {
        const m = latest(post);
        return [
          post.scheduledAt,
          post.id,
          post.channel,
          post.status,
          number(m.impressions),
          number(m.engagements),
          m.rate === undefined ? '–' : `${(m.rate * 100).toFixed(1)} %`,
          truncate(post.text, TEXT_PREVIEW),
        ];
      }),
    ),
  );
}

export const postsShowCommand = readCommand({
  path: ['posts', 'show'],
  summary: 'show one post with its publish result and metric history',
  operands: [{ name: 'ID', description: "the post's id" }],
  request: ([id]) => ({ method: 'GET', path: postPath(id ?? '') }),
  schema: PostSchema,
  print: (post, io) => printPost(io.stdout, post),
});

function printPost(sink: TextSink, post: Post): void {
  const fields: [string, string | undefined][] = [
    ['id', post.id],
    ['status', post.status],
    ['channel', post.channel],
    ['scheduled at', post.timezone ? `${post.scheduledAt} (${post.timezone})` : post.scheduledAt],
    ['campaign', post.campaign ?? undefined],
    ['tags', post.tags?.length ? post.tags.join(', ') : undefined],
    ['link', post.link ?? undefined],
    ['media', post.media?.length ? post.media.join(' ') : undefined],
    ['version', post.version?.toString()],
    ['published at', post.publishedAt ?? undefined],
    ['platform id', post.platformPostId ?? undefined],
    ['platform url', post.platformUrl ?? undefined],
    ['failure', post.failureReason ?? undefined],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  for (const [label, value] of shown) println(sink, `${`${label}:`.padEnd(width + 1)}  ${value}`);
  println(sink);
  println(sink, post.text);
  if (post.metrics && post.metrics.length > 0) {
    println(sink);
    println(
      sink,
      `metrics (${post.metrics.length} snapshot${post.metrics.length === 1 ? '' : 's'}, oldest first):`,
    );
    for (const snapshot of post.metrics) println(sink, `  ${describeSnapshot(snapshot)}`);
  }
}

/**
 * One line per snapshot: when, then every number it holds. The snapshot's exact shape belongs to
 * the measuring stage, so the CLI shows whatever numbers it finds rather than a fixed list.
 */
function describeSnapshot(snapshot: Record<string, unknown>): string {
  const when = ['collectedAt', 'at', 'checkpoint']
    .map((key) => snapshot[key])
    .find((v) => typeof v === 'string');
  const source =
    typeof snapshot.metrics === 'object' && snapshot.metrics !== null
      ? (snapshot.metrics as Record<string, unknown>)
      : snapshot;
  const numbers = Object.entries(source)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, value]) => `${name}=${value}`);
  return [when, ...numbers].filter((part) => part !== undefined).join('  ');
}

export const postsCancelCommand: CommandSpec = {
  path: ['posts', 'cancel'],
  summary: 'cancel a post that is not yet queued, or give up on a FAILED, UNKNOWN or HELD one',
  operands: [{ name: 'ID', description: "the post's id" }],
  options: { json: JSON_OPTION },
  async run({ operands, options, io, api }) {
    const id = operands[0]!;
    const spec = { method: 'DELETE', path: postPath(id) } as const;
    const response = await api.send(spec);
    // The API answers the cancelled post; a bare 204 means the same thing without the details.
    const post = response.body.length > 0 ? api.parse(response, PostSchema, spec) : undefined;
    return answer({ options, io }, post ?? { id, status: 'CANCELLED' }, () =>
      println(io.stdout, `${id}: ${post?.status ?? 'CANCELLED'}`),
    );
  },
};

export const postsRescheduleCommand = moveCommand({
  name: 'reschedule',
  summary: 'move a post to a new time; a FAILED, UNKNOWN or HELD post is tried again',
  at: 'the new time, e.g. 2027-03-10T09:00:00Z',
  details: `A FAILED post (fix its cause first), an UNKNOWN one you checked is not on the platform, or
a post a crisis hold left HELD becomes SCHEDULED again, in a new round with a fresh idempotency key. The change applies only to
the version read; a post that changed meanwhile is reported (409), not overwritten.

Example:
  pulsecast posts reschedule spring-07 --at 2027-03-10T09:00:00Z`,
});

/** What `posts retry` tries again: posts known not to have gone out (the API's reschedulable statuses). */
const RETRYABLE = ['FAILED', 'HELD', 'APPROVAL_MISSED'];

export const postsRetryCommand = moveCommand({
  name: 'retry',
  summary: 'try a post that did not go out again (FAILED, HELD or APPROVAL_MISSED) at a new time',
  at: 'when to try again, e.g. 2027-03-10T09:00:00Z',
  details: `Like posts reschedule, but only for a post known not to have gone out: FAILED (fix its
cause first), HELD by a crisis hold, or APPROVAL_MISSED (it goes back to review). An UNKNOWN post
is refused: it may be live, so settle it first (posts settle). The retry is a new round with a
fresh idempotency key.

Example:
  pulsecast posts retry spring-07 --at 2027-03-10T09:00:00Z`,
  check: (current) => {
    if (RETRYABLE.includes(current.status)) return;
    const hint =
      current.status === 'UNKNOWN'
        ? ' It may be live: settle it first (pulsecast posts settle ID --published URL | --failed REASON).'
        : ' Use posts reschedule to move a post that has not been tried yet.';
    throw new CliError(
      `${current.id} is ${current.status}: only a FAILED, HELD or APPROVAL_MISSED post can be retried.${hint}`,
    );
  },
});

/** A `posts <name> ID --at ISO` command: {@link moveTo}, after `check` (if any) accepts the post. */
function moveCommand(spec: {
  name: string;
  summary: string;
  /** The help text of `--at`. */
  at: string;
  details: string;
  check?: (current: Post) => void;
}): CommandSpec {
  return {
    path: ['posts', spec.name],
    summary: spec.summary,
    operands: [{ name: 'ID', description: "the post's id" }],
    options: { at: { type: 'string', arg: 'ISO', description: spec.at }, json: JSON_OPTION },
    details: spec.details,
    run: (context) => moveTo(context, spec.check),
  };
}

/**
 * Reads the post, lets `check` refuse it, then PATCHes `--at` at the version read (a post that
 * changed meanwhile is reported, 409, not overwritten).
 */
async function moveTo(
  { operands, options, io, api }: Parameters<CommandSpec['run']>[0],
  check: (current: Post) => void = () => {},
) {
  const id = operands[0]!;
  const { at } = options.required('at');
  const current = await api.json({ method: 'GET', path: postPath(id) }, PostSchema);
  check(current);
  const post = await sendJson(api, 'PATCH', postPath(id), { scheduledAt: at, version: current.version });
  return answer({ options, io }, post, () =>
    println(io.stdout, `${post.id}: ${post.status} at ${post.scheduledAt}`),
  );
}

export const postsSettleCommand: CommandSpec = {
  path: ['posts', 'settle'],
  summary: 'say what happened to a post whose outcome is UNKNOWN',
  operands: [{ name: 'ID', description: "the post's id" }],
  options: {
    published: { type: 'string', arg: 'URL', description: "it is on the platform: the post's URL there" },
    'platform-post-id': {
      type: 'string',
      arg: 'ID',
      description: 'with --published, for Instagram and Threads (their URLs carry no media id)',
    },
    failed: {
      type: 'string',
      arg: 'REASON',
      description: 'it is not on the platform and will not be retried',
    },
    json: JSON_OPTION,
  },
  details: `A post marked published is measured like any other from then on. To try a post again
instead, use \`pulsecast posts reschedule\`.

Examples:
  pulsecast posts settle spring-07 --published https://x.com/pulsecast/status/1234567890
  pulsecast posts settle spring-07 --failed "not on the account; dropped"`,
  async run({ operands, options, io, api }) {
    const id = operands[0]!;
    const url = options.string('published');
    const reason = options.string('failed');
    if ((url === undefined) === (reason === undefined)) {
      throw new UsageError('give exactly one of --published URL or --failed REASON', ['posts', 'settle']);
    }
    const current = await api.json({ method: 'GET', path: postPath(id) }, PostSchema);
    const platformPostId = options.string('platform-post-id');
    const body =
      url !== undefined
        ? { outcome: 'published', url, ...(platformPostId ? { platformPostId } : {}) }
        : { outcome: 'failed', reason };
    const post = await sendJson(api, 'POST', `${postPath(id)}/settle`, { ...body, version: current.version });
    return answer({ options, io }, post, () =>
      println(io.stdout, `${post.id}: ${post.status}${post.platformUrl ? ` ${post.platformUrl}` : ''}`),
    );
  },
};

function sendJson(
  api: CommandContext['api'],
  method: 'PATCH' | 'POST',
  path: string,
  body: unknown,
): Promise<Post> {
  return api.json(
    {
      method,
      path,
      body: new TextEncoder().encode(JSON.stringify(body)),
      contentType: 'application/json',
    },
    PostSchema,
  );
}

function postPath(id: string): string {
  return `/v1/posts/${encodeURIComponent(id)}`;
}

export const postsCommands = [
  postsListCommand,
  postsShowCommand,
  postsCancelCommand,
  postsRescheduleCommand,
  postsRetryCommand,
  postsSettleCommand,
];
