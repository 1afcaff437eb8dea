import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import type { Identity, Role } from './request.js';

/** What a route lets a caller do. */
export type Permission = 'read' | 'request-failover' | 'abort' | 'approve';

/**
 * The roles that grant each permission. Every role reads; only an operator starts or stops a
 * failover; only an approver approves (and never their own request: see approveExecution).
 */
export const GRANTS: Readonly<Record<Permission, readonly Role[]>> = {
  read: ['viewer', 'operator', 'approver'],
  'request-failover': ['operator'],
  abort: ['operator'],
  approve: ['approver'],
};

/** The caller, if authenticated ({@link UnauthorizedError}). */
export function authenticated(identity: Identity | undefined): Identity {
  if (!identity) {
    throw new UnauthorizedError(
      'not authenticated: got no verified identity; expected a bearer JWT with a subject (claim sub or username)',
    );
  }
  return identity;
}

/** The caller, if one of their roles grants `permission` for `what` ({@link ForbiddenError}). */
export function authorize(identity: Identity | undefined, permission: Permission, what: string): Identity {
  const caller = authenticated(identity);
  const needed = GRANTS[permission];
  if (!caller.roles.some((role) => (needed as readonly string[]).includes(role))) {
    const has = caller.roles.length > 0 ? `role ${caller.roles.join(', ')}` : 'no role';
    throw new ForbiddenError(`${what} needs role ${needed.join(' or ')}; ${caller.name} has ${has}`);
  }
  return caller;
}
