import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { arnPlaceholder, FUNCTIONS, type FunctionName } from '../../functions/handlers/registry.js';
import { STATE_MACHINES_DIR } from '../paths.js';

/** A runbook definition names a placeholder that no function of FUNCTIONS provides. */
export class StateMachineDefinitionError extends Error {
  override readonly name = 'StateMachineDefinitionError';
}

/** `${Name}` placeholders of an ASL text, each once, in order of appearance. */
export function aslPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? ''))];
}

/** The functions an ASL text invokes, by placeholder; throws naming every unknown placeholder. */
export function placeholderFunctions(file: string, text: string): Map<string, FunctionName> {
  const byPlaceholder = new Map<string, FunctionName>(FUNCTIONS.map((f) => [arnPlaceholder(f.name), f.name]));
  const found = new Map<string, FunctionName>();
  const unknown: string[] = [];
  for (const placeholder of aslPlaceholders(text)) {
    const name = byPlaceholder.get(placeholder);
    if (name) found.set(placeholder, name);
    else unknown.push(placeholder);
  }
  if (unknown.length > 0) {
    throw new StateMachineDefinitionError(
      `${file}: ${unknown.length} placeholder(s) name no function of FUNCTIONS (functions/handlers/registry.ts): ${unknown
        .map((p) => `\${${p}}`)
        .join(', ')} (expected one of ${[...byPlaceholder.keys()].map((p) => `\${${p}}`).join(', ')})`,
    );
  }
  return found;
}

export interface ControlPlaneStateMachineProps {
  /** From STATE_MACHINES: `WarmStandbyRunbook`, `PilotLightRunbook`, `DetectionSustain`, ... */
  readonly name: string;
  /** The ASL file name in `state-machines/`. */
  readonly file: string;
  /** Directory of the ASL files (tests point it at fixtures). */
  readonly directory?: string;
  readonly functions: ReadonlyMap<FunctionName, IFunction>;
  readonly logRetention: RetentionDays;
}

/** Physical name of a state machine; the functions' environment and IAM build its ARN from it (no cycle). */
export const stateMachineName = (name: string): string => `Switchyard-${name}`;

/**
 * One state machine of STATE_MACHINES (a runbook, or the detection wait): the ASL file run unchanged, its `${XFunctionArn}` placeholders substituted with
 * this region's functions, an explicit invoke grant for exactly those functions, all events logged
 * (with execution data: the runbook input holds no secrets) and X-Ray tracing.
 */
export class ControlPlaneStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly invokedFunctions: readonly FunctionName[];

  constructor(scope: Construct, id: string, props: ControlPlaneStateMachineProps) {
    super(scope, id);
    const text = readFileSync(join(props.directory ?? STATE_MACHINES_DIR, props.file), 'utf8');
    const placeholders = placeholderFunctions(props.file, text);
    const substitutions: Record<string, string> = {};
    const invokedArns: string[] = [];
    for (const [placeholder, name] of placeholders) {
      const fn = props.functions.get(name);
      if (!fn)
        throw new StateMachineDefinitionError(
          `${props.file}: \${${placeholder}}: function ${name} is not in this stack`,
        );
      substitutions[placeholder] = fn.functionArn;
      invokedArns.push(fn.functionArn);
    }
    this.invokedFunctions = [...placeholders.values()];

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(props.name),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(text),
      definitionSubstitutions: substitutions,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // Exactly the functions the definition invokes, by unqualified ARN (the ARN the ASL uses).
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'InvokeRunbookSteps',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: invokedArns,
      }),
    );
  }
}
