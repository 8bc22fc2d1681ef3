// Builds and starts the fake Reoclo API in the background, waits until it serves, and exports
// its base URL as API_URL. Node built-ins only.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const workspace = process.env.GITHUB_WORKSPACE;
const dir = path.join(workspace, '.fake-api');
const host = process.env.INPUT_HOST || execFileSync('docker',
  ['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'], { encoding: 'utf8' }).trim();
const bin = path.join(process.env.RUNNER_TEMP || dir, 'fakeapi');

fs.mkdirSync(dir, { recursive: true });
execFileSync('go', ['build', '-o', bin, './internal/testkit/cmd/fakeapi'], { cwd: workspace, stdio: 'inherit' });
// Detached, its output in a file: it outlives this step, and the runner does not wait for it.
const out = fs.openSync(path.join(dir, 'log'), 'a');
const fake = spawn(bin, ['-addr', `${host}:0`, '-key', process.env.INPUT_API_KEY,
  '-ca', path.join(dir, 'ca.pem'), '-url', path.join(dir, 'url')], { detached: true, stdio: ['ignore', out, out] });
fs.writeFileSync(path.join(dir, 'pid'), `${fake.pid}\n`);
let exited = null;
fake.on('exit', (code, signal) => { exited = `exited (${signal || code})`; });

(async () => {
  for (let i = 0; i < 300 && !exited && !fs.existsSync(path.join(dir, 'url')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = fs.existsSync(path.join(dir, 'url')) && fs.readFileSync(path.join(dir, 'url'), 'utf8').trim();
  if (!url) {
    fake.kill();
    console.log(fs.readFileSync(path.join(dir, 'log'), 'utf8'));
    console.log(`::error::The fake API ${exited || 'did not start within 30 s'}`);
    process.exit(1);
  }
  fs.appendFileSync(process.env.GITHUB_ENV, `API_URL=${url}\n`);
  console.log(`Fake Reoclo API on ${url} (CA certificate: .fake-api/ca.pem in the workspace)`);
  fake.unref();
})();
