/**
 * Transport ceiling: follow the pages as fast as possible without parsing them. If this is far faster
 * than the baseline and the engine, the loopback server and HTTP stack are not what the bench measures.
 *
 * argv: <url of the first page>.
 */
const NEXT = /<([^>]+)>\s*;\s*rel="next"/;

let url: string | undefined = process.argv[2];
while (url) {
  const response = await fetch(url);
  await response.arrayBuffer();
  url = NEXT.exec(response.headers.get('link') ?? '')?.[1];
}
