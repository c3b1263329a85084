// The invariant storm on two `pinhole serve` processes sharing one
// PostgreSQL database (and one data dir, for the photos): 8 clients send
// each operation to a randomly chosen live process. One process is killed
// with SIGKILL a quarter of the way in while the other carries the storm on
// alone, and is restarted on the same database; later the other one is
// killed and restarted the same way. `pinhole audit` runs right after each
// kill, while the surviving process is still taking writes (each of its
// checks reads one snapshot, so committed work must always add up).
// Throughout, a process that is not being killed answers every request
// with a 2xx or an expected refusal (403, 404, 422), never an error or a
// dropped connection. Afterwards:
//   - `pinhole audit` exits 0;
//   - every count the API shows equals the rows behind it (the checks of
//     social-storm.test.mjs), read through each process, and both processes
//     give identical answers;
//   - nothing acknowledged is lost: acknowledged posts and comments exist,
//     acknowledged deletes stay deleted (404 from both processes), and every
//     follow, block and like whose last acknowledged request is not
//     overlapped by another on the same edge has that request's value, and
//     a follow, unfollow, block... answered 200 carries a relationship that
//     says it happened (unless another request on the edge overlapped it);
//   - no duplicate edges (every list walked has each item once; the
//     followers lists and the following lists hold the same edges) and no
//     follow across a block.
// Prints `# two-process storm: N operations, A acknowledged, K kills, lost L`.
// Needs PINHOLE_TEST_BACKEND=postgres (and PINHOLE_TEST_PG); skipped
// otherwise. Bounded by operations and by time (ASan builds are slower).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createPgDatabase, get, must, sleep, startServer } from './lib/server.mjs';
import {
  Storm, audit, canonical, countProblems, differences, ledgerProblems, pool, readBack, registerAccounts, relationships,
} from './lib/storm.mjs';

const ACCOUNTS = 12;
const CLIENTS = 8;
const POSTS = 6;
const TARGET_OPS = 3000; // attempted operations, all phases together
const TIME_BUDGET_MS = 16000; // the storm stops at the first of the two
// When each kill and restart comes, as a fraction of the run; the victim
// alternates: the first process, then the second.
const SCHEDULE = [
  { at: 0.25, kill: 0 },
  { at: 0.45, restart: 0 },
  { at: 0.6, kill: 1 },
  { at: 0.8, restart: 1 },
];

const PG = process.env.PINHOLE_TEST_BACKEND === 'postgres';

const servers = [];
before(async () => {
  if (!PG) return;
  const db = await createPgDatabase();
  servers.push(await startServer({ db }));
  servers.push(await startServer({ db, dataDir: servers[0].dataDir }));
});
after(async () => {
  // the second process shares the first one's data dir, which the first removes
  try {
    await servers[1]?.stop();
  } finally {
    await servers[0]?.stop();
  }
});

test(
  `invariant storm on two processes, one PostgreSQL database: ${CLIENTS} clients, ${ACCOUNTS} accounts, each process killed -9 once, then audit, every count, both answers alike`,
  { skip: PG ? false : 'needs PostgreSQL (PINHOLE_TEST_BACKEND=postgres)' },
  async (t) => {
    const tSetup = Date.now();
    const seed = Number(process.env.STORM_SEED ?? Date.now() % 2147483647);
    t.diagnostic(`seed ${seed} (STORM_SEED sets it; the interleaving still varies)`);
    const name = (s) => `process ${servers.indexOf(s) + 1}`;
    // through one process, four at a time: the storm is what spreads over both
    const users = await registerAccounts(servers[0], ACCOUNTS, { parallel: 4 });
    const live = new Set(servers);
    const epochs = new Map(servers.map((s) => [s, 0]));
    const storm = new Storm({
      users,
      seed,
      target: () => {
        const l = [...live];
        return l[Math.floor(storm.rnd() * l.length)];
      },
      epoch: (s) => epochs.get(s),
      strict: true,
    });
    for (let k = 0; k < POSTS; k++) must(await storm.newPost(k, undefined, servers[k % 2]), 'initial post');
    const { state, tally } = storm;

    const t0 = Date.now();
    t.diagnostic(`${ACCOUNTS} accounts and ${POSTS} posts made in ${t0 - tSetup} ms`);
    const running = storm.run(CLIENTS);
    const auditFailures = [];
    let kills = 0;
    for (const step of SCHEDULE) {
      const goal = TARGET_OPS * step.at;
      const deadline = t0 + TIME_BUDGET_MS * step.at;
      while (state.ops < goal && Date.now() < deadline) await sleep(10);
      if (step.kill !== undefined) {
        const victim = servers[step.kill];
        const survivor = servers[1 - step.kill];
        live.delete(victim);
        epochs.set(victim, epochs.get(victim) + 1);
        await victim.kill9(); // requests are in flight on it
        kills++;
        const a = await audit(survivor); // while the survivor takes writes
        if (a.code !== 0) auditFailures.push(`after kill -9 of ${name(victim)}, during the storm: exit ${a.code}\n${a.out}`);
        t.diagnostic(`kill -9 of ${name(victim)} after ${state.ops} operations (${Date.now() - t0} ms); audit (during the storm) exit ${a.code}; ${name(survivor)} carries on alone`);
      } else {
        const victim = servers[step.restart];
        await victim.restart();
        live.add(victim);
        t.diagnostic(`${name(victim)} restarted on the same database after ${state.ops} operations (${Date.now() - t0} ms)`);
      }
    }
    while (state.ops < TARGET_OPS && Date.now() < t0 + TIME_BUDGET_MS) await sleep(10);
    state.stop = true;
    await Promise.all(running);
    const stormMs = Date.now() - t0;
    t.diagnostic(`${state.ops} operations attempted in ${stormMs} ms: ${state.ok} succeeded, ${state.failed} cut by a kill; ${JSON.stringify(tally)}`);
    assert.ok(state.ok >= 300, `enough operations succeeded (${state.ok})`);

    const final = await audit(servers[0]);
    if (final.code !== 0) auditFailures.push(`after the storm: exit ${final.code}\n${final.out}`);

    // ---- every count equals the rows behind it, through each process; both alike
    const unreadable = []; // a read that failed (a list walk, a 5xx) ends the checks but is reported with the rest
    const problems = [];
    const unlike = [];
    const lost = [];
    const edges = [];
    let snap = null;
    let checked = 0;
    try {
      const snaps = await Promise.all(servers.map((s) => readBack(s, users)));
      snaps.forEach((x, i) => {
        for (const p of countProblems(x, storm)) problems.push(`${name(servers[i])}: ${p}`);
      });
      unlike.push(...differences(canonical(snaps[0]), canonical(snaps[1])));
      [snap] = snaps;

      // ---- nothing acknowledged is lost, no duplicate edges, no follow across a block
      const [rels, relsOther] = await Promise.all(servers.map((s) => relationships(s, users)));
      for (const [k, r] of rels) {
        const o = relsOther.get(k);
        if (JSON.stringify(r) !== JSON.stringify(o)) unlike.push(`relationship ${k}: ${JSON.stringify(r)} vs ${JSON.stringify(o)}`);
      }
      const ledger = ledgerProblems(snap, storm, rels);
      lost.push(...ledger.lost);
      edges.push(...ledger.edges);
      checked = ledger.checked;
      await pool([...storm.deleted], 4, async (id) => {
        for (const s of servers) {
          const r = await get(s, `/api/v1/statuses/${id}`, { timeoutMs: 60000 });
          if (r.status !== 404) lost.push(`status ${id}: its DELETE was acknowledged, yet ${name(s)} answers ${r.status}`);
        }
      });
    } catch (e) {
      unreadable.push(e.message);
    }

    t.diagnostic(`checked in ${Date.now() - t0 - stormMs} ms: ${users.length} accounts and ${snap?.statuses.size} statuses (${snap?.roots.length} threads) through both processes; ${storm.acked.size} comments, ${storm.ackedPosts.size} posts and ${storm.deleted.size} deletes acknowledged; ${checked} follow, block and like edges decided by acknowledged requests`);
    t.diagnostic(`two-process storm: ${state.ops} operations, ${state.ok} acknowledged, ${kills} kills, lost ${lost.length}`);
    // every kind of failure at once, so one does not hide another
    const failures = Object.fromEntries(Object.entries({
      'unexpected answers or errors from a process that was not being killed': state.refusals,
      'counts that differ from the rows behind them': problems,
      'the two processes answer differently': unlike,
      'acknowledged writes lost': lost,
      'follow edges one-sided or across a block': edges,
      'pinhole audit found differences': auditFailures,
      'reading the final state failed': unreadable,
    }).filter(([, v]) => v.length));
    assert.deepEqual(failures, {});
    assert.ok(snap.statuses.size >= POSTS, 'the posts are there');
    assert.equal(kills, 2);
  },
);
