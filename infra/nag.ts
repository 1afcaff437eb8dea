import { type Stack, Validations } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnManagedPolicy, CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { STATE_MACHINES } from '../functions/handlers/registry.js';
import { LAMBDA_RUNTIME_NAME } from './bundling.js';
import { CONSOLE_ROUTE_PATHS } from './constructs/operator-api.js';
import { actionsOnStar, isReadOnlyAction, SERVICE_WIDE_ACTIONS } from './iam-audit.js';

/**
 * cdk-nag AwsSolutions findings we accept, each with its reason. cdk-nag 3 acknowledges one exact
 * finding at a time (`AwsSolutions-IAM5[Resource::<arn>]`), and those IDs embed the plans' ARNs, so
 * the findings are matched here by rule, finding and construct path, then acknowledged exactly.
 * A finding no entry matches is not acknowledged and fails synth.
 */
interface Acceptance {
  /** Matches the finding ID, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly finding: RegExp;
  /** Matches the construct path of the violating resource (within the stack). */
  readonly path: RegExp;
  readonly reason: string;
  /** Evidence checked on the resource itself; the finding stands when it fails. */
  readonly holds?: (construct: IConstruct, stack: Stack) => boolean;
}

const FUNCTION_POLICY = /\/[A-Za-z]+\/Role\/DefaultPolicy\/Resource$/;
const MACHINES = STATE_MACHINES.map((sm) => sm.name).join('|');
const STATE_MACHINE_POLICY = new RegExp(`/(${MACHINES})/StateMachine/Role/DefaultPolicy/Resource$`);

/** `*` is granted only to read-only actions or to the service-wide actions of {@link SERVICE_WIDE_ACTIONS}. */
const onlyReadsOrServiceWideOnStar = (construct: IConstruct, stack: Stack): boolean =>
  construct instanceof CfnPolicy &&
  actionsOnStar(stack.resolve(construct.policyDocument)).every(
    (action) => !action.includes('*') && (isReadOnlyAction(action) || action in SERVICE_WIDE_ACTIONS),
  );

/** The console's routes, the only ones without the JWT authorizer (infra/constructs/operator-api.ts). */
const CONSOLE_ROUTE_KEYS = new Set(
  CONSOLE_ROUTE_PATHS.flatMap((path) => ['GET', 'HEAD'].map((method) => `${method} ${path}`)),
);
const isConsoleRoute = (construct: IConstruct): boolean =>
  construct instanceof CfnRoute &&
  CONSOLE_ROUTE_KEYS.has(construct.routeKey) &&
  (construct.authorizationType ?? 'NONE') === 'NONE';

/** The break-glass invoke policy grants `execute-api:Invoke` and nothing else. */
const onlyInvokes = (construct: IConstruct, stack: Stack): boolean => {
  if (!(construct instanceof CfnManagedPolicy)) return false;
  const document = stack.resolve(construct.policyDocument) as { Statement?: { Action?: unknown }[] };
  return (document.Statement ?? []).every((statement) =>
    [statement.Action].flat().every((action) => action === 'execute-api:Invoke'),
  );
};

export const ACCEPTED_FINDINGS: readonly Acceptance[] = [
  {
    finding:
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:execute-api:[a-z0-9-]+:\d{12}:<OperatorHttpApiBreakGlassHttpApi[A-F0-9]+>\/\$default\/\*\/\*\]$/,
    path: /\/OperatorHttpApi\/BreakGlassInvoke\/Resource$/,
    reason:
      "Break-glass: the configured IAM roles may invoke every route (any method, any path) of this stack's break-glass API, whose only route is ANY /{proxy+}; the operator-api function then maps each role to viewer, operator or approver and checks every route's permission itself. The API and its $default stage are named; only the method and path are wildcards.",
    holds: onlyInvokes,
  },
  {
    finding: /^AwsSolutions-APIG4$/,
    path: /\/OperatorHttpApi\/HttpApi\/(GET|HEAD)--(assets--\{proxy\+\})?\/Resource$/,
    reason:
      "The console's page and bundle (GET and HEAD of / and /assets/{proxy+}) load before anyone has signed in, so they cannot need a token; they are static files with no data. Every other route, and every call the page makes, goes through the JWT authorizer.",
    holds: isConsoleRoute,
  },
  {
    finding: /^AwsSolutions-L1$/,
    path: /\/Function\/Resource$/,
    reason:
      'Node.js 22 (nodejs22.x, supported until 2027-04-30), not 24: the nearest runtime to the Node 20 the toolchain, the sandbox and the tests run on, so the code that is tested is closest to the code that runs (esbuild targets node22; the bundles also load in Node 20, checked by test/infra/real-bundling). Move runtime, target and CI together (infra/bundling.ts).',
  },
  {
    finding: /^AwsSolutions-IAM5\[Resource::\*\]$/,
    path: FUNCTION_POLICY,
    reason:
      'Only read-only calls that AWS does not scope by resource (rds:DescribeGlobalClusters, rds:DescribeDBClusters, rds:DescribeDBInstances with a filter, autoscaling:DescribeAutoScalingGroups, DescribeScalingActivities and DescribeWarmPool, elasticloadbalancing:DescribeTargetHealth, cloudwatch:GetMetricData) and X-Ray trace upload (xray:PutTraceSegments, xray:PutTelemetryRecords: no resource-level permission) are on "*"; every mutating action names the plans\' resources (checked here and in test/infra).',
    holds: onlyReadsOrServiceWideOnStar,
  },
  {
    finding: /^AwsSolutions-IAM5\[Resource::\*\]$/,
    path: STATE_MACHINE_POLICY,
    reason:
      'Step Functions logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing have no resource-level permission; the state machine role can otherwise only invoke its own step functions.',
    holds: onlyReadsOrServiceWideOnStar,
  },
  {
    finding:
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:rds:[a-z0-9-]+:\d{12}:db:[a-zA-Z][a-zA-Z0-9-]*-switchyard-\*\]$/,
    path: /\/PrepareDatabase\/Role\/DefaultPolicy\/Resource$/,
    reason:
      "PrepareDatabase names the reader it adds <cluster>-switchyard-<suffix>; the wildcard covers only Switchyard-named instances of the pilot light plans' own clusters, and a condition limits them to the plan's instance class and engine.",
  },
  {
    finding: /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:rds:[a-z0-9-]+:\d{12}:(og|pg|subgrp):\*\]$/,
    path: /\/PrepareDatabase\/Role\/DefaultPolicy\/Resource$/,
    reason:
      "CreateDBInstance is also authorized against the option, parameter and subnet groups the new reader inherits from its cluster, whose names the plan does not know; this grants only their use in a create of the plan's instance class and engine, in the plan's regions, never a change to them.",
  },
  {
    finding: /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:route53:::change\/\*\]$/,
    path: FUNCTION_POLICY,
    reason:
      "route53:GetChange is read-only and a change ID exists only once ShiftTraffic submits the change batch; the role can change no record outside the plans' zones and names.",
  },
  {
    finding: /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:route53:::healthcheck\/\*\]$/,
    path: FUNCTION_POLICY,
    reason:
      "route53:GetHealthCheck is read-only; the health-checks method's checks are created by the global traffic stack, deployed after this one, so their IDs cannot be named here. Readiness reads them to find a deleted or changed check.",
  },
  {
    finding:
      /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:\*:autoScalingGroupName\/[^*]+\]$/,
    path: FUNCTION_POLICY,
    reason:
      'An Auto Scaling group ARN embeds a UUID assigned at creation; the plan names the group, so the ARN names the group by autoScalingGroupName with only the UUID wildcarded (the form AWS documents for group-level permissions).',
  },
  {
    finding: new RegExp(
      `^AwsSolutions-IAM5\\[Resource::arn:<AWS::Partition>:states:[a-z0-9-]+:\\d{12}:execution:Switchyard-(${MACHINES}):\\*\\]$`,
    ),
    path: FUNCTION_POLICY,
    reason:
      "Execution names are chosen per run (from a request's idempotency key or an alarm episode); the ARN is scoped to Switchyard's own state machine of that name, in the plans' regions.",
  },
];

/**
 * Acknowledges, on the construct that raises it, each AwsSolutions finding of the stack that one
 * of {@link ACCEPTED_FINDINGS} matches and whose evidence holds. Call once the stack is complete.
 */
/**
 * CDK's own CloudFormation validation warns when a function's runtime is deprecated (W2531). The
 * runtime is pinned by design (see the L1 reason); should the warning come (nodejs22.x is
 * deprecated on 2027-04-30), it is acknowledged here so it is not repeated for every function of
 * every stack, and `npm run synth` and the README state the dates once.
 */
export const RUNTIME_DEPRECATION_WARNING = 'CloudFormation-Validate::W2531';
export const RUNTIME_DEPRECATION_NOTE =
  'The functions run on nodejs22.x, which AWS deprecates on 2027-04-30 (creating functions blocked from 2027-06-01, updating them from 2027-07-01; AWS Lambda Developer Guide, "Building Lambda functions with Node.js"). Move LAMBDA_RUNTIME_NAME and ESBUILD_TARGET (infra/bundling.ts) to Node 24 together with CI before then.';

export function acknowledgeFindings(stack: Stack): void {
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnFunction && construct.runtime === LAMBDA_RUNTIME_NAME)
      Validations.of(construct).acknowledge({
        id: RUNTIME_DEPRECATION_WARNING,
        reason: RUNTIME_DEPRECATION_NOTE,
      });
  }
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(stack);
  const byPath = new Map(stack.node.findAll().map((c) => [c.node.path, c]));
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      const path = resource.constructPath;
      const construct = path ? byPath.get(path) : undefined;
      if (!construct || !path) continue;
      const accepted = ACCEPTED_FINDINGS.find(
        (a) =>
          a.finding.test(violation.ruleName) && a.path.test(path) && (a.holds?.(construct, stack) ?? true),
      );
      if (!accepted) continue;
      Validations.of(construct).acknowledge({ id: violation.ruleName, reason: accepted.reason });
      // cdk-nag 3 matches the finding ID only: a statement added later with the same finding
      // (another action on "*") would pass unseen. The evidence is checked again at synth.
      const { holds } = accepted;
      if (holds)
        construct.node.addValidation({
          validate: () =>
            holds(construct, stack)
              ? []
              : [
                  `${violation.ruleName} was acknowledged as read-only or service-wide, but a mutating action on "*" was added since`,
                ],
        });
    }
  }
}
