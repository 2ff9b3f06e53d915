import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

describe('createProgress', () => {
  it('is silent when stderr is not a terminal', () => {
    const written: string[] = [];
    const progress = createProgress({ isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream);
    progress.onPage('issues', 10);
    progress.stop();
    expect(written).toEqual([]);
  });

  it('shows records, pages and the rate per stream on a terminal', () => {
    const written: string[] = [];
    let t = 0;
    const progress = createProgress({ isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, () => t);
    progress.onMessage({ type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: 0, stream_status: { stream_descriptor: { name: 'issues' }, status: 'RUNNING' } } });
    progress.onPage('issues', 1000);
    progress.onPage('issues', 500);
    t = 1500;
    progress.stop();
    expect(written.join('')).toMatch(/issues\s+1,500 records\s+2 pages\s+1,000 rec\/s\s+RUNNING/);
  });
});
