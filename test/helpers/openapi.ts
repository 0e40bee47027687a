/**
 * Checks responses against an OpenAPI 3.0 document with ajv: the status must be one the
 * operation lists, and a JSON body must match that response's schema. Used by the admin API
 * tests on every response they get, so the served document cannot drift from the code.
 */
import { createRequire } from 'node:module';

const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class OpenApiChecker {
  readonly #ajv = new Ajv({ strict: false, allErrors: true });
  readonly #doc: Doc;
  readonly #base: string;

  constructor(doc: unknown, base: string) {
    this.#doc = doc as Doc;
    this.#base = base;
    this.#ajv.addSchema(doc as object, 'api');
  }

  /** The path template (`/invites/{id}`) a concrete path under the base matches. */
  template(path: string): string | undefined {
    const rel = path.slice(this.#base.length).split('?')[0]!;
    // A literal path beats a template (`/invites/account` is not `/invites/{id}`).
    const templates = Object.keys(this.#doc.paths).sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    return templates.find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(rel));
  }

  /** Problems with a response ([] when it matches the document). */
  problems(method: string, path: string, status: number, contentType: string | undefined, body: string): string[] {
    const template = this.template(path);
    if (!template) return [`${path} is not in the document`];
    const op = this.#doc.paths[template]![method.toLowerCase()];
    if (!op) return [`${method} ${template} is not in the document`];
    const response = op.responses[String(status)];
    if (!response) return [`${method} ${template} does not document status ${status}`];
    if (!response.content) return body === '' ? [] : [`${method} ${template} ${status} should have an empty body`];
    if (!contentType?.startsWith('application/json')) return [`${method} ${template} ${status}: Content-Type ${contentType}`];
    const id = `api#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`;
    const validate = this.#ajv.getSchema(id);
    if (!validate) return [`no schema at ${id}`];
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return [`${method} ${template} ${status}: body is not JSON`];
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${method} ${template} ${status}: ${e.instancePath} ${e.message}`);
  }
}
