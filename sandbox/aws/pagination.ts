/**
 * One page of a list API: the items after `token` (an index this API returned, opaque to the
 * caller), at most `limit`, and the token of the next page when more remain. A token this API did
 * not return is refused by `invalid` (each service names its own error).
 */
export function page<T>(
  items: readonly T[],
  limit: number,
  token: string | undefined,
  invalid: (message: string) => Error,
): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    start = /^\d+$/.test(token) ? Number.parseInt(token, 10) : Number.NaN;
    if (!Number.isInteger(start) || start > items.length)
      throw invalid(`the pagination token ${JSON.stringify(token)} is not one this API returned`);
  }
  const slice = items.slice(start, start + limit);
  const end = start + slice.length;
  return end < items.length ? { items: slice, next: String(end) } : { items: slice };
}

/**
 * A `MaxRecords` / `MaxResults` within the API's documented bounds, or its default when absent;
 * out of bounds is refused by `invalid`.
 */
export function pageSize(
  value: unknown,
  bounds: { readonly min: number; readonly max: number; readonly default: number },
  name: string,
  invalid: (message: string) => Error,
): number {
  if (value === undefined) return bounds.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max)
    throw invalid(`${name} must be an integer from ${bounds.min} to ${bounds.max}, got ${String(value)}`);
  return value;
}
