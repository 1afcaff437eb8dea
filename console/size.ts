import { gzipSync } from 'node:zlib';
import { buildConsole, CONSOLE_JS_BUDGET_GZIP_BYTES } from './build.js';

/**
 * `npm run console-size`: builds the console as the server serves it and prints each asset's
 * size, minified and gzip-compressed. Exits 1 when all JavaScript together is over the budget.
 */
async function main(): Promise<number> {
  const bundle = await buildConsole();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  let jsGzip = 0;
  console.log('console assets (minified, gzip):');
  for (const [path, asset] of [...bundle.assets].sort(([a], [b]) => a.localeCompare(b))) {
    const gz = gzipSync(asset.body, { level: 9 }).length;
    if (path.endsWith('.js')) jsGzip += gz;
    console.log(`  ${path.padEnd(22)} ${kb(asset.body.length).padStart(10)} ${kb(gz).padStart(10)}`);
  }
  const page = Buffer.from(bundle.page({ auth: { mode: 'sandbox' } }));
  console.log(
    `  ${'/ (page)'.padEnd(22)} ${kb(page.length).padStart(10)} ${kb(gzipSync(page).length).padStart(10)}`,
  );
  const within = jsGzip <= CONSOLE_JS_BUDGET_GZIP_BYTES;
  console.log(
    `all JavaScript: ${kb(jsGzip)} gzip, budget ${kb(CONSOLE_JS_BUDGET_GZIP_BYTES)}: ${within ? 'within' : 'OVER'}`,
  );
  return within ? 0 : 1;
}

process.exitCode = await main();
