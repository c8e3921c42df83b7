// The CapabilityStatement, generated from what the plugin really serves: the search parameter, sort and
// include tables the parser uses, the profiles of the granted MIVs and the one operation.
import { HDDT, PROFILE } from '../../gateway/hddt/codes.ts';
import type { SearchType } from '../../gateway/store/fhir-search.ts';
import { COMMON_PARAMS, INCLUDES, SEARCH_PARAMS, SORTS, type Miv } from './search-params.ts';

export const CGM_SUMMARY_OPERATION = `${HDDT}/OperationDefinition/hddt-cgm-summary-operation`;
export const CGM_SUMMARY_BUNDLE_PROFILE = `${HDDT}/StructureDefinition/hddt-cgm-summary`;

const SEARCH_PARAM_DEFINITION: Record<string, string> = {
  code: 'http://hl7.org/fhir/SearchParameter/clinical-code',
  date: 'http://hl7.org/fhir/SearchParameter/clinical-date',
  'value-quantity': 'http://hl7.org/fhir/SearchParameter/Observation-value-quantity',
  valueQuantity: 'http://hl7.org/fhir/SearchParameter/Observation-value-quantity',
  'device-name': 'http://hl7.org/fhir/SearchParameter/Device-device-name',
  type: 'http://hl7.org/fhir/SearchParameter/Device-type',
  manufacturer: 'http://hl7.org/fhir/SearchParameter/Device-manufacturer',
  source: 'http://hl7.org/fhir/SearchParameter/DeviceMetric-source',
  _id: 'http://hl7.org/fhir/SearchParameter/Resource-id',
  _lastUpdated: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
};

export interface CapabilityOptions {
  /** Absolute FHIR base URL. */
  baseUrl: string;
  mivs: readonly Miv[];
  maxCount: number;
  /** ISO date of the build/start, for CapabilityStatement.date. */
  date: string;
  softwareVersion: string;
  /** The mTLS/OAuth token endpoints, when known. */
  tokenEndpoint?: string;
}

function searchParams(type: SearchType) {
  return [...SEARCH_PARAMS[type], ...COMMON_PARAMS].map((p) => ({
    name: p.name,
    definition: SEARCH_PARAM_DEFINITION[p.name],
    type: p.type,
    documentation: p.documentation,
  }));
}

function resourceEntry(type: SearchType, profiles: string[]) {
  return {
    type,
    supportedProfile: profiles,
    // Every resource carries meta.versionId and every type serves vread (server/fhir/read.ts).
    interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'search-type' }],
    versioning: 'versioned',
    readHistory: false,
    updateCreate: false,
    conditionalCreate: false,
    conditionalRead: 'not-supported',
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    ...(INCLUDES[type].include.length ? { searchInclude: [...new Set(INCLUDES[type].include)] } : {}),
    searchParam: searchParams(type),
    ...(INCLUDES[type].iterate.length
      ? {
          extension: [
            {
              url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-include-iterate',
              valueString: INCLUDES[type].iterate.join(','),
            },
          ],
        }
      : {}),
  };
}

function observationEntry(opts: CapabilityOptions) {
  const profiles = [
    ...(opts.mivs.includes('bloodGlucose') ? [PROFILE.bloodGlucose] : []),
    ...(opts.mivs.includes('cgm') ? [PROFILE.cgm] : []),
  ];
  return {
    ...resourceEntry('Observation', profiles),
    documentation:
      `Sort: ${SORTS.Observation.join(', ')}. _count up to ${opts.maxCount}; paging by opaque next/previous ` +
      'links. vread serves the current version of an Observation (earlier versions are not kept; a CGM chunk ' +
      'gets a new version with each backfill, found by _lastUpdated); Device and DeviceMetric keep every version.',
    ...(opts.mivs.includes('cgm')
      ? { operation: [{ name: 'hddt-cgm-summary', definition: CGM_SUMMARY_OPERATION }] }
      : {}),
  };
}

const securityEntry = () => ({
  cors: false,
  service: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
          code: 'OAuth',
          display: 'OAuth',
        },
      ],
    },
  ],
  description:
    'Mutual TLS with the DiGA client certificate registered in the DiGA directory, plus an OAuth2 bearer ' +
    'access token (HDDT pairing) on every request except /metadata.',
});

export function capabilityStatement(opts: CapabilityOptions): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.date,
    publisher: 'hddt-gateway',
    kind: 'instance',
    software: { name: 'hddt-gateway', version: opts.softwareVersion },
    implementation: {
      description: 'HDDT Device Data Recorder FHIR resource server (glucose MIVs)',
      url: opts.baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['json', 'xml'],
    rest: [
      {
        mode: 'server',
        security: securityEntry(),
        resource: [
          observationEntry(opts),
          resourceEntry('Device', [PROFILE.device]),
          resourceEntry('DeviceMetric', [PROFILE.deviceMetric]),
          ...(opts.mivs.includes('cgm')
            ? [{ type: 'Bundle', supportedProfile: [CGM_SUMMARY_BUNDLE_PROFILE] }]
            : []),
        ],
        searchParam: [
          { name: '_count', type: 'number', documentation: `page size, at most ${opts.maxCount}` },
          {
            name: '_sort',
            type: 'string',
            documentation: 'one key: date, -date, _lastUpdated, -_lastUpdated, _id',
          },
          {
            name: '_include',
            type: 'string',
            documentation: 'Observation:device, DeviceMetric:source (:iterate)',
          },
          { name: '_format', type: 'string', documentation: 'json or xml' },
        ],
        operation: opts.mivs.includes('cgm')
          ? [{ name: 'hddt-cgm-summary', definition: CGM_SUMMARY_OPERATION }]
          : undefined,
      },
    ],
  };
}
