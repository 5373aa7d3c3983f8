import { type readBackup, verifyBackup, type VerifyReport } from "../lib/backup/mod.ts";
import { FailedError } from "../lib/errors.ts";
import { createProgress } from "../lib/output/progress.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** Checks every checksum of a backup. @throws {FailedError} listing the problems (nothing was touched). */
export async function assertBackupIntact(
  ctx: TaskContext,
  backup: Awaited<ReturnType<typeof readBackup>>,
): Promise<VerifyReport> {
  const progress = createProgress(ctx.output, {
    label: `verifying ${backup.manifest.id}`,
    total: backup.manifest.totalBytes,
  });
  const report = await verifyBackup(backup, (n) => progress.update(n)).finally(() =>
    progress.done()
  );
  if (!report.ok) {
    throw new FailedError(
      `${backup.manifest.service} backup ${backup.manifest.id} is damaged, nothing was changed:\n    ${
        report.problems.join("\n    ")
      }`,
      { hint: `pick another backup: ./ops ${backup.manifest.service}:backups` },
    );
  }
  return report;
}
