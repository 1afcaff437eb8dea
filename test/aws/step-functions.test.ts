import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidExecutionInput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/aws/clients.js';
import { executionArnOf, stepFunctions } from '../../functions/aws/step-functions.js';

const sfn = mockClient(SFNClient);

afterEach(() => {
  sfn.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
const MACHINE = 'arn:aws:states:us-west-2:111111111111:stateMachine:switchyard-warm-standby';
const EXECUTION = 'arn:aws:states:us-west-2:111111111111:execution:switchyard-warm-standby:orders-1';
const INPUT = { plan: 'orders', targetRegion: 'us-west-2', mode: 'ungraceful' };

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, machines: stepFunctions(clients) };
}

async function regionOf(call: unknown): Promise<string> {
  return (call as { thisValue: SFNClient }).thisValue.config.region();
}

describe('start', () => {
  it('starts an execution with its input as JSON in the named region', async () => {
    // Prepare
    const { machines, clients } = setup();
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(0) });

    // Act
    const arn = await machines.start('us-west-2', MACHINE, 'orders-1', INPUT);

    // Assess
    expect(arn).toBe(EXECUTION);
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: 'orders-1',
      input: JSON.stringify(INPUT),
    });
    expect(call?.thisValue).toBe(clients.sfn('us-west-2'));
    expect(await regionOf(call)).toBe('us-west-2');
  });

  it('is a success when the execution already exists with the same input, whatever its key order', async () => {
    const { machines } = setup();
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      status: 'SUCCEEDED',
      startDate: new Date(0),
      input: JSON.stringify({ mode: 'ungraceful', targetRegion: 'us-west-2', plan: 'orders' }),
    });

    await expect(machines.start('us-west-2', MACHINE, 'orders-1', INPUT)).resolves.toBe(EXECUTION);

    const [describe] = sfn.commandCalls(DescribeExecutionCommand);
    expect(describe?.args[0].input).toEqual({ executionArn: EXECUTION });
    expect(await regionOf(describe)).toBe('us-west-2');
  });

  it('throws ConflictError when the name was taken by another input', async () => {
    const { machines } = setup();
    const exists = new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(exists);
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      status: 'RUNNING',
      startDate: new Date(0),
      input: JSON.stringify({ ...INPUT, targetRegion: 'us-east-1' }),
    });

    await expect(machines.start('us-west-2', MACHINE, 'orders-1', INPUT)).rejects.toMatchObject({
      name: 'ConflictError',
      cause: exists,
      message: expect.stringContaining('in us-west-2'),
    });
  });

  it.each([
    [
      'StateMachineDoesNotExist',
      new StateMachineDoesNotExist({ message: 'no machine', $metadata: {} }),
      'ResourceNotFoundError',
    ],
    [
      'InvalidExecutionInput',
      new InvalidExecutionInput({ message: 'bad', $metadata: {} }),
      'InvalidInputError',
    ],
    [
      'ThrottlingException',
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'slow',
        $metadata: {},
      }),
      'ThrottledError',
    ],
  ])('translates %s to %s', async (_code, error, name) => {
    const { machines } = setup();
    sfn.on(StartExecutionCommand).rejects(error);

    await expect(machines.start('us-west-2', MACHINE, 'orders-1', INPUT)).rejects.toMatchObject({
      name,
      cause: error,
      message: expect.stringContaining(`StartExecution ${MACHINE} orders-1 in us-west-2`),
    });
  });

  it('rethrows an unknown error unchanged', async () => {
    const { machines } = setup();
    const denied = new SFNServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      message: 'no',
      $metadata: {},
    });
    sfn.on(StartExecutionCommand).rejects(denied);

    await expect(machines.start('us-west-2', MACHINE, 'orders-1', INPUT)).rejects.toBe(denied);
  });
});

describe('describe', () => {
  it('returns status, parsed output, error and cause', async () => {
    const { machines } = setup();
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      status: 'FAILED',
      startDate: new Date(0),
      output: '{"rto":96.4}',
      error: 'CapacityNotReadyError',
      cause: 'orders-web-usw2: 3 of 6 InService',
    });

    await expect(machines.describe('us-west-2', EXECUTION)).resolves.toEqual({
      status: 'FAILED',
      output: { rto: 96.4 },
      error: 'CapacityNotReadyError',
      cause: 'orders-web-usw2: 3 of 6 InService',
    });
  });

  it('translates ExecutionDoesNotExist to ResourceNotFoundError', async () => {
    const { machines } = setup();
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));

    await expect(machines.describe('us-west-2', EXECUTION)).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
    });
  });
});

describe('stop', () => {
  it('stops the execution with an error and cause, in the named region', async () => {
    const { machines } = setup();
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(0) });

    await machines.stop('us-west-2', EXECUTION, 'OperatorAborted', 'alice: wrong region');

    const [call] = sfn.commandCalls(StopExecutionCommand);
    expect(call?.args[0].input).toEqual({
      executionArn: EXECUTION,
      error: 'OperatorAborted',
      cause: 'alice: wrong region',
    });
    expect(await regionOf(call)).toBe('us-west-2');
  });
});

describe('task tokens', () => {
  it('sends task success with the output as JSON', async () => {
    const { machines } = setup();
    sfn.on(SendTaskSuccessCommand).resolves({});

    await machines.sendTaskSuccess('us-east-1', 'token-1', { approvedBy: 'bob' });

    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(call?.args[0].input).toEqual({ taskToken: 'token-1', output: '{"approvedBy":"bob"}' });
    expect(await regionOf(call)).toBe('us-east-1');
  });

  it('sends task failure with error and cause', async () => {
    const { machines } = setup();
    sfn.on(SendTaskFailureCommand).resolves({});

    await machines.sendTaskFailure('us-west-2', 'token-1', 'ApprovalRejected', 'bob said no');

    const [call] = sfn.commandCalls(SendTaskFailureCommand);
    expect(call?.args[0].input).toEqual({
      taskToken: 'token-1',
      error: 'ApprovalRejected',
      cause: 'bob said no',
    });
    expect(await regionOf(call)).toBe('us-west-2');
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'bad token', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'no task', $metadata: {} })],
  ])('translates %s to PreconditionFailedError', async (_code, error) => {
    const { machines } = setup();
    sfn.on(SendTaskSuccessCommand).rejects(error);
    sfn.on(SendTaskFailureCommand).rejects(error);

    await expect(machines.sendTaskSuccess('us-west-2', 't', {})).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      cause: error,
    });
    await expect(machines.sendTaskFailure('us-west-2', 't', 'E', 'C')).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      cause: error,
    });
  });
});

describe('executionArnOf', () => {
  it('derives the execution ARN from the state machine ARN and a name', () => {
    expect(executionArnOf(MACHINE, 'orders-1')).toBe(EXECUTION);
  });

  it('refuses anything but a state machine ARN', () => {
    expect(() => executionArnOf(EXECUTION, 'x')).toThrow(
      /expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME/,
    );
  });
});
