// node-postgres against featurehouse: parameterised queries (extended
// protocol), typed results, an online lookup and a point-in-time join.
// Exits non-zero on the first wrong answer.
const assert = require('assert');
const { Client } = require('pg');

async function main() {
  const c = new Client({ connectionString: process.argv[2] });
  await c.connect();
  await c.query('DROP FEATURE GROUP IF EXISTS ng CASCADE');
  await c.query(`CREATE FEATURE GROUP ng (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME,
      age INTEGER, spend NUMERIC(10,2), visits BIGINT, emb REAL[], meta JSON, raw BYTEA) WITH (online = true)`);
  await c.query('DROP TABLE IF EXISTS nlabels');
  await c.query('CREATE TABLE nlabels (user_id TEXT, ts TIMESTAMPTZ)');
  const ins = 'INSERT INTO ng VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';
  await c.query(ins, ['u1', '2024-01-01T00:00:00Z', 30, '12.50', '9007199254740993', [0.5, 1], { a: 1 }, Buffer.from([0, 255])]);
  await c.query(ins, ['u1', '2024-02-01T00:00:00Z', 31, '13.00', 2, null, null, null]);
  await c.query(ins, ['u2', '2024-01-05T00:00:00Z', 40, null, 3, [2, 3], JSON.stringify([1, 2]), null]);
  await c.query('INSERT INTO nlabels VALUES ($1, $2), ($3, $4), ($5, $6)',
    ['u1', '2024-01-15T00:00:00Z', 'u1', '2024-03-01T00:00:00Z', 'u3', '2024-01-15T00:00:00Z']);

  let r = await c.query('SELECT * FROM ng WHERE user_id = $1 ORDER BY event_time LIMIT 1', ['u1']);
  const row = r.rows[0];
  assert.strictEqual(row.age, 30);
  assert.strictEqual(row.spend, '12.50');                 // numeric: string
  assert.strictEqual(row.visits, '9007199254740993');     // int8: string
  assert.ok(row.event_time instanceof Date && row.event_time.toISOString() === '2024-01-01T00:00:00.000Z', row.event_time);
  assert.deepStrictEqual(row.emb, [0.5, 1]);
  assert.deepStrictEqual(row.meta, { a: 1 });
  assert.deepStrictEqual(row.raw, Buffer.from([0, 255]));
  assert.deepStrictEqual(r.fields.map(f => f.dataTypeID), [25, 1184, 23, 1700, 20, 1021, 114, 17]);

  r = await c.query('SELECT age FROM ng AS OF now() WHERE user_id = ANY($1) ORDER BY age', [['u1', 'u2', 'nobody']]);
  assert.deepStrictEqual(r.rows.map(x => x.age), [31, 40]);
  r = await c.query(`SELECT l.user_id, l.ts, g.age FROM nlabels l LEFT JOIN ng AS OF l.ts g USING (user_id) ORDER BY l.user_id, l.ts`);
  assert.deepStrictEqual(r.rows.map(x => [x.user_id, x.age]), [['u1', 30], ['u1', 31], ['u3', null]]);
  // Binary results of a prepared (named) statement.
  r = await c.query({ name: 'lookup', text: 'SELECT age, visits FROM ng AS OF $1::timestamptz WHERE user_id = $2', values: ['2024-01-20T00:00:00Z', 'u1'] });
  assert.deepStrictEqual(r.rows, [{ age: 30, visits: '9007199254740993' }]);
  r = await c.query({ name: 'lookup', values: ['2024-03-20T00:00:00Z', 'u1'] });
  assert.deepStrictEqual(r.rows, [{ age: 31, visits: '2' }]);
  await assert.rejects(c.query('SELECT nope FROM ng'), e => e.code === '42703');
  r = await c.query('SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = $1', ['ng']);
  assert.strictEqual(r.rows[0].n, 8);
  await c.end();
  console.log('OK');
}
main().catch(e => { console.error(e); process.exit(1); });
