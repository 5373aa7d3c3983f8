import { Box, Text } from "ink";
import { useKeys } from "../hooks/use_keys.ts";
import { useState } from "react";
import { useSyncedState } from "../hooks/use_synced_state.ts";
import { errorMessage, OpsError } from "../../lib/errors.ts";
import type { TaskSummary } from "../../lib/stack/mod.ts";
import { fit } from "../format_figures.ts";
import {
  commandPreview,
  formFields,
  formInput,
  type FormValues,
  initialValues,
} from "../task_form_values.ts";

/** Props of {@link TaskForm}. */
export interface TaskFormProps {
  task: TaskSummary;
  width: number;
  onSubmit(input: { options: Record<string, unknown>; args: string[] }): void;
  onClose(): void;
}

/**
 * A small form for a task's arguments and options, prefilled with the
 * defaults: ↑↓/Tab move, type to edit, Space toggles, ←→ cycle choices,
 * Enter validates (as the CLI would) and runs, Esc cancels. The equivalent
 * command line is shown as it changes.
 */
export function TaskForm({ task, width, onSubmit, onClose }: TaskFormProps) {
  const fields = formFields(task);
  const [values, setValues, readValues] = useSyncedState<FormValues>(() => initialValues(task));
  const [index, setIndex, readIndex] = useSyncedState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (name: string, value: string | boolean) => {
    setValues((v) => ({ ...v, [name]: value }));
    setProblem(null);
  };
  useKeys((input, key) => {
    if (key.escape) return onClose();
    if (key.return) {
      try {
        onSubmit(formInput(task, readValues()));
      } catch (error) {
        const hint = error instanceof OpsError && error.hint ? ` (${error.hint})` : "";
        setProblem(errorMessage(error) + hint);
      }
      return;
    }
    if (key.upArrow || (key.tab && key.shift)) return setIndex((i) => Math.max(0, i - 1));
    if (key.downArrow || key.tab) return setIndex((i) => Math.min(fields.length - 1, i + 1));
    const field = fields[readIndex()];
    if (!field) return;
    const spec = field.spec;
    const value = readValues()[field.name];
    if (spec?.type === "boolean") {
      if (input === " " || key.leftArrow || key.rightArrow) set(field.name, value !== true);
      return;
    }
    if (spec?.type === "string" && spec.choices?.length) {
      const choices = ["", ...spec.choices];
      const at = Math.max(0, choices.indexOf(String(value)));
      if (key.rightArrow || input === " ") set(field.name, choices[(at + 1) % choices.length]!);
      if (key.leftArrow) set(field.name, choices[(at - 1 + choices.length) % choices.length]!);
      return;
    }
    const edit = (change: (text: string) => string) => {
      setValues((v) => ({ ...v, [field.name]: change(String(v[field.name] ?? "")) }));
      setProblem(null);
    };
    if (key.backspace || key.delete) return edit((t) => t.slice(0, -1));
    if (input && !key.ctrl && !key.meta) edit((t) => t + input);
  });
  const labelWidth = Math.min(24, Math.max(8, ...fields.map((f) => f.name.length + 4)));
  const boxWidth = Math.min(width, 110);
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={task.dangerous ? "red" : "cyan"}
      paddingX={1}
      width={boxWidth}
    >
      <Text bold color={task.dangerous ? "red" : "cyan"}>
        {`${task.id}${task.dangerous ? "  (dangerous: asks for confirmation)" : ""}`}
      </Text>
      <Text color="gray" wrap="truncate-end">{task.summary}</Text>
      {fields.length === 0 ? <Text color="gray">this task has no options</Text> : null}
      {fields.map((f, i) => {
        const value = values[f.name];
        const shown = typeof value === "boolean"
          ? (value ? "[x]" : "[ ]")
          : value === ""
          ? (f.required ? "<required>" : "")
          : value;
        const label = f.kind === "arg" ? f.name.toUpperCase() : `--${f.name}`;
        const choices = f.spec?.type === "string" && f.spec.choices
          ? ` (${f.spec.choices.join("|")})`
          : "";
        return (
          <Text key={f.name} inverse={i === index} wrap="truncate-end">
            {fit(label, labelWidth).padEnd(labelWidth)}
            <Text color="cyan">{String(shown).padEnd(16)}</Text>
            <Text color="gray">{` ${f.description}${choices}`}</Text>
          </Text>
        );
      })}
      <Text color="gray" wrap="truncate-end">{commandPreview(task, values)}</Text>
      {problem ? <Text color="red" wrap="wrap">{problem}</Text> : null}
      <Text color="gray">
        ↑↓ field · type to edit · Space toggle · ←→ choice · Enter run · Esc cancel
      </Text>
    </Box>
  );
}
