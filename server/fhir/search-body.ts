// Search parameters out of a request: the query string, and the body of POST [type]/_search. R4 wants the
// body form-encoded; HDDT's CGM page shows a flat JSON object instead ({"code":"99504-3"}, application/json),
// which DiGA developers copy, so that is read as the same search. Anything else is a 400 or 415 naming why.
import { bodyFormat } from './format.ts';
import { badRequest } from './outcome.ts';

export type Pairs = Array<[string, string]>;

/** Name/value pairs of a query string in order; `+` stays `+` (a time zone offset, not a space). */
export function queryPairs(url: string): Pairs {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const out: Pairs = [];
  for (const part of url.slice(q + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    try {
      out.push([decodeURIComponent(k), decodeURIComponent(v)]);
    } catch {
      throw badRequest(`Malformed query string near '${k.slice(0, 40)}'`, undefined, 'invalid');
    }
  }
  return out;
}

/** The parameters a POST _search body carries (none for an empty body); 415 for other content types. */
export function searchBodyPairs(contentType: string | undefined, body: Buffer | undefined): Pairs {
  if (!body || body.length === 0) return [];
  const format = bodyFormat(contentType, ['form', 'json']);
  const text = body.toString('utf8');
  return format === 'form' ? [...new URLSearchParams(text)] : flatJsonPairs(text);
}

const JSON_EXAMPLE = 'e.g. {"code":"99504-3","date":["ge2025-10-01","lt2025-11-01"]}';

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array inside the array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A flat JSON object as search parameters: each member a string or number (one parameter) or an array of
 * them (the parameter repeated, as `date=ge…&date=lt…` would be). A number becomes its shortest decimal form
 * (5.50 → "5.5": give a string where trailing zeros carry precision, as in a value-quantity).
 */
export function flatJsonPairs(text: string): Pairs {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw badRequest(
      `The JSON search body is not valid JSON: ${(err as Error).message}`,
      undefined,
      'invalid',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(
      `The JSON search body must be an object of search parameters (${JSON_EXAMPLE}), not ${
        Array.isArray(body) ? 'an array' : body === null ? 'null' : `a ${typeof body}`
      }`,
      undefined,
      'invalid',
    );
  }
  const out: Pairs = [];
  for (const [name, value] of Object.entries(body)) {
    const shown = name.slice(0, 64);
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.length === 0) {
      throw badRequest(`Search parameter '${shown}' in the JSON body is an empty array`, shown, 'invalid');
    }
    for (const v of values) {
      if (typeof v === 'string') out.push([name, v]);
      else if (typeof v === 'number') out.push([name, String(v)]);
      else {
        throw badRequest(
          `Search parameter '${shown}' in the JSON body must be a string, a number or an array of them, not ${kindOf(v)} (${JSON_EXAMPLE})`,
          shown,
          'invalid',
        );
      }
    }
  }
  return out;
}
