// Reading a JWT's header and claims without verifying it: the kit has no key of the DDR (HDDT publishes none),
// it checks what the token says, and the resource server's answers show whether the signature is checked.

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  parts: string[];
}

function part(s: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The decoded compact JWS, or undefined when the token is not one (opaque, JWE, garbage). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = part(parts[0]!);
  const payload = part(parts[1]!);
  return header && payload ? { header, payload, parts } : undefined;
}

/** The same token with one signature byte changed (still well-formed). */
export function tamperSignature(token: string): string {
  const parts = token.split('.');
  const sig = Buffer.from(parts[2] ?? '', 'base64url');
  if (sig.length === 0) return `${token}x`;
  sig[sig.length >> 1] ^= 0x5a;
  return [parts[0], parts[1], sig.toString('base64url')].join('.');
}
