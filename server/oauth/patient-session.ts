// Browser sessions of the patient pages. The cookie carries 256 random bits; the database keeps only the
// SHA-256 hash. The id changes whenever the session's privilege changes (password ok, fully logged in),
// so a planted id never becomes a logged-in one. Cookie: __Host- prefix, Secure, HttpOnly, SameSite=Lax
// (Lax, not Strict, so a patient already logged in is recognised when a DiGA sends them to /authorize).
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  deleteSession,
  getSessionByHash,
  insertSession,
  touchSession,
  updateSession,
  type SessionRow,
  type SessionStage,
} from '../../gateway/store/oauth-accounts.ts';
import type { ServerServices } from '../services.ts';
import { hashSecret, randomSecret } from './secrets.ts';

export const SESSION_COOKIE = '__Host-hddt_session';

function cookieOptions(maxAgeSeconds: number) {
  return { path: '/', secure: true, httpOnly: true, sameSite: 'lax' as const, maxAge: maxAgeSeconds };
}

function limits(services: ServerServices) {
  const { sessionIdleMinutes, sessionMaxHours } = services.config.server.login;
  return { idleMs: sessionIdleMinutes * 60_000, maxMs: sessionMaxHours * 3_600_000 };
}

/** The live session of this request, or undefined (expired sessions are deleted on sight). */
export function currentSession(services: ServerServices, req: FastifyRequest): SessionRow | undefined {
  const sid = req.cookies[SESSION_COOKIE];
  if (!sid || sid.length > 100) return undefined;
  const row = getSessionByHash(services.store, hashSecret(sid));
  if (!row) return undefined;
  const now = services.clock.now().getTime();
  const { idleMs } = limits(services);
  if (row.expires_ms <= now || row.seen_ms + idleMs <= now) {
    deleteSession(services.store, row.id);
    return undefined;
  }
  touchSession(services.store, row.id, now);
  return row;
}

export function startSession(services: ServerServices, reply: FastifyReply): SessionRow {
  const now = services.clock.now().getTime();
  const { maxMs } = limits(services);
  const sid = randomSecret();
  const row = insertSession(services.store, hashSecret(sid), now, now + maxMs);
  reply.setCookie(SESSION_COOKIE, sid, cookieOptions(Math.floor(maxMs / 1000)));
  return row;
}

export function ensureSession(
  services: ServerServices,
  req: FastifyRequest,
  reply: FastifyReply,
): SessionRow {
  return currentSession(services, req) ?? startSession(services, reply);
}

/** Moves the session to a new stage under a fresh id and sets the new cookie. */
export function elevateSession(
  services: ServerServices,
  reply: FastifyReply,
  session: SessionRow,
  patientId: string | null,
  stage: SessionStage,
): void {
  const now = services.clock.now().getTime();
  const sid = randomSecret();
  updateSession(services.store, session.id, hashSecret(sid), patientId, stage, now, session.expires_ms);
  reply.setCookie(
    SESSION_COOKIE,
    sid,
    cookieOptions(Math.max(1, Math.floor((session.expires_ms - now) / 1000))),
  );
}

export function endSession(
  services: ServerServices,
  reply: FastifyReply,
  session: SessionRow | undefined,
): void {
  if (session) deleteSession(services.store, session.id);
  reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
}
