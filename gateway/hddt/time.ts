// FHIR instants as the HDDT examples write them: UTC, second precision unless milliseconds matter.
export function fhirInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** FHIR `date` (YYYY-MM-DD) of an instant, in UTC. */
export function fhirDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
