// Helpers the Observation search checks share: the MIVs in the data, a code parameter for one MIV, and "this
// search returns exactly these ids".
import { fail } from '../check.ts';
import type { FhirResource, KitContext, Pairing } from '../context.ts';
import { setDifference } from '../date-search.ts';
import { ids, searchAll } from '../fhir.ts';
import { LOINC, MIV_CODES, mivOf, type MivId } from '../hddt-terms.ts';

/** The MIVs present in the data, with the Observations of each. */
export function byMiv(obs: FhirResource[]): Map<MivId, FhirResource[]> {
  const out = new Map<MivId, FhirResource[]>();
  for (const o of obs) {
    const m = mivOf(o as never);
    if (m) out.set(m, [...(out.get(m) ?? []), o]);
  }
  return out;
}

/** `code=` with every LOINC code of the MIV, system-qualified. */
export const codeParam = (m: MivId) =>
  Object.keys(MIV_CODES[m])
    .map((c) => `${LOINC}|${c}`)
    .join(',');

/** Fails the check unless the search (to its last page) returns exactly `want`; gives the match count. */
export async function same(
  ctx: KitContext,
  p: Pairing,
  params: Array<[string, string]>,
  want: Set<string>,
  what: string,
): Promise<number> {
  const got = new Set(ids((await searchAll(ctx, p, 'Observation', [...params, ['_count', '100']])).matches));
  const diff = setDifference(want, got);
  if (diff) fail(`${what}: ${diff}`);
  return got.size;
}
