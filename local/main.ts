import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printLogsWith } from '../functions/commons/observability.ts';
import { formatLogText, WarningCoalescer } from './console-log.ts';
import { DEMO_CLOCK_START, DEMO_HISTORY, loadDemo } from './demo.ts';
import { StateFileError } from './files.ts';
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
const demo = process.argv.includes('--demo') || process.env.PULSECAST_DEMO === '1';
const clockStart = process.env.PULSECAST_CLOCK_START ?? (demo ? DEMO_CLOCK_START : undefined);
if (clockStart !== undefined && Number.isNaN(Date.parse(clockStart))) {
  console.error(`PULSECAST_CLOCK_START must be an ISO-8601 instant, not '${clockStart}'`);
  process.exit(2);
}

// The demo's simulators converse (mentions, replies, a spike) unless another config is named.
if (demo && !process.env.PULSECAST_SIMULATOR_CONFIG) {
  process.env.PULSECAST_SIMULATOR_CONFIG = resolve(root, 'examples', 'simulator.json');
}

// The handlers' log entries as one text line each, on stderr (stdout keeps the banner), with a
// warning that repeats printed once a minute and counted. PULSECAST_LOG_LEVEL chooses the level.
const coalescer = new WarningCoalescer({ write: (line) => process.stderr.write(`${line}\n`) });
printLogsWith((level, printed) => coalescer.offer(formatLogText(level, printed)));
setInterval(() => coalescer.flush(), 5_000).unref();

const started = Date.now();
const local = await startLocalMode({
  root,
  port,
  dataDir,
  seedDemoChannels: process.env.PULSECAST_SEED !== '0',
  ...(clockStart ? { start: Date.parse(clockStart) } : {}),
  ...(demo ? { simulatorHistory: DEMO_HISTORY } : {}),
}).catch((error: unknown) => {
  // What the user can fix gets one line saying how; anything else is a bug, whose stack helps.
  if (error instanceof StateFileError) console.error(`Pulsecast local mode cannot start: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    console.error(
      `Pulsecast local mode cannot start: port ${port} is in use; stop what uses it or set PULSECAST_PORT`,
    );
  else console.error(error);
  process.exit(1);
});
const demoLoaded = demo ? await loadDemo(local, root) : undefined;
console.log(
  [
    `Pulsecast local mode is running (no AWS account needed; started in ${((Date.now() - started) / 1000).toFixed(1)} s).`,
    `  API            ${local.apiUrl}   (try: curl ${local.apiUrl}/health)`,
    `  clock          ${local.clock.now().toISOString()}   (POST ${local.apiUrl}/_local/clock/advance {"by":"P1D"})`,
    `  data           ${dataDir}`,
    `  outbox         ${local.outboxDir}`,
    `  state machines ${local.stateMachines.join(', ')}`,
    `  simulators     ${local.simulators.map((sim) => `${sim.platform} ${sim.url}`).join(', ')}`,
    `  channels       ${local.seededChannels.length > 0 ? `created demo channels ${local.seededChannels.join(', ')}` : 'as stored'}`,
    ...(demoLoaded ? [`  demo           ${demoLoaded}`] : []),
    '  CLI            npx pulsecast help',
    'Press Ctrl-C to stop.',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    coalescer.flush(true);
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
