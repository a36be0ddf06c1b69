import { describe, expect, it } from 'vitest';
import { allOptions } from '../../local/cli/args.ts';
import { COMMANDS } from '../../local/cli/main.ts';
import { releasedAfterEach } from '../support/per-test.ts';
import { runPulsecast, startFakeApi, unusedPort } from './fake-api.ts';

const startApi = releasedAfterEach(startFakeApi, (api) => api.close());

describe('pulsecast usage', () => {
  it('prints the overview for help and --help on stdout, exit 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const result = await runPulsecast(argv);

      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('Usage: pulsecast <command> [options]');
      for (const command of COMMANDS) expect(result.stdout).toContain(command.path.join(' '));
    }
  });

  it('has help for every command, asked either way', async () => {
    for (const command of COMMANDS) {
      const viaHelp = await runPulsecast(['help', ...command.path]);
      const viaFlag = await runPulsecast([...command.path, '--help']);

      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: pulsecast ${command.path.join(' ')}`));
      expect(viaFlag).toEqual(viaHelp);
    }
  });

  it('prints a group help for `posts --help`', async () => {
    const result = await runPulsecast(['posts', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: pulsecast posts <command> [options]');
    expect(result.stdout).toContain('posts cancel ID');
  });

  it('rejects an unknown command with the usage on stderr, exit 2', async () => {
    const result = await runPulsecast(['publish-everything']);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: unknown command "publish-everything"\n\n.*Usage: pulsecast <command>/s,
    );
  });

  it('rejects an unknown subcommand, an unknown flag, a flag of another command and extra arguments', async () => {
    const cases: [string[], string][] = [
      [['posts', 'delete', 'p-1'], 'error: unknown command "posts delete"'],
      [['posts', 'list', '--verbose'], 'error: unknown option --verbose for "pulsecast posts list"'],
      [['posts', 'list', '--out', 'x'], 'error: unknown option --out for "pulsecast posts list"'],
      [['posts', 'show', 'a', 'b'], 'error: unexpected argument "b"'],
      [['posts', 'list', '--status'], 'error: option --status needs a value (--status STATUS)'],
      [['posts', 'list', '--status', '--json'], 'error: option --status needs a value'],
      [['posts', 'list', '--json=yes'], 'error: option --json takes no value'],
      [[], 'error: no command given'],
      [['help', 'nothing'], 'error: no help for "nothing": unknown command'],
    ];
    for (const [argv, message] of cases) {
      const result = await runPulsecast(argv);

      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain(message);
      expect(result.stderr).toContain('Usage: pulsecast');
    }
  });

  it('accepts global options before the command', async () => {
    const api = await startApi(() => ({ body: { items: [] } }));
    const result = await runPulsecast(['--api', api.url, 'posts', 'list']);

    expect(result).toEqual({ code: 0, stdout: 'no posts\n', stderr: '' });
  });

  it('declares every flag name with one meaning across commands', () => {
    expect(() => allOptions(COMMANDS)).not.toThrow();
  });
});

describe('pulsecast errors', () => {
  it('explains how to start local mode when nothing listens on the default URL', async () => {
    const port = await unusedPort();

    const result = await runPulsecast(['posts', 'list'], { env: { PULSECAST_PORT: String(port) } });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: no Pulsecast API at http://127.0.0.1:${port} — start local mode with \`npm start\`\n`,
    });
  });

  it('prefers --api over PULSECAST_API_URL over PULSECAST_PORT', async () => {
    const api = await startApi(() => ({ body: { status: 'ok' } }));
    const dead = `http://127.0.0.1:${await unusedPort()}`;
    const viaFlag = await api.run(['health'], { env: { PULSECAST_API_URL: dead } });
    const viaEnv = await runPulsecast(['health'], {
      env: { PULSECAST_API_URL: api.url, PULSECAST_PORT: '1' },
    });

    expect(viaFlag.code).toBe(0);
    expect(viaEnv.code).toBe(0);
    expect(api.requests).toHaveLength(2);
  });

  it('rejects an API URL that is not http(s), exit 2', async () => {
    const result = await runPulsecast(['health', '--api', 'ftp://example.com']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: the API URL "ftp://example.com" must be http:// or https://');
  });

  it('shows a non-JSON error answer by its status line and text', async () => {
    const api = await startApi(() => ({ status: 502, body: 'upstream exploded' }));
    const result = await api.run(['health']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: HTTP 502 Bad Gateway\nupstream exploded\n',
    });
  });

  it('says so when a 2xx answer has an unexpected shape, without a stack trace', async () => {
    const api = await startApi(() => ({ body: { posts: 'not a plan' } }));
    const result = await api.run(['posts', 'list']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: GET /v1/posts answered in a shape this CLI does not understand');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports an unreachable deployed API by its network error', async () => {
    const failingFetch: typeof fetch = async () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
      });
    };

    const result = await runPulsecast(
      ['health', '--api', 'https://nope.execute-api.eu-west-1.amazonaws.com'],
      {
        fetch: failingFetch,
        credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }),
      },
    );

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: cannot reach the Pulsecast API at https://nope.execute-api.eu-west-1.amazonaws.com (ENOTFOUND)\n',
    });
  });
});
