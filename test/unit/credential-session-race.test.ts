import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { PlatformError } from '../../shared/platforms/port.ts';
import { CredentialSessions, type CredentialSpec } from '../../shared/platforms/session.ts';
import { MemoryCredentialStore } from '../platforms/helpers.ts';
import { makeChannel } from '../support/fixtures.ts';

/**
 * Rotating single-use refresh tokens (X's) racing: two sessions of one channel in one process
 * (the publishing adapter and the Listener's reader), and two workers in different processes.
 */
const Tokens = z.object({ accessToken: z.string(), refreshToken: z.string() });
type Tokens = z.infer<typeof Tokens>;
const channel = makeChannel({ id: 'x-main', secretRef: 'pulsecast/x-race' });

/** A platform whose refresh tokens work once. */
function rotatingPlatform() {
  const spent = new Set<string>();
  let issued = 0;
  return {
    calls: 0,
    spec(): CredentialSpec<Tokens> {
      return {
        platformName: 'X',
        schema: Tokens,
        refresh: async (credentials) => {
          this.calls++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (spent.has(credentials.refreshToken)) {
            throw new PlatformError('auth', 'refresh token already used', { platformCode: 'refresh-failed' });
          }
          spent.add(credentials.refreshToken);
          issued++;
          return { accessToken: `access-${issued}`, refreshToken: `refresh-${issued}` };
        },
      };
    },
  };
}

describe('refreshing rotating credentials', () => {
  it('shares one refresh between two sessions of the same channel in one process', async () => {
    const platform = rotatingPlatform();
    const store = new MemoryCredentialStore({
      [channel.secretRef]: { accessToken: 'a0', refreshToken: 'r0' },
    });
    const current = { accessToken: 'a0', refreshToken: 'r0' };
    const publishing = new CredentialSessions(platform.spec(), () => new Date());
    const listening = new CredentialSessions(platform.spec(), () => new Date());

    const [one, two] = await Promise.all([
      publishing.refresh(channel, store, current),
      listening.refresh(channel, store, current),
    ]);

    expect(platform.calls).toBe(1);
    expect(one).toEqual(two);
    expect(await store.get(channel.secretRef)).toEqual(one);
  });

  it('takes the pair another worker stored a moment after spending the token, instead of failing', async () => {
    const platform = rotatingPlatform();
    const current = { accessToken: 'a0', refreshToken: 'r0' };
    const store = new MemoryCredentialStore({ [channel.secretRef]: current });
    // Another worker spent r0 and stores its pair 200 ms later (its write is slow).
    const winner = await platform.spec().refresh?.(current, channel);
    setTimeout(() => void store.put(channel.secretRef, winner as Tokens), 200);

    const got = await new CredentialSessions(platform.spec(), () => new Date()).refresh(
      channel,
      store,
      current,
    );

    expect(got).toEqual(winner);
  });

  it('still needs a person when the refresh is refused and nobody stored anything newer', async () => {
    const platform = rotatingPlatform();
    const current = { accessToken: 'a0', refreshToken: 'r0' };
    const store = new MemoryCredentialStore({ [channel.secretRef]: current });
    await platform.spec().refresh?.(current, channel);

    await expect(
      new CredentialSessions(platform.spec(), () => new Date()).refresh(channel, store, current),
    ).rejects.toMatchObject({ kind: 'auth' });
  });
});
