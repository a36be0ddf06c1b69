import { readFileSync } from 'node:fs';
import { FLAGS } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

describe('cdk.json feature flags', () => {
  it('sets every flag whose default differs from the recommended value, so cdk prints no notice', () => {
    // The CDK CLI's "N feature flags are not configured" notice counts exactly these: v2 flags
    // left unset whose unconfigured behaviour is not the recommended one.
    const unset = Object.entries(FLAGS)
      .filter(([, flag]) => flag.introducedIn.v2 !== undefined)
      .filter(
        ([, flag]) => String(flag.unconfiguredBehavesLike?.v2 ?? false) !== String(flag.recommendedValue),
      )
      .map(([name]) => name)
      .filter((name) => !(name in cdkJson.context));

    expect(unset).toEqual([]);
  });

  it('records the behaviour the stack was built and reviewed with (the unconfigured one), not a silent switch', () => {
    const changed = Object.entries(cdkJson.context)
      .filter(([name]) => name in FLAGS)
      .filter(([name, value]) => String(FLAGS[name]?.unconfiguredBehavesLike?.v2 ?? false) !== String(value))
      .map(([name]) => name);

    expect(changed).toEqual([]);
  });
});
