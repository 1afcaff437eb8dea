import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Validations } from 'aws-cdk-lib';
import { buildApp, reportBuildError } from './app.js';
import { RUNTIME_DEPRECATION_NOTE } from './nag.js';

/**
 * `npm run synth`: validates the config and the plans, synthesizes one ControlPlane stack per region
 * with real bundling (local esbuild, no Docker, no AWS credentials) and prints where the templates
 * went. Exits non-zero, listing every problem, on a bad config or plan or an unacknowledged
 * cdk-nag finding.
 */
const USAGE = 'tsx infra/synth.ts [--config FILE] [--plans DIR] [--out DIR]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      plans: { type: 'string' },
      out: { type: 'string', default: 'cdk.out' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const outdir = resolve(values.out);
  try {
    const { app, deployment, stacks, traffic } = await buildApp({
      ...(values.config ? { configFile: values.config } : {}),
      ...(values.plans ? { plansDir: values.plans } : {}),
      outdir,
    });
    const assembly = app.synth();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const { config, plans, regions, tableRegion } = deployment;
    const out = (text: string) => process.stdout.write(`${text}\n`);
    out(
      `Synthesized ${stacks.length} ControlPlane stack(s) for ${plans.length} plan(s) (${plans.map((p) => p.name).join(', ')}) in ${seconds} s.`,
    );
    out(`Cloud assembly: ${relative(process.cwd(), assembly.directory) || '.'}/`);
    for (const stack of [...stacks, ...(traffic ? [traffic] : [])]) {
      const artifact = assembly.getStackByName(stack.stackName);
      out(`  ${stack.stackName.padEnd(36)} ${relative(process.cwd(), artifact.templateFullPath)}`);
    }
    if (traffic)
      out(
        `${traffic.stackName} (${traffic.region}): the health-checks plans' Route 53 health checks and failover records; deployed after the ControlPlane stacks.`,
      );
    const { consistency, witnessRegion, name } = config.stateTable;
    out(
      `State table ${name}: defined in ${tableRegion}'s stack, replicas in ${regions.join(', ')}, ${
        consistency === 'strong'
          ? `multi-region strong consistency${witnessRegion ? `, witness ${witnessRegion}` : ''}`
          : 'multi-region eventual consistency'
      }.`,
    );
    out(
      `cdk-nag AwsSolutions: no unacknowledged findings (${countAcknowledged([...stacks, ...(traffic ? [traffic] : [])])} acknowledged, reasons in infra/nag.ts).`,
    );
    out(`Note: ${RUNTIME_DEPRECATION_NOTE}`);
    out('Deploy with `npm run deploy` (AWS credentials for the configured account needed then, not now).');
    return 0;
  } catch (error: unknown) {
    return reportBuildError(error, (text) => process.stderr.write(text));
  }
}

/** Acknowledgements recorded on the stacks' constructs (one per finding per resource). */
function countAcknowledged(
  stacks: readonly { node: { findAll(): { node: { metadata: { type: string; data: unknown }[] } }[] } }[],
): number {
  let count = 0;
  for (const stack of stacks)
    for (const construct of stack.node.findAll())
      for (const entry of construct.node.metadata)
        if (
          entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
          entry.data &&
          typeof entry.data === 'object'
        )
          count += Object.keys(entry.data).length;
  return count;
}

process.exitCode = await main();
