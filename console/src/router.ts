import { signal } from '@preact/signals';

/** The current route: the hash without `#`, e.g. `/executions/orders/abc`. */
export const route = signal(currentRoute());

function currentRoute(): string {
  return decodeURI(location.hash.replace(/^#/, '')) || '/';
}

window.addEventListener('hashchange', () => {
  route.value = currentRoute();
});

/** Goes to `path` (a hash route). */
export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** The route's segments after the first, when it starts with `/${name}`; undefined otherwise. */
export function matchRoute(name: string): string[] | undefined {
  const parts = route.value.split('/').filter(Boolean);
  if (name === '' ? parts.length === 0 : parts[0] === name) return parts.slice(1);
  return undefined;
}
