/**
 * The hand-written baseline the engine is compared with: what a developer would write for this one
 * API without a framework. Fetch loop following `Link: rel="next"`, JSON.parse, pick the same 10
 * fields as the bench manifest's `map`, one Airbyte RECORD line per record, written once per page.
 *
 * argv: <url of the first page> <token>. Output: RECORD lines on stdout.
 */
import { once } from 'node:events';

const NEXT = /<([^>]+)>\s*;\s*rel="next"/;

interface Issue {
  id: number;
  number: number;
  title: string;
  state: string;
  user: { login: string };
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  reactions: { total_count: number };
}

async function main(first: string, token: string): Promise<void> {
  let url: string | undefined = first;
  while (url) {
    const response = await fetch(url, { headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    const issues = JSON.parse(await response.text()) as Issue[];
    const emittedAt = Date.now();
    let out = '';
    for (const issue of issues) {
      const data = {
        id: issue.id,
        number: issue.number,
        title: issue.title,
        state: issue.state,
        user: issue.user.login,
        comments: issue.comments,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        closed_at: issue.closed_at,
        reactions: issue.reactions.total_count,
      };
      out += `${JSON.stringify({ type: 'RECORD', record: { stream: 'issues', data, emitted_at: emittedAt } })}\n`;
    }
    if (!process.stdout.write(out)) await once(process.stdout, 'drain');
    url = NEXT.exec(response.headers.get('link') ?? '')?.[1];
  }
}

await main(process.argv[2] ?? '', process.argv[3] ?? '');
