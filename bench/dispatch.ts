/**
 * The Dispatcher's figures, through the Dispatcher as the CDK app synthesizes it, run by the local
 * runner against dynalite with the real publishing handlers and a fake platform that accepts
 * every post (no network):
 *
 * - `burst`: N posts due in the same second, on the virtual clock (its waits take no wall time),
 *   so the figure is the wall time of the work itself: every claim, publish call, record and
 *   fan-out execution, from the first Dispatcher run until the last post is published;
 * - `lateness`: posts spread over some minutes, on a clock that follows the wall clock, so each
 *   post's lateness is the real time its publish call came after its `scheduledAt`;
 * - `collect`: after the burst, the Collector's two steps (plan, then read per channel) take the
 *   first metrics checkpoint of every published post; posts per wall second.
 */

import type { Post } from '../shared/domain/index.ts';
import { collectChannel, planCollection } from '../shared/measuring/collect.ts';
import { okReading } from '../shared/platforms/metrics.ts';
import type { MetricsReading } from '../shared/platforms/port.ts';
import { noCredentials, RecordingEvents } from '../test/support/dispatcher-driver.ts';
import { makeChannel, makePost } from '../test/support/fixtures.ts';
import { synthesizeApp } from '../test/support/global-synth.ts';
import { startLocalDispatcher } from '../test/support/local-dispatcher.ts';
import { RecordingAdapter } from '../test/support/recording-adapter.ts';
import { runApart, serveApart } from './apart.ts';

export interface DispatchInput {
  /** Posts due in one second (the burst). */
  burstPosts: number;
  /** Posts spread over `latenessMinutes` on the real clock (0: skip). */
  latenessPosts: number;
  latenessMinutes: number;
}

export interface DispatchBench {
  burstPosts: number;
  burstMs: number;
  burstExecutions: number;
  latenessPosts: number;
  latenessMs: number[];
  collected: number;
  collectMs: number;
}

/** Wall time, whatever the local clock says. */
const wallMs = () => performance.timeOrigin + performance.now();

/** A platform that accepts everything, notes when (wall time), and reads metrics for any post. */
class BenchAdapter extends RecordingAdapter {
  readonly wallAt = new Map<string, number>();
  override async publish(...args: Parameters<RecordingAdapter['publish']>) {
    const ref = await super.publish(...args);
    this.wallAt.set(args[0].id, wallMs());
    return ref;
  }
  override async fetchMetrics(
    posts: Parameters<RecordingAdapter['fetchMetrics']>[0],
  ): Promise<MetricsReading[]> {
    return posts.map((post) => okReading(post, { impressions: 100, likes: 3 }, { bench: true }));
  }
}

export async function benchDispatch(input: DispatchInput): Promise<DispatchBench> {
  // Nothing reaches AWS: the SDK's own variables point every client at fake credentials, one
  // region, and (for anything but the local table) an address nothing listens on.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const app = synthesizeApp();
  // The local clock starts at the wall clock's time (the lateness run needs them equal).
  const start = Date.now();
  let clockNow = () => new Date(start);
  const adapter = new BenchAdapter(
    () => 'ok',
    () => clockNow(),
  );
  const local = await startLocalDispatcher({
    start,
    app,
    adapter: () => adapter,
    events: new RecordingEvents(),
    credentials: noCredentials,
  });
  clockNow = () => local.clock.now();
  try {
    await local.store.putChannel(makeChannel({ id: 'x-main' }));
    const result: DispatchBench = {
      burstPosts: input.burstPosts,
      burstMs: 0,
      burstExecutions: 0,
      latenessPosts: input.latenessPosts,
      latenessMs: [],
      collected: 0,
      collectMs: 0,
    };

    // Lateness, on a clock that follows the wall clock.
    if (input.latenessPosts > 0) {
      // The Dispatcher's first run is a second from now, the first post due 10 s from now: on AWS
      // the schedule is on the minute, but the lateness after a claim is the same.
      const from = Date.now();
      const first = from + 10_000;
      const spreadMs = input.latenessMinutes * 60_000;
      const posts: Post[] = Array.from({ length: input.latenessPosts }, (_, i) =>
        makePost({
          id: `late-${i}`,
          scheduledAt: new Date(
            first + Math.floor((i * spreadMs) / input.latenessPosts) + ((i * 7919) % 1000),
          ).toISOString(),
          text: `Lateness post ${i}`,
        }),
      );
      await local.store.createPosts(posts);
      const stop = local.runner.scheduleEvery(60_000, {}, { startMs: from + 1000 });
      const deadline = first + spreadMs + 5 * 60_000;
      while (!allPublished(adapter, posts) && Date.now() < deadline) {
        await local.clock.advanceTo(Math.max(local.clock.nowMs(), Date.now()));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      stop();
      result.latenessMs = posts.map(
        (post) => (adapter.wallAt.get(post.id) ?? Number.NaN) - Date.parse(post.scheduledAt),
      );
    }

    // The burst, on the virtual clock.
    const burstStart = local.clock.nowMs();
    const at = new Date(burstStart + 90_000).toISOString();
    const burst = Array.from({ length: input.burstPosts }, (_, i) =>
      makePost({ id: `burst-${i}`, scheduledAt: at, text: `Burst post ${i}` }),
    );
    await local.store.createPosts(burst);
    const cancel = local.runner.scheduleEvery(60_000, {}, { startMs: burstStart + 1000 });
    const began = wallMs();
    for (let minute = 1; minute <= 30 && !allPublished(adapter, burst); minute++) {
      await local.clock.advanceTo(burstStart + minute * 60_000);
    }
    cancel();
    if (!allPublished(adapter, burst))
      throw new Error('the burst was not published within 30 simulated minutes');
    result.burstMs = Math.max(...burst.map((post) => adapter.wallAt.get(post.id) ?? 0)) - began;
    result.burstExecutions = local.runner.executions.length;

    // The first metrics checkpoint of every burst post: plan, then read per channel.
    await local.clock.advanceTo(local.clock.nowMs() + 2 * 3600_000);
    const deps = {
      store: local.store,
      adapterFor: () => adapter,
      now: () => local.clock.now(),
      events: new RecordingEvents(),
      credentials: noCredentials,
    };
    const collectBegan = wallMs();
    for (let sweep = 0; sweep < 100; sweep++) {
      const plan = await planCollection(deps);
      for (const work of plan.channels) result.collected += (await collectChannel(work, deps)).collected;
      if (plan.due === 0 || (!plan.more && plan.channels.length === 0)) break;
    }
    result.collectMs = wallMs() - collectBegan;

    return result;
  } finally {
    await local.stop();
  }
}

const allPublished = (adapter: BenchAdapter, posts: readonly Post[]) =>
  posts.every((post) => adapter.wallAt.has(post.id));

export const benchDispatchApart = (input: DispatchInput): Promise<DispatchBench> =>
  runApart<DispatchBench>(import.meta.url, input);

await serveApart(import.meta.url, benchDispatch);
