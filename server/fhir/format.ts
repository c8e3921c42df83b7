// Content negotiation for the FHIR API: JSON and XML (via the `fhir` package), `_format`, the fhirVersion
// MIME parameter (anything but 4.0 → 406 for Accept, 415 for Content-Type).
import { createRequire } from 'node:module';
import type * as FhirPackage from 'fhir';
import type { Fhir } from 'fhir';
import { notSupported } from './outcome.ts';

export type Format = 'json' | 'xml';

export const MIME: Record<Format, string> = {
  json: 'application/fhir+json; fhirVersion=4.0; charset=utf-8',
  xml: 'application/fhir+xml; fhirVersion=4.0; charset=utf-8',
};

const JSON_TYPES = new Set([
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'json',
  'text/json',
]);
const XML_TYPES = new Set([
  'application/fhir+xml',
  'application/xml',
  'application/xml+fhir',
  'text/xml',
  'xml',
]);

interface MediaRange {
  type: string;
  q: number;
  fhirVersion?: string;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const range: MediaRange = { type: type.toLowerCase(), q: 1 };
      for (const p of params) {
        const eq = p.indexOf('=');
        if (eq < 0) continue;
        const k = p.slice(0, eq).trim().toLowerCase();
        const v = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
        if (k === 'q') range.q = Number(v);
        else if (k === 'fhirversion') range.fhirVersion = v;
      }
      return range;
    })
    .filter((r) => r.type.length > 0 && r.q > 0);
}

const versionOk = (v: string | undefined) => v === undefined || v === '4.0' || v.startsWith('4.0.');

function formatOf(type: string): Format | null {
  if (JSON_TYPES.has(type)) return 'json';
  if (XML_TYPES.has(type)) return 'xml';
  if (type === '*/*' || type === 'application/*') return 'json';
  if (type === 'text/*') return 'xml';
  return null;
}

/** The response format for `_format` and Accept, or a 406 FhirError. */
export function negotiate(accept: string | undefined, formatParam: string | undefined): Format {
  if (formatParam !== undefined) {
    const f = formatOf(formatParam.split(';')[0].trim().toLowerCase());
    if (!f || formatParam.includes('*')) throw notSupported(406, `Unsupported _format '${formatParam}'`);
    const version = parseMediaRanges(formatParam)[0]?.fhirVersion;
    if (!versionOk(version))
      throw notSupported(406, `Unsupported FHIR version ${version}; this server speaks 4.0`);
    return f;
  }
  if (!accept || accept.trim() === '') return 'json';
  const ranges = parseMediaRanges(accept).sort((a, b) => b.q - a.q);
  let wrongVersion: string | undefined;
  for (const r of ranges) {
    const f = formatOf(r.type);
    if (!f) continue;
    if (!versionOk(r.fhirVersion)) {
      wrongVersion = r.fhirVersion;
      continue;
    }
    return f;
  }
  if (wrongVersion !== undefined) {
    throw notSupported(406, `Unsupported FHIR version ${wrongVersion}; this server speaks 4.0`);
  }
  throw notSupported(
    406,
    `None of the accepted media types (${accept}) is supported; use application/fhir+json or application/fhir+xml`,
  );
}

/** The format of a request body, or a 415 FhirError. `form` allows application/x-www-form-urlencoded. */
export function bodyFormat(
  contentType: string | undefined,
  allowed: ReadonlyArray<Format | 'form'>,
): Format | 'form' {
  const range = contentType ? parseMediaRanges(contentType)[0] : undefined;
  if (!range) throw notSupported(415, 'Missing Content-Type');
  if (!versionOk(range.fhirVersion)) {
    throw notSupported(
      415,
      `Unsupported FHIR version ${range.fhirVersion} in Content-Type; this server speaks 4.0`,
    );
  }
  const f: Format | 'form' | null =
    range.type === 'application/x-www-form-urlencoded'
      ? 'form'
      : JSON_TYPES.has(range.type)
        ? 'json'
        : XML_TYPES.has(range.type)
          ? 'xml'
          : null;
  if (!f || !allowed.includes(f)) throw notSupported(415, `Unsupported Content-Type ${range.type}`);
  return f;
}

// Loaded on the first XML body: the package costs ~30 ms of every start, and most clients ask for JSON.
let loaded: Fhir | undefined;
const converter = (): Fhir =>
  (loaded ??= new (createRequire(import.meta.url)('fhir') as typeof FhirPackage).Fhir());

export function toXml(resource: object): string {
  return converter().objToXml(resource);
}

export function fromXml(xml: string): Record<string, unknown> {
  return converter().xmlToObj(xml) as Record<string, unknown>;
}

/** Serializes a resource given as an object or as JSON text (a string or UTF-8 bytes, sent as they are). */
export function serialize(resource: object | string | Buffer, format: Format): string | Buffer {
  if (format === 'json') {
    return typeof resource === 'string' || Buffer.isBuffer(resource) ? resource : JSON.stringify(resource);
  }
  if (Buffer.isBuffer(resource)) return toXml(JSON.parse(resource.toString('utf8')) as object);
  return toXml(typeof resource === 'string' ? (JSON.parse(resource) as object) : resource);
}
