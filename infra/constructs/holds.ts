import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/events.ts';
import { MENTION_SPIKE_DETECTED } from '../../shared/holds/auto-hold.ts';
import type { PulsecastApi } from './api.ts';
import { deadLetterQueue } from './dead-letter-queue.ts';
import { PulsecastFunction, type TableBinding } from './pulsecast-function.ts';

/** Props of {@link PulsecastHolds}. */
export interface PulsecastHoldsProps {
  readonly data: TableBinding;
  readonly bus: events.IEventBus;
  /** The API whose `Holds` route group announces `Hold Started` (it gets the bus). */
  readonly api: PulsecastApi;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Crisis holds (docs/architecture.md#crisis-holds). The holds themselves are table items written
 * by the API and read by the Dispatcher; this construct adds what reacts to them:
 *
 *   bus: Mention Spike Detected {subject: brand, autoHold: true} ──rule──► AutoHold ──► hold + Hold Started
 *
 * The rule already filters on the brand and on autoHold, so only candidates invoke the function;
 * the function decides on the negative share and keeps one hold per spike episode. A failed
 * invocation is retried by Lambda twice, then dead-lettered with its error.
 */
export class PulsecastHolds extends Construct {
  public readonly autoHold: PulsecastFunction;
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PulsecastHoldsProps) {
    super(scope, id);
    props.api.functionOf('Holds').bindEventBus(props.bus);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', 'the autoHold function and its rule');

    this.autoHold = new PulsecastFunction(this, 'AutoHoldFunction', {
      entry: 'functions/holds/auto-hold.ts',
      description: 'Starts a crisis hold when a negative mention spike on the brand is announced',
      timeout: Duration.seconds(30),
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    })
      .bindTable(props.data, 'readWrite')
      .bindEventBus(props.bus);
    this.autoHold.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    this.rule = new events.Rule(this, 'NegativeBrandSpikeRule', {
      eventBus: props.bus,
      description: 'Brand mention spikes with autoHold on: may start a crisis hold',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [MENTION_SPIKE_DETECTED],
        detail: { subject: ['brand'], autoHold: [true] },
      },
    });
    this.rule.addTarget(
      new eventTargets.LambdaFunction(this.autoHold.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(1),
      }),
    );
  }
}
