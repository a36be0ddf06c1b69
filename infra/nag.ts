import { type App, type Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One unacknowledged cdk-nag finding. */
export interface NagFinding {
  /** e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly rule: string;
  readonly severity: string;
  /** Construct path of the offending resource. */
  readonly path: string;
  readonly description: string;
}

/**
 * Registers the AwsSolutions pack on the app. cdk-nag 3 is a CDK validation plugin (not an
 * Aspect as in cdk-nag 2): it runs after synthesis, and any finding that is not acknowledged
 * with `Validations.of(construct).acknowledge({ id, reason })` — errors and warnings alike —
 * makes `cdk synth` (and `Template.fromStack`) fail with a report.
 */
export function addNagChecks(app: App | Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/**
 * Runs the AwsSolutions pack over a construct tree and returns the findings that no
 * acknowledgement covers, without throwing; for tests. Synthesize the app first (e.g. with
 * `Template.fromStack`) so that everything lazily added at synthesis is in the tree.
 */
export function findNagFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'error',
      path: resource.constructPath ?? resource.resourceLogicalId ?? '?',
      description: violation.description,
    })),
  );
}
