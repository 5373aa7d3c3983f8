/** The outcome of a restore test of a postgres backup (logical or physical). */
export interface RestoreTestReport {
  ok: boolean;
  /** Where it was restored: the scratch database, or the scratch data folder of a base backup (removed again). */
  database: string;
  tables: number;
  rows: number;
  problems: string[];
  durationMs: number;
}
