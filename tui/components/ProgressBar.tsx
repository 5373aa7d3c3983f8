import { Text } from "ink";

/** Props of {@link ProgressBar}. */
export interface ProgressBarProps {
  /** Completed fraction 0..1, or null when the task does not report one. */
  fraction: number | null;
  /** Animation step for the indeterminate bar. */
  tick: number;
  width: number;
}

/** A determinate bar (`███░░░ 42%`), or a bouncing block while the fraction is unknown. */
export function ProgressBar({ fraction, tick, width }: ProgressBarProps) {
  const inner = Math.max(4, width - 6);
  if (fraction !== null) {
    const done = Math.round(Math.min(1, Math.max(0, fraction)) * inner);
    return (
      <Text>
        <Text color="cyan">{"█".repeat(done)}</Text>
        <Text color="gray">{"░".repeat(inner - done)}</Text>
        {` ${String(Math.round(fraction * 100)).padStart(3)}%`}
      </Text>
    );
  }
  const block = Math.max(2, Math.floor(inner / 5));
  const span = inner - block;
  const step = tick % (span * 2 || 1);
  const at = step <= span ? step : span * 2 - step;
  return (
    <Text>
      <Text color="gray">{"░".repeat(at)}</Text>
      <Text color="cyan">{"█".repeat(block)}</Text>
      <Text color="gray">{"░".repeat(Math.max(0, inner - at - block))}</Text>
      {"     "}
    </Text>
  );
}
