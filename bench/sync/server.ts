/**
 * The bench's loopback API, run as its own process (so it never shares an event loop or a core's time
 * slice accounting with the client being measured). Serves `GET /repos/bench/issues/issues?page=N`
 * like GitHub: a JSON array of up to 100 issues and a `Link` header with `next` and `last`.
 *
 * argv: <records>. Prints `{"port":N}` on stdout when listening. Over IPC, answers `stats` with the
 * requests, bytes, CPU time and event-loop utilisation since the previous `stats`, so the runner can
 * show the server was not the bottleneck.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ISSUES_PATH, MAX_RECORDS, PAGE_SIZE, pageCount, renderPage } from './issues.js';

const total = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(total) || total < 0 || total > MAX_RECORDS) throw new Error(`records must be an integer in [0, ${MAX_RECORDS}]`);
const lastPage = Math.max(1, pageCount(total));

let requests = 0;
let bytes = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== ISSUES_PATH) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    return;
  }
  const page = Number(url.searchParams.get('page') ?? 1);
  const body = renderPage(page, total);
  const link = (n: number) => {
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(PAGE_SIZE));
    return `<http://${req.headers.host}${url.pathname}${url.search}>`;
  };
  const links = page < lastPage ? [`${link(page + 1)}; rel="next"`, `${link(lastPage)}; rel="last"`] : [`${link(1)}; rel="first"`];
  requests++;
  bytes += body.length;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, link: links.join(', ') });
  res.end(body);
});
server.keepAliveTimeout = 60_000;

let cpuMark = process.cpuUsage();
let eluMark = performance.eventLoopUtilization();
process.on('message', (message) => {
  if (message !== 'stats') return;
  const cpu = process.cpuUsage(cpuMark);
  const elu = performance.eventLoopUtilization(eluMark);
  process.send?.({ requests, bytes, cpuMs: (cpu.user + cpu.system) / 1000, eventLoopUtilization: elu.utilization });
  requests = 0;
  bytes = 0;
  cpuMark = process.cpuUsage();
  eluMark = performance.eventLoopUtilization();
});
process.on('disconnect', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
