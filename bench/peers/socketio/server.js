// A minimal but honest socket.io peer for Parley's benchmarks (docs/benchmarks.md): each
// message is committed to PostgreSQL, with a per-room gapless seq assigned in the same
// transaction, before it is acknowledged and broadcast — the same contract as Parley's
// "sent means committed". With REDIS_URL, nodes share rooms through @socket.io/redis-adapter.
//
//   DATABASE_URL=postgresql://... [REDIS_URL=redis://...] [PORT=0] node server.js
//
// Prints "peer listening on http://127.0.0.1:PORT". Simplification against Parley: users
// identify by name in the handshake (`auth: {user}`); there are no passwords, sessions,
// encryption at rest or membership checks beyond joining.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rooms (id BIGSERIAL PRIMARY KEY, name TEXT UNIQUE NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages (room BIGINT NOT NULL, seq BIGINT NOT NULL,
  sender TEXT NOT NULL, client_msg_id TEXT NOT NULL, text TEXT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (room, seq), UNIQUE (room, sender, client_msg_id));`;

async function joinRoom(name) {
  const r = await pool.query(
    "INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name " +
      "RETURNING id, last_seq", [name]);
  return { id: Number(r.rows[0].id), last_seq: Number(r.rows[0].last_seq) };
}

// Commits the message and returns its seq; a retried client_msg_id gets the original seq.
async function store(room, sender, clientMsgId, text) {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const dup = await c.query(
      "SELECT seq FROM messages WHERE room = $1 AND sender = $2 AND client_msg_id = $3",
      [room, sender, clientMsgId]);
    if (dup.rows.length) {
      await c.query("ROLLBACK");
      return { seq: Number(dup.rows[0].seq), duplicate: true, created_at: 0 };
    }
    const s = await c.query("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq", [room]);
    if (!s.rows.length) throw new Error("no such room");
    const seq = Number(s.rows[0].last_seq);
    const now = Date.now();
    await c.query(
      "INSERT INTO messages (room, seq, sender, client_msg_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [room, seq, sender, clientMsgId, text, now]);
    await c.query("COMMIT");
    return { seq, duplicate: false, created_at: now };
  } catch (e) {
    await c.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

async function main() {
  await pool.query(SCHEMA);
  const server = http.createServer();
  const io = new Server(server, { maxHttpBufferSize: 65536 });
  if (process.env.REDIS_URL) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: process.env.REDIS_URL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  io.use((socket, next) => {
    const user = socket.handshake.auth && socket.handshake.auth.user;
    if (typeof user !== "string" || !user) return next(new Error("unauthorized"));
    socket.data.user = user;
    next();
  });
  io.on("connection", (socket) => {
    socket.on("join", async (name, ack) => {
      try {
        const room = await joinRoom(String(name));
        socket.join("r" + room.id);
        if (typeof ack === "function") ack({ room });
      } catch (e) {
        if (typeof ack === "function") ack({ error: "unavailable" });
      }
    });
    socket.on("send", async (msg, ack) => {
      try {
        const room = Number(msg.room);
        const r = await store(room, socket.data.user, String(msg.client_msg_id), String(msg.text));
        if (!r.duplicate) {
          io.to("r" + room).emit("event", { room, seq: r.seq, sender: socket.data.user,
            client_msg_id: msg.client_msg_id, text: msg.text, created_at: r.created_at });
        }
        if (typeof ack === "function") ack({ room, seq: r.seq, duplicate: r.duplicate });
      } catch (e) {
        if (typeof ack === "function") ack({ error: "unavailable" });
      }
    });
  });
  const port = Number(process.env.PORT || 0);
  server.listen(port, "127.0.0.1", () => {
    console.log(`peer listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => { io.close(); pool.end().finally(() => process.exit(0)); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => { console.error(e); process.exit(1); });
