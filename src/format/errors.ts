/**
 * Raised for any problem with a --format template, at parse or execution
 * time. Messages follow Go's text/template wording so they read like podman's
 * (`template: ps:1: function "foo" not defined`).
 *
 * This deliberately extends plain Error: src/format imports nothing outside
 * itself, so the CLI layer is expected to map it onto its own error classes.
 */
export class TemplateError extends Error {
  constructor(message: string) {
    // Always one line: contexts quote template text, which may hold newlines.
    super(message.replace(/\r?\n/g, '\\n'));
    this.name = 'TemplateError';
  }
}
