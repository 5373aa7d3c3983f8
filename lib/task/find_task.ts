import { UsageError } from "../errors.ts";
import { suggest } from "../suggest.ts";

/**
 * Finds a task (or a task index entry) by id.
 * @throws {UsageError} naming the closest id.
 */
export function findTask<T extends { id: string }>(tasks: readonly T[], id: string): T {
  const task = tasks.find((t) => t.id === id);
  if (task) return task;
  const guess = suggest(id, tasks.map((t) => t.id));
  throw new UsageError(
    `unknown task ${JSON.stringify(id)}`,
    guess ? `did you mean '${guess}'? run ./ops to list tasks` : "run ./ops to list tasks",
  );
}
