/**
 * Leftovers of interrupted runs: scratch databases, temp files, snapshot
 * repositories and temp backup folders carry their owner's pid and start in
 * their name, so the next run (or `cleanup --leftovers`) removes those whose
 * owner is gone and keeps those of a run still going.
 * @module
 */
export {
  describeOwner,
  formatOwnerToken,
  hostTag,
  myOwnerToken,
  type Owner,
  type OwnerState,
  ownerState,
  ownerTokenSource,
  parseOwnerToken,
} from "./owner_token.ts";
export { describeLeftover, type FoundLeftover, type Leftover, removeStale } from "./leftover.ts";
