import { answer, type CommandSpec, JSON_OPTION } from '../command.ts';
import { println } from '../io.ts';
import { listTable, printJson } from '../output.ts';
import { type Channel, ChannelSchema, pageSchema } from '../responses.ts';

const ChannelPageSchema = pageSchema(ChannelSchema);

export const channelsListCommand: CommandSpec = {
  path: ['channels', 'list'],
  summary: 'list the social accounts posts can go to',
  options: { json: JSON_OPTION },
  async run({ options, io, api }) {
    // An account has a handful of channels: always fetch them all.
    const items: Channel[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.json(
        { method: 'GET', path: '/v1/channels', query: { cursor } },
        ChannelPageSchema,
      );
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);

    return answer({ options, io }, { items }, () =>
      println(
        io.stdout,
        listTable(
          items,
          'no channels (add one with `pulsecast channels add`)',
          ['ID', 'PLATFORM', 'HANDLE', 'TIMEZONE', 'SECRET REF', 'API BASE URL'],
          (c) => [c.id, c.platform, c.handle, c.timezone, c.secretRef ?? '-', c.apiBaseUrl ?? '-'],
        ),
      ),
    );
  },
};

const CHANNEL_OPTIONS = {
  id: { type: 'string', arg: 'ID', description: "your name for it: what a calendar's channel column says" },
  platform: {
    type: 'string',
    arg: 'PLATFORM',
    description: 'x, bluesky, mastodon, linkedin, facebook, instagram or threads',
  },
  handle: { type: 'string', arg: 'HANDLE', description: 'the account, e.g. @pulsecast' },
  timezone: { type: 'string', arg: 'ZONE', description: 'IANA zone for local times, e.g. Europe/Berlin' },
  'secret-ref': {
    type: 'string',
    arg: 'REF',
    description: 'name of the secret holding its credentials (never the credentials themselves)',
  },
  'api-base-url': {
    type: 'string',
    arg: 'URL',
    description: "the platform's API, e.g. your Mastodon server or a simulator",
  },
} as const;

export const channelsAddCommand: CommandSpec = {
  path: ['channels', 'add'],
  summary: 'add a social account (change one with `channels update`)',
  options: { ...CHANNEL_OPTIONS, json: JSON_OPTION },
  details: `Example:
  pulsecast channels add --id x-main --platform x --handle @acme --timezone Europe/Berlin --secret-ref pulsecast/x-main`,
  async run({ options, io, api }) {
    const required = options.required('id', 'platform', 'handle', 'timezone', 'secret-ref');
    const input = {
      id: required.id,
      platform: required.platform,
      handle: required.handle,
      timezone: required.timezone,
      secretRef: required['secret-ref'],
      apiBaseUrl: options.string('api-base-url'),
    };
    const channel = await api.json(
      {
        method: 'POST',
        path: '/v1/channels',
        body: new TextEncoder().encode(JSON.stringify(input)),
        contentType: 'application/json',
      },
      ChannelSchema,
    );
    printChannel(io.stdout, channel, options.flag('json'));
    return 0;
  },
};

export const channelsUpdateCommand: CommandSpec = {
  path: ['channels', 'update'],
  summary: 'change a social account (only the fields given)',
  options: { ...CHANNEL_OPTIONS, json: JSON_OPTION },
  details: `Reads the channel, applies the options given and replaces it at the version read
(If-Match), so a change someone made meanwhile is reported, not overwritten.

Example:
  pulsecast channels update --id mastodon-main --api-base-url https://fosstodon.org`,
  async run({ options, io, api }) {
    const { id } = options.required('id');
    const path = `/v1/channels/${encodeURIComponent(id)}`;
    const current = await api.json({ method: 'GET', path }, ChannelSchema);
    const input = {
      id,
      platform: options.string('platform') ?? current.platform,
      handle: options.string('handle') ?? current.handle,
      timezone: options.string('timezone') ?? current.timezone,
      secretRef: options.string('secret-ref') ?? current.secretRef,
      apiBaseUrl: options.string('api-base-url') ?? current.apiBaseUrl ?? undefined,
    };
    const channel = await api.json(
      {
        method: 'PUT',
        path,
        body: new TextEncoder().encode(JSON.stringify(input)),
        contentType: 'application/json',
        ifMatch: `"${current.version}"`,
      },
      ChannelSchema,
    );
    printChannel(io.stdout, channel, options.flag('json'));
    return 0;
  },
};

/** One channel as the API stored it: a line, or the JSON with --json. */
function printChannel(sink: Parameters<typeof println>[0], channel: Channel, json: boolean): void {
  if (json) printJson(sink, channel);
  else println(sink, `channel ${channel.id}: ${channel.platform} ${channel.handle} (${channel.timezone})`);
}

export const channelsCommands = [channelsListCommand, channelsAddCommand, channelsUpdateCommand];
