import { afterEach, describe, expect, it } from 'vitest';
import { logger, printLogsWith } from '../../functions/commons/observability.ts';
import { formatLogEntry, formatLogText, type LogLine, WarningCoalescer } from '../../local/console-log.ts';

const entry = (overrides: Record<string, unknown> = {}) => ({
  level: 'WARN',
  message: 'channel token expired',
  sampling_rate: 0,
  service: 'Pulsecast-dev',
  timestamp: '2027-03-01T08:00:05.123Z',
  cold_start: true,
  function_name: 'publish-post',
  function_request_id: 'req-1',
  postId: 'p-1',
  channel: 'x-main',
  ...overrides,
});

describe('formatLogEntry', () => {
  it('prints time, level, source, message and the remaining keys as key=value on one line', () => {
    expect(formatLogEntry(entry()).text).toBe(
      '08:00:05.123 WARN  publish-post  channel token expired  postId=p-1 channel=x-main',
    );
  });

  it('quotes values with spaces, shows an error as its name and message, and keeps one line', () => {
    const line = formatLogEntry(
      entry({
        message: 'publish failed\n  on retry',
        reason: 'rate limited by X',
        attempts: 3,
        error: {
          name: 'PlatformError',
          message: 'HTTP 429',
          location: 'x.ts:1',
          stack: 'PlatformError\n at x',
        },
      }),
    );

    expect(line.text).toBe(
      '08:00:05.123 WARN  publish-post  publish failed on retry  postId=p-1 channel=x-main reason="rate limited by X" attempts=3 error="PlatformError: HTTP 429"',
    );
    expect(line.text).not.toContain('\n');
  });

  it("names a local function by its logical id without CDK's hash", () => {
    expect(formatLogEntry(entry({ function_name: 'PublishingClaimFunction422A015F' })).source).toBe(
      'PublishingClaimFunction',
    );
  });

  it('names an explicit source before the function, and the service outside an invocation', () => {
    expect(formatLogEntry(entry({ source: 'local clock' })).source).toBe('local clock');
    expect(formatLogEntry({ level: 'ERROR', message: 'x', service: 'Pulsecast-dev' }).source).toBe(
      'Pulsecast-dev',
    );
  });

  it('shows a line that is not JSON as it is, with the level it was printed at', () => {
    const line = formatLogText('warn', 'Unable to buffer log');

    expect(line.level).toBe('WARN');
    expect(line.text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}pulsecast {2}Unable to buffer log$/);
  });
});

describe('WarningCoalescer', () => {
  const setup = () => {
    const lines: string[] = [];
    const clock = { ms: Date.parse('2027-03-01T08:00:00.000Z') };
    const coalescer = new WarningCoalescer({
      write: (line) => lines.push(line),
      windowMs: 60_000,
      now: () => clock.ms,
    });
    return { lines, clock, coalescer };
  };
  const warn = (overrides: Record<string, unknown> = {}): LogLine => formatLogEntry(entry(overrides));

  it('prints a warning repeated within the window once, then how often it repeated', () => {
    const { lines, clock, coalescer } = setup();

    coalescer.offer(warn({ postId: 'p-1' }));
    for (let i = 2; i <= 13; i++) {
      clock.ms += 1_000;
      coalescer.offer(warn({ postId: `p-${i}` }));
    }
    expect(lines).toHaveLength(1);
    clock.ms += 60_000;
    coalescer.flush();

    expect(lines).toEqual([
      '08:00:05.123 WARN  publish-post  channel token expired  postId=p-1 channel=x-main',
      '08:01:12.000 WARN  publish-post  channel token expired (repeated 12 times in 72 s)',
    ]);
  });

  it('prints the warning again once its window has closed', () => {
    const { lines, clock, coalescer } = setup();

    coalescer.offer(warn());
    clock.ms += 61_000;
    coalescer.offer(warn());

    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('channel=x-main'))).toBe(true);
  });

  it('keeps different warnings, sources and levels apart, and never holds back INFO or DEBUG', () => {
    const { lines, coalescer } = setup();

    coalescer.offer(warn());
    coalescer.offer(warn({ message: 'another warning' }));
    coalescer.offer(warn({ function_name: 'collect-metrics' }));
    coalescer.offer(warn({ level: 'ERROR' }));
    coalescer.offer(warn({ level: 'INFO' }));
    coalescer.offer(warn({ level: 'INFO' }));
    coalescer.flush(true);

    expect(lines).toHaveLength(6);
  });

  it('says "1 time" for a single repeat when everything is flushed at stop', () => {
    const { lines, clock, coalescer } = setup();

    coalescer.offer(warn());
    clock.ms += 2_000;
    coalescer.offer(warn());
    coalescer.flush(true);

    expect(lines[1]).toBe('08:00:02.000 WARN  publish-post  channel token expired (repeated 1 time in 2 s)');
  });
});

describe('printLogsWith', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("hands the Powertools logger's entries to local mode's printer, level and all", () => {
    const printed: [string, string][] = [];
    restore = printLogsWith((level, text) => printed.push([level, text]));

    logger.warn('channel token expired', { postId: 'p-1' });
    logger.error('invocation failed', { source: 'local clock' });

    expect(printed.map(([level]) => level)).toEqual(['WARN', 'ERROR']);
    expect(formatLogText(...(printed[0] as [string, string])).text).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}\S+ {2}channel token expired {2}postId=p-1$/,
    );
  });
});
