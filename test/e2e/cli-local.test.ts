import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProcess, ROOT, startLocalProcess } from '../support/local-process.ts';

/**
 * The `pulsecast` command as a marketer runs it, against a real local mode (not the fake API of
 * test/cli): each command is its own process, once with its output piped (plain text) and once
 * on a pseudo-terminal (colours), checked by exit code and output.
 */
const BIN = join(ROOT, 'bin', 'pulsecast.mjs');
const ESC = '\u001b[';
const work = mkdtempSync(join(tmpdir(), 'pulsecast-cli-e2e-'));
const calendar = join(work, 'calendar.csv');
writeFileSync(
  calendar,
  [
    'id,channel,scheduled_at,timezone,text,link,media,campaign,tags',
    'cli-1,x-main,2027-06-01T09:00,Europe/Berlin,"Hello from the CLI test",,,spring-launch,tips',
    'cli-2,bsky-main,2027-06-02T10:30,Europe/Berlin,"A second post",,,spring-launch,',
    '',
  ].join('\n'),
);

let local: LocalProcess;
beforeAll(async () => {
  local = await startLocalProcess({ timeoutMs: 120_000 });
}, 150_000);
afterAll(async () => {
  await local?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The test run's environment without AWS credentials, pointed at local mode. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'NO_COLOR',
  ])
    delete env[name];
  return { ...env, PULSECAST_API_URL: local.url, ...extra };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `pulsecast …` with stdout and stderr piped. */
function piped(args: string[], extra: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cliEnv(extra),
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `pulsecast …` on a pseudo-terminal, through util-linux `script` (stdout and stderr both reach
 * the terminal, so they arrive together, with CRLF line ends); `-e` passes on the exit code.
 */
function onTerminal(args: string[], extra: Record<string, string> = {}): Run {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cliEnv(extra),
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout.replaceAll('\r\n', '\n'), stderr: result.stderr };
}
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('local mode start', () => {
  it('prints its banner and nothing else: no CDK notice, no JSON log lines, no stack', () => {
    const output = local.output();

    expect(output).toContain('Pulsecast local mode is running');
    expect(output).not.toMatch(/feature flags|cdk flags|NOTICES/i);
    expect(output).not.toMatch(/^\s*\{/m);
    expect(output).not.toMatch(/^\s+at /m);
  });
});

describe('pulsecast against local mode, piped', () => {
  it('uploads a calendar and says what each row did', () => {
    const run = piped(['upload', calendar]);

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('2 created, 0 updated, 0 unchanged');
    expect(run.stdout).toMatch(/^2\s+cli-1\s+created$/m);
    expect(run.stdout).not.toContain(ESC);
  });

  it('creates the campaign and lists it', () => {
    const created = piped(['campaigns', 'create', join(ROOT, 'examples', 'campaign.json')]);
    const listed = piped(['campaigns', 'list']);

    expect(created.status).toBe(0);
    expect(created.stdout).toContain('created spring-launch (4 goal(s))');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^spring-launch\s.*Spring launch 2027$/m);
  });

  it('lists the uploaded posts with their metric columns, in plain text', () => {
    const run = piped(['posts', 'list', '--campaign', 'spring-launch']);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^SCHEDULED AT\s+ID\s+CHANNEL\s+STATUS\s+IMPRESSIONS\s+ENGAGEMENTS\s+RATE\s+TEXT$/m,
    );
    expect(run.stdout).toMatch(/cli-1\s+x-main\s+SCHEDULED\s.*Hello from the CLI test/);
    expect(run.stdout).toMatch(/cli-2\s+bsky-main\s+SCHEDULED\s.*A second post/);
    expect(run.stdout).not.toContain(ESC);
  });

  it('reports the campaign as text, and as JSON with --json', () => {
    const text = piped(['report', 'spring-launch']);
    const json = piped(['report', 'spring-launch', '--json']);

    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Campaign spring-launch · as of \d{4}-\d\d-\d\d$/m);
    expect(text.stdout).toContain('posts-march');
    expect(text.stdout).toContain('Recommendations');
    expect(text.stdout).not.toContain(ESC);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ evaluation: { campaignId: 'spring-launch' } });
  });

  it('refuses a bad argument with exit 2 and the usage, and an unknown campaign with exit 1', () => {
    const badSort = piped(['posts', 'list', '--sort', 'bogus']);
    const unknown = piped(['report', 'no-such-campaign']);

    expect(badSort.status).toBe(2);
    expect(badSort.stdout).toBe('');
    expect(badSort.stderr).toContain(
      'error: --sort must be one of scheduled, impressions, engagements, rate, not "bogus"',
    );
    expect(badSort.stderr).toContain('Usage: pulsecast posts list [options]');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("campaign 'no-such-campaign' does not exist");
  });
});

describe.runIf(hasScript)('pulsecast against local mode, on a terminal', () => {
  it('reports the campaign in colour', () => {
    const run = onTerminal(['report', 'spring-launch']);

    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${ESC}1mCampaign spring-launch${ESC}0m`);
    expect(run.stdout).toContain(`${ESC}1mGoals${ESC}0m`);
  });

  it('prints plain text on a terminal when NO_COLOR is set', () => {
    const run = onTerminal(['report', 'spring-launch'], { NO_COLOR: '1' });

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Campaign spring-launch');
    expect(run.stdout).not.toContain(`${ESC}1m`);
  });

  it('lists the posts and uploads again (nothing changed) with exit 0', () => {
    const list = onTerminal(['posts', 'list']);
    const upload = onTerminal(['upload', calendar]);

    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/cli-1\s+x-main\s+SCHEDULED/);
    expect(upload.status).toBe(0);
    expect(upload.stdout).toContain('0 created, 0 updated, 2 unchanged');
  });

  it('refuses a bad argument with exit 2', () => {
    const run = onTerminal(['posts', 'list', '--sort', 'bogus']);

    expect(run.status).toBe(2);
    expect(run.stdout).toContain('error: --sort must be one of');
  });
});
