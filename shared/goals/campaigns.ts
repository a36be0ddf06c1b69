import {
  type Campaign,
  CampaignInput,
  type Channel,
  type Goal,
  type PlanAction,
  type RowIssue,
} from '../domain/index.ts';
import { ConflictError, type Issue, ValidationError, VersionConflictError } from '../errors.ts';
import type { CampaignStore } from '../store/campaigns.ts';
import type { ChannelStore } from '../store/channels.ts';
import { localDate, windowDays } from './days.ts';
import { metricKind } from './scope.ts';

/** The longest goal window (two years): longer ones are usually a typo in a year. */
export const MAX_WINDOW_DAYS = 731;

export interface CampaignCheck {
  /** Channels by id, for every channel a goal's scope names (missing ones are errors). */
  channels: ReadonlyMap<string, Pick<Channel, 'id' | 'platform'>>;
  now: Date;
  /** The stored campaign being replaced: its unchanged goals may have ended already. */
  existing?: Campaign;
}

/**
 * Checks what a schema cannot: goals that contradict themselves or the account. Every finding
 * names the field (`goals[1].scope.channels[0]`) and says what would make it right; `prefix`
 * is put before each path (`campaigns[0].` in a calendar upload).
 */
export function checkCampaign(input: CampaignInput, check: CampaignCheck, prefix = ''): Issue[] {
  const issues: Issue[] = [];
  const at = (path: string, message: string) => issues.push({ column: `${prefix}${path}`, message });
  const today = localDate(check.now, input.timezone);
  const seen = new Set<string>();
  input.goals.forEach((goal, i) => {
    const path = `goals[${i}]`;
    if (seen.has(goal.id)) at(`${path}.id`, `goal id '${goal.id}' is used twice in this campaign`);
    seen.add(goal.id);

    const days = windowDays(goal.window);
    if (days > MAX_WINDOW_DAYS) {
      at(`${path}.window`, `the window is ${days} days long; at most ${MAX_WINDOW_DAYS} are accepted`);
    }
    const unchanged = check.existing?.goals.some(
      (old) => JSON.stringify(normalise(old)) === JSON.stringify(normalise(goal)),
    );
    if (goal.window.to < today && !unchanged) {
      at(
        `${path}.window.to`,
        `the window ended on ${goal.window.to}, before today (${today} in ${input.timezone}); a new goal must end today or later`,
      );
    }
    checkTarget(goal, path, at);
    checkScope(goal, path, check, at);
  });
  return issues;
}

function checkTarget(goal: Goal, path: string, at: (path: string, message: string) => void): void {
  const kind = metricKind(goal.metric);
  if (goal.metric === 'responseTimeMinutes' && goal.direction !== 'atMost') {
    at(`${path}.direction`, 'a response-time goal is a limit: use "direction": "atMost"');
  }
  if (goal.target.kind === 'absolute') {
    const value = goal.target.value;
    const percentage = kind === 'rate' || goal.metric === 'shareOfVoice' || goal.metric === 'responseRate';
    if (percentage && (value <= 0 || value > 100)) {
      at(
        `${path}.target.value`,
        `${goal.metric} is a percentage (2 means 2 %) and must be above 0 and at most 100; got ${value}`,
      );
    } else if (goal.direction === 'atLeast' && value <= 0) {
      at(`${path}.target.value`, `a target of ${value} is met without doing anything; give a value above 0`);
    } else if (goal.direction === 'atMost' && value < 0) {
      at(`${path}.target.value`, `a limit of ${value} can never be met; give a value of 0 or more`);
    }
    return;
  }
  const { baseline, changePercent } = goal.target;
  if (baseline.to >= goal.window.from) {
    at(
      `${path}.target.baseline.to`,
      `the baseline period (${baseline.from}…${baseline.to}) must end before the window starts (${goal.window.from})`,
    );
  }
  if (changePercent <= -100) {
    at(
      `${path}.target.changePercent`,
      `a change of ${changePercent} % leaves nothing to reach; use more than -100`,
    );
  }
  if (windowDays(baseline) > MAX_WINDOW_DAYS) {
    at(`${path}.target.baseline`, `the baseline period is longer than ${MAX_WINDOW_DAYS} days`);
  }
}

function checkScope(
  goal: Goal,
  path: string,
  check: CampaignCheck,
  at: (path: string, message: string) => void,
): void {
  const scope = goal.scope ?? {};
  for (const field of ['channels', 'platforms', 'tags'] as const) {
    const list = scope[field] as readonly string[] | undefined;
    if (!list) continue;
    if (list.length === 0) {
      at(`${path}.scope.${field}`, `an empty list matches nothing; leave "${field}" out to count every one`);
    }
    const dupes = list.filter((value, i) => list.indexOf(value) !== i);
    if (dupes.length > 0) at(`${path}.scope.${field}`, `'${dupes[0]}' is listed twice`);
  }
  (scope.channels ?? []).forEach((id, j) => {
    const channel = check.channels.get(id);
    if (!channel) {
      at(
        `${path}.scope.channels[${j}]`,
        `channel '${id}' does not exist; add it with POST /v1/channels first`,
      );
      return;
    }
    if (scope.platforms && scope.platforms.length > 0 && !scope.platforms.includes(channel.platform)) {
      at(
        `${path}.scope.channels[${j}]`,
        `channel '${id}' is on ${channel.platform}, which scope.platforms (${scope.platforms.join(', ')}) leaves out: the two filters contradict each other and the channel would count nothing`,
      );
    }
  });
}

/** Every channel id the campaign's goals name. */
export function scopeChannelIds(input: CampaignInput): string[] {
  return [...new Set(input.goals.flatMap((goal) => goal.scope?.channels ?? []))];
}

/**
 * Creates a campaign or replaces the stored one with the same id (a conditional write on its
 * version). Findings of {@link checkCampaign} are a ValidationError naming every field.
 */
export async function saveCampaign(
  input: CampaignInput,
  deps: { store: CampaignStore & ChannelStore; now: () => Date },
): Promise<{ campaign: Campaign; outcome: PlanAction }> {
  const now = deps.now();
  const [existing, channels] = await Promise.all([
    deps.store.getCampaign(input.id),
    deps.store.getChannels(scopeChannelIds(input)),
  ]);
  const issues = checkCampaign(input, { channels, now, ...(existing ? { existing } : {}) });
  if (issues.length > 0) {
    throw new ValidationError(
      `campaign '${input.id}' has ${issues.length} problem(s); nothing was saved`,
      issues,
    );
  }
  return writeCampaign(input, existing, deps.store, now);
}

/** What saving `input` over `existing` would do. */
export function campaignAction(input: CampaignInput, existing: Campaign | undefined): PlanAction {
  if (!existing) return 'created';
  return sameCampaign(existing, input) ? 'unchanged' : 'updated';
}

/** Writes a checked campaign: created, updated (version + 1) or left unchanged. */
export async function writeCampaign(
  input: CampaignInput,
  existing: Campaign | undefined,
  store: CampaignStore,
  now: Date,
): Promise<{ campaign: Campaign; outcome: PlanAction }> {
  const at = now.toISOString();
  if (!existing) {
    const campaign: Campaign = { ...input, createdAt: at, updatedAt: at, version: 1 };
    await store.putCampaign(campaign);
    return { campaign, outcome: 'created' };
  }
  if (campaignAction(input, existing) === 'unchanged') return { campaign: existing, outcome: 'unchanged' };
  const campaign: Campaign = {
    ...input,
    createdAt: existing.createdAt,
    updatedAt: at,
    version: existing.version + 1,
  };
  await store.putCampaign(campaign, existing.version);
  return { campaign, outcome: 'updated' };
}

function sameCampaign(stored: Campaign, input: CampaignInput): boolean {
  const { createdAt: _c, updatedAt: _u, version: _v, ...fields } = stored;
  return JSON.stringify(normalise(fields)) === JSON.stringify(normalise(CampaignInput.parse(input)));
}

/** Key order does not make two campaigns different. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  return value;
}

/** A campaign declared in a calendar upload, checked and ready to write. */
export interface CampaignPlan {
  /** 1-based position in the upload's `campaigns`. */
  row: number;
  input: CampaignInput;
  existing?: Campaign;
  action: PlanAction;
}

/**
 * Checks the `campaigns` of a JSON calendar upload: each against the schema and
 * {@link checkCampaign}, ids unique in the file. Findings come back as row issues (`row` is the
 * position in `campaigns`, `column` the field's path, e.g. `campaigns[0].goals[1].window.to`), so
 * they join the upload's all-or-nothing validation.
 */
export async function planCampaigns(
  raw: readonly unknown[],
  deps: { store: CampaignStore & ChannelStore; now: Date },
): Promise<{ plans: CampaignPlan[]; issues: RowIssue[] }> {
  const issues: RowIssue[] = [];
  const parsed: { row: number; input: CampaignInput }[] = [];
  const ids = new Set<string>();
  raw.forEach((value, index) => {
    const row = index + 1;
    const prefix = `campaigns[${index}]`;
    const result = CampaignInput.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`));
        issues.push({ row, column: `${prefix}${path.join('')}`, message: issue.message });
      }
      return;
    }
    if (ids.has(result.data.id)) {
      issues.push({ row, column: `${prefix}.id`, message: `campaign '${result.data.id}' is declared twice` });
      return;
    }
    ids.add(result.data.id);
    parsed.push({ row, input: result.data });
  });
  const channelIds = [...new Set(parsed.flatMap(({ input }) => scopeChannelIds(input)))];
  const [channels, existing] = await Promise.all([
    deps.store.getChannels(channelIds),
    Promise.all(parsed.map(({ input }) => deps.store.getCampaign(input.id))),
  ]);
  const plans: CampaignPlan[] = [];
  parsed.forEach(({ row, input }, i) => {
    const stored = existing[i];
    const found = checkCampaign(
      input,
      { channels, now: deps.now, ...(stored ? { existing: stored } : {}) },
      `campaigns[${row - 1}].`,
    );
    for (const issue of found) issues.push({ row, column: issue.column, message: issue.message });
    plans.push({
      row,
      input,
      ...(stored ? { existing: stored } : {}),
      action: campaignAction(input, stored),
    });
  });
  return { plans, issues };
}

/** Writes planned campaigns; one changed by someone else since it was read is a conflict. */
export async function applyCampaignPlans(
  plans: readonly CampaignPlan[],
  store: CampaignStore,
  now: Date,
): Promise<void> {
  for (const plan of plans) {
    try {
      await writeCampaign(plan.input, plan.existing, store, now);
    } catch (error) {
      if (error instanceof VersionConflictError) {
        throw new ConflictError(
          `campaign '${plan.input.id}' (campaigns[${plan.row - 1}]) changed while this upload ran; upload again`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
