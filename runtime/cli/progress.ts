import type { AirbyteMessage } from '../protocol/messages.js';

/** Live progress on a terminal: records and pages per stream and the record rate. */
export interface Progress {
  onPage(stream: string, records: number): void;
  onMessage(message: AirbyteMessage): void;
  stop(): void;
}

interface StreamProgress {
  records: number;
  pages: number;
  status: string;
  startedAt: number;
}

const NOOP: Progress = { onPage() {}, onMessage() {}, stop() {} };
const REDRAW_MS = 250;

/** A progress display on `out` when it is a terminal; a no-op otherwise (CI logs stay clean). */
export function createProgress(out: NodeJS.WriteStream = process.stderr, clock: () => number = () => performance.now()): Progress {
  if (!out.isTTY) return NOOP;
  const streams = new Map<string, StreamProgress>();
  let drawnLines = 0;
  const get = (name: string) => {
    let entry = streams.get(name);
    if (!entry) streams.set(name, (entry = { records: 0, pages: 0, status: 'STARTED', startedAt: clock() }));
    return entry;
  };
  const draw = () => {
    const lines = [...streams].map(([name, s]) => {
      const seconds = Math.max((clock() - s.startedAt) / 1000, 0.001);
      return `${name.padEnd(24)} ${s.records.toLocaleString('en').padStart(12)} records ${String(s.pages).padStart(7)} pages ${Math.round(s.records / seconds).toLocaleString('en').padStart(9)} rec/s  ${s.status}`;
    });
    // Move back up over the previous frame and redraw it in place.
    const up = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
    out.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
    drawnLines = lines.length;
  };
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  return {
    onPage(stream, records) {
      const s = get(stream);
      s.pages += 1;
      s.records += records;
    },
    onMessage(message) {
      if (message.type === 'TRACE' && message.trace.type === 'STREAM_STATUS') get(message.trace.stream_status.stream_descriptor.name).status = message.trace.stream_status.status;
    },
    stop() {
      clearInterval(timer);
      if (streams.size > 0) draw();
    },
  };
}
