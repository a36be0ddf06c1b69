import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { API_ROUTE_GROUPS } from '../../shared/api-routes.ts';
import { type Synthesized, synthPulsecast, synthWithRouteGroup } from './helpers.ts';

interface RouteResource {
  Properties: {
    RouteKey: string;
    AuthorizationType: string;
    Target: { 'Fn::Join': [string, [string, { Ref: string }]] };
  };
}

/** Route key → { auth, function logical id, payload format } read from the template. */
function routesOf({ template }: Synthesized) {
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as RouteResource[];
  return Object.fromEntries(
    routes.map(({ Properties: route }) => {
      const integration = integrations[route.Target['Fn::Join'][1][1].Ref]?.Properties;
      return [
        route.RouteKey,
        {
          auth: route.AuthorizationType,
          functionId: integration?.IntegrationUri?.['Fn::GetAtt']?.[0] as string | undefined,
          payloadFormat: integration?.PayloadFormatVersion as string | undefined,
        },
      ];
    }),
  );
}

describe('PulsecastApi', () => {
  const synth = synthPulsecast();
  const { template, stack } = synth;
  const routes = routesOf(synth);

  it('serves exactly the routes of shared/api-routes.ts', () => {
    expect(Object.keys(routes).sort()).toEqual(API_ROUTE_GROUPS.flatMap((group) => group.routes).sort());
  });

  it('requires IAM (SigV4) auth on every route except GET /health and the self-authenticating ones (conversion webhook, approval pages, Slack endpoint, unsubscribe links)', () => {
    const unauthenticated = [
      'GET /health',
      'POST /v1/conversions',
      'GET /v1/approvals/{id}/link',
      'POST /v1/approvals/{id}/link',
      'POST /v1/slack/interactions',
      'GET /v1/unsubscribe',
      'POST /v1/unsubscribe',
    ];
    const expected = Object.fromEntries(
      Object.keys(routes).map((key) => [key, unauthenticated.includes(key) ? 'NONE' : 'AWS_IAM']),
    );
    expect(Object.fromEntries(Object.entries(routes).map(([key, route]) => [key, route.auth]))).toEqual(
      expected,
    );
  });

  it.each([
    ['GET /health', 'Health'],
    ['POST /v1/calendars', 'Calendars'],
    ['GET /v1/calendar.ics', 'Calendars'],
    ['GET /v1/calendar.csv', 'Calendars'],
    ['GET /v1/posts', 'Posts'],
    ['GET /v1/posts/{id}', 'Posts'],
    ['PATCH /v1/posts/{id}', 'Posts'],
    ['DELETE /v1/posts/{id}', 'Posts'],
    ['GET /v1/channels', 'Channels'],
    ['POST /v1/channels', 'Channels'],
    ['GET /v1/approvals', 'Approvals'],
    ['POST /v1/posts/{id}/approval', 'Approvals'],
    ['GET /v1/approvals/{id}/link', 'ApprovalLinks'],
    ['POST /v1/slack/interactions', 'SlackInteractions'],
  ])('sends %s to the %s function with payload format 2.0', (routeKey, group) => {
    const fn = stack.api.functionOf(group);
    expect(routes[routeKey]).toMatchObject({
      functionId: synth.logicalId(fn.function),
      payloadFormat: '2.0',
    });
  });

  it('logs every request of the $default stage as JSON to a log group kept one month', () => {
    const logGroupId = synth.logicalId(stack.api.accessLogGroup);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        Format: Match.serializedJson(
          Match.objectLike({ requestId: '$context.requestId', status: '$context.status' }),
        ),
      },
    });
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties).toMatchObject({
      RetentionInDays: 30,
    });
  });

  it('throttles every route by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('outputs the stage URL', () => {
    template.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: synth.logicalId(stack.api.httpApi) }])] },
    });
  });

  describe('addRouteGroup', () => {
    it('adds a function, its routes and its grants in one call', () => {
      const withConversions = synthWithRouteGroup({
        name: 'Orders',
        entry: 'functions/api/health.ts', // any existing handler module will do here
        auth: 'none',
        table: 'readWrite',
        routes: ['POST /v1/orders'],
        unauthenticatedReason: 'Shop webhook: it verifies an HMAC-SHA256 signature of the raw body instead.',
      });

      const fn = withConversions.stack.api.functionOf('Orders');
      expect(routesOf(withConversions)['POST /v1/orders']).toEqual({
        auth: 'NONE',
        functionId: withConversions.logicalId(fn.function),
        payloadFormat: '2.0',
      });
      withConversions.template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [withConversions.logicalId(fn.role), 'Arn'] },
        Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue() }) },
      });
    });

    it('refuses an unauthenticated group that does not say why', () => {
      expect(() =>
        synthWithRouteGroup({
          name: 'Open',
          entry: 'functions/api/health.ts',
          auth: 'none',
          table: 'none',
          routes: ['GET /open'],
        }),
      ).toThrow(/gives no unauthenticatedReason/);
    });

    it('refuses a route that is already served', () => {
      expect(() =>
        synthWithRouteGroup({
          name: 'Again',
          entry: 'functions/api/posts.ts',
          auth: 'iam',
          table: 'read',
          routes: ['GET /v1/posts'],
        }),
      ).toThrow(/"GET \/v1\/posts" is defined twice/);
    });

    it('refuses a route that is not "METHOD /path"', () => {
      expect(() =>
        synthWithRouteGroup({
          name: 'Odd',
          entry: 'functions/api/posts.ts',
          auth: 'iam',
          table: 'read',
          routes: ['FETCH /v1/odd'] as never, // the type forbids it; JavaScript callers are not checked
        }),
      ).toThrow(/is not "METHOD \/path"/);
    });
  });
});
