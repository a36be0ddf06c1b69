import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Wraps `acquire` (start a server, make a folder) so that whatever a test acquires is released
 * when that test ends, pass or fail. Call it once in a `describe` (it registers the `afterEach`),
 * then call what it returns inside the tests.
 */
export function releasedAfterEach<A extends unknown[], T>(
  acquire: (...args: A) => Promise<T>,
  release: (resource: T) => Promise<unknown>,
): (...args: A) => Promise<T> {
  const held: T[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map(release));
  });
  return async (...args) => {
    const resource = await acquire(...args);
    held.push(resource);
    return resource;
  };
}

/** Makes a fresh folder under the system's temporary folder; it is removed when the test ends. */
export function tempDirPerTest(prefix: string): () => Promise<string> {
  return releasedAfterEach(
    () => mkdtemp(join(tmpdir(), prefix)),
    (dir) => rm(dir, { recursive: true, force: true }),
  );
}
