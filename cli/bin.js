#!/usr/bin/env node
// The switchyard CLI. It is TypeScript run through tsx, as `npm start` runs it.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
