import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) that a summary needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** `function (file:line)`, with the file relative to the repository when it is inside it. */
  frame: string;
  selfMs: number;
  selfShare: number;
}

/** Self time per function, heaviest first: where the CPU actually went. */
export function topSelfTime(profileFile: string, repoRoot: string, limit = 20): { totalMs: number; spots: HotSpot[] } {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.replace(`file://${repoRoot}/`, '').replace(/^file:\/\//, '');
    const key = `${frame.functionName || '(anonymous)'} (${file || 'native'}${file ? `:${frame.lineNumber + 1}` : ''})`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    totalUs += delta;
  });
  const spots = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, selfShare: totalUs ? us / totalUs : 0 }));
  return { totalMs: totalUs / 1000, spots };
}

/** Self time per source file (node_modules packages grouped by package), heaviest first. */
export function selfTimeByFile(profileFile: string, repoRoot: string, limit = 15): { file: string; selfMs: number; share: number }[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    let file = frame.url.replace(`file://${repoRoot}/`, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (pkg) file = `node_modules/${pkg[1]}`;
    if (!file) file = frame.functionName.startsWith('(') ? frame.functionName : '(native/builtin)';
    totals.set(file, (totals.get(file) ?? 0) + delta);
    totalUs += delta;
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([file, us]) => ({ file, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 }));
}
