/**
 * A real terminal for dashboard tests: a tmux server of its own (socket named
 * after the test process) with one session whose screen the tests read.
 */

/** One tmux session: send keys, read the screen, wait for text. */
export interface TmuxSession {
  /** Starts the session (a bare bash prompt, 160×48). */
  start(): Promise<void>;
  keys(...k: string[]): Promise<string>;
  screen(): Promise<string>;
  /** Resolves with the screen once `check` passes; throws with the last screen after `timeoutMs`. */
  waitFor(what: string, check: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Ends the tmux server and everything in it. */
  kill(): Promise<void>;
}

/** A tmux session on a socket of its own, named `<name>-<pid>`. */
export function tmuxSession(name: string): TmuxSession {
  const socket = `${name}-${Deno.pid}`;
  const session = "dashboard";
  const tmux = async (...args: string[]): Promise<string> => {
    const out = await new Deno.Command("tmux", {
      args: ["-L", socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  };
  const screen = () => tmux("capture-pane", "-p", "-t", session);
  return {
    start: async () => {
      await tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "48",
        "env PS1='e2e$ ' TERM=xterm-256color bash --norc --noprofile",
      );
    },
    keys: (...k) => tmux("send-keys", "-t", session, ...k),
    screen,
    waitFor: async (what, check, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      let text = "";
      while (Date.now() < deadline) {
        text = await screen();
        if (check(text)) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`screen never showed ${what}; last screen:\n${text}`);
    },
    kill: async () => {
      await tmux("kill-server").catch(() => "");
    },
  };
}
