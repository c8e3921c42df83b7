// GET /devices: every device the gateway has seen, and whether a patient has it now.
import type { FastifyInstance } from 'fastify';
import { devicesWithAssignment } from '../../gateway/store/operator-api.ts';
import type { OperatorApiContext } from './context.ts';
import { device, iso } from './schemas.ts';

export async function deviceRoutes(
  app: FastifyInstance,
  { services, guard }: OperatorApiContext,
): Promise<void> {
  app.get(
    '/devices',
    {
      preHandler: guard('operator/devices.read'),
      schema: {
        response: { 200: { type: 'object', properties: { devices: { type: 'array', items: device } } } },
      },
    },
    async () => ({
      devices: devicesWithAssignment(services.store).map((d) => ({
        key: d.key,
        transport: d.transport,
        kind: d.kind,
        manufacturer: d.manufacturer,
        model: d.model,
        serialNumber: d.serial_number,
        name: d.name,
        firstSeen: iso(d.first_seen_ms),
        lastSeen: iso(d.last_seen_ms),
        assigned: d.assigned === 1,
      })),
    }),
  );
}
