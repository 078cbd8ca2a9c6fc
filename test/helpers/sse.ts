import type { Count } from '../../src/schemas/letter.js';

/** The `count` events of an SSE response body, parsed, as they arrive. */
export async function* countEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Count> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: count$/m.test(block)) yield JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Count;
    }
  }
}
