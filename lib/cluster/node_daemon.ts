import { join } from "../posix_path.ts";
import { FailedError } from "../errors.ts";
import { isAlive, sleep } from "../runtime/proc.ts";
import { sendSignal } from "../runtime/send_signal.ts";
import type { ClusterNode } from "./cluster_layout.ts";
import { command, tryCommand } from "./system_command.ts";

/**
 * Runs in the node's network namespace and a new mount and UTS namespace:
 * a fresh sysfs (dockerd reads the namespace's interfaces there) with the
 * cgroup mounts moved back under it, the node's host name, then the daemon.
 * `ip netns exec` would remount /sys without the cgroups ("Devices cgroup
 * isn't mounted"). Values arrive as positional arguments, never in the text.
 */
const nodeEntry = `set -e
run_dir=$1; node_name=$2; log=$3; shift 3
mount --make-rprivate /
mkdir -p "$run_dir/cgroup"
mount --move /sys/fs/cgroup "$run_dir/cgroup"
umount -l /sys
mount -t sysfs sysfs /sys
mount --move "$run_dir/cgroup" /sys/fs/cgroup
hostname "$node_name"
n=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
ulimit -Hn "$n" 2>/dev/null || true
ulimit -Sn "$n" 2>/dev/null || true
exec "$@" >>"$log" 2>&1 </dev/null`;

/** The dockerd command line of a node. */
export function nodeDaemonArgs(node: ClusterNode): string[] {
  return [
    "dockerd",
    "--host",
    node.engine,
    "--data-root",
    node.dataRoot,
    "--exec-root",
    node.execRoot,
    "--pidfile",
    node.pidFile,
    "--config-file",
    join(node.runDir, "daemon.json"),
    "--storage-driver",
    "overlay2",
  ];
}

/**
 * Starts a node's dockerd in its namespaces, in its own session (it outlives
 * the task), with `DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1`: Swarm then uses
 * the image the node has instead of asking a registry.
 */
export async function startNodeDaemon(node: ClusterNode): Promise<void> {
  await Deno.mkdir(node.runDir, { recursive: true, mode: 0o700 });
  await Deno.mkdir(node.dataRoot, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(join(node.runDir, "daemon.json"), "{}\n");
  await command(
    [
      "setsid",
      "-f",
      "nsenter",
      `--net=/run/netns/${node.netns}`,
      "unshare",
      "--mount",
      "--uts",
      "sh",
      "-c",
      nodeEntry,
      "sh",
      node.runDir,
      node.name,
      node.logFile,
      ...nodeDaemonArgs(node),
    ],
    `starting the daemon of ${node.name}`,
    {
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1",
      },
    },
  );
}

/** Whether a node's engine answers. */
export async function nodeAnswers(node: ClusterNode): Promise<boolean> {
  const result = await tryCommand(
    ["docker", "--host", node.engine, "version", "--format", "{{.Server.Version}}"],
    { timeoutMs: 10_000 },
  ).catch(() => ({ code: 1 }));
  return result.code === 0;
}

/**
 * Waits until a node's engine answers.
 * @throws {FailedError} after `timeoutMs`, naming the node's log.
 */
export async function waitNodeAnswers(node: ClusterNode, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await nodeAnswers(node))) {
    if (Date.now() > deadline) {
      throw new FailedError(
        `the daemon of ${node.name} did not answer within ${timeoutMs / 1000} s`,
        {
          hint: `read ${node.logFile}`,
        },
      );
    }
    await sleep(250);
  }
}

/** The processes living in a network namespace (`ip netns pids`). */
export async function namespaceProcesses(netns: string): Promise<number[]> {
  const out = (await tryCommand(["ip", "netns", "pids", netns])).stdout;
  return out.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
}

/**
 * Stops a node's daemon (SIGTERM, then SIGKILL after 20 s) and kills what is
 * left in its namespace (container processes and shims of a daemon that died).
 */
export async function stopNodeDaemon(node: ClusterNode, netnsPresent: boolean): Promise<void> {
  let pid: number | null = null;
  try {
    pid = Number((await Deno.readTextFile(node.pidFile)).trim()) || null;
  } catch {
    // never started, or its run folder is gone
  }
  if (pid !== null && await isAlive(pid) && await isNodeDaemon(pid, node)) {
    await sendSignal(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (await isAlive(pid) && Date.now() < deadline) await sleep(200);
    if (await isAlive(pid)) await sendSignal(pid, "SIGKILL");
    await sleep(200);
    if (await isAlive(pid)) {
      // its folders must not go while it runs
      throw new FailedError(`the daemon of ${node.name} (pid ${pid}) did not stop`, {
        hint: `kill -9 ${pid}, then run ./ops cluster:destroy again`,
      });
    }
  }
  if (!netnsPresent) return;
  for (let round = 0; round < 20; round++) {
    const left = await namespaceProcesses(node.netns);
    if (left.length === 0) return;
    for (const p of left) await sendSignal(p, "SIGKILL");
    await sleep(200);
  }
}

/** The pid is this node's dockerd (not a reused pid): its command line names the node's socket. */
async function isNodeDaemon(pid: number, node: ClusterNode): Promise<boolean> {
  const ps = await tryCommand(["ps", "-o", "args=", "-p", String(pid)]);
  return ps.code === 0 && ps.stdout.includes(node.engine);
}
