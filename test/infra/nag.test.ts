import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { reportBuildError } from '../../infra/app.js';
import { buildFast, CDK_WORK_TIMEOUT_MS, removeOutdirs } from './helpers.js';

afterAll(removeOutdirs);

/** Builds the example app, lets `change` alter it, synthesizes; returns what a synth would print. */
async function synthAfter(change: (built: Awaited<ReturnType<typeof buildFast>>) => void): Promise<string> {
  const built = await buildFast();
  change(built);
  try {
    built.app.synth();
    return 'synthesized';
  } catch (error: unknown) {
    let printed = '';
    expect(reportBuildError(error, (text) => (printed += text))).toBe(1);
    return printed;
  }
}

describe('cdk-nag at synth', () => {
  it(
    'fails on a finding no acceptance in infra/nag.ts covers',
    async () => {
      const printed = await synthAfter(({ stacks }) => {
        stacks[0]?.functions
          .get('CheckTraffic')
          ?.role.addToPrincipalPolicy(
            new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }),
          );
      });
      expect(printed).toMatch(/^ERROR The IAM entity contains wildcard permissions/);
      expect(printed).toContain('AwsSolutions-IAM5[Resource::arn:aws:s3:::some-bucket/*]');
      expect(printed).toContain('Switchyard-ControlPlane-us-east-1/CheckTraffic/Role/DefaultPolicy/Resource');
      expect(printed).not.toMatch(/^\s+at /m);
    },
    CDK_WORK_TIMEOUT_MS,
  );

  it(
    'fails when a mutating action on "*" hides behind an acknowledged read-only finding',
    async () => {
      const printed = await synthAfter(({ stacks }) => {
        stacks[1]?.functions
          .get('Preflight')
          ?.role.addToPrincipalPolicy(
            new PolicyStatement({ actions: ['rds:DeleteDBCluster'], resources: ['*'] }),
          );
      });
      expect(printed).toContain(
        '[Switchyard-ControlPlane-us-west-2/Preflight/Role/DefaultPolicy/Resource] AwsSolutions-IAM5[Resource::*] was acknowledged as read-only or service-wide, but a mutating action on "*" was added since',
      );
    },
    CDK_WORK_TIMEOUT_MS,
  );

  it(
    'synthesizes the unchanged app',
    async () => {
      expect(await synthAfter(() => {})).toBe('synthesized');
    },
    CDK_WORK_TIMEOUT_MS,
  );
});
