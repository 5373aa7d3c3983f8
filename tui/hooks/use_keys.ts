import { type Key, useInput } from "ink";

const plain: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key presses in one input: characters that arrived together become one press each. */
export function splitKeys(input: string, key: Key): { input: string; key: Key }[] {
  const special = key.ctrl || key.meta || key.escape || key.return || key.tab || key.backspace ||
    key.delete || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow ||
    key.pageUp || key.pageDown || key.home || key.end;
  if (special || input.length <= 1) return [{ input, key }];
  return [...input].map((ch) => {
    if (ch === "\r" || ch === "\n") return { input: "", key: { ...plain, return: true } };
    if (ch === "\u007f" || ch === "\b") return { input: "", key: { ...plain, backspace: true } };
    if (ch === "\t") return { input: "", key: { ...plain, tab: true } };
    return { input: ch, key: { ...plain, shift: ch !== ch.toLowerCase() } };
  });
}

/**
 * `useInput` that hands over one key press at a time. Ink passes characters
 * that arrive in one read (a fast typist, a paste, `tmux send-keys`) as one
 * input, Enter included; every dialog, form and view here wants them one by
 * one, so that "redis⏎" typed quickly still confirms.
 */
export function useKeys(
  handler: (input: string, key: Key) => void,
  options: { isActive?: boolean } = {},
): void {
  useInput((input, key) => {
    for (const press of splitKeys(input, key)) handler(press.input, press.key);
  }, options);
}
