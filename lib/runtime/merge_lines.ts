/**
 * Lines of several byte streams as they arrive (a program's stdout and stderr
 * as one log), each stream split on newlines; a last line without a newline is
 * kept. Ends when every stream has ended.
 */
export async function* mergeLines(
  streams: readonly ReadableStream<Uint8Array>[],
): AsyncGenerator<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let open = streams.length;
  let failure: unknown;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    try {
      for await (const chunk of stream) {
        const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
        rest = parts.pop() ?? "";
        queue.push(...parts.map((l) => l.replace(/\r$/, "")));
        notify();
      }
      rest += decoder.decode();
      if (rest) queue.push(rest);
    } catch (error) {
      failure ??= error;
    } finally {
      open--;
      notify();
    }
  };
  for (const stream of streams) void pump(stream);
  while (true) {
    while (queue.length) yield queue.shift()!;
    if (failure !== undefined) throw failure;
    if (open === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}
