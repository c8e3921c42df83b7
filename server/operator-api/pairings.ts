// GET /pairings: pairings per DiGA as counts (active, and ended by reason), with the DiGA's directory name.
import type { FastifyInstance } from 'fastify';
import { pairingCountsByClient } from '../../gateway/store/oauth-grants.ts';
import type { ServerServices } from '../services.ts';
import type { OperatorApiContext } from './context.ts';
import { pairings } from './schemas.ts';

interface ClientCounts {
  clientId: string;
  name: string | null;
  directoryStatus: string;
  active: number;
  ended: Record<string, number>;
}

async function directoryNames(
  services: ServerServices,
): Promise<Map<string, { name: string; status: string }>> {
  const directory = new Map<string, { name: string; status: string }>();
  try {
    for (const e of await services.directory.entries()) directory.set(e.clientId, e);
  } catch {
    // Directory unreachable: counts without names.
  }
  return directory;
}

export async function pairingRoutes(
  app: FastifyInstance,
  { services, guard }: OperatorApiContext,
): Promise<void> {
  app.get(
    '/pairings',
    { preHandler: guard('operator/pairings.read'), schema: { response: { 200: pairings } } },
    async () => {
      const directory = await directoryNames(services);
      const clients = new Map<string, ClientCounts>();
      for (const r of pairingCountsByClient(services.store, services.clock.now().getTime())) {
        let c = clients.get(r.client_id);
        if (!c) {
          const e = directory.get(r.client_id);
          const directoryStatus = directory.size === 0 ? 'unknown' : (e?.status ?? 'unlisted');
          c = { clientId: r.client_id, name: e?.name ?? null, directoryStatus, active: 0, ended: {} };
          clients.set(r.client_id, c);
        }
        c.active += r.active;
        if (r.expired_unswept > 0)
          c.ended.consent_expired = (c.ended.consent_expired ?? 0) + r.expired_unswept;
        if (r.ended > 0) {
          const reason = r.revoked_reason ?? 'unknown';
          c.ended[reason] = (c.ended[reason] ?? 0) + r.ended;
        }
      }
      const list = [...clients.values()];
      const sum = (f: (c: ClientCounts) => number) => list.reduce((n, c) => n + f(c), 0);
      return {
        clients: list,
        total: {
          active: sum((c) => c.active),
          ended: sum((c) => Object.values(c.ended).reduce((n, x) => n + x, 0)),
        },
      };
    },
  );
}
