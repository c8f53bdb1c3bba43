// First-load JavaScript of pages, as docs/benchmarks.md records it: every script the page's HTML loads
// (Next 16's build output no longer prints the figure), each compressed with gzip -9, summed.
// Usage: node scripts/first-load-js.mjs http://127.0.0.1:3000 /eventos /eventos/1
import { gzipSync } from "node:zlib";

const [base, ...paths] = process.argv.slice(2);
if (!base || paths.length === 0) {
  console.error("usage: node scripts/first-load-js.mjs BASE_URL PATH...");
  process.exit(2);
}

for (const path of paths) {
  const page = await fetch(new URL(path, base));
  if (!page.ok) throw new Error(`${path}: HTTP ${page.status}`);
  const html = await page.text();
  const sources = [...new Set([...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]))];
  let total = 0;
  for (const src of sources) {
    const script = await fetch(new URL(src, base));
    if (!script.ok) throw new Error(`${src}: HTTP ${script.status}`);
    total += gzipSync(Buffer.from(await script.arrayBuffer()), { level: 9 }).length;
  }
  console.log(`${path}\t${(total / 1024).toFixed(1)} KB gzip -9\t${sources.length} scripts`);
}
