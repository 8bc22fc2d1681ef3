// Post step: fetches the fake's report, fails the job unless it saw exactly the expected logouts
// and the server ends logged in exactly where expected, then stops the fake.
'use strict';
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const dir = path.join(process.env.GITHUB_WORKSPACE, '.fake-api');
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8').trim();
const sorted = (list) => list.filter(Boolean).sort().join(' ') || '(none)';
const fail = (msg) => { console.log(`::error::${msg}`); process.exitCode = 1; };

function get(url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

(async () => {
  try {
    const report = JSON.parse(await get(`${read('url')}/_fake/report`, read('ca.pem')));
    console.log(`What the fake API saw: logouts ${JSON.stringify(report.logouts)}, logged in ${JSON.stringify(report.logged_in)}`);
    for (const r of report.requests) console.log(`  ${r.time} ${r.method} ${r.path} ${r.status}`);
    const logouts = sorted(Object.entries(report.logouts).flatMap(([registry, n]) => Array(n).fill(registry)));
    const loggedIn = sorted(Object.values(report.logged_in).flat());
    const want = (name) => sorted((process.env[`INPUT_${name}`] || '').split(/\s+/));
    if (logouts !== want('LOGOUTS')) fail(`Logouts seen: ${logouts}; expected: ${want('LOGOUTS')}`);
    if (loggedIn !== want('LOGGED_IN')) fail(`Logged in at the end: ${loggedIn}; expected: ${want('LOGGED_IN')}`);
    for (const r of report.requests.filter((r) => r.status >= 400)) fail(`${r.method} ${r.path} answered ${r.status}`);
  } catch (err) {
    fail(`No report from the fake API: ${err.message}`);
  }
  try {
    if (process.exitCode) console.log(`::group::The fake API's log\n${read('log')}\n::endgroup::`);
    process.kill(Number(read('pid')));
  } catch { /* it never started, or is gone */ }
})();
