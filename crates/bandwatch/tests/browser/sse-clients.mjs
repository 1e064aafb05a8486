// Load for benchmarks: N clients on the dashboard's live stream for a while, counting what
// they receive.
//
//   node sse-clients.mjs --port PORT [--clients 100] [--seconds 30]

import http from 'node:http';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const port = Number(opt('port'));
const clients = Number(opt('clients', '100'));
const seconds = Number(opt('seconds', '30'));
let events = 0;
let open = 0;
const requests = [];
for (let i = 0; i < clients; i += 1) {
  const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/stream', agent: false }, (res) => {
    open += 1;
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      events += (chunk.match(/^event: frame$/gm) || []).length;
    });
  });
  req.on('error', () => {});
  requests.push(req);
}
setTimeout(() => {
  for (const r of requests) r.destroy();
  process.stdout.write(`${JSON.stringify({ clients, connected: open, seconds, frame_events: events })}\n`);
  process.exit(0);
}, seconds * 1000);
