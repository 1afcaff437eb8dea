import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The schema library of everything that ships in a Lambda bundle: zod's tree-shakable functional
 * API (`zod/mini`, same package and the same validation core as `zod`), about 25 KB of a bundle
 * where the chained API is 95 KB, since each of its schemas carries every method. The plan schema,
 * validated at synth and by the CLI, keeps the chained API (functions/core/plan-schema.ts): no
 * bundle imports it (functions/handlers/environment.ts).
 *
 * `zod/mini` loads no locale of its own: English messages are configured here, once, so that an
 * issue reads as with `zod` ("Too small: expected string to have >=1 characters"). Import it as
 * `import * as z from '../core/zod.js'` (a namespace import keeps it tree-shakable), never from
 * `zod/mini` directly.
 */
config(en());

export * from 'zod/mini';
