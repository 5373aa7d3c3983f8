/** The node label that pins a stateful service to a node: `hailmary.<service>` (value `true`). */
export function placementLabel(service: string): string {
  return `hailmary.${service}`;
}

/** The placement constraint of a pinned service, as a stack file writes it. */
export function placementConstraint(service: string): string {
  return `node.labels.${placementLabel(service)} == true`;
}
