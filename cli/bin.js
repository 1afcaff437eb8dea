#!/usr/bin/env node
// The switchyard CLI. It is TypeScript run through tsx, as `npm start` runs it.
import { register } from 'tsx/esm/api';

// Switchyard supports Node 20 (see README); the SDK's notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('./main.ts');
