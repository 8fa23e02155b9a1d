/**
 * The JSON parts of a streamed `multipart/mixed` answer (incremental delivery, multipart
 * subscriptions), each yielded as soon as the boundary after it has arrived, as clients read them.
 * Also yields `{}` heartbeats; returns at the closing boundary.
 */
export async function* multipartParts(res: Response): AsyncGenerator<Record<string, unknown>> {
  const contentType = res.headers.get('content-type') ?? '';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!contentType.startsWith('multipart/mixed') || !boundary) {
    throw new Error(`Not a multipart answer: ${res.status} ${contentType} ${await res.text()}`);
  }
  const delimiter = `\r\n--${boundary}`;
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let seenFirst = false;
  try {
    for (;;) {
      // The buffer always starts just after the last delimiter read: `--` closes the answer.
      if (seenFirst && buffer.startsWith('--')) return;
      let at = buffer.indexOf(delimiter);
      while (at >= 0) {
        const segment = buffer.slice(0, at);
        buffer = buffer.slice(at + delimiter.length);
        if (seenFirst) {
          const body = segment.slice(segment.indexOf('\r\n\r\n') + 4).trim();
          if (body) yield JSON.parse(body) as Record<string, unknown>;
        }
        seenFirst = true;
        if (buffer.startsWith('--')) return;
        at = buffer.indexOf(delimiter);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('The multipart answer ended before its closing boundary');
      buffer += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
