// Schemas of the operator server's routes: the login and logout forms (input, fastify + ajv), and the
// responses: /status.json is serialized from the StatusSnapshot schema below (fast-json-stringify: only
// what it lists is sent, so a field added to StatusSnapshot must be added here too; the operator tests
// compare the two). /healthz, /readyz and /metrics answer text/plain, which fastify sends as it is.

export interface LoginForm {
  _csrf?: string;
  username: string;
  password: string;
}

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const nullableBoolean = { type: ['boolean', 'null'] } as const;

function object(properties: Record<string, object>, nullable = false) {
  return { type: nullable ? ['object', 'null'] : 'object', properties } as const;
}

const DEVICE_VIEW = object({
  key: text,
  kind: text,
  transport: text,
  manufacturer: nullableText,
  model: nullableText,
  serialNumber: nullableText,
  connection: nullableText,
  lastOutcome: nullableText,
  lastSeenAt: nullableText,
  lastReading: object(
    {
      at: text,
      ageSeconds: { type: 'number' },
      value: nullableNumber,
      unit: nullableText,
      flag: nullableText,
      flagReason: nullableText,
    },
    true,
  ),
  session: object(
    {
      startedAt: text,
      expiresAt: nullableText,
      expiresInSeconds: nullableNumber,
      expired: { type: 'boolean' },
    },
    true,
  ),
  readingsStored: { type: 'number' },
  rejected: nullableNumber,
});

const TIME_IN_RANGE = object(
  { below: { type: 'number' }, within: { type: 'number' }, above: { type: 'number' } },
  true,
);

/** server/operator/status.ts StatusSnapshot. */
export const STATUS_SNAPSHOT = object({
  generatedAt: text,
  gatewayId: text,
  source: { type: 'string', enum: ['live', 'database'] },
  ready: { type: 'boolean' },
  uptimeSeconds: nullableNumber,
  parts: {
    type: 'array',
    items: object({ name: text, enabled: { type: 'boolean' }, running: nullableBoolean }),
  },
  store: object({ file: text, bytes: { type: 'number' }, walBytes: { type: 'number' } }),
  devices: { type: 'array', items: DEVICE_VIEW },
  sync: object({
    enabled: { type: 'boolean' },
    connected: nullableBoolean,
    entries: { type: 'number' },
    unsent: { type: 'number' },
    oldestAgeSeconds: nullableNumber,
    alarm: object({ active: { type: 'boolean' }, reason: nullableText }),
  }),
  pairings: object({ active: { type: 'number' }, total: { type: 'number' } }),
  hubClock: object({ synchronized: { type: 'boolean' }, source: text, detail: nullableText }, true),
  recentEvents: {
    type: 'array',
    items: object({ at: text, level: text, component: nullableText, message: text }),
  },
  glucose: object({
    last24h: object({ cgmSamples: { type: 'number' }, meterReadings: { type: 'number' } }),
    agp14d: object({ samples: { type: 'number' }, timeInRange: TIME_IN_RANGE }),
  }),
});

/** A plain-text answer (text/plain; not serialized by fastify). */
const TEXT = { type: 'string' } as const;

export const SCHEMAS = {
  healthz: { response: { 200: TEXT } },
  readyz: { response: { 200: TEXT, 503: TEXT } },
  metrics: { response: { 200: TEXT } },
  statusJson: { response: { 200: STATUS_SNAPSHOT } },
  login: {
    body: {
      type: 'object',
      properties: { _csrf: text, username: text, password: text },
      required: ['username', 'password'],
    },
  },
  // The CSRF token may come as a header instead (@fastify/csrf-protection): no body at all is a logout too.
  logout: { body: { type: ['object', 'null'], properties: { _csrf: text } } },
} as const;
