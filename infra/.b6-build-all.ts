import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { loadChosenDeployment } from './app.js';
import { kb, measureBundle } from './bundle-measure.js';
import { buildLambda } from './bundling.js';
import { HANDLERS_DIR } from './paths.js';

const out = process.argv[2] ?? '/tmp/b6/out';
const only = process.argv[3]?.split(',');
const fns = [...FUNCTIONS, { name: 'TrafficHealth', entry: 'traffic-health.ts' }].filter(
  (f) => !only || only.includes(f.name),
);
const d = await loadChosenDeployment({});
for (const fn of fns) {
  const dir = join(out, fn.name);
  mkdirSync(dir, { recursive: true });
  const meta = await buildLambda(join(HANDLERS_DIR, fn.entry), dir, d.plans);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  const m = await measureBundle(fn.name, join(HANDLERS_DIR, fn.entry), d.plans, join(out, '_m'));
  console.log(fn.name, m.bytes, m.initBytes, kb(m.bytes ?? 0), kb(m.initBytes ?? 0));
}
