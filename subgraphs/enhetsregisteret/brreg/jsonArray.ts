import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** One element of a JSON array file, located for error messages. */
export interface ArrayElement {
  /** 0-based position in the array. */
  index: number;
  /** 1-based line where the element starts. */
  line: number;
  text: string;
}

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const NEWLINE = 10;

/**
 * Streams the elements of a (gzipped, if the name ends in .gz) JSON array without holding the
 * file in memory. Elements are cut by bracket depth, not parsed, so that one malformed element
 * can be reported and skipped while the rest are read.
 */
export async function* jsonArrayElements(file: string): AsyncGenerator<ArrayElement> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  input.setEncoding('utf8');
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let index = 0;
  let current = '';
  let startLine = 1;
  let lineStart = false;
  for await (const chunk of input as AsyncIterable<string>) {
    let from = -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) {
        line++;
        lineStart = true;
        // JSON strings hold no raw line breaks: this element is broken; let parsing say so.
        if (inString) inString = escaped = false;
        continue;
      }
      if (lineStart && c !== 32 && c !== 9 && c !== 13) {
        lineStart = false;
        // An object at the very start of a line while one is still open: the open one was cut
        // off (one element per line, as bulk files are written). Hand it over as it is.
        if (c === OPEN_BRACE && depth >= 2) {
          yield {
            index: index++,
            line: startLine,
            text: current + chunk.slice(from === -1 ? 0 : from, i),
          };
          current = '';
          from = -1;
          depth = 1;
        }
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        // depth 1 is the array itself; an element starts when entering depth 2.
        if (depth === 2) {
          from = i;
          startLine = line;
          current = '';
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 1) {
          yield {
            index: index++,
            line: startLine,
            text: current + chunk.slice(from === -1 ? 0 : from, i + 1),
          };
          current = '';
          from = -1;
        }
      } else if (c === COMMA && depth === 1) {
        from = -1;
      }
    }
    if (depth >= 2) current += chunk.slice(from === -1 ? 0 : from);
  }
  if (depth !== 0) throw new Error(`${file}: the JSON array is cut off (line ${line})`);
}
