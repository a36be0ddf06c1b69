/**
 * The simulator types under short names, for `import type * as Sim from './sim.ts'`: a platform
 * simulator writes `Sim.Context`, `Sim.Request`, `Sim.Route`… rather than importing each type by
 * name, so its imports say only which helpers it uses. The types themselves live in sim-types.ts.
 */
export type {
  Clock,
  PlatformDialect as Dialect,
  SimContext as Context,
  SimRequest as Request,
  SimResponse as Response,
  SimRoute as Route,
  SimulatedMedia as Media,
  SimulatedPost as Post,
  SimulatorHandle as Handle,
} from './sim-types.ts';
