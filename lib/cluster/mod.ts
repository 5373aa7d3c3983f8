/**
 * The local cluster: Docker daemons in network namespaces on this machine,
 * formed into a swarm, for trying and testing the swarm runtime.
 * @module
 */
export { createCluster } from "./create_cluster.ts";
export type { ClusterCreated, ClusterSummary, CreateClusterOptions } from "./create_cluster.ts";
export { destroyCluster } from "./destroy_cluster.ts";
export type { ClusterRemoval } from "./destroy_cluster.ts";
export { clusterLayout, defaultClusterSubnet, maxClusterNodes } from "./cluster_layout.ts";
export type { ClusterLayout, ClusterNode } from "./cluster_layout.ts";
export { readClusterState } from "./cluster_state.ts";
export type { ClusterState } from "./cluster_state.ts";
