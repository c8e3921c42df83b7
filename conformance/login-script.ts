// The login script: how the kit gets a test patient through a DDR's login and consent pages in Chromium. It is
// configuration, not code: a list of pages, each recognised by a CSS selector and worked by a few steps (fill,
// click, check), and the credentials of the test patients the steps refer to as {placeholders}. {totp} is the
// current TOTP code of the patient's `totpSecret`. Without `pages`, the script drives this gateway's own pages.
import fs from 'node:fs';

export type PatientKey = 'a' | 'b';

export interface LoginStep {
  /** Type `value` into the field matched by this selector. */
  fill?: string;
  value?: string;
  /** Tick one checkbox. */
  check?: string;
  /** Tick every checkbox the selector matches (the consent page's MIVs: the kit asks for the scope it wants). */
  checkAll?: string;
  /** Click (submits the page). */
  click?: string;
}

export interface LoginPage {
  name: string;
  /** The page is this one when the selector matches an element. */
  match: string;
  steps: LoginStep[];
}

export interface LoginScript {
  pages: LoginPage[];
  /** Credentials of test patient A (required) and B (for the isolation checks). */
  patients: Partial<Record<PatientKey, Record<string, string>>>;
  /** Give up on one login after this long (default 60 s). */
  timeoutMs: number;
}

/** This gateway's patient pages (server/pages/views.ts). */
export const DEFAULT_PAGES: LoginPage[] = [
  {
    name: 'login',
    match: 'form[action="/account/login"]',
    steps: [
      { fill: 'input[name="username"]', value: '{username}' },
      { fill: 'input[name="password"]', value: '{password}' },
      { click: 'form[action="/account/login"] button[type="submit"]' },
    ],
  },
  {
    name: 'totp',
    match: 'form[action="/account/login/totp"]',
    steps: [
      { fill: 'input[name="code"]', value: '{totp}' },
      { click: 'form[action="/account/login/totp"] button[type="submit"]' },
    ],
  },
  {
    name: 'consent',
    match: 'form[action="/account/consent"]',
    steps: [{ checkAll: 'input[name="miv"]' }, { click: 'button[name="decision"][value="allow"]' }],
  },
];

export class LoginScriptError extends Error {}

const STEP_KEYS = new Set(['fill', 'value', 'check', 'checkAll', 'click']);
const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new LoginScriptError(`${where} must be a non-empty string`);
  return v;
}

function parseStep(raw: unknown, where: string): LoginStep {
  if (!raw || typeof raw !== 'object') throw new LoginScriptError(`${where} must be an object`);
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s))
    if (!STEP_KEYS.has(k)) throw new LoginScriptError(`${where}: unknown key ${k}`);
  const actions = ['fill', 'check', 'checkAll', 'click'].filter((k) => k in s);
  if (actions.length !== 1)
    throw new LoginScriptError(`${where} needs exactly one of fill, check, checkAll, click`);
  const step: LoginStep = {};
  for (const k of actions) (step as Record<string, string>)[k] = str(s[k], `${where}.${k}`);
  if (step.fill !== undefined)
    step.value = typeof s.value === 'string' ? s.value : str(s.value, `${where}.value`);
  return step;
}

function parsePages(raw: unknown): LoginPage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new LoginScriptError('pages must be a non-empty array');
  return raw.map((p, i) => {
    const where = `pages[${i}]`;
    if (!p || typeof p !== 'object') throw new LoginScriptError(`${where} must be an object`);
    const o = p as Record<string, unknown>;
    if (!Array.isArray(o.steps) || o.steps.length === 0)
      throw new LoginScriptError(`${where}.steps must be a non-empty array`);
    return {
      name: typeof o.name === 'string' ? o.name : `page ${i + 1}`,
      match: str(o.match, `${where}.match`),
      steps: o.steps.map((s, j) => parseStep(s, `${where}.steps[${j}]`)),
    };
  });
}

/** The placeholders the pages use, each of which every patient must define ({totp} needs totpSecret). */
function placeholders(pages: LoginPage[]): Set<string> {
  const out = new Set<string>();
  for (const p of pages)
    for (const s of p.steps) for (const m of (s.value ?? '').matchAll(PLACEHOLDER)) out.add(m[1]!);
  return out;
}

export function parseLoginScript(raw: unknown): LoginScript {
  if (!raw || typeof raw !== 'object') throw new LoginScriptError('the login script must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['pages', 'patients', 'timeoutMs'].includes(k)) throw new LoginScriptError(`unknown key ${k}`);
  }
  const pages = o.pages === undefined ? DEFAULT_PAGES : parsePages(o.pages);
  if (!o.patients || typeof o.patients !== 'object')
    throw new LoginScriptError('patients must be an object with a and b');
  const patients: LoginScript['patients'] = {};
  for (const [k, v] of Object.entries(o.patients as Record<string, unknown>)) {
    if (k !== 'a' && k !== 'b') throw new LoginScriptError(`patients.${k}: only a and b are known`);
    if (!v || typeof v !== 'object') throw new LoginScriptError(`patients.${k} must be an object`);
    const creds: Record<string, string> = {};
    for (const [f, x] of Object.entries(v as Record<string, unknown>))
      creds[f] = str(x, `patients.${k}.${f}`);
    patients[k] = creds;
  }
  if (!patients.a) throw new LoginScriptError('patients.a is required');
  for (const name of placeholders(pages)) {
    const field = name === 'totp' ? 'totpSecret' : name;
    for (const [k, creds] of Object.entries(patients)) {
      if (!(field in creds)) throw new LoginScriptError(`patients.${k} has no ${field} (used as {${name}})`);
    }
  }
  const timeoutMs = o.timeoutMs === undefined ? 60_000 : Number(o.timeoutMs);
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1000)
    throw new LoginScriptError('timeoutMs must be at least 1000');
  return { pages, patients, timeoutMs };
}

export function readLoginScript(file: string): LoginScript {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LoginScriptError(`cannot read the login script ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LoginScriptError(`the login script ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseLoginScript(raw);
}

/** A step's value with the patient's placeholders filled in ({totp} by the caller's code). */
export function fillValue(template: string, creds: Record<string, string>, totp: () => string): string {
  return template.replace(PLACEHOLDER, (_m, name: string) =>
    name === 'totp' ? totp() : (creds[name] ?? ''),
  );
}

/** Every credential value of the script (masked in reports). */
export function scriptSecrets(script: LoginScript): string[] {
  return Object.values(script.patients).flatMap((c) => Object.values(c ?? {}));
}
