// D-Bus addresses as dbus-next should see them.

/**
 * The same D-Bus address with `unix:path=` spelled `unix:socket=`. dbus-next connects a `path` through usocket (a
 * native addon installed with it) when that loads, and usocket now and then aborts the whole process when the
 * connection closes (libuv: "uv__finish_close: Assertion ... UV_HANDLE_CLOSING failed", SIGABRT). `socket` is
 * dbus-next's spelling for the same Unix socket over node's own net module; we pass no file descriptors, which
 * is all usocket would add.
 */
export function plainSocketBusAddress(address: string): string {
  return address
    .split(';')
    .map((a) => a.replace(/^unix:path=/, 'unix:socket='))
    .join(';');
}
