import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalMode } from './local-mode.ts';

/**
 * `npm start`: Pulsecast on one machine, no AWS account. Everything listens on 127.0.0.1 only.
 */
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const port = Number(process.env.PULSECAST_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PULSECAST_PORT must be a port number, not '${process.env.PULSECAST_PORT}'`);
  process.exit(2);
}
const dataDir = resolve(process.env.PULSECAST_DATA_DIR ?? '.pulsecast');
mkdirSync(dataDir, { recursive: true });

const local = await startLocalMode({
  root,
  port,
  dataDir,
  seedDemoChannels: process.env.PULSECAST_SEED !== '0',
});
console.log(
  [
    'Pulsecast local mode is running (no AWS account needed).',
    `  API        ${local.apiUrl}   (try: curl ${local.apiUrl}/health)`,
    `  data       ${dataDir}`,
    `  channels   ${local.seededChannels.length > 0 ? `seeded demo channels: ${local.seededChannels.join(', ')}` : 'as stored'}`,
    '  CLI        npx pulsecast help',
    'Press Ctrl-C to stop.',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Pulsecast local mode…');
    local
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  });
}
