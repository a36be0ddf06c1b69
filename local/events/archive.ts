import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JsonObject } from '../json.ts';

// The local bus's files: the event archive and the dead letters, JSON lines appended in order.

/** The envelope EventBridge delivers. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601, to the second. */
  time: string;
  region: string;
  resources: string[];
  detail: JsonObject;
  /** Set on events sent again by `LocalEventBus.replay`. */
  'replay-name'?: string;
}

/** Appends JSON lines to files, one append at a time and in the order asked, creating folders. */
export class JsonLinesWriter {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly createdDirs = new Set<string>();

  append(path: string, records: readonly unknown[]): Promise<void> {
    const text = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    const write = this.writes.then(async () => {
      const dir = dirname(path);
      if (!this.createdDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.createdDirs.add(dir);
      }
      await appendFile(path, text, 'utf8');
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every append asked for so far has finished (or failed). */
  async idle(): Promise<void> {
    await this.writes;
  }
}

export async function readArchive(path: string): Promise<EventEnvelope[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const envelopes: EventEnvelope[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const envelope = parseArchived(line);
    if (envelope) envelopes.push(envelope);
    else torn++;
  }
  if (torn > 0)
    process.emitWarning(
      `${path}: skipped ${torn} archived event(s) cut short by a crash while they were being appended`,
    );
  return envelopes;
}

/**
 * One archive line. A crash in the middle of an append leaves the start of a line without its
 * newline, and the next run's first append continues that line: the envelope after the torn
 * part is still whole, and is found by where an envelope starts.
 */
function parseArchived(line: string): EventEnvelope | undefined {
  const start = '{"version":"0"';
  for (let at = 0; at !== -1; at = line.indexOf(start, at + 1)) {
    try {
      return JSON.parse(line.slice(at)) as EventEnvelope;
    } catch {
      // torn here: try where the next envelope starts
    }
  }
  return undefined;
}
