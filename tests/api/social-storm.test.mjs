// The invariant storm: 8 concurrent clients do a few thousand random
// social operations (follow, unfollow, remove_from_followers, block,
// unblock, like, unlike, comment, delete a comment, delete a post and post
// a new one) among 12 accounts and a handful of posts, while the server is
// killed with SIGKILL and restarted twice. Afterwards:
//   - `pinhole audit` exits 0 (after each kill, on the crashed data, and at
//     the end);
//   - every count the API shows equals the rows behind it, read through the
//     API as an anonymous client (so no block hides anything):
//       followers_count == the followers list (walked through rel=next),
//       following_count == the following list,
//       statuses_count  == the account's statuses, comments included
//                          (exclude_replies=false, walked),
//       favourites_count == favourited_by (walked),
//       replies_count   == the descendants in the context that reply to it;
//   - every comment acknowledged (200) and never asked to be deleted
//     still exists (nothing acknowledged is lost).
// The run is bounded by operations and by time (ASan builds are slower).
// The storm and the checks live in lib/storm.mjs, shared with
// social-storm-two.test.mjs (two servers on one PostgreSQL database).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { must, sleep, startServer } from './lib/server.mjs';
import { Storm, audit, countProblems, readBack, registerAccounts } from './lib/storm.mjs';

const ACCOUNTS = 12;
const CLIENTS = 8;
const POSTS = 6;
const TARGET_OPS = 3000; // attempted operations, over three phases
const TIME_BUDGET_MS = 24000; // the storm stops at the first of the two

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- the storm

test(`invariant storm: ${CLIENTS} clients, ${ACCOUNTS} accounts, kill -9 twice, then audit and every count`, async (t) => {
  const seed = Number(process.env.STORM_SEED ?? Date.now() % 2147483647);
  t.diagnostic(`seed ${seed} (STORM_SEED sets it; the interleaving still varies)`);
  const users = await registerAccounts(srv, ACCOUNTS);
  const storm = new Storm({ users, seed, target: () => srv });
  for (let k = 0; k < POSTS; k++) must(await storm.newPost(k), 'initial post');
  const { state, tally } = storm;

  const t0 = Date.now();
  const running = storm.run(CLIENTS);
  const auditFailures = []; // reported at the end, after the API's own counts are compared
  for (let phase = 1; phase <= 3; phase++) {
    const goal = (TARGET_OPS * phase) / 3;
    const deadline = t0 + (TIME_BUDGET_MS * phase) / 3;
    while (state.ops < goal && Date.now() < deadline) await sleep(10);
    if (phase === 3) break;
    let release;
    state.up = new Promise((r) => (release = r));
    state.down = true;
    await srv.kill9(); // requests are in flight: the clients never pause before it
    const a = await audit(srv);
    if (a.code !== 0) auditFailures.push(`after kill -9 #${phase}: exit ${a.code}\n${a.out}`);
    await srv.restart();
    state.down = false;
    release();
    t.diagnostic(`kill -9 #${phase} after ${state.ops} operations (${Date.now() - t0} ms); audit exit ${a.code}; restarted`);
  }
  state.stop = true;
  await Promise.all(running);
  t.diagnostic(`${state.ops} operations attempted in ${Date.now() - t0} ms: ${state.ok} succeeded, ${state.failed} cut by a kill; ${JSON.stringify(tally)}`);
  assert.deepEqual(state.refusals, [], 'unexpected answers while the server was up');
  assert.ok(state.ok >= 300, `enough operations succeeded (${state.ok})`);

  const final = await audit(srv);
  if (final.code !== 0) auditFailures.push(`after the storm: exit ${final.code}\n${final.out}`);

  // ---- every count the API shows equals the rows behind it
  const snap = await readBack(srv, users);
  const problems = countProblems(snap, storm);
  t.diagnostic(`checked ${users.length} accounts and ${snap.statuses.size} statuses (${snap.roots.length} threads); ${storm.acked.size} comments acknowledged`);
  assert.deepEqual(problems, [], 'counts that differ from the rows behind them');
  assert.deepEqual(auditFailures, [], 'pinhole audit found differences');
  assert.ok(snap.statuses.size >= POSTS, 'the posts are there');
});
