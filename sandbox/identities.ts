import { type JwtClaims, SANDBOX_AUDIENCE, SANDBOX_ISSUER, signJwt } from './jwt.js';

/** The operator API's roles: viewers read, operators request failovers and aborts, approvers approve. */
export type Role = 'viewer' | 'operator' | 'approver';

/** The claim that carries roles; API Gateway hands it to the handler as `"[operator approver]"`. */
export const ROLES_CLAIM = 'switchyard:roles';

export interface DemoIdentity {
  readonly name: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly description: string;
}

/**
 * The sandbox's people. Two distinct people are needed for a failover that requires approval,
 * because an approver may not approve their own request: alice asks, bob approves. carol holds
 * both roles (to show that self-approval is refused); victor may only look.
 */
export const DEMO_IDENTITIES: readonly DemoIdentity[] = [
  { name: 'alice', displayName: 'Alice', roles: ['operator'], description: 'requests failovers and aborts' },
  { name: 'bob', displayName: 'Bob', roles: ['approver'], description: "approves others' failovers" },
  {
    name: 'carol',
    displayName: 'Carol',
    roles: ['operator', 'approver'],
    description: 'both, but never approves her own request',
  },
  { name: 'victor', displayName: 'Victor', roles: ['viewer'], description: 'read-only' },
];

/** Tokens are for people at a keyboard, so they run on real time, not the virtual clock. */
export const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/** The identity called `name`, or undefined. */
export function findIdentity(name: string): DemoIdentity | undefined {
  return DEMO_IDENTITIES.find((i) => i.name === name);
}

/** The claims of an identity's token, issued at `nowMs` (real epoch ms). */
export function claimsFor(identity: DemoIdentity, nowMs = Date.now()): JwtClaims {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: SANDBOX_ISSUER,
    aud: SANDBOX_AUDIENCE,
    sub: identity.name,
    name: identity.displayName,
    [ROLES_CLAIM]: [...identity.roles],
    iat,
    exp: iat + TOKEN_LIFETIME_SECONDS,
  };
}

/** A signed bearer token (jose, HS256) for the demo identity `name`, valid for 12 hours of real time. */
export async function tokenFor(
  name: string,
  secret: Uint8Array | string,
  nowMs = Date.now(),
): Promise<string> {
  const identity = findIdentity(name);
  if (!identity)
    throw new RangeError(
      `no sandbox identity ${name}; expected one of ${DEMO_IDENTITIES.map((i) => i.name).join(', ')}`,
    );
  return signJwt(claimsFor(identity, nowMs), secret);
}
