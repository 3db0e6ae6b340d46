import { InvalidArgumentError } from '../../util/errors.js';
import { alignColumns, alignTabbed } from './table.js';

/** A column of a listing: its header and the view field that fills it. */
export interface Column {
  header: string;
  field: string;
}

export interface ListingOptions {
  /** --format: 'json', 'table ...', or a Go template. */
  format?: string;
  quiet?: boolean;
  /** The view field printed one per line for -q. */
  quietField?: string;
  noHeading?: boolean;
}

/**
 * Renders a listing (ps, images) the podman way: the default table, -q ids,
 * --format json (an array of the views' JSON form), `table` templates with a
 * header row, or a plain Go template per row. Returns the text for stdout.
 */
export async function renderListing<V extends { toJSON(): unknown }>(views: V[], columns: Column[], options: ListingOptions): Promise<string> {
  if (options.quiet) {
    return views.map((v) => String((v as Record<string, unknown>)[options.quietField ?? 'ID']) + '\n').join('');
  }
  const format = options.format?.trim();
  if (format === 'json' || format === '{{json .}}') {
    return JSON.stringify(views.map((v) => v.toJSON()), null, 4) + '\n';
  }
  if (!format || format === 'table') {
    const rows = views.map((v) => columns.map((c) => String((v as Record<string, unknown>)[c.field] ?? '')));
    return alignColumns(options.noHeading ? rows : [columns.map((c) => c.header), ...rows]);
  }
  const template = await import('../../format/template.js');
  const source = format;
  if (template.isTableTemplate(source)) {
    const body = template.stripTable(source);
    const compiled = await compile(body);
    const lines = views.map((v) => compiled.execute(v));
    const header = headerFor(body, columns, template.tableHeaders(source));
    return alignTabbed(options.noHeading ? lines : [header, ...lines]);
  }
  const compiled = await compile(source);
  return views.map((v) => compiled.execute(v) + '\n').join('');
}

/** Renders one document (inspect, info, version) as JSON or through a template. */
export async function renderDocument(doc: unknown, format?: string): Promise<string> {
  if (!format || format === 'json') return JSON.stringify(doc, null, 4) + '\n';
  return (await compile(format)).execute(doc) + '\n';
}

/** The template layer throws plain errors; to the user they are bad input (exit 125). */
async function compile(source: string) {
  const template = await import('../../format/template.js');
  try {
    return template.compileTemplate(source);
  } catch (err) {
    if (err instanceof template.TemplateError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** Use the listing's own column titles (CONTAINER ID, ...) where the template names a known field. */
function headerFor(body: string, columns: Column[], generic: string): string {
  const fields = [...body.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)].map((m) => m[1]);
  const genericParts = generic.split('\t');
  if (fields.length !== genericParts.length) return generic;
  return fields.map((f, i) => columns.find((c) => c.field === f)?.header ?? genericParts[i]).join('\t');
}
