import { ForbiddenError } from '../core/errors.js';
import * as z from '../core/zod.js';
import { type Claims, type Identity, identityFromClaims, ROLES, type Role } from './request.js';

/**
 * The break-glass mapping: IAM role ARN to the Switchyard roles its sessions get, from the
 * deployment config. A caller who signed with SigV4 (API Gateway's `AWS_IAM` authorizer) is
 * mapped by the role of its session; any other principal is refused.
 */
export type IamRoleMap = Readonly<Record<string, readonly Role[]>>;

/** What API Gateway's `AWS_IAM` authorizer passes on in `requestContext.authorizer.iam`. */
export interface IamPrincipal {
  readonly accountId?: string | null;
  readonly userArn?: string | null;
  readonly userId?: string | null;
}

/** What an HTTP API event's `requestContext.authorizer` may hold: JWT claims or an IAM principal. */
export interface Authorizer {
  readonly jwt?: { readonly claims?: Claims } | null;
  readonly iam?: IamPrincipal | null;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const ASSUMED_ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]+$/;

/** The IAM role ARNs of a role map's keys, checked: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`. */
export const IamRoleMapSchema = z.record(
  z.string().check(z.regex(ROLE_ARN, 'expected an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME')),
  z.array(z.enum(ROLES)).check(z.minLength(1)),
);

/**
 * A role ARN without its path (`arn:aws:iam::111111111111:role/NAME`): an assumed-role session's
 * ARN names its role without the path, so roles are compared this way. Undefined for an ARN that
 * is neither a role nor an assumed-role session (an IAM user, the root).
 */
export function canonicalRoleArn(arn: string): string | undefined {
  const match = ROLE_ARN.exec(arn) ?? ASSUMED_ROLE_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, account, name] = match;
  return `arn:${partition}:iam::${account}:role/${name}`;
}

/**
 * The caller's identity from an IAM principal: its name is the principal's ARN (recorded as
 * requester, approver and audit actor), its roles those the map gives its role. Throws a
 * {@link ForbiddenError} (403) naming the role ARN got and the ones configured when the map has
 * no entry for it.
 */
export function identityFromIam(iam: IamPrincipal, roles: IamRoleMap): Identity {
  const arn = iam.userArn ?? '';
  const role = canonicalRoleArn(arn);
  const configured = Object.keys(roles);
  const entry = role ? Object.entries(roles).find(([key]) => canonicalRoleArn(key) === role) : undefined;
  if (!entry) {
    throw new ForbiddenError(
      `IAM principal ${arn || '(none)'}: got role ${role ?? 'none (not an IAM role session)'}; expected one of the roles configured for break-glass access: ${configured.length > 0 ? configured.join(', ') : 'none are configured'}`,
    );
  }
  return { name: arn, roles: [...entry[1]] };
}

/**
 * The caller's identity from whichever authorizer let the request in: the JWT authorizer's claims
 * ({@link identityFromClaims}), or the `AWS_IAM` authorizer's principal ({@link identityFromIam}).
 * Undefined when neither carries an identity (the API then answers 401).
 */
export function identityOf(
  authorizer: Authorizer | null | undefined,
  roles: IamRoleMap,
): Identity | undefined {
  const claims = authorizer?.jwt?.claims;
  if (claims) return identityFromClaims(claims);
  const iam = authorizer?.iam;
  if (iam) return identityFromIam(iam, roles);
  return undefined;
}

/**
 * The role map in the value of the environment variable `SWITCHYARD_IAM_ROLES` (JSON
 * `{ roleArn: [roles] }`, set by the stack from the deployment config); empty when unset. Throws on a malformed value:
 * a deployment mistake, refused at the first request rather than granting anything.
 */
export function iamRoleMapFromEnv(value: string | undefined): IamRoleMap {
  if (value === undefined || value.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error: unknown) {
    throw new Error(
      `SWITCHYARD_IAM_ROLES: not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = IamRoleMapSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `SWITCHYARD_IAM_ROLES: expected { "<IAM role ARN>": ["viewer"|"operator"|"approver", ...] }; ${parsed.error.message}`,
    );
  return parsed.data;
}
