import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  KmsThrottlingException,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDeleting,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { executionArnOf } from '../core/arns.js';
import {
  ConflictError,
  InvalidInputError,
  PreconditionFailedError,
  ResourceNotFoundError,
  ThrottledError,
} from '../core/errors.js';
import type { StateMachineExecution, StepFunctions } from '../runbook/ports/step-functions.js';
import type { ClientFactory } from './client-factory.js';
import { SFN_CLIENT } from './sdk-clients/sfn.js';
import { awsCall, type ErrorRule, translateAwsError } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { StateMachineExecution, StepFunctions };

const RULES: readonly ErrorRule[] = [
  {
    when: StateMachineDoesNotExist,
    as: ResourceNotFoundError,
    problem: 'state machine not found',
    expected: 'a state machine deployed in this region',
  },
  { when: ExecutionDoesNotExist, as: ResourceNotFoundError, problem: 'execution not found' },
  { when: StateMachineDeleting, as: PreconditionFailedError, problem: 'the state machine is being deleted' },
  {
    when: TaskTimedOut,
    as: PreconditionFailedError,
    problem: 'the task has timed out',
    expected: 'a task still waiting for its token',
  },
  {
    when: InvalidToken,
    as: PreconditionFailedError,
    problem: 'the task token is invalid',
    expected: 'the token of a task still waiting',
  },
  {
    when: TaskDoesNotExist,
    as: PreconditionFailedError,
    problem: 'the task no longer exists',
    expected: 'a task still waiting for its token',
  },
  { when: InvalidExecutionInput, as: InvalidInputError, problem: 'the execution input is invalid' },
  { when: InvalidOutput, as: InvalidInputError, problem: 'the task output is invalid' },
  { when: InvalidName, as: InvalidInputError, problem: 'the execution name is invalid' },
  { when: InvalidArn, as: InvalidInputError, problem: 'the ARN is invalid' },
  { when: KmsThrottlingException, as: ThrottledError, problem: 'throttled by KMS' },
];

/** The Step Functions adapter. */
export function stepFunctions(clients: ClientFactory): StepFunctions {
  const sfn = (region: string) => clients.client(SFN_CLIENT, region);
  const describe = async (region: string, executionArn: string) =>
    awsCall({ operation: 'DescribeExecution', region, resource: executionArn }, RULES, () =>
      sfn(region).send(new DescribeExecutionCommand({ executionArn })),
    );

  return {
    async start(region, stateMachineArn, name, input) {
      const body = JSON.stringify(input);
      try {
        const output = await sfn(region).send(
          new StartExecutionCommand({ stateMachineArn, name, input: body }),
        );
        return output.executionArn ?? executionArnOf(stateMachineArn, name);
      } catch (error: unknown) {
        const context = { operation: 'StartExecution', region, resource: `${stateMachineArn} ${name}` };
        if (!(error instanceof ExecutionAlreadyExists)) throw translateAwsError(error, context, RULES);
        // A retried start (the same request again) is a success; another request's name is not ours.
        const executionArn = executionArnOf(stateMachineArn, name);
        const existing = await describe(region, executionArn);
        if (canonical(parse(existing.input)) === canonical(parse(body))) return executionArn;
        throw new ConflictError(
          `StartExecution ${name} in ${region}: the execution name is taken by another input (got ${executionArn}; expected the same input or a new name)`,
          { cause: error },
        );
      }
    },

    async describe(region, executionArn) {
      const output = await describe(region, executionArn);
      return {
        status: output.status ?? 'RUNNING',
        ...(output.output !== undefined ? { output: parse(output.output) } : {}),
        ...(output.error !== undefined ? { error: output.error } : {}),
        ...(output.cause !== undefined ? { cause: output.cause } : {}),
      };
    },

    async stop(region, executionArn, error, cause) {
      await awsCall({ operation: 'StopExecution', region, resource: executionArn }, RULES, () =>
        sfn(region).send(new StopExecutionCommand({ executionArn, error, cause })),
      );
    },

    async sendTaskSuccess(region, taskToken, output) {
      await awsCall({ operation: 'SendTaskSuccess', region, resource: 'task token' }, RULES, () =>
        sfn(region).send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      );
    },

    async stateMachineStatus(region, stateMachineArn) {
      const output = await awsCall(
        { operation: 'DescribeStateMachine', region, resource: stateMachineArn },
        RULES,
        () => sfn(region).send(new DescribeStateMachineCommand({ stateMachineArn })),
      );
      // AWS omits `status` for none but older SDK models; absent is what every deployed one is.
      return output.status ?? 'ACTIVE';
    },

    async sendTaskFailure(region, taskToken, error, cause) {
      await awsCall({ operation: 'SendTaskFailure', region, resource: 'task token' }, RULES, () =>
        sfn(region).send(new SendTaskFailureCommand({ taskToken, error, cause })),
      );
    },
  };
}

function parse(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/** JSON with object keys sorted, so that two equal inputs compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

// ARN handling lives in the core; re-exported for the adapter's callers.
export { executionArnOf };
