import { createPulsecastApp } from './pulsecast-app.ts';

// The CDK app (cdk.json runs `node --import tsx infra/app.ts`). Context: `stage` (default dev),
// `disposable` (default false), e.g. `npx cdk deploy -c stage=pr-42 -c disposable=true`.
createPulsecastApp().app.synth();
