/**
 * Output for tasks: one place that knows whether the caller is a terminal,
 * wants JSON, or reads plain lines, and that redacts secrets on the way out.
 * @module
 */
export { colorEnabled, paint, stripAnsi } from "./style.ts";
export type { StyleName } from "./style.ts";
export { renderTable } from "./table.ts";
export { Redactor, redactor } from "./redactor.ts";
export { Output } from "./output.ts";
export type { OutputMode } from "./output.ts";
export { partialPath, prepareOutputFile, writeOutputFile } from "./output_file.ts";
