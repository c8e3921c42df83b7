// Input schemas of the OAuth endpoints: every parameter once and a string (RFC 6749 §3.1: "MUST NOT be
// included more than once"), at most 4096 characters; unknown parameters are allowed (ignored by the handlers,
// §3.1 again). The routes attach a refusal to the request (attachValidation) and the handler answers it as its
// own RFC 6749 error (requestParams in errors.ts): JSON for /par, /token, /revoke, a page for /authorize.

const MAX_PARAM_LENGTH = 4096;

const PARAMS = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: MAX_PARAM_LENGTH },
} as const;

/** /par, /token and /revoke take form bodies; /authorize a query string. */
export const OAUTH_SCHEMAS = {
  form: { body: PARAMS },
  query: { querystring: PARAMS },
} as const;
