import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, required } from '../../functions/commons/config.ts';
import { DEFAULT_CHECKPOINTS } from '../../shared/measuring/cadence.ts';

describe('the functions configuration', () => {
  it('gives the defaults of an empty environment', () => {
    const config = parseConfig({});

    expect(config.PULSECAST_SECRET_PREFIX).toBe('pulsecast/');
    expect(config.PULSECAST_RESERVED_SECRET_REFS).toEqual([]);
    expect(config.PULSECAST_LOCAL_CHANNELS).toBe(false);
    expect(config.METRICS_CHECKPOINTS.checkpoints.map((c) => c.name)).toEqual([...DEFAULT_CHECKPOINTS]);
    expect(config.PULSECAST_LOG_LEVEL).toBe('WARN');
    expect(config.POWERTOOLS_METRICS_NAMESPACE).toBe('Pulsecast');
    expect(config.PULSECAST_NOTIFY_CONFIG).toBeUndefined();
  });

  it('treats an empty variable as unset and splits lists', () => {
    const config = parseConfig({
      TABLE_NAME: '',
      PULSECAST_RESERVED_SECRET_REFS: ' a , ,b ',
      PULSECAST_LOG_LEVEL: 'debug',
    });

    expect(config.TABLE_NAME).toBeUndefined();
    expect(config.PULSECAST_RESERVED_SECRET_REFS).toEqual(['a', 'b']);
    expect(config.PULSECAST_LOG_LEVEL).toBe('DEBUG');
  });

  it('refuses a malformed value, naming the variable', () => {
    expect(() => parseConfig({ METRICS_CHECKPOINTS: '1h,soon' })).toThrow(
      /environment variable METRICS_CHECKPOINTS .*"soon" is not an age/,
    );
    expect(() => parseConfig({ PULSECAST_NOTIFY_CONFIG: '{' })).toThrow(
      'environment variable PULSECAST_NOTIFY_CONFIG is not valid JSON',
    );
    expect(() => parseConfig({ PULSECAST_NOTIFY_CONFIG: '{"workspaces": 1}' })).toThrow(
      /environment variable PULSECAST_NOTIFY_CONFIG is not a valid routing:[\s\S]*workspaces/,
    );
  });

  it('names a variable a dependency needs when it is not set', () => {
    const config = parseConfig({ EVENT_BUS_NAME: 'bus' });

    expect(required(config, 'EVENT_BUS_NAME')).toBe('bus');
    expect(() => required(config, 'TABLE_NAME')).toThrow(
      new ConfigError('environment variable TABLE_NAME is not set'),
    );
  });
});
