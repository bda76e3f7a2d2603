// A minimal HTTP/1.0 client for the e2e suites: one request on a fresh TCP connection (so each
// request is one connection through the Service proxy), bounded in time. Loopback addresses only.

import { createConnection } from 'node:net';

/** GET / from host:port; resolves with the body (trimmed) of a 200 answer, rejects otherwise. Bounded: 5 s. */
export function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port} in 5 s`));
    }, 5000);
    s.on('connect', () => s.write('GET / HTTP/1.0\r\nHost: web\r\n\r\n'));
    s.on('data', (d) => (data += d));
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (!/^HTTP\/1\.[01] 200/.test(data)) reject(new Error(`not a 200 answer: ${JSON.stringify(data.slice(0, 80))}`));
      else resolve(data.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim());
    });
  });
}
