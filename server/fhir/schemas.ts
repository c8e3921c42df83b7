// Input schemas of the FHIR routes (fastify validates them with ajv). What they say is what holds for every
// request the API serves; the finer rules keep their own answers elsewhere: an id or version that cannot
// exist is an unknown resource (404, read.ts, via attachValidation), search parameters are parsed in their
// order from the raw query and body by search-params.ts (400 naming the parameter), bodies (form, JSON, XML)
// are parsed by the handlers (415 for other content types). Any other schema failure is a 400
// OperationOutcome (respond.ts). Responses are stored resource JSON, passed through without a schema.

/** The R4 id datatype. */
export const ID_PATTERN = '^[A-Za-z0-9.-]{1,64}$';
const VERSION_PATTERN = '^[0-9]{1,9}$';

export interface ReadHeaders {
  'if-none-match'?: string;
}

const text = { type: 'string' } as const;
/** A search parameter as the query string carries it: once, or repeated (AND). */
const parameter = { anyOf: [text, { type: 'array', items: text }] } as const;

const SEARCH_QUERY = {
  type: 'object',
  properties: { _format: parameter, _count: parameter, _sort: parameter, _cursor: parameter },
  additionalProperties: parameter,
} as const;

/** Reads and the operation take no search parameters; `_format` (onRequest) picks the response format. */
const FORMAT_QUERY = {
  type: 'object',
  properties: { _format: parameter, _pretty: parameter },
} as const;

const BODY_HEADERS = {
  type: 'object',
  properties: { 'content-type': text },
} as const;

export const SCHEMAS = {
  metadata: { querystring: FORMAT_QUERY },
  search: { querystring: SEARCH_QUERY },
  searchPost: { querystring: SEARCH_QUERY, headers: BODY_HEADERS },
  read: {
    params: {
      type: 'object',
      properties: { id: { type: 'string', pattern: ID_PATTERN } },
      required: ['id'],
    },
    querystring: FORMAT_QUERY,
    headers: { type: 'object', properties: { 'if-none-match': text } },
  },
  vread: {
    params: {
      type: 'object',
      properties: {
        id: { type: 'string', pattern: ID_PATTERN },
        vid: { type: 'string', pattern: VERSION_PATTERN },
      },
      required: ['id', 'vid'],
    },
    querystring: FORMAT_QUERY,
    headers: { type: 'object', properties: { 'if-none-match': text } },
  },
  summary: { querystring: FORMAT_QUERY, headers: BODY_HEADERS },
} as const;
