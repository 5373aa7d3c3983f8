/**
 * The service graph: start waves, stop order, dependents, cycles.
 * @module
 */
export {
  assertAcyclic,
  dependenciesOf,
  dependencyWaves,
  dependentsOf,
  stopWaves,
} from "./dependency_graph.ts";
export type { DependencyMap } from "./dependency_graph.ts";
