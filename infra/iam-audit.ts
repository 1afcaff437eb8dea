/**
 * Reads IAM statements out of a synthesized template and finds the ones that grant a mutating
 * action on `*`. Switchyard's rule: every mutating statement names concrete resources. The only
 * exceptions are the few service-wide actions AWS offers no resource-level permission for, which
 * CDK adds for logging and tracing; they are listed here with the reason.
 */

/** Actions that AWS authorizes on `*` only, added by CDK for observability, never for failover. */
export const SERVICE_WIDE_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray tracing of Lambda and Step Functions (no resource-level permission)',
  'xray:PutTelemetryRecords': 'X-Ray tracing of Lambda and Step Functions (no resource-level permission)',
  'xray:GetSamplingRules': 'X-Ray sampling (read-only, no resource-level permission)',
  'xray:GetSamplingTargets': 'X-Ray sampling (read-only, no resource-level permission)',
  'logs:CreateLogDelivery': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:GetLogDelivery': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:UpdateLogDelivery': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:DeleteLogDelivery': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:ListLogDeliveries': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:PutResourcePolicy': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:DescribeResourcePolicies':
    'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
  'logs:DescribeLogGroups': 'Step Functions log delivery to CloudWatch Logs (no resource-level permission)',
};

/** Read-only by IAM's access level: the verbs that only read. */
const READ_ONLY_VERB = /^(Describe|Get|List|BatchGet|Query|Scan)[A-Z]/;

export function isReadOnlyAction(action: string): boolean {
  const verb = action.split(':')[1] ?? '';
  return READ_ONLY_VERB.test(verb);
}

/** One IAM statement of a template, with where it was found. */
export interface FoundStatement {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly effect: string;
  readonly actions: readonly string[];
  /** Resources as in the template: strings or intrinsic functions (`Fn::Join`, `Fn::GetAtt`, ...). */
  readonly resources: readonly unknown[];
  readonly conditions?: unknown;
}

interface TemplateJson {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Every statement of every identity policy, inline role policy and managed policy of a template. */
export function iamStatements(template: TemplateJson): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      documents.push(props.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role')
      for (const policy of asArray(props.Policies)) documents.push(asRecord(policy).PolicyDocument);
    for (const document of documents) {
      for (const statement of asArray(asRecord(document).Statement)) {
        const s = asRecord(statement);
        found.push({
          logicalId,
          resourceType: resource.Type,
          effect: String(s.Effect),
          actions: asArray(s.Action ?? []).map(String),
          resources: asArray(s.Resource ?? []),
          ...(s.Condition ? { conditions: s.Condition } : {}),
        });
      }
    }
  }
  return found;
}

/** Allow statements that grant a mutating action on `*` (besides {@link SERVICE_WIDE_ACTIONS}). */
export function wildcardMutations(template: TemplateJson): { logicalId: string; action: string }[] {
  return iamStatements(template).flatMap((s) =>
    s.effect === 'Allow' && s.resources.some((r) => r === '*')
      ? s.actions
          .filter(
            (action) => action.includes('*') || !(isReadOnlyAction(action) || action in SERVICE_WIDE_ACTIONS),
          )
          .map((action) => ({ logicalId: s.logicalId, action }))
      : [],
  );
}

/** Actions granted on `*` by the statements of one policy document (for cdk-nag evidence). */
export function actionsOnStar(document: unknown): string[] {
  return asArray(asRecord(document).Statement).flatMap((statement) => {
    const s = asRecord(statement);
    return asArray(s.Resource ?? []).includes('*') ? asArray(s.Action ?? []).map(String) : [];
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
