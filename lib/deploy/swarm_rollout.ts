import { FailedError } from "../errors.ts";
import { type DockerCli, dockerOutput, lastLines, runDocker } from "../runtime/docker_cli.ts";
import { sleep } from "../runtime/proc.ts";
import { at } from "../runtime/swarm_engines.ts";
import type { NodeEngine } from "../runtime/swarm_images.ts";

/** How a swarm service update ended. */
export interface RolloutOutcome {
  /** Swarm's update state: `completed`, `rollback_completed`, `paused`... */
  state: string;
  /** Swarm's message, e.g. why it rolled back. */
  message: string;
  durationMs: number;
}

/** The pause between two tasks of a rollout (see {@link rolloutFlags}). */
export const rolloutPauseSeconds = 2;

/**
 * The `docker service update` flags of a health-gated rollout: one task at a
 * time, each new task must pass its health check before the next one is
 * replaced, a failure rolls the whole service back by itself, and no registry
 * is asked (the image was loaded onto every node).
 *
 * The pause between tasks is what keeps a failed task's neighbours serving:
 * swarm's updater moves to the next task as soon as the last one has a
 * verdict, failed ones included, while the failure that triggers the rollback
 * is counted on another path. Without a pause it could stop the next old task
 * (stop-first: host ports) before the rollback began, and a service with two
 * replicas had none serving until the rollback restored both.
 */
export function rolloutFlags(image: string, monitorSeconds: number): string[] {
  return [
    "--image",
    image,
    "--no-resolve-image",
    "--update-parallelism",
    "1",
    "--update-delay",
    `${rolloutPauseSeconds}s`,
    "--update-failure-action",
    "rollback",
    "--update-max-failure-ratio",
    "0",
    "--update-monitor",
    `${monitorSeconds}s`,
    "--rollback-parallelism",
    "1",
    "--rollback-monitor",
    `${monitorSeconds}s`,
  ];
}

/** The image reference a swarm service's spec names now. */
export async function serviceSpecImage(
  cli: DockerCli,
  manager: NodeEngine,
  service: string,
): Promise<string> {
  const image = (await dockerOutput(
    cli,
    at(
      manager,
      "service",
      "inspect",
      "--format",
      "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
      service,
    ),
    `reading the swarm service ${service}`,
    { hint: "start it first: ./ops up" },
  )).trim();
  return withoutDigest(image);
}

/**
 * Updates a swarm service's image with a health-gated rollout (see
 * {@link rolloutFlags}) and waits until swarm says it rolled back or paused,
 * or the update can no longer be rolled back (see {@link settled}).
 * @throws {FailedError} when docker refuses the update or it does not end within `timeoutSeconds`.
 */
export async function rollOut(
  cli: DockerCli,
  manager: NodeEngine,
  service: string,
  image: string,
  options: { timeoutSeconds: number; monitorSeconds: number; signal?: AbortSignal },
): Promise<RolloutOutcome> {
  const began = performance.now();
  const update = await runDocker(
    cli,
    at(
      manager,
      "service",
      "update",
      "--detach",
      ...rolloutFlags(image, options.monitorSeconds),
      service,
    ),
    options.signal ? { signal: options.signal } : {},
  );
  if (update.code !== 0) {
    throw new FailedError(
      `docker service update of ${service} failed: ${lastLines(update.stderr, 4)}`,
    );
  }
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const runningSince = new Map<string, number>();
  let last: UpdateStatus = { state: "", message: "", replicas: undefined };
  while (Date.now() < deadline) {
    if (options.signal?.aborted) throw new FailedError(`the rollout of ${service} was cancelled`);
    const [status, tasks] = await Promise.all([
      updateStatus(cli, manager, service),
      runningTasks(cli, manager, service),
    ]);
    last = status;
    const done = { durationMs: Math.round(performance.now() - began) };
    if (["completed", "rollback_completed", "paused", "rollback_paused"].includes(status.state)) {
      return { state: status.state, message: status.message, ...done };
    }
    if (
      status.state === "updating" &&
      settled(tasks, image, status.replicas, runningSince, options.monitorSeconds * 1000)
    ) {
      return {
        state: "completed",
        message: `every new task ran healthy through its ${options.monitorSeconds} s watch`,
        ...done,
      };
    }
    await sleep(250);
  }
  throw new FailedError(
    `the rollout of ${service} did not end within ${options.timeoutSeconds} s (swarm says ${
      last.state || "nothing"
    }${last.message ? `: ${last.message}` : ""})`,
    {
      hint:
        `docker service ps ${service} shows its tasks; docker service rollback ${service} undoes it`,
    },
  );
}

interface UpdateStatus {
  state: string;
  message: string;
  /** Desired replicas; undefined for a global service. */
  replicas: number | undefined;
}

/** Swarm's `UpdateStatus` of a service (empty before its first update) and its desired replicas. */
async function updateStatus(
  cli: DockerCli,
  manager: NodeEngine,
  service: string,
): Promise<UpdateStatus> {
  const text = await dockerOutput(
    cli,
    at(
      manager,
      "service",
      "inspect",
      "--format",
      "{{json .UpdateStatus}}\t{{json .Spec.Mode}}",
      service,
    ),
    `reading the update status of ${service}`,
  );
  const [statusJson = "", modeJson = ""] = text.trim().split("\t");
  const status = JSON.parse(statusJson || "null") as { State?: string; Message?: string } | null;
  const mode = JSON.parse(modeJson || "null") as { Replicated?: { Replicas?: number } } | null;
  return {
    state: status?.State ?? "",
    message: status?.Message ?? "",
    replicas: mode?.Replicated?.Replicas,
  };
}

interface RunningTask {
  id: string;
  image: string;
  running: boolean;
}

/** The tasks swarm wants running, with their image and whether they run (healthy) now. */
async function runningTasks(
  cli: DockerCli,
  manager: NodeEngine,
  service: string,
): Promise<RunningTask[]> {
  const text = await dockerOutput(
    cli,
    at(
      manager,
      "service",
      "ps",
      "--no-trunc",
      "--filter",
      "desired-state=running",
      "--format",
      "{{.ID}}\t{{.Image}}\t{{.CurrentState}}",
      service,
    ),
    `reading the tasks of ${service}`,
  );
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const [id = "", image = "", state = ""] = line.split("\t");
    return {
      id,
      image: withoutDigest(image),
      running: state.startsWith("Running"),
    };
  });
}

/**
 * True once the update's outcome is decided: every task swarm wants running
 * runs the new image, as many as the service wants, and each has been seen
 * running (a task with a health check runs only once healthy) for longer than
 * the monitor window. Swarm counts a failure towards a rollback only within
 * that window of a task's start, so nothing can roll the update back any more;
 * swarm itself says `completed` only after one more pause and window (7 s
 * later), which a deploy need not wait for.
 */
function settled(
  tasks: RunningTask[],
  image: string,
  replicas: number | undefined,
  runningSince: Map<string, number>,
  monitorMs: number,
): boolean {
  const now = Date.now();
  for (const id of [...runningSince.keys()]) {
    if (!tasks.some((task) => task.id === id && task.running)) runningSince.delete(id);
  }
  for (const task of tasks) {
    if (task.running && !runningSince.has(task.id)) runningSince.set(task.id, now);
  }
  if (replicas === undefined || replicas === 0 || tasks.length !== replicas) return false;
  return tasks.every((task) =>
    task.image === image && task.running && now - runningSince.get(task.id)! > monitorMs
  );
}

/** A reference without the digest swarm adds when it resolves one: the tag names what the nodes hold. */
function withoutDigest(image: string): string {
  return image.replace(/@sha256:[0-9a-f]+$/, "");
}
