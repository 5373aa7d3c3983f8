/**
 * Like ink-testing-library's render, with a terminal of a chosen size that
 * can be resized (ink-testing-library's is fixed at 100 columns).
 */
import { EventEmitter } from "node:events";
import { render as inkRender } from "ink";
import type { ReactElement } from "react";

class SizedStdout extends EventEmitter {
  columns: number;
  rows: number;
  isTTY = true;
  lastFrameText: string | undefined;
  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write = (frame: string) => {
    this.lastFrameText = frame;
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  write = (data: string) => {
    this.data = data;
    this.emit("readable");
    this.emit("data", data);
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const { data } = this;
    this.data = null;
    return data;
  };
}

/** A rendered tree in a terminal of `columns` x `rows`. */
export interface SizedRender {
  lastFrame(): string;
  stdin: { write(data: string): void };
  /** Changes the terminal size as a window resize does. */
  resize(columns: number, rows: number): void;
  unmount(): void;
}

/** Renders `tree` in a fake terminal of the given size. */
export function renderSized(
  tree: ReactElement,
  size: { columns: number; rows: number },
): SizedRender {
  const stdout = new SizedStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new SizedStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    lastFrame: () => stdout.lastFrameText ?? "",
    stdin,
    resize(columns, rows) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit("resize");
    },
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
}
