import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTE_GROUPS, type RouteGroup } from '../../shared/api-routes.ts';
import { PulsecastFunction, type PulsecastFunctionProps, type TableBinding } from './pulsecast-function.ts';

/**
 * Why a route of `shared/api-routes.ts` may skip IAM auth, keyed by route group. A group marked
 * `auth: 'none'` without an entry here fails the synth: an unauthenticated route has to say why.
 */
const UNAUTHENTICATED_REASONS: Readonly<Record<string, string>> = {
  Health:
    'GET /health is the liveness probe: it must answer callers and monitors that hold no AWS credentials, touches no data (its function has no table access) and returns nothing but "ok".',
  Unsubscribe:
    "GET and POST /v1/unsubscribe are opened by email recipients and their mail clients (RFC 8058 one-click), which hold no AWS credentials. Each link carries an HMAC-SHA256 signature of the recipient's address under a secret only Pulsecast holds, checked in constant time before anything else; a valid link can only stop email to the one address it was made for, and GET changes nothing.",
  Conversions:
    "POST /v1/conversions is the webhook of the user's site or shop, which holds no AWS credentials. Every request must carry an HMAC-SHA256 signature of its raw body and timestamp with the webhook secret (compared in constant time, checked before the body is parsed, timestamps older than 5 minutes refused as replays); it can only add conversions, idempotently by the sender's event id.",
  ApprovalLinks:
    "GET/POST /v1/approvals/{id}/link is the page an approval email links to; approvers hold no AWS credentials. Every request must carry a link token signed with HMAC-SHA256 under the approval link key (Secrets Manager), checked in constant time before the post is read: it names one post, review round, step and approver and expires. GET only shows the post; POST records that one approver's decision, once (a conditional write on the post).",
  SlackInteractions:
    "POST /v1/slack/interactions is the Slack app's interactivity URL; Slack holds no AWS credentials. Every request must carry Slack's X-Slack-Signature (v0 HMAC-SHA256 of the timestamp and raw body under the signing secret in Secrets Manager), compared in constant time before the body is parsed, with timestamps more than 5 minutes off refused as replays; a click only counts from a Slack user listed as an approver of the post's current step.",
};

/**
 * Route groups that need more than the house defaults. A 10,000-row calendar is parsed,
 * validated against the platforms' rules and planned in one request: more memory (and so CPU)
 * and API Gateway's whole 30 s, so a large upload is slow rather than a 5xx.
 */
const FUNCTION_SETTINGS: Readonly<Record<string, Omit<PulsecastFunctionProps, 'entry'>>> = {
  Calendars: { memorySize: 1769, timeout: Duration.seconds(29) },
};

/** A route group: one function serving a few routes. */
export interface ApiRouteGroupOptions extends RouteGroup {
  /**
   * Why the group's routes need no IAM auth; required when `auth` is `'none'`. It becomes the
   * reason of the AwsSolutions-APIG4 acknowledgement on each route.
   * @default - none (and then `auth: 'none'` is refused)
   */
  readonly unauthenticatedReason?: string;
  /**
   * Function settings other than its entry (memory, timeout, description, environment).
   * @default - the PulsecastFunction defaults
   */
  readonly function?: Omit<PulsecastFunctionProps, 'entry'>;
}

/** Props of {@link PulsecastApi}. */
export interface PulsecastApiProps {
  /** The table the route groups bind (each with the access level its group declares). */
  readonly data: TableBinding;
  /**
   * Default throttling of every route. Low on purpose: the callers are one team's scripts and
   * CI jobs, and a runaway loop should hit 429s before it hits the bill.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups (access log and functions) when removed from the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Route groups to create. Later constructs add theirs with {@link PulsecastApi.addRouteGroup}.
   * @default API_ROUTE_GROUPS from `shared/api-routes.ts` (the table the local server reads too)
   */
  readonly routeGroups?: readonly RouteGroup[];
}

/**
 * The HTTP API (docs/architecture.md#http-api): IAM (SigV4) auth on every route unless a route group
 * says why not, access logs on the `$default` stage, default throttling, and one
 * {@link PulsecastFunction} per route group holding only the grants that group needs.
 */
export class PulsecastApi extends Construct {
  /** The HTTP API; its default authorizer is IAM. */
  public readonly httpApi: HttpApi;
  /** The `$default` stage (auto-deployed, access-logged, throttled). */
  public readonly stage: HttpStage;
  /** The stage's invoke URL (ends in `/`). Use this, not `httpApi.url`: the stage is our own. */
  public readonly url: string;
  /** The access log group of the stage. */
  public readonly accessLogGroup: logs.LogGroup;

  private readonly data: TableBinding;
  private readonly logRemovalPolicy: RemovalPolicy;
  private readonly groups = new Map<string, PulsecastFunction>();
  private readonly routeKeys = new Set<string>();

  constructor(scope: Construct, id: string, props: PulsecastApiProps) {
    super(scope, id);
    this.data = props.data;
    this.logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      // The stack's name (Pulsecast-<stage>), so each stage's API is recognisable in the console.
      apiName: Stack.of(this).stackName,
      description: 'Pulsecast API (IAM auth)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The default stage HttpApi would create takes no access log settings; ours below does.
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: this.logRemovalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        // JSON, one line per request: who called (the IAM principal), what, and how it went.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
    this.url = this.stage.url;

    for (const group of props.routeGroups ?? API_ROUTE_GROUPS) {
      const reason = UNAUTHENTICATED_REASONS[group.name];
      const sized = FUNCTION_SETTINGS[group.name];
      this.addRouteGroup({
        ...group,
        ...(reason === undefined ? {} : { unauthenticatedReason: reason }),
        ...(sized === undefined ? {} : { function: sized }),
      });
    }
  }

  /** The functions by route group name (`Health`, `Calendars`, `Posts`, `Channels`, …). */
  public get functions(): ReadonlyMap<string, PulsecastFunction> {
    return this.groups;
  }

  /** The function of a route group; throws if there is no such group. */
  public functionOf(groupName: string): PulsecastFunction {
    const fn = this.groups.get(groupName);
    if (!fn) throw new Error(`${this.node.path}: no route group named ${groupName}`);
    return fn;
  }

  /**
   * Adds a route group in one call: a {@link PulsecastFunction} for `entry`, bound to the table
   * with the group's access level (or not at all), integrated (payload format 2.0) on each of
   * its routes. Routes use IAM auth unless `auth` is `'none'`, which needs a reason.
   *
   * @example
   * api.addRouteGroup({
   *   name: 'Conversions', entry: 'functions/api/conversions.ts', auth: 'none', table: 'readWrite',
   *   routes: ['POST /v1/conversions'],
   *   unauthenticatedReason: 'Webhook from the shop: it verifies an HMAC-SHA256 signature of the body instead.',
   * });
   */
  public addRouteGroup(options: ApiRouteGroupOptions): PulsecastFunction {
    const { name, entry, auth, table, routes } = options;
    if (this.groups.has(name)) throw new Error(`${this.node.path}: route group ${name} already exists`);
    if (routes.length === 0) throw new Error(`${this.node.path}: route group ${name} has no routes`);
    const reason = options.unauthenticatedReason?.trim();
    if (auth === 'none' && !reason) {
      throw new Error(
        `${this.node.path}: route group ${name} skips IAM auth but gives no unauthenticatedReason; an unauthenticated route must say why`,
      );
    }
    if (auth === 'iam' && reason) {
      throw new Error(
        `${this.node.path}: route group ${name} uses IAM auth; unauthenticatedReason makes no sense`,
      );
    }
    const parsedRoutes = routes.map((route) => this.parseRoute(name, route));

    const fn = new PulsecastFunction(this, name, {
      ...options.function,
      entry,
      logRemovalPolicy: options.function?.logRemovalPolicy ?? this.logRemovalPolicy,
      description: options.function?.description ?? `Pulsecast API: ${routes.join(', ')}`,
    });
    if (table !== 'none') fn.bindTable(this.data, table);

    const integration = new HttpLambdaIntegration(`${name}Integration`, fn.function);
    for (const { method, path } of parsedRoutes) {
      const [route] = this.httpApi.addRoutes({
        path,
        methods: [method],
        integration,
        ...(auth === 'none' ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
      if (auth === 'none' && reason) this.acknowledgeUnauthenticated(route, reason);
    }
    this.groups.set(name, fn);
    return fn;
  }

  private acknowledgeUnauthenticated(route: HttpRoute | undefined, reason: string): void {
    if (!route) throw new Error(`${this.node.path}: addRoutes returned no route`);
    // On the route itself, so the acknowledgement covers exactly this route and nothing else.
    Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  }

  private parseRoute(group: string, route: string): { method: HttpMethod; path: string } {
    const match = /^([A-Z]+) (\/\S*)$/.exec(route);
    const method = match?.[1];
    const path = match?.[2];
    if (!method || !path || !Object.values<string>(HttpMethod).includes(method)) {
      throw new Error(`${this.node.path}: route "${route}" of ${group} is not "METHOD /path"`);
    }
    if (this.routeKeys.has(route)) throw new Error(`${this.node.path}: route "${route}" is defined twice`);
    this.routeKeys.add(route);
    return { method: method as HttpMethod, path };
  }
}
