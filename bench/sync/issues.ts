/**
 * Deterministic GitHub-issue-like records (shape of `GET /repos/{owner}/{repo}/issues`, about 2 KB
 * each) and pre-rendered page bodies. A page is served by copying one of a few template buffers and
 * writing the page's ids into fixed-width holes, so the server spends microseconds per page and is
 * never what the bench measures.
 */

export const PAGE_SIZE = 100;
export const OWNER_REPO = 'bench/issues';
export const ISSUES_PATH = `/repos/${OWNER_REPO}/issues`;

// Fixed-width numbers, so a template's holes can be overwritten in place.
const ID_BASE = 1_000_000_000; // ids: 10 digits
const NUMBER_BASE = 10_000_000; // issue numbers: 8 digits
const ID_SENTINEL = '7777777777';
const NUMBER_SENTINEL = '55555555';
export const MAX_RECORDS = 89_999_999;

const TEMPLATE_VARIANTS = 4;
const WORDS = ['sync', 'cursor', 'webhook', 'retry', 'page', 'token', 'stream', 'state', 'schema', 'record', 'manifest', 'partition'];
const LABELS = [
  { name: 'bug', color: 'd73a4a', description: "Something isn't working" },
  { name: 'enhancement', color: 'a2eeef', description: 'New feature or request' },
  { name: 'documentation', color: '0075ca', description: 'Improvements or additions to documentation' },
  { name: 'good first issue', color: '7057ff', description: 'Good for newcomers' },
];
const USERS = ['octocat', 'hubot', 'monalisa', 'defunkt', 'mojombo'];

const words = (seed: number, count: number) => Array.from({ length: count }, (_, i) => WORDS[(seed * 7 + i * 3) % WORDS.length]).join(' ');
const isoDate = (seed: number) => new Date(Date.UTC(2024, 0, 1) + seed * 3_600_000).toISOString().replace('.000Z', 'Z');

/** One raw issue, with sentinel id/number that `renderPage` replaces. `variant` and `slot` vary the content. */
export function issueTemplate(variant: number, slot: number): Record<string, unknown> {
  const seed = variant * PAGE_SIZE + slot;
  const api = 'https://api.github.com';
  const repoUrl = `${api}/repos/${OWNER_REPO}`;
  const login = USERS[seed % USERS.length] as string;
  const userId = 1000 + (seed % USERS.length);
  const issueUrl = `${repoUrl}/issues/${NUMBER_SENTINEL}`;
  const closed = seed % 3 === 0;
  return {
    url: issueUrl,
    repository_url: repoUrl,
    labels_url: `${issueUrl}/labels{/name}`,
    comments_url: `${issueUrl}/comments`,
    events_url: `${issueUrl}/events`,
    html_url: `https://github.com/${OWNER_REPO}/issues/${NUMBER_SENTINEL}`,
    id: Number(ID_SENTINEL),
    node_id: `I_kwDOABCDEF${ID_SENTINEL}`,
    number: Number(NUMBER_SENTINEL),
    title: `Bench issue: ${words(seed, 6)}`,
    user: {
      login,
      id: userId,
      node_id: `MDQ6VXNlcj${userId}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${userId}?v=4`,
      gravatar_id: '',
      url: `${api}/users/${login}`,
      html_url: `https://github.com/${login}`,
      type: 'User',
      site_admin: false,
    },
    labels: [LABELS[seed % LABELS.length], LABELS[(seed + 1) % LABELS.length]].map((label, i) => ({
      id: 208045946 + ((seed + i) % LABELS.length),
      node_id: `MDU6TGFiZWwyMDgwNDU5N${(seed + i) % LABELS.length}`,
      url: `${repoUrl}/labels/${encodeURIComponent(label?.name ?? '')}`,
      ...label,
      default: i === 0,
    })),
    state: closed ? 'closed' : 'open',
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: seed % 17,
    created_at: isoDate(seed),
    updated_at: isoDate(seed + 48),
    closed_at: closed ? isoDate(seed + 72) : null,
    author_association: seed % 2 === 0 ? 'MEMBER' : 'CONTRIBUTOR',
    active_lock_reason: null,
    body: `## What happens\n\n${words(seed, 20)}.\n\n## Expected\n\n${words(seed + 1, 14)} — see #${slot}.\n`,
    reactions: { url: `${issueUrl}/reactions`, total_count: seed % 5, '+1': seed % 5, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 },
    timeline_url: `${issueUrl}/timeline`,
    performed_via_github_app: null,
    state_reason: closed ? 'completed' : null,
  };
}

interface Hole {
  offset: number;
  kind: 'id' | 'number';
  slot: number;
}

/** A page body with holes where each record's id and number go. */
interface PageTemplate {
  body: Buffer;
  holes: Hole[];
  /** Byte offset just after record `i` (where `,` or `]` follows), to cut short pages. */
  recordEnds: number[];
}

function buildTemplate(variant: number): PageTemplate {
  const pieces: Buffer[] = [Buffer.from('[')];
  let offset = 1;
  const holes: Hole[] = [];
  const recordEnds: number[] = [];
  const sentinel = new RegExp(`${ID_SENTINEL}|${NUMBER_SENTINEL}`, 'g');
  for (let slot = 0; slot < PAGE_SIZE; slot++) {
    const text = (slot === 0 ? '' : ',') + JSON.stringify(issueTemplate(variant, slot));
    let last = 0;
    for (const match of text.matchAll(sentinel)) {
      offset += Buffer.byteLength(text.slice(last, match.index));
      holes.push({ offset, kind: match[0] === ID_SENTINEL ? 'id' : 'number', slot });
      offset += match[0].length;
      last = match.index + match[0].length;
    }
    offset += Buffer.byteLength(text.slice(last));
    pieces.push(Buffer.from(text));
    recordEnds.push(offset);
  }
  pieces.push(Buffer.from(']'));
  return { body: Buffer.concat(pieces), holes, recordEnds };
}

let templates: PageTemplate[] | undefined;

/**
 * The body of page `page` (1-based) of a collection of `total` records: a JSON array of up to
 * PAGE_SIZE issues whose ids are ID_BASE + index and numbers NUMBER_BASE + index.
 */
export function renderPage(page: number, total: number): Buffer {
  templates ??= Array.from({ length: TEMPLATE_VARIANTS }, (_, v) => buildTemplate(v));
  const first = (page - 1) * PAGE_SIZE;
  const count = Math.max(0, Math.min(PAGE_SIZE, total - first));
  if (count === 0) return Buffer.from('[]');
  const template = templates[(page - 1) % TEMPLATE_VARIANTS] as PageTemplate;
  const end = template.recordEnds[count - 1] as number;
  const body = Buffer.allocUnsafe(end + 1);
  template.body.copy(body, 0, 0, end);
  body[end] = 0x5d; // ']'
  for (const hole of template.holes) {
    if (hole.slot >= count) break;
    writeDigits(body, hole.offset, hole.kind === 'id' ? ID_BASE + first + hole.slot : NUMBER_BASE + first + hole.slot, hole.kind === 'id' ? ID_SENTINEL.length : NUMBER_SENTINEL.length);
  }
  return body;
}

/** Write `value` as exactly `width` ASCII digits ending at offset + width (cheaper than Buffer#write of a string). */
function writeDigits(buffer: Buffer, offset: number, value: number, width: number): void {
  let rest = value;
  for (let i = offset + width - 1; i >= offset; i--) {
    buffer[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}

export const pageCount = (total: number): number => Math.ceil(total / PAGE_SIZE);
