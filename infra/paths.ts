import { fileURLToPath } from 'node:url';

/** The repository root: infra/ refers to handlers, plans and runbooks by path from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));
export const HANDLERS_DIR = fileURLToPath(new URL('../functions/handlers/', import.meta.url));
export const STATE_MACHINES_DIR = fileURLToPath(new URL('../state-machines/', import.meta.url));
export const PLANS_DIR = fileURLToPath(new URL('../plans/', import.meta.url));
export const DEPS_LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('./deploy.config.yaml', import.meta.url));
