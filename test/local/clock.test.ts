import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockError, VirtualClock } from '../../local/clock.ts';

const T0 = Date.parse('2025-03-03T09:00:00.000Z');

describe('VirtualClock', () => {
  it('starts at the given instant and stands still until advanced', async () => {
    const clock = new VirtualClock({ start: new Date(T0) });

    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(clock.nowMs()).toBe(T0);
    expect(clock.now().toISOString()).toBe('2025-03-03T09:00:00.000Z');
    expect(clock.mode).toBe('virtual');
  });

  it('wakes sleepers in time order, each exactly at its instant, never early', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -5_000, max: 600_000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 8 }),
        async (offsets, steps) => {
          // prepare
          const clock = new VirtualClock({ start: T0 });
          const woken: { index: number; due: number; at: number }[] = [];
          offsets.forEach((offset, index) => {
            void clock
              .sleepUntil(T0 + offset)
              .then(() => woken.push({ index, due: T0 + offset, at: clock.nowMs() }));
          });

          // act: advance in arbitrary steps, checking nothing wakes early on the way
          let target = T0;
          for (const step of steps) {
            target += step;
            await clock.advanceTo(target);
            for (const wake of woken) expect(wake.due).toBeLessThanOrEqual(target);
          }
          await clock.advanceTo(Math.max(target, T0 + 600_000));

          // assert
          expect(woken).toHaveLength(offsets.length);
          for (const wake of woken) {
            // Past instants resolve at once (at the current time); future ones exactly on time.
            expect(wake.at).toBe(Math.max(wake.due, T0));
          }
          const order = woken.map((wake) => wake.at);
          expect(order).toEqual([...order].sort((a, b) => a - b));
          // Equal instants wake in registration order.
          for (let i = 1; i < woken.length; i++) {
            const [previous, current] = [woken[i - 1]!, woken[i]!];
            if (previous.at === current.at && previous.due > T0 && current.due > T0) {
              expect(previous.index).toBeLessThan(current.index);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('visits the instants of sleepers registered while advancing, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 20 }),
        async (gaps) => {
          const clock = new VirtualClock({ start: T0 });
          const seen: number[] = [];
          // A chain: each wake registers the next sleeper, like a loop of Wait states.
          void (async () => {
            for (const gap of gaps) {
              await clock.sleep(gap);
              seen.push(clock.nowMs());
            }
          })();

          const total = gaps.reduce((sum, gap) => sum + gap, 0);
          const summary = await clock.advanceBy(total + 1);

          let expected = T0;
          expect(seen).toEqual(gaps.map((gap) => (expected += gap)));
          expect(summary.timersFired).toBe(gaps.length);
          expect(summary.to.getTime()).toBe(T0 + total + 1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('does not move time while tracked work is in flight', async () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    void clock.sleepUntil(T0 + 1_000).then(() => log.push(`sleeper at ${clock.nowMs() - T0}`));
    void clock.track(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`work done at ${clock.nowMs() - T0}`);
      // Work finishing starts more work: the clock waits for that too.
      void clock.track(async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        log.push(`follow-up done at ${clock.nowMs() - T0}`);
      });
    }, 'slow handler');

    await clock.advanceBy(5_000);

    expect(log).toEqual(['work done at 0', 'follow-up done at 0', 'sleeper at 1000']);
  });

  it('lets work started by a woken sleeper finish before the next instant', async () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    void clock.sleepUntil(T0 + 1_000).then(() =>
      clock.track(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.push(`task for 1000 finished at ${clock.nowMs() - T0}`);
      }),
    );
    void clock.sleepUntil(T0 + 2_000).then(() => log.push(`sleeper 2000 at ${clock.nowMs() - T0}`));

    await clock.advanceBy(3_000);

    expect(log).toEqual(['task for 1000 finished at 1000', 'sleeper 2000 at 2000']);
  });

  it('fires a schedule at each due instant, then stops once cancelled', async () => {
    const clock = new VirtualClock({ start: T0 });
    const fired: number[] = [];
    const cancel = clock.every(60_000, T0 + 60_000, (instant) => {
      fired.push((instant.getTime() - T0) / 60_000);
    });

    const summary = await clock.advanceBy(5 * 60_000);
    cancel();
    await clock.advanceBy(5 * 60_000);

    expect(fired).toEqual([1, 2, 3, 4, 5]);
    expect(summary.schedulesFired).toBe(5);
  });

  it('interleaves schedules and sleepers by instant', async () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    clock.every(1_000, T0 + 1_000, (instant) => {
      log.push(`tick ${instant.getTime() - T0}`);
    });
    void clock.sleepUntil(T0 + 1_500).then(() => log.push('sleeper 1500'));
    void clock.sleepUntil(T0 + 2_000).then(() => log.push('sleeper 2000'));

    await clock.advanceBy(2_000);

    // At 2000 the schedule's occurrence was registered (at 1000) after the sleeper (at setup).
    // Schedule callbacks run as microtasks, so a sleeper's continuation released first runs first.
    expect(log).toEqual(['tick 1000', 'sleeper 1500', 'sleeper 2000', 'tick 2000']);
  });

  it('removes an aborted sleeper', async () => {
    const clock = new VirtualClock({ start: T0 });
    const controller = new AbortController();
    const sleeping = clock.sleepUntil(T0 + 1_000, controller.signal);

    controller.abort(new Error('stop'));

    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });

  it('runs concurrent advances one after the other', async () => {
    const clock = new VirtualClock({ start: T0 });

    const [first, second] = await Promise.all([clock.advanceBy(1_000), clock.advanceBy(1_000)]);

    expect(first.to.getTime()).toBe(T0 + 1_000);
    expect(second.from.getTime()).toBe(T0 + 1_000);
    expect(clock.nowMs()).toBe(T0 + 2_000);
  });

  it('refuses to go back in time', async () => {
    const clock = new VirtualClock({ start: T0 });

    await expect(clock.advanceTo(T0 - 1)).rejects.toThrow(RangeError);
  });

  it('gives up on a runaway loop with a clear error', async () => {
    const clock = new VirtualClock({ start: T0, maxSteps: 100 });
    void (async () => {
      for (;;) await clock.sleep(1);
    })();

    await expect(clock.advanceBy(60_000)).rejects.toThrow(/gave up after 100 steps/);
  });

  it('fails, naming the work, when tracked work waits on the clock', async () => {
    const clock = new VirtualClock({ start: T0, settleTimeoutMs: 50 });
    void clock.track(() => clock.sleep(1_000), 'handler that sleeps').catch(() => undefined);

    const advancing = clock.advanceBy(2_000);

    await expect(advancing).rejects.toThrow(ClockError);
    await expect(advancing).rejects.toThrow(/handler that sleeps/);
  });

  it('reports schedule callbacks that failed, after reaching the target', async () => {
    const clock = new VirtualClock({ start: T0 });
    clock.every(1_000, T0 + 1_000, () => {
      throw new Error('callback bug');
    });

    await expect(clock.advanceBy(2_500)).rejects.toThrow(AggregateError);
    expect(clock.nowMs()).toBe(T0 + 2_500);
  });
});
