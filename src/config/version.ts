/**
 * skiff's version. package.json holds it too (a unit test keeps the two
 * equal): bin/skiff reads it from there to answer a bare `skiff --version`
 * without loading the CLI.
 */
export const SKIFF_VERSION = '0.1.0';
