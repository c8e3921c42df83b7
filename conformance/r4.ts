// FHIR R4 core structure of a returned resource. FHIR.js (the `fhir` package the server already ships for XML)
// checks elements, cardinality, types and required bindings against the R4 definitions it bundles; its
// primitive patterns are not anchored and it lets two choices of one [x] element through, so the kit walks the
// same definitions once more for those two rules. Needs nothing from the development tree.
import { Fhir } from 'fhir';

interface Property {
  _name: string;
  _type: string;
  _choice?: string;
  _multiple?: boolean;
  _properties?: Property[];
}

const fhir = new Fhir();
const definitions = (
  fhir as unknown as { parser: { parsedStructureDefinitions: Record<string, { _properties?: Property[] }> } }
).parser.parsedStructureDefinitions;

/** R4 regular expressions of the primitive types (datatypes.html), anchored. */
const PRIMITIVE: Record<string, RegExp> = {
  date: /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$/,
  dateTime:
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/,
  instant:
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/,
  id: /^[A-Za-z0-9\-.]{1,64}$/,
  code: /^[^\s]+( [^\s]+)*$/,
  uri: /^\S*$/,
  canonical: /^\S*$/,
};

function walk(obj: unknown, props: Property[] | undefined, path: string, out: string[]): void {
  if (!obj || typeof obj !== 'object' || !props) return;
  const choices = new Map<string, string[]>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const p = props.find((x) => x._name === k);
    if (!p) continue;
    if (p._choice) choices.set(p._choice, [...(choices.get(p._choice) ?? []), k]);
    for (const item of Array.isArray(v) ? v : [v]) {
      const at = `${path}.${k}`;
      const re = PRIMITIVE[p._type];
      if (re) {
        if (typeof item === 'string' && !re.test(item))
          out.push(`${at}: ${JSON.stringify(item)} is not a valid ${p._type}`);
      } else if (p._type === 'Resource' && item && typeof item === 'object') {
        const rt = (item as { resourceType?: string }).resourceType;
        if (rt) walk(item, definitions[rt]?._properties, `${at}(${rt})`, out);
      } else {
        walk(item, p._properties ?? definitions[p._type]?._properties, at, out);
      }
    }
  }
  for (const [name, keys] of choices)
    if (keys.length > 1) out.push(`${path}: ${name}[x] given ${keys.length} times (${keys.join(', ')})`);
}

/** R4 structure errors of a resource (empty when valid). */
export function r4Errors(resource: { resourceType?: string }): string[] {
  const out: string[] = [];
  try {
    const v = fhir.validate(resource, { errorOnUnexpected: true });
    for (const m of v.messages ?? []) {
      if (m.severity === 'error' || m.severity === 'fatal')
        out.push(`${m.location ?? ''}: ${m.message ?? ''}`);
    }
  } catch (err) {
    out.push(`not readable as FHIR R4 (${(err as Error).message})`);
  }
  const def = resource.resourceType ? definitions[resource.resourceType] : undefined;
  if (!def) out.push(`unknown resourceType ${JSON.stringify(resource.resourceType)}`);
  else walk(resource, def._properties, resource.resourceType!, out);
  return out;
}
