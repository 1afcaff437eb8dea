import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { PageConfig } from './session.js';
import { user } from './session.js';

let manager: UserManager | undefined;

function managerFor(config: PageConfig): UserManager {
  if (config.auth.mode !== 'oidc') throw new Error('the console is not configured for OIDC sign-in');
  manager ??= new UserManager({
    authority: config.auth.issuer,
    client_id: config.auth.clientId,
    // Authorization code with PKCE (oidc-client-ts's default): no client secret in the page.
    response_type: 'code',
    redirect_uri: `${location.origin}/`,
    post_logout_redirect_uri: `${location.origin}/`,
    scope: config.auth.scope ?? 'openid',
    // Session storage: a token never outlives the tab.
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
  });
  return manager;
}

/**
 * At load, with OIDC: finishes a sign-in that just came back from the issuer (code in the URL),
 * else picks up this tab's session. The bearer token sent to the API is the access token (what
 * the API's JWT authorizer checks); roles are read from its `switchyard:roles` or
 * `cognito:groups` claim, as the API reads them.
 */
export async function startOidc(config: PageConfig): Promise<void> {
  const m = managerFor(config);
  const params = new URLSearchParams(location.search);
  let signedIn =
    params.has('code') && params.has('state') ? await m.signinRedirectCallback() : await m.getUser();
  if (params.has('code')) history.replaceState(null, '', `${location.origin}/${location.hash}`);
  if (signedIn?.expired) signedIn = null;
  if (!signedIn) return;
  const claims = decodeClaims(signedIn.access_token);
  const name = String(claims.sub ?? claims.username ?? signedIn.profile.sub);
  user.value = {
    name,
    displayName: String(signedIn.profile.name ?? name),
    roles: rolesOf(claims['switchyard:roles'] ?? claims['cognito:groups']),
    token: signedIn.access_token,
  };
}

/** Sends the browser to the issuer to sign in (authorization code flow with PKCE). */
export async function signInWithOidc(config: PageConfig): Promise<void> {
  await managerFor(config).signinRedirect({ state: location.hash });
}

function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function rolesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string')
    return value
      .replace(/^\[|\]$/g, '')
      .split(/[\s,]+/)
      .filter(Boolean);
  return [];
}
