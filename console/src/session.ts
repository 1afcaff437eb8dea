import { computed, signal } from '@preact/signals';
import { get, useTokenSource } from './api.js';
import type { SandboxIdentity } from './types.js';

/** How the page was told to sign people in (inlined in the HTML by whoever served it). */
export interface PageConfig {
  readonly auth:
    | { readonly mode: 'sandbox' }
    | { readonly mode: 'oidc'; readonly issuer: string; readonly clientId: string; readonly scope?: string };
  readonly region?: string;
}

/** The person signed in: name, roles and bearer token. */
export interface SignedIn {
  readonly name: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly token: string;
}

/** The page's config, read once from the inlined JSON. */
export function readConfig(): PageConfig {
  const text = document.getElementById('switchyard-config')?.textContent ?? '{}';
  const parsed = JSON.parse(text) as Partial<PageConfig>;
  return { auth: parsed.auth ?? { mode: 'sandbox' }, ...(parsed.region ? { region: parsed.region } : {}) };
}

/** Everyone the sandbox can sign in as (empty outside the sandbox). */
export const identities = signal<readonly SandboxIdentity[]>([]);
/** Who is signed in, or null. */
export const user = signal<SignedIn | null>(null);
/** The signed-in person's roles. */
export const roles = computed(() => new Set(user.value?.roles ?? []));

const PICKED_KEY = 'switchyard.identity';

useTokenSource(() => user.value?.token);

/** Loads the sandbox's demo identities and signs in as the one picked last in this tab, if any. */
export async function loadSandboxIdentities(): Promise<void> {
  const answer = await get<{ identities: SandboxIdentity[] }>('/sandbox/tokens');
  identities.value = answer.identities;
  const picked = sessionStorage.getItem(PICKED_KEY);
  const found = answer.identities.find((i) => i.name === picked);
  if (found) actAs(found.name);
}

/** Signs in as the sandbox identity `name` (remembered for this tab). */
export function actAs(name: string): void {
  const identity = identities.value.find((i) => i.name === name);
  if (!identity) {
    user.value = null;
    sessionStorage.removeItem(PICKED_KEY);
    return;
  }
  sessionStorage.setItem(PICKED_KEY, identity.name);
  user.value = {
    name: identity.name,
    displayName: identity.displayName,
    roles: identity.roles,
    token: identity.token,
  };
}

/** Why the signed-in person may not do something needing `role`, or undefined when they may. */
export function lacks(role: 'operator' | 'approver'): string | undefined {
  if (!user.value) return 'sign in first';
  if (roles.value.has(role)) return undefined;
  return `needs role ${role}; ${user.value.name} has ${user.value.roles.join(', ') || 'no role'}`;
}
