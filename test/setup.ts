import '../functions/core/polyfills.js';
