// One transaction on a pooled connection. READ COMMITTED (the default): every statement sees what committed
// before it, so a statement after a lock wait sees the work of the transaction it waited for. A deadlock or
// serialization failure is retried a few times; anything else is the caller's error.
import type pg from 'pg';

const RETRIED = new Set(['40P01', '40001']);
const ATTEMPTS = 5;

export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    let broken = false;
    // A checked-out connection the server drops emits 'error' on the client, which would end the process
    // without a listener; the query in flight rejects anyway, so the error is handled there.
    const onError = () => (broken = true);
    c.on('error', onError);
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => (broken = true));
      const code = (err as { code?: string }).code;
      if (!(code && RETRIED.has(code)) || attempt >= ATTEMPTS) throw err;
    } finally {
      // A connection whose ROLLBACK failed is dropped, not handed to the next transaction.
      c.off('error', onError);
      c.release(broken);
    }
  }
}
