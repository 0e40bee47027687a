/**
 * Issue 13, point 4: request bodies are read only by routes that take one. 300 connections
 * sending large bodies to a GET route get 413 without the server's memory growing by what
 * they send (its peak RSS, VmHWM in /proc/PID/status, is the bound); a POST within
 * http_max_content_size still works and one beyond it is still refused.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, request, startCanto } from '../helpers/canto.js';

const MiB = 1024 * 1024;

function config(): string {
  return [
    `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`,
    'http_ports = { 0 }',
    'https_ports = { }',
    'data_path = "data"',
    'modules_enabled = { "hello" }',
    `http_max_content_size = ${2 * MiB}`,
    'VirtualHost "example.com"',
    '',
  ].join('\n');
}

/** Kilobytes of a /proc/PID/status field (VmRSS: now, VmHWM: the peak so far). */
function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/**
 * Sends a request head, then `size` bytes of body in 64 KiB writes for as long as the server
 * reads them; resolves with what came back once the server answered and closed.
 */
function sendBody(port: number, head: string, size: number, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let answered = false;
    const piece = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!answered && sent < size) {
        const chunk = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        sent += piece.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!answered && chunked) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      // Answered: stop sending and close, as a client does (the server lingers until then).
      if (!answered) socket.end();
      answered = true;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

t.test('300 connections sending bodies to a GET route get 413 and are never buffered', async (t) => {
  const server = await startCanto(t, { config: config() });
  const pid = server.process.pid!;
  t.equal((await request(server.url('/hello'), { headers: { Host: 'example.com' } })).status, 200);
  const before = memory(pid, 'VmRSS');

  const answers = await Promise.all(
    Array.from({ length: 300 }, (_, i) => {
      const chunked = i % 2 === 1;
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${MiB}`;
      return sendBody(server.httpPort, `GET /hello HTTP/1.1\r\nHost: example.com\r\n${framing}\r\n\r\n`, MiB, chunked);
    }),
  );
  const peak = memory(pid, 'VmHWM');
  const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3}) /.exec(a)?.[1] ?? 'none');
  t.same([...new Set(statuses)], ['413'], 'every one of them got 413');
  t.ok(answers.every((a) => /\r\nConnection: close\r\n/.test(a)), 'and the connection closed');
  // 300 MiB were offered; buffering a third of it would break this bound.
  const grown = (peak - before) / 1024;
  t.ok(grown < 100, `the peak RSS grew by ${grown.toFixed(1)} MiB (bound 100 MiB) over ${(before / 1024).toFixed(1)} MiB`);

  const after = await request(server.url('/hello'), { headers: { Host: 'example.com' } });
  t.equal(after.status, 200, 'the server answers afterwards');
  t.equal(after.body, 'hello');
});

t.test('a POST route still takes a body within http_max_content_size, and refuses a larger one', async (t) => {
  const server = await startCanto(t, { config: config() });
  const body = 'y'.repeat(MiB);
  const echoed = await request(server.url('/hello/echo'), { method: 'POST', headers: { Host: 'example.com' }, body });
  t.equal(echoed.status, 200);
  t.equal(echoed.body, body, 'the whole body reached the handler');

  const declared = await sendBody(server.httpPort, `POST /hello/echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${3 * MiB}\r\n\r\n`, 3 * MiB, false);
  t.match(declared, /^HTTP\/1\.1 413 Payload Too Large\r\n/, 'a Content-Length over the limit');
  const streamed = await sendBody(server.httpPort, 'POST /hello/echo HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n', 3 * MiB, true);
  t.match(streamed, /^HTTP\/1\.1 413 Payload Too Large\r\n/, 'a chunked body that grows past it');
});
