// Input schemas of the patient pages (fastify validates them with ajv; a failure is the 400 error page of
// plugin.ts). Every value is one string; `miv` is a list (one checkbox value becomes a list of one). Length
// and content rules stay in the handlers, where a failure has its own answer (an expired transaction, a
// failed login in the privacy trail). The CSRF check runs before validation (preValidation).

export interface TxQuery {
  tx?: string;
}

export interface LoginForm {
  _csrf?: string;
  tx?: string;
  username?: string;
  password?: string;
}

export interface CodeForm {
  _csrf?: string;
  tx?: string;
  code?: string;
}

export interface ConsentForm {
  _csrf?: string;
  tx?: string;
  miv?: string[];
  decision?: string;
}

export interface RevokeForm {
  _csrf?: string;
  pairing?: string;
}

const text = { type: 'string' } as const;

function form(properties: Record<string, object>) {
  return { type: 'object', properties: { _csrf: text, ...properties } } as const;
}

const TX_QUERY = { type: 'object', properties: { tx: text } } as const;

export const SCHEMAS = {
  txQuery: { querystring: TX_QUERY },
  login: { body: form({ tx: text, username: text, password: text }) },
  code: { body: form({ tx: text, code: text }) },
  consent: {
    body: form({ tx: text, miv: { type: 'array', items: text }, decision: text }),
  },
  revoke: { body: form({ pairing: text }) },
  /** Forms that carry nothing but the CSRF token (logout, withdraw all); it may come as a header instead. */
  csrfOnly: { body: { type: ['object', 'null'], properties: { _csrf: text } } },
} as const;
