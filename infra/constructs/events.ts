import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/events.ts';

/** Props of {@link PulsecastEvents}. */
export interface PulsecastEventsProps {
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

/**
 * The `pulsecast` event bus (docs/architecture.md#events) and an archive of everything Pulsecast
 * emits, so a consumer added later (or fixed after a bug) can replay what it missed. The bus name is
 * generated (no hard-coded physical name); functions find it through EVENT_BUS_NAME.
 */
export class PulsecastEvents extends Construct {
  public readonly bus: events.EventBus;
  public readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: PulsecastEventsProps = {}) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'Pulsecast domain events (source "pulsecast")',
    });
    this.archive = this.bus.archive('Archive', {
      description: 'Every Pulsecast event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
  }
}
