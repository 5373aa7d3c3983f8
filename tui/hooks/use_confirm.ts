import { useCallback, useMemo, useRef, useState } from "react";

/** What a confirmation dialog shows. */
export interface ConfirmRequest {
  title: string;
  /** Lines explaining what will happen (dependents affected, the task's own question). */
  lines: readonly string[];
  /** The operator must type exactly this (a service name in a protected environment); else y/N. */
  typed?: string;
  /** Red frame for destructive actions. */
  danger?: boolean;
}

/** A dialog waiting for its answer. */
export interface PendingConfirm extends ConfirmRequest {
  id: number;
  /** Answers the dialog: the typed text, `y`/`n`, or null when dismissed. */
  answer(value: string | null): void;
}

/** The dialog queue of the dashboard and the two ways to ask through it. */
export interface ConfirmQueue {
  /** The dialog to show now, if any. */
  current: PendingConfirm | undefined;
  /** Shows a dialog; resolves true when the operator agreed (typed the text, or pressed y). */
  confirm(request: ConfirmRequest): Promise<boolean>;
  /**
   * The `ask` of a task run from the dashboard: shows the task's own
   * question and returns the answer as a terminal would (the typed text, or y/n).
   */
  ask(question: string): Promise<string | null>;
}

/** A queue of confirmation dialogs, answered one at a time. */
export function useConfirm(): ConfirmQueue {
  const [queue, setQueue] = useState<PendingConfirm[]>([]);
  const nextId = useRef(1);

  const open = useCallback((request: ConfirmRequest) =>
    new Promise<string | null>((resolve) => {
      const id = nextId.current++;
      const pending: PendingConfirm = {
        ...request,
        id,
        answer: (value) => {
          setQueue((q) => q.filter((p) => p.id !== id));
          resolve(value);
        },
      };
      setQueue((q) => [...q, pending]);
    }), []);

  const confirm = useCallback(async (request: ConfirmRequest) => {
    const answer = await open(request);
    if (answer === null) return false;
    return request.typed !== undefined ? answer.trim() === request.typed : /^y(es)?$/i.test(answer);
  }, [open]);

  const ask = useCallback((question: string) => {
    const typed = /Type "([^"]+)" to go on/.exec(question)?.[1];
    const lines = question.trim().split("\n");
    return open({
      title: "The task asks",
      lines,
      danger: true,
      ...(typed !== undefined ? { typed } : {}),
    });
  }, [open]);

  return useMemo(() => ({ current: queue[0], confirm, ask }), [queue, confirm, ask]);
}
