// Topic layout (docs/mqtt.md): <prefix>/<gatewayId>/batch | status | ack.
export const batchTopic = (prefix: string, gw: string) => `${prefix}/${gw}/batch`;
export const statusTopic = (prefix: string, gw: string) => `${prefix}/${gw}/status`;
export const ackTopic = (prefix: string, gw: string) => `${prefix}/${gw}/ack`;

/** The shared subscription recorders use; an empty group subscribes plainly (every consumer gets everything). */
export function batchSubscription(prefix: string, group: string): string {
  return group ? `$share/${group}/${prefix}/+/batch` : `${prefix}/+/batch`;
}

/** Splits `<prefix>/<gw>/<leaf>`; undefined for anything else. */
export function parseTopic(prefix: string, topic: string): { gw: string; leaf: string } | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 2 || !rest[0]) return undefined;
  return { gw: rest[0], leaf: rest[1] };
}
