// Client addresses in the request log's counted lines are cut to their network (/24 for IPv4, /48 for IPv6):
// what a flood's source needs, without the address of one patient's browser (the patient pages and
// /authorize have no client certificate, so they are counted too; HDDT: no patient-identifying data in logs).
import net from 'node:net';

export function addressPrefix(address: string): string {
  const v4 = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (net.isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!net.isIPv6(address)) return 'unknown';
  const [head, tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 3)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/48`;
}
