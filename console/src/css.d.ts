/** Stylesheets imported for their side effect: esbuild bundles them into `/assets/main.css`. */
declare module '*.css';
