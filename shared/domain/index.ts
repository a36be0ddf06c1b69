export * from './approval.ts';
export * from './campaign.ts';
export * from './channel.ts';
export * from './common.ts';
export * from './lifecycle.ts';
export * from './metrics.ts';
export * from './post.ts';
export * from './upload.ts';
