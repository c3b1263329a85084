// The home-timeline benchmark's driver (run it through bench/timeline.sh).
//
// On one synthetic instance (`pinhole seed`: USERS accounts, about FOLLOWS
// followees each on a heavy-tailed graph whose top account is followed by
// half of everyone), for each size in POSTS (the instance is grown from one
// size to the next by seeding more posts into it), it measures over HTTP
// with wrk, REPS interleaved rounds of DURATION seconds each:
//   verify     GET /api/v1/accounts/verify_credentials: the reference (a
//              token lookup and one account row, no timeline)
//   home       first page of the home timeline of SAMPLE random users
//   home-deep  the page 200 posts down (max_id) for the same users
//   top        first page for TOPF users who follow the TOPN most-followed
//              accounts (the worst case of a read-time merge)
//   top-deep   their page 200 posts down
// then posts a photo as the most-followed account while wrk reads home
// timelines, and checks how soon the post is in the home timeline of every
// sampled follower, and the slowest other request meanwhile. Prints medians
// of p50/p95/p99 (ms), ratios to the reference and between sizes, and the
// server's resident memory.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const BIN = env.PINHOLE_BIN;
const DATA = env.TL_DATA;
const DB = env.TL_DB || '';
const LABEL = env.TL_LABEL || (DB ? 'postgres' : 'sqlite');
const USERS = Number(env.USERS || 100000);
const FOLLOWS = Number(env.FOLLOWS || 200);
const SIZES = (env.POSTS || '1000000,3000000').split(',').map(Number);
const SAMPLE = Number(env.SAMPLE || 1000);
const TOPN = Number(env.TOPN || 100);
const TOPF = Number(env.TOPF || 20);
const DURATION = Number(env.DURATION || 10);
const REPS = Number(env.REPS || 3);
const CONNS = Number(env.CONNS || 2);
const PORT = Number(env.TL_PORT || 18431);
const PHOTO = env.TL_PHOTO;
const LUA = new URL('./timeline.lua', import.meta.url).pathname;
const BASE = `http://127.0.0.1:${PORT}`;

const say = (...a) => console.error(...a);
const dbArgs = () => ['--data-dir', DATA, ...(DB ? ['--db', DB] : [])];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(cmd, args, { quiet = false } = {}) {
  return new Promise((res, rej) => {
    execFile(cmd, args, { maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.slice(0, 3).join(' ')}...: ${stderr.split('\n').filter((l) => !/ INFO /.test(l)).join('\n')}`));
      else res(stdout);
    });
    if (!quiet) say(`  $ ${[cmd, ...args].join(' ').slice(0, 160)}`);
  });
}

async function http(method, path, token, body, headers = {}) {
  const r = await fetch(BASE + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
  return json;
}

// ---- the instance --------------------------------------------------------

const statePath = join(DATA, 'bench-state.json');
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : { posts: 0, batches: 0 };
const save = () => writeFileSync(statePath, JSON.stringify(state));

async function seedTo(posts) {
  if (state.posts >= posts) return;
  if (state.users && (state.users !== USERS || state.follows !== FOLLOWS)) throw new Error(`${DATA} was seeded with other settings; remove it`);
  const t0 = Date.now();
  const out = await run(BIN, ['seed', ...dbArgs(), `users=${USERS}`, `follows=${FOLLOWS}`, `posts=${posts - state.posts}`, `seed=${state.batches + 1}`]);
  say(`  ${out.trim()} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
  Object.assign(state, { users: USERS, follows: FOLLOWS, posts, batches: state.batches + 1 });
  save();
}

let server = null;
async function startServer() {
  server = spawn(BIN, ['serve', ...dbArgs(), '--listen', `127.0.0.1:${PORT}`, '--set', 'log_level=warn', '--set', 'rate_auth_limit=1000000', '--set', 'rate_account_limit=1000000'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error('the server did not start');
}
async function stopServer() {
  if (!server) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  server = null;
}
process.on('exit', () => server?.kill('SIGKILL'));

function memory() {
  const s = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

// Tokens for SAMPLE random users, the top account, and TOPF users who follow
// the TOPN most-followed accounts (user0 ... are in popularity order).
async function people() {
  if (state.people) return state.people;
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  const picked = new Set();
  while (picked.size < Math.min(SAMPLE, USERS - 1)) picked.add(1 + Math.floor(rand() * (USERS - 1)));
  const names = [...picked].map((i) => `user${i}`);
  const tokens = (await run(BIN, ['admin', 'token', ...dbArgs(), 'user0', ...names], { quiet: true })).trim().split('\n');
  const tf = Array.from({ length: TOPF }, (_, i) => `topfan${i}`);
  for (const n of tf) await run(BIN, ['admin', 'create-user', ...dbArgs(), n, '--email', `${n}@bench.invalid`, '--set', 'argon2_ops=1', '--set', 'argon2_mem_kib=8192'], { quiet: true });
  const tfTokens = (await run(BIN, ['admin', 'token', ...dbArgs(), ...tf], { quiet: true })).trim().split('\n');
  const p = { top: tokens[0], sample: tokens.slice(1), fans: tfTokens };
  await startServer();
  p.topId = (await http('GET', '/api/v1/accounts/lookup?acct=user0')).id;
  const tops = [];
  for (let i = 0; i < TOPN; i++) tops.push((await http('GET', `/api/v1/accounts/lookup?acct=user${i}`)).id);
  for (const t of p.fans) for (const id of tops) await http('POST', `/api/v1/accounts/${id}/follow`, t);
  // which sampled users follow the top account
  p.followersOfTop = [];
  for (const t of p.sample) {
    const [rel] = await http('GET', `/api/v1/accounts/relationships?id[]=${p.topId}`, t);
    if (rel.following) p.followersOfTop.push(t);
  }
  await stopServer();
  state.people = p;
  save();
  return p;
}

// The max_id of the page `depth` posts down each user's home timeline.
async function deepPaths(tokens, depth = 200) {
  const out = [];
  for (const t of tokens) {
    let max = '';
    for (let seen = 0; seen < depth; ) {
      const page = await http('GET', `/api/v1/timelines/home?limit=40${max ? `&max_id=${max}` : ''}`, t);
      if (!page.length) break;
      seen += page.length;
      max = page[page.length - 1].id;
    }
    out.push(`${t} /api/v1/timelines/home${max ? `?max_id=${max}` : ''}`);
  }
  return out;
}

// ---- measuring -------------------------------------------------------------

function wrk(lines, seconds = DURATION) {
  const file = join(DATA, 'wrk-paths.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  return new Promise((res, rej) => {
    execFile('wrk', ['-t1', `-c${CONNS}`, `-d${seconds}s`, '--timeout', '10s', '-s', LUA, BASE, '--', file], (err, stdout) => {
      const m = /RESULT (.*)/.exec(stdout || '');
      if (err || !m) return rej(new Error(`wrk: ${err?.message} ${stdout}`));
      const r = Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
      r.rps = r.requests / (r.us / 1e6);
      res(r);
    });
  });
}

async function postingRun(p) {
  const lines = p.sample.map((t) => `${t} /api/v1/timelines/home`);
  const load = wrk(lines, 8);
  await sleep(2000);
  const form = new FormData();
  form.append('file', new Blob([readFileSync(PHOTO)]), 'photo.jpg');
  const media = await http('POST', '/api/v2/media', p.top, form);
  const body = new URLSearchParams({ status: `bench post ${Date.now()} #benchmark`, 'media_ids[]': media.id });
  const st = await http('POST', '/api/v1/statuses', p.top, body, { 'content-type': 'application/x-www-form-urlencoded' });
  const acked = Date.now();
  const pending = new Set(p.followersOfTop);
  let worst = 0, firstTry = 0, reads = 0;
  for (let attempt = 0; pending.size && Date.now() - acked < 5000; attempt++) {
    const batch = [...pending];
    for (let i = 0; i < batch.length; i += 8) {
      await Promise.all(batch.slice(i, i + 8).map(async (t) => {
        const page = await http('GET', '/api/v1/timelines/home?limit=5', t);
        reads++;
        if (page.some((s) => s.id === st.id)) {
          pending.delete(t);
          worst = Math.max(worst, Date.now() - acked);
          if (attempt === 0) firstTry++;
        }
      }));
    }
  }
  const r = await load;
  await http('DELETE', `/api/v1/statuses/${st.id}`, p.top);
  return { followers: p.followersOfTop.length, missing: pending.size, firstTry, worst, reads, during: r };
}

const ms = (us) => (us / 1000).toFixed(2);

async function measure(posts, p) {
  await startServer();
  const fans = await deepPaths(p.fans);
  const deep = await deepPaths(p.sample);
  const scen = {
    verify: p.sample.map((t) => `${t} /api/v1/accounts/verify_credentials`),
    home: p.sample.map((t) => `${t} /api/v1/timelines/home`),
    'home-deep': deep,
    top: p.fans.map((t) => `${t} /api/v1/timelines/home`),
    'top-deep': fans,
  };
  for (const lines of Object.values(scen)) await wrk(lines, 2); // warm the caches
  const res = Object.fromEntries(Object.keys(scen).map((k) => [k, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const [k, lines] of Object.entries(scen)) {
      const r = await wrk(lines);
      if (r.non2xx || r.sockerr) throw new Error(`${k}: ${r.non2xx} non-2xx answers, ${r.sockerr} socket errors`);
      res[k].push(r);
    }
  }
  const posting = await postingRun(p);
  const mem = memory();
  await stopServer();
  const summary = {};
  for (const [k, rs] of Object.entries(res)) {
    summary[k] = {};
    for (const f of ['rps', 'p50', 'p95', 'p99', 'max']) summary[k][f] = median(rs.map((r) => r[f]));
  }
  return { posts, summary, posting, mem };
}

function print(results) {
  const ref = (r) => r.summary.verify;
  for (const r of results) {
    console.log(`\n${LABEL}, ${USERS.toLocaleString('en')} users, ${r.posts.toLocaleString('en')} posts; wrk -c${CONNS}, ${REPS} x ${DURATION} s, medians (ms):`);
    console.log('| scenario | req/s | p50 | p95 | p99 | max | p50 / verify p50 |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [k, s] of Object.entries(r.summary))
      console.log(`| ${k} | ${Math.round(s.rps)} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} | ${(s.p50 / ref(r).p50).toFixed(2)} |`);
    const q = r.posting;
    console.log(`posting as the most-followed account: in the home timeline of ${q.followers - q.missing} of ${q.followers} sampled followers` +
      ` (${q.firstTry} at the first read), the last ${q.worst} ms after the 2xx; meanwhile home reads p99 ${ms(q.during.p99)} ms, slowest ${ms(q.during.max)} ms`);
    console.log(`server memory: ${r.mem.rss.toFixed(0)} MB resident, peak ${r.mem.hwm.toFixed(0)} MB`);
  }
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    console.log(`\ngrowth from ${a.posts.toLocaleString('en')} to ${b.posts.toLocaleString('en')} posts (ratio of medians; 1.00 = no growth):`);
    console.log('| scenario | p50 | p99 |');
    console.log('|---|---|---|');
    for (const k of Object.keys(a.summary))
      console.log(`| ${k} | ${(b.summary[k].p50 / a.summary[k].p50).toFixed(2)} | ${(b.summary[k].p99 / a.summary[k].p99).toFixed(2)} |`);
  }
}

const results = [];
try {
  for (const size of SIZES) {
    say(`${LABEL}: seeding to ${size.toLocaleString('en')} posts (cached in ${DATA})`);
    await seedTo(size);
    const p = await people();
    say(`${LABEL}: measuring at ${size.toLocaleString('en')} posts`);
    results.push(await measure(size, p));
  }
  print(results);
} catch (e) {
  say(`timeline bench: ${e.message}`);
  process.exitCode = 1;
} finally {
  await stopServer();
}
