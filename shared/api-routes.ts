/**
 * The HTTP API's routes, grouped by the Lambda function that serves them. The CDK api construct
 * and the local server both read this table, so a route exists in both or in neither.
 */
export interface RouteGroup {
  /** Construct id of the function. */
  name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  /** `none` only for liveness and for routes that authenticate themselves (webhooks). */
  auth: 'iam' | 'none';
  /** What the function may do with the table. */
  table: 'none' | 'read' | 'readWrite';
  routes: readonly `${'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'} /${string}`[];
}

export const API_ROUTE_GROUPS = [
  { name: 'Health', entry: 'functions/api/health.ts', auth: 'none', table: 'none', routes: ['GET /health'] },
  {
    name: 'Calendars',
    entry: 'functions/api/calendars.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: ['POST /v1/calendars', 'GET /v1/calendar.ics', 'GET /v1/calendar.csv'],
  },
  {
    name: 'Posts',
    entry: 'functions/api/posts.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: [
      'GET /v1/posts',
      'GET /v1/posts/{id}',
      'PATCH /v1/posts/{id}',
      'DELETE /v1/posts/{id}',
      'POST /v1/posts/{id}/settle',
    ],
  },
  {
    name: 'Channels',
    entry: 'functions/api/channels.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: ['GET /v1/channels', 'POST /v1/channels', 'GET /v1/channels/{id}', 'PUT /v1/channels/{id}'],
  },
  {
    name: 'Campaigns',
    entry: 'functions/api/campaigns.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: [
      'GET /v1/campaigns',
      'POST /v1/campaigns',
      'GET /v1/campaigns/{id}',
      'GET /v1/campaigns/{id}/report',
    ],
  },
  {
    // Crisis holds; the function also announces `Hold Started` (the holds construct binds the bus).
    name: 'Holds',
    entry: 'functions/api/holds.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: ['POST /v1/holds', 'GET /v1/holds', 'DELETE /v1/holds/{id}'],
  },
  {
    name: 'Audits',
    entry: 'functions/api/audits.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: ['POST /v1/channels/{id}/audit', 'GET /v1/channels/{id}/audit'],
  },
  {
    // A webhook: it authenticates itself (HMAC of the raw body), see functions/api/conversions.ts.
    name: 'Conversions',
    entry: 'functions/api/conversions.ts',
    auth: 'none',
    table: 'readWrite',
    routes: ['POST /v1/conversions'],
  },
  {
    name: 'Listening',
    entry: 'functions/api/listening.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: [
      'PUT /v1/listening',
      'GET /v1/listening',
      'GET /v1/listening/share-of-voice',
      'GET /v1/listening/responses',
    ],
  },
  {
    // Reviews through the API: the approver is the caller's IAM identity (shared/approvals).
    name: 'Approvals',
    entry: 'functions/api/approvals.ts',
    auth: 'iam',
    table: 'readWrite',
    routes: ['GET /v1/approvals', 'POST /v1/posts/{id}/approval'],
  },
  {
    // The page an approval email links to: it authenticates itself (the link's HMAC).
    name: 'ApprovalLinks',
    entry: 'functions/api/approval-links.ts',
    auth: 'none',
    table: 'readWrite',
    routes: ['GET /v1/approvals/{id}/link', 'POST /v1/approvals/{id}/link'],
  },
  {
    // The Slack app's interactivity URL: it authenticates itself (Slack's request signature).
    name: 'SlackInteractions',
    entry: 'functions/api/slack-interactions.ts',
    auth: 'none',
    table: 'readWrite',
    routes: ['POST /v1/slack/interactions'],
  },
  {
    // Email recipients: the link's HMAC signature is the credential, see functions/api/unsubscribe.ts.
    name: 'Unsubscribe',
    entry: 'functions/api/unsubscribe.ts',
    auth: 'none',
    table: 'readWrite',
    routes: ['GET /v1/unsubscribe', 'POST /v1/unsubscribe'],
  },
] as const satisfies readonly RouteGroup[];
