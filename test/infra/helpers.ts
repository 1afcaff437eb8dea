import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { type BuildAppOptions, buildApp, type SwitchyardApp } from '../../infra/app.js';

export const fixture = (path: string): string =>
  fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));

const outdirs: string[] = [];

/**
 * How long (real ms) a hook or test that builds, synthesizes or bundles the CDK app may take before
 * it counts as hung. This is a hang guard, not a speed check (speed is measured by benchmarks): the
 * work is pure CPU, so its real time grows with the machine's load (with two busy loops on both
 * cores of a shared 2-core machine, load average near 20, one synth took 84 s and hooks guarded at
 * 60 s and 120 s timed out). Vitest's default guard (60 s) stays for everything else.
 */
export const CDK_WORK_TIMEOUT_MS = 600_000;

/** Builds the app without bundling (fast): templates are complete, code assets are placeholders. */
export function buildFast(options: BuildAppOptions = {}): Promise<SwitchyardApp> {
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-infra-'));
  outdirs.push(outdir);
  return buildApp({ skipBundling: true, outdir, ...options });
}

/** Removes the cloud assemblies {@link buildFast} wrote (call from `afterAll`). */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export type TemplateJson = {
  Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string[]; Metadata?: any }>;
};

export const templateOf = (
  stack: Parameters<typeof Template.fromStack>[0],
): { template: Template; json: TemplateJson } => {
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as TemplateJson };
};

/** Resources of one type, by logical ID. */
export function resourcesOf(json: TemplateJson, type: string): [string, any][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type) as [string, any][];
}

/** `{ "Fn::Join": ["", ["arn:", {Ref: AWS::Partition}, ":..."]] }` -> `arn:aws:...`; strings unchanged. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
    if (v.Ref === 'AWS::Partition') return 'aws';
    if (v.Ref) return `{Ref:${v.Ref}}`;
    if (v['Fn::GetAtt']) return `{GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  }
  return JSON.stringify(value);
}

/** The IAM statements of a function's role, flattened: `{ sid, actions, resources, condition }`. */
export function statementsOfRole(json: TemplateJson, roleLogicalIdPrefix: string) {
  return resourcesOf(json, 'AWS::IAM::Policy')
    .filter(([, p]) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(roleLogicalIdPrefix)),
    )
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as any[])
    .map((s) => ({
      sid: s.Sid as string | undefined,
      actions: ([] as string[]).concat(s.Action),
      resources: ([] as unknown[]).concat(s.Resource).map(flatten),
      condition: s.Condition,
    }));
}

/** The EventBridge rules that match events (not the scheduled keep-warm rules). */
export function alarmRules(json: TemplateJson): [string, any][] {
  return resourcesOf(json, 'AWS::Events::Rule').filter(([, r]) =>
    (r.Properties.EventPattern?.source ?? []).includes('aws.cloudwatch'),
  );
}
