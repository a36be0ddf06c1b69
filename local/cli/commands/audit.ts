import * as z from 'zod';
import { type CommandSpec, JSON_OPTION } from '../command.ts';
import { CliError } from '../errors.ts';
import { println } from '../io.ts';
import { printJson, renderTable, truncate } from '../output.ts';

const Spread = z.looseObject({
  posts: z.number(),
  mean: z.number(),
  stdDev: z.number(),
  p10: z.number(),
  median: z.number(),
  p90: z.number(),
});
const Cell = z.looseObject({
  window: z.string(),
  posts: z.number(),
  lift: z.number(),
  liftLow: z.number(),
  liftHigh: z.number(),
});
const Line = z.looseObject({
  postId: z.string(),
  origin: z.string(),
  publishedAt: z.string(),
  engagements: z.number(),
  text: z.string(),
});
const Shares = z.array(z.looseObject({ key: z.string(), share: z.number() })).optional();
const Gap = z.looseObject({ kind: z.string(), reason: z.string() });
const Breakdowns = z.looseObject({
  asOf: z.string(),
  countries: Shares,
  ages: Shares,
  genders: Shares,
  seniorities: Shares,
  industries: Shares,
  activeWindows: z
    .array(z.looseObject({ window: z.string(), share: z.number(), ratio: z.number() }))
    .optional(),
  notOffered: z.array(Gap),
  unavailable: z.array(Gap),
});
const Report = z.looseObject({
  channel: z.string(),
  platform: z.string(),
  period: z.looseObject({ from: z.string(), to: z.string(), weeks: z.number() }),
  audit: z
    .looseObject({
      id: z.string(),
      status: z.string(),
      imported: z.number(),
      alreadyKnown: z.number(),
      pages: z.number(),
      rateLimitWaits: z.number(),
      error: z.string().optional(),
    })
    .optional(),
  evidence: z.looseObject({ posts: z.number(), imported: z.number(), pulsecast: z.number() }),
  cadence: z.looseObject({ meanPerWeek: z.number(), stdDev: z.number() }),
  perPost: z.looseObject({
    engagements: Spread.optional(),
    engagementRate: Spread.optional(),
    reach: Spread.optional(),
  }),
  hourOfWeek: z.looseObject({ cellsJudged: z.number(), best: z.array(Cell), worst: z.array(Cell) }),
  top: z.array(Line),
  bottom: z.array(Line),
  features: z.array(
    z.looseObject({
      feature: z.string(),
      postsWith: z.number(),
      postsWithout: z.number(),
      lift: z.number(),
      liftLow: z.number(),
      liftHigh: z.number(),
      verdict: z.string(),
    }),
  ),
  comparison: z.array(
    z.looseObject({
      channel: z.string(),
      posts: z.number(),
      postsPerWeek: z.number(),
      medianEngagements: z.number().optional(),
      followers: z.number().optional(),
    }),
  ),
  audience: z
    .looseObject({
      followers: z.number(),
      growthPerDay: z.number().optional(),
      growthPerWeek: z.number().optional(),
    })
    .optional(),
  audienceBreakdowns: Breakdowns.optional(),
  limitations: z.array(z.string()),
  assumptions: z.array(z.string()),
});
type Report = z.infer<typeof Report>;
const Started = z.looseObject({ id: z.string(), status: z.string() });

/** How long `audit` waits for the import before showing what it has. */
const WAIT_MS = 120_000;

export const auditCommand: CommandSpec = {
  path: ['audit'],
  summary: "import a channel's own past posts and show how they did",
  operands: [{ name: 'CHANNEL', description: 'the channel to audit' }],
  options: {
    since: {
      type: 'string',
      arg: 'SPAN',
      description: 'how far back: 90d, 12w or a date like 2026-01-31 (default 90d)',
    },
    'report-only': { type: 'boolean', description: 'show the latest report without importing again' },
    json: JSON_OPTION,
  },
  details:
    'The import runs in the background (it waits out platform rate limits); the command waits up to two minutes for it, then shows the report.',
  async run({ operands, options, io, api }) {
    const channel = operands[0];
    if (!channel) throw new CliError('name the channel to audit, e.g. `pulsecast audit x-main`');
    const path = `/v1/channels/${encodeURIComponent(channel)}/audit`;
    if (!options.flag('report-only')) {
      const since = options.string('since');
      const started = await api.json(
        {
          method: 'POST',
          path,
          body: new TextEncoder().encode(JSON.stringify(since ? { since } : {})),
          contentType: 'application/json',
        },
        Started,
      );
      if (!options.flag('json')) println(io.stderr, `audit ${started.id} started; importing…`);
    }
    let report = await api.json({ method: 'GET', path }, Report);
    const deadline = Date.now() + WAIT_MS;
    while (!options.flag('report-only') && report.audit?.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      report = await api.json({ method: 'GET', path }, Report);
    }
    if (options.flag('json')) printJson(io.stdout, report);
    else println(io.stdout, renderReport(report));
    return 0;
  },
};

const pct = (value: number) => `${(value * 100).toFixed(2)} %`;
const interval = (c: { lift: number; liftLow: number; liftHigh: number }) =>
  `×${c.lift} (90 % interval ×${c.liftLow}–×${c.liftHigh})`;

function renderReport(r: Report): string {
  const out: string[] = [];
  out.push(
    `Audit of ${r.channel} (${r.platform}), ${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)} (${r.period.weeks} weeks)`,
  );
  if (r.audit) {
    out.push(
      `  import ${r.audit.id}: ${r.audit.status}; ${r.audit.imported} new, ${r.audit.alreadyKnown} already stored, ${r.audit.pages} pages, ${r.audit.rateLimitWaits} rate-limit waits${r.audit.error ? ` — ${r.audit.error}` : ''}`,
    );
  }
  out.push(
    `  evidence: ${r.evidence.posts} measured posts (${r.evidence.imported} imported, ${r.evidence.pulsecast} by Pulsecast)`,
  );
  out.push(`  cadence: ${r.cadence.meanPerWeek} posts a week (± ${r.cadence.stdDev})`);
  const spread = (name: string, s: z.infer<typeof Spread> | undefined, f: (n: number) => string = String) => {
    if (s)
      out.push(
        `  ${name}: median ${f(s.median)}, middle 80 % ${f(s.p10)}–${f(s.p90)} (mean ${f(s.mean)}, sd ${f(s.stdDev)}, ${s.posts} posts)`,
      );
  };
  spread('engagements per post', r.perPost.engagements);
  spread('engagement rate', r.perPost.engagementRate, pct);
  spread('reach per post', r.perPost.reach);
  if (r.audience) {
    const growth = [
      r.audience.growthPerDay !== undefined ? `${signed(r.audience.growthPerDay)} in a day` : '',
      r.audience.growthPerWeek !== undefined ? `${signed(r.audience.growthPerWeek)} in a week` : '',
    ].filter(Boolean);
    out.push(`  followers: ${r.audience.followers}${growth.length > 0 ? ` (${growth.join(', ')})` : ''}`);
  }
  if (r.audienceBreakdowns) out.push(...renderBreakdowns(r.audienceBreakdowns));
  out.push('', `Hours of the week (${r.hourOfWeek.cellsJudged} three-hour windows with ≥ 2 posts judged):`);
  if (r.hourOfWeek.best.length + r.hourOfWeek.worst.length === 0)
    out.push('  none stands out from the channel’s typical post');
  for (const c of r.hourOfWeek.best) out.push(`  better: ${c.window}: ${interval(c)}, ${c.posts} posts`);
  for (const c of r.hourOfWeek.worst) out.push(`  worse:  ${c.window}: ${interval(c)}, ${c.posts} posts`);
  out.push('', 'Content features (engagements with vs. without):');
  if (r.features.length === 0) out.push('  too few posts on either side to compare');
  for (const f of r.features)
    out.push(
      `  ${f.verdict.padEnd(7)} ${f.feature}: ${interval(f)} (${f.postsWith} with, ${f.postsWithout} without)`,
    );
  const lines = (title: string, list: Report['top']) => {
    if (list.length === 0) return;
    out.push('', title);
    out.push(
      renderTable(
        ['POST', 'ORIGIN', 'PUBLISHED', 'ENGAGEMENTS', 'TEXT'],
        list.map((l) => [
          l.postId,
          l.origin,
          l.publishedAt.slice(0, 16),
          String(l.engagements),
          truncate(l.text, 50),
        ]),
      ),
    );
  };
  lines('Top posts', r.top);
  lines('Bottom posts', r.bottom);
  if (r.comparison.length > 0) {
    out.push('', 'Other channels, same period:');
    out.push(
      renderTable(
        ['CHANNEL', 'POSTS', 'PER WEEK', 'MEDIAN ENGAGEMENTS', 'FOLLOWERS'],
        r.comparison.map((c) => [
          c.channel,
          String(c.posts),
          String(c.postsPerWeek),
          c.medianEngagements === undefined ? '-' : String(c.medianEngagements),
          c.followers === undefined ? '-' : String(c.followers),
        ]),
      ),
    );
  }
  if (r.limitations.length > 0) out.push('', 'Not available:', ...r.limitations.map((l) => `  - ${l}`));
  out.push('', 'Assumptions:', ...r.assumptions.map((a) => `  - ${a}`));
  return out.join('\n');
}

function renderBreakdowns(b: z.infer<typeof Breakdowns>): string[] {
  const out = ['', `Audience (breakdowns read ${b.asOf.slice(0, 10)}):`];
  const list = (name: string, shares: z.infer<typeof Shares>) => {
    if (shares) out.push(`  ${name}: ${shares.map((s) => `${s.key} ${pct(s.share)}`).join(', ')}`);
  };
  list('countries', b.countries);
  list('ages', b.ages);
  list('genders', b.genders);
  list('seniorities', b.seniorities);
  list('industries', b.industries);
  for (const w of b.activeWindows ?? [])
    out.push(
      `  online: ${w.window}: ${pct(w.share)} of the week's online followers (×${w.ratio} the average window)`,
    );
  for (const gap of b.notOffered) out.push(`  not offered: ${gap.kind} — ${gap.reason}`);
  for (const gap of b.unavailable) out.push(`  unavailable now: ${gap.kind} — ${gap.reason}`);
  return out;
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));
