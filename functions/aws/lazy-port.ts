/**
 * A port whose adapter module is loaded at its first call, not at the function's init: in a Lambda
 * bundle built with code splitting (infra/bundling.ts), `load`'s `import()` of the adapter becomes a
 * separate chunk of the function's package, with the SDK client the adapter names, which Node reads
 * and compiles only when a path of the function calls the port. The operator API composes the ports
 * that only some of its routes take this way (functions/handlers/operator-api-deps.ts): a request
 * that reads the state store never loads the RDS, Route 53 or ARC clients (docs/architecture.md,
 * "Bundles").
 */

/** The names of `T`'s methods that return a promise (a lazy port can only stand for those). */
export type AsyncMethodName<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

/**
 * A port that loads its adapter at the first call of any of `methods` (memoised; a load that fails
 * is forgotten, so the next call loads again, as a retried step would) and then forwards every call
 * to it. `methods` are exactly the adapter's own methods, optional ones included (a caller tests an
 * optional method's presence, which must answer as the adapter would): test/aws/lazy-port.test.ts
 * compares each list of the operator API with its adapter. Throws (at the call, as a rejected
 * promise) what `load` throws, and a TypeError when the loaded adapter lacks a listed method.
 */
export function lazyPort<T extends object>(
  load: () => Promise<T>,
  methods: readonly AsyncMethodName<T>[],
): T {
  let loading: Promise<T> | undefined;
  const adapter = (): Promise<T> => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  const port: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of methods) {
    port[name] = async (...args: unknown[]) => {
      const loaded = (await adapter()) as Record<string, unknown>;
      const method = loaded[name];
      if (typeof method !== 'function')
        throw new TypeError(
          `lazy port: the loaded adapter has no method ${name} (got ${typeof method}); expected the adapter's methods to be ${methods.join(', ')}`,
        );
      return (method as (...a: unknown[]) => Promise<unknown>).apply(loaded, args);
    };
  }
  return port as T;
}
