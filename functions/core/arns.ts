import { type ARN, build, parse, validate } from '@aws-sdk/util-arn-parser';
import { InvalidInputError } from './errors.js';

/**
 * ARN handling, on the SDK's own parser (`@aws-sdk/util-arn-parser`): the format is
 * `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, and RESOURCE may itself contain colons.
 * Source: AWS Identity and Access Management User Guide, "IAM identifiers" / "Amazon Resource Names
 * (ARNs)", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html. Pure functions;
 * every malformed ARN is an {@link InvalidInputError} saying what was got and what was expected.
 */

/** The parts of `arn`, or undefined when it is not an ARN at all. */
function arnParts(arn: string): ARN | undefined {
  return validate(arn) ? parse(arn) : undefined;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z0-9-]+$/;

/**
 * The region and name of a CloudWatch alarm ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`).
 *
 * @throws InvalidInputError when `arn` is not a CloudWatch alarm ARN
 */
export function parseAlarmArn(arn: string): { region: string; name: string } {
  const parts = arnParts(arn);
  const name = parts?.resource.startsWith('alarm:') ? parts.resource.slice('alarm:'.length) : '';
  if (
    !parts?.partition.startsWith('aws') ||
    parts.service !== 'cloudwatch' ||
    !REGION_NAME.test(parts.region) ||
    !ACCOUNT_ID.test(parts.accountId) ||
    name === ''
  ) {
    throw new InvalidInputError(
      `alarm ARN: not a CloudWatch alarm ARN (got ${arn}; expected arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)`,
    );
  }
  return { region: parts.region, name };
}

/** The parts of a state machine ARN and its name, or undefined when `arn` is not one. */
function stateMachineParts(arn: string): { parts: ARN; name: string } | undefined {
  const parts = arnParts(arn);
  const [kind, name] = parts?.resource.split(':') ?? [];
  if (!parts || kind !== 'stateMachine' || !name) return undefined;
  return { parts, name };
}

/**
 * `arn:aws:states:R:A:stateMachine:SM` and an execution name -> `arn:aws:states:R:A:execution:SM:NAME`.
 *
 * @throws InvalidInputError when `stateMachineArn` is not a state machine ARN
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const sm = stateMachineParts(stateMachineArn);
  if (!sm) {
    throw new InvalidInputError(
      `state machine ARN: not a state machine ARN (got ${stateMachineArn}; expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`,
    );
  }
  return build({ ...sm.parts, resource: `execution:${sm.name}:${name}` });
}

/**
 * `arn:aws:states:R:A:stateMachine:N` moved to `region`: every region of a plan deploys the same
 * runbook under the same name in the same account, so the ARN differs only by region.
 *
 * @throws InvalidInputError when `stateMachineArn` is not exactly a state machine ARN
 */
export function stateMachineArnInRegion(stateMachineArn: string, region: string): string {
  const sm = stateMachineParts(stateMachineArn);
  if (sm?.parts.service !== 'states' || sm.parts.resource.split(':').length !== 2) {
    throw new InvalidInputError(
      `state machine ARN: got ${stateMachineArn}; expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`,
    );
  }
  return build({ ...sm.parts, region });
}
