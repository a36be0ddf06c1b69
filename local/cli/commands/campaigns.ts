import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import {
  formatMetric,
  localDate,
  metricAgainstTarget,
  metricName,
} from '../../../shared/notify/vocabulary.ts';
import { answer, type CommandSpec, JSON_OPTION, readCommand } from '../command.ts';
import { CliError } from '../errors.ts';
import { painter, println } from '../io.ts';
import { listTable, renderTable, truncate } from '../output.ts';

const CampaignSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  timezone: z.string().optional(),
  window: z.looseObject({ from: z.string(), to: z.string() }).optional(),
  goals: z.array(z.looseObject({ id: z.string(), metric: z.string() })).default([]),
  version: z.number().optional(),
});
const CampaignListSchema = z.looseObject({
  items: z.array(CampaignSchema),
  nextCursor: z.string().nullish(),
});

const EvaluationSchema = z.looseObject({
  campaignId: z.string(),
  asOf: z.string(),
  asOfDate: z.string().optional(),
  timezone: z.string().optional(),
  goals: z.array(
    z.looseObject({
      goalId: z.string(),
      metric: z.string(),
      status: z.string(),
      reason: z.string().default(''),
      current: z.number().optional(),
      target: z.number().optional(),
      expectedByNow: z.number().optional(),
      forecast: z.looseObject({ value: z.number(), low: z.number(), high: z.number() }).optional(),
      window: z.looseObject({ from: z.string(), to: z.string() }),
    }),
  ),
  recommendations: z.array(z.looseObject({ summary: z.string(), kind: z.string().optional() })).default([]),
  missingData: z.array(z.looseObject({ message: z.string() })).default([]),
  topPosts: z.array(PostSummary()).default([]),
  bottomPosts: z.array(PostSummary()).default([]),
});

/** What GET /v1/campaigns/{id}/report answers: the campaign evaluated now. */
const ReportSchema = z.looseObject({ computedAt: z.string().optional(), evaluation: EvaluationSchema });

function PostSummary() {
  return z.looseObject({
    postId: z.string(),
    channel: z.string(),
    engagements: z.number(),
    text: z.string(),
  });
}

const campaignPath = (id: string) => `/v1/campaigns/${encodeURIComponent(id)}`;

export const campaignsListCommand = readCommand({
  path: ['campaigns', 'list'],
  summary: 'list campaigns with their windows and goals',
  request: () => ({ method: 'GET', path: '/v1/campaigns' }),
  schema: CampaignListSchema,
  print: (page, io) =>
    println(
      io.stdout,
      listTable(page.items, 'no campaigns', ['ID', 'WINDOW', 'GOALS', 'NAME'], (c) => [
        c.id,
        c.window ? `${c.window.from} – ${c.window.to}` : '',
        c.goals.map((g) => `${g.id} (${metricName(g.metric)})`).join(', '),
        truncate(c.name ?? '', 40),
      ]),
    ),
});

export const campaignsShowCommand = readCommand({
  path: ['campaigns', 'show'],
  summary: 'show one campaign as stored',
  operands: [{ name: 'ID', description: "the campaign's id" }],
  request: ([id]) => ({ method: 'GET', path: campaignPath(id ?? '') }),
  schema: CampaignSchema,
  print: (campaign, io) => {
    println(io.stdout, `${campaign.id}${campaign.name ? ` · ${campaign.name}` : ''}`);
    if (campaign.window) println(io.stdout, `window:   ${campaign.window.from} – ${campaign.window.to}`);
    if (campaign.timezone) println(io.stdout, `timezone: ${campaign.timezone}`);
    for (const goal of campaign.goals)
      println(io.stdout, `goal:     ${goal.id} (${metricName(goal.metric)})`);
  },
});

export const campaignsCreateCommand: CommandSpec = {
  path: ['campaigns', 'create'],
  summary: 'create a campaign from a JSON file (window, goals, scope)',
  operands: [{ name: 'FILE', description: 'the campaign as JSON (see examples/)' }],
  options: { json: JSON_OPTION },
  async run({ operands, options, io, api }) {
    const file = operands[0]!;
    let body: Uint8Array;
    try {
      body = await readFile(file);
      JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      throw new CliError(
        error instanceof SyntaxError
          ? `${file} is not JSON: ${error.message}`
          : `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        { cause: error },
      );
    }
    const campaign = await api.json(
      { method: 'POST', path: '/v1/campaigns', body, contentType: 'application/json' },
      CampaignSchema,
    );
    return answer({ options, io }, campaign, () =>
      println(io.stdout, `created ${campaign.id} (${campaign.goals.length} goal(s))`),
    );
  },
};

const STATUS_COLOUR = {
  ON_TRACK: 'green',
  ACHIEVED: 'green',
  AT_RISK: 'yellow',
  OFF_TRACK: 'red',
  MISSED: 'red',
} as const;

export const reportCommand = readCommand({
  path: ['report'],
  summary: "a campaign's goals, recommendations and best and worst posts",
  operands: [{ name: 'CAMPAIGN', description: "the campaign's id" }],
  details: 'Colours on a terminal; plain text when piped or with NO_COLOR set; --json for scripts.',
  request: ([id]) => ({ method: 'GET', path: `${campaignPath(id ?? '')}/report` }),
  schema: ReportSchema,
  print: ({ evaluation: report }, io) => {
    const paint = painter(io.stdout, io.env);
    const out = (line = '') => println(io.stdout, line);
    out(
      paint('bold', `Campaign ${report.campaignId}`) +
        paint('dim', ` · as of ${report.asOfDate ?? report.asOf}`),
    );
    out();
    out(paint('bold', 'Goals'));
    if (report.goals.length === 0) out('  none');
    for (const goal of report.goals) {
      const status = goal.status.replaceAll('_', ' ').toLowerCase();
      const colour = STATUS_COLOUR[goal.status as keyof typeof STATUS_COLOUR] ?? 'dim';
      const value = (n: number) => formatMetric(goal.metric, n);
      const head =
        goal.current !== undefined && goal.target !== undefined
          ? metricAgainstTarget(goal.metric, goal.current, goal.target)
          : metricName(goal.metric);
      out(`  ${goal.goalId}  ${paint(colour, status)}  ${head}`);
      const parts = [
        goal.expectedByNow !== undefined ? `pace ${value(goal.expectedByNow)} by now` : undefined,
        goal.forecast
          ? `forecast ${value(goal.forecast.value)} by ${localDate(goal.window.to)} (80 % band ${value(goal.forecast.low)}–${value(goal.forecast.high)})`
          : undefined,
      ].filter(Boolean);
      if (parts.length) out(paint('dim', `    ${parts.join('; ')}`));
      if (goal.reason) out(`    ${goal.reason}`);
    }
    out();
    out(paint('bold', 'Recommendations'));
    if (report.recommendations.length === 0) out('  none the data supports yet');
    for (const r of report.recommendations) out(`  • ${r.summary}`);
    for (const gap of report.missingData) out(paint('dim', `  (not enough data: ${gap.message})`));
    for (const [title, posts] of [
      ['Top posts', report.topPosts],
      ['Bottom posts', report.bottomPosts],
    ] as const) {
      if (posts.length === 0) continue;
      out();
      out(paint('bold', `${title} by engagements`));
      out(
        renderTable(
          ['ENGAGEMENTS', 'CHANNEL', 'POST'],
          posts.map((p) => [String(p.engagements), p.channel, truncate(p.text, 50)]),
        )
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    }
  },
});

export const campaignsCommands = [
  campaignsListCommand,
  campaignsShowCommand,
  campaignsCreateCommand,
  reportCommand,
];
