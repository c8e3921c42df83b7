// The operator API's JSON schemas: inputs are validated by fastify, fixed-shape answers serialized by them.
export const DEVICE_KEY = '^[\\x21-\\x7e]{1,200}$';
export const HANDLE = '^[0-9a-f]{32}$';

const nullableString = { type: ['string', 'null'] };

export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
};

export const deviceParams = {
  type: 'object',
  required: ['device'],
  properties: { device: { type: 'string', pattern: DEVICE_KEY } },
};

export const assignment = {
  type: 'object',
  required: ['device', 'patient', 'assignedAt'],
  properties: {
    device: { type: 'string' },
    patient: { type: 'string', description: 'pseudonymous sync handle of the patient' },
    assignedAt: { type: 'string' },
  },
};

export const period = {
  type: 'object',
  required: ['patient', 'from', 'until'],
  properties: {
    patient: { type: 'string', description: 'pseudonymous sync handle of the patient' },
    from: { ...nullableString, description: "null: the device's whole history before its first assignment" },
    until: { ...nullableString, description: 'null while the period is open' },
  },
};

export const device = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    transport: { type: 'string' },
    kind: { type: 'string' },
    manufacturer: nullableString,
    model: nullableString,
    serialNumber: nullableString,
    name: nullableString,
    firstSeen: { type: 'string' },
    lastSeen: { type: 'string' },
    assigned: { type: 'boolean' },
  },
};

const counts = { type: 'object', additionalProperties: { type: 'integer' } };

export const pairings = {
  type: 'object',
  properties: {
    clients: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          clientId: { type: 'string' },
          name: nullableString,
          directoryStatus: { type: 'string' },
          active: { type: 'integer' },
          ended: counts,
        },
      },
    },
    total: { type: 'object', properties: { active: { type: 'integer' }, ended: { type: 'integer' } } },
  },
};

export const outbox = {
  type: 'object',
  properties: {
    depth: { type: 'integer' },
    unsent: { type: 'integer' },
    oldestCreatedAt: nullableString,
    oldestAgeSeconds: { type: ['integer', 'null'] },
    lastSeq: { type: 'integer' },
  },
};

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
