import { createReadStream } from "node:fs";

/** One line of a file, with where its bytes are. */
export interface FileLine {
  /** The line's text, without its `\n` (nor a `\r` before it). */
  readonly text: string;
  /** 1-based line number. */
  readonly number: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Byte length including the `\n` when there is one. */
  readonly length: number;
  /** False only for a last line that does not end in `\n`. */
  readonly terminated: boolean;
}

/**
 * Reads a file line by line as a stream, keeping byte offsets (which `readline` does not give):
 * the journal needs them to cut a torn last line and to read entries back by position. Memory is
 * one chunk plus the longest line.
 */
export async function* readLines(
  path: string,
  options: { readonly signal?: AbortSignal; readonly highWaterMark?: number } = {},
): AsyncGenerator<FileLine> {
  const stream = createReadStream(path, {
    highWaterMark: options.highWaterMark ?? 256 * 1024,
    signal: options.signal,
  });
  let pending: Buffer | undefined;
  let pendingOffset = 0;
  let number = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buffer: Buffer;
      if (pending) {
        buffer = Buffer.concat([pending, chunk]);
      } else {
        buffer = chunk;
      }
      let start = 0;
      for (;;) {
        const newline = buffer.indexOf(10, start);
        if (newline < 0) break;
        const end = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
        number++;
        yield {
          text: buffer.toString("utf8", start, end),
          number,
          offset: pendingOffset + start,
          length: newline + 1 - start,
          terminated: true,
        };
        start = newline + 1;
      }
      pendingOffset += start;
      pending = start < buffer.length ? buffer.subarray(start) : undefined;
    }
    if (pending && pending.length > 0) {
      number++;
      yield {
        text: pending.toString("utf8"),
        number,
        offset: pendingOffset,
        length: pending.length,
        terminated: false,
      };
    }
  } finally {
    stream.destroy();
  }
}
