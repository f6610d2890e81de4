// The search box's logic, with no DOM and no I/O: the shapes of GET /search and
// /search/suggest (docs/api.md, "Search"), the query's operator terms as filter chips
// (add, remove), the suggestions the client makes itself until the server's suggest route
// answers (operators, rooms, people, dates), and hits grouped by room.

/** One part of a hit's snippet; `match` parts are the words that matched. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  room_id: number;
  seq: number;
  sender: { id: number; username: string };
  created_at: number;
  exact: boolean;
  snippet: SnippetPart[];
}

export interface SearchPage {
  hits: SearchHit[];
  totals: { room_id: number; count: number }[];
  next_cursor: string | null;
}

/** GET /search/suggest: four lists; each item's `query` is the whole box, completed. */
export interface Suggestions {
  words: { text: string; count: number; query: string }[];
  users: { username: string; id: number; query: string }[];
  rooms: { name: string; id: number; query: string }[];
  operators: { text: string; query: string }[];
}

export const OPERATORS = [
  "from:",
  "in:",
  "has:file",
  "has:image",
  "has:link",
  "is:reply",
  "before:",
  "after:",
  "on:",
];

const VALUES: Record<string, string[]> = {
  has: ["has:file", "has:image", "has:link"],
  is: ["is:reply"],
};

/** The query split into terms at spaces outside quotes, each with where it starts. */
export function terms(q: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i <= q.length; i++) {
    const c = q[i];
    const space = c === undefined || (!quoted && /\s/.test(c));
    if (space) {
      if (start >= 0) out.push({ text: q.slice(start, i), at: start });
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (c === '"') quoted = !quoted;
  }
  return out;
}

/** The operator a term is (`from`, `in`, …), or "" for a word or phrase. */
export function operatorOf(term: string): string {
  const m = /^([a-z]+):/i.exec(term);
  return m && OPERATORS.some((o) => o.startsWith(m[1]!.toLowerCase() + ":"))
    ? m[1]!.toLowerCase()
    : "";
}

/** A filter chip: what it shows and the term it stands for (empty: not in the query yet). */
export interface Chip {
  label: string;
  /** the term in the query (remove it to turn the chip off), or "" when it is off */
  term: string;
  /** what turning it on adds: a whole term (has:file) or an operator awaiting a value */
  add: string;
}

const CHIP_KINDS: { label: string; add: string }[] = [
  { label: "From", add: "from:" },
  { label: "In", add: "in:" },
  { label: "Has file", add: "has:file" },
  { label: "Has image", add: "has:image" },
  { label: "Has link", add: "has:link" },
  { label: "Before", add: "before:" },
  { label: "After", add: "after:" },
];

/** The chips for a query: one per operator kind; a kind the query holds shows its term. */
export function chips(q: string): Chip[] {
  const ts = terms(q).map((t) => t.text);
  return CHIP_KINDS.map(({ label, add }) => {
    const whole = !add.endsWith(":");
    const found = ts.find((t) =>
      whole ? t.toLowerCase() === add : t.toLowerCase().startsWith(add) && t.length > add.length,
    );
    return { label: found && !whole ? found : label, term: found ?? "", add };
  });
}

/** The query without one term (the first one equal to it), spaces tidied. */
export function withoutTerm(q: string, term: string): string {
  const ts = terms(q);
  const i = ts.findIndex((t) => t.text === term);
  if (i < 0) return q;
  return ts
    .filter((_, j) => j !== i)
    .map((t) => t.text)
    .join(" ");
}

/** The query with a term added at the end (a space before it when needed). */
export function withTerm(q: string, term: string): string {
  const base = q.replace(/\s+$/, "");
  return base ? `${base} ${term}` : term;
}

/** The part being typed: after the last space (empty when q ends with one). */
export function typedPart(q: string): string {
  const m = /\S*$/.exec(q);
  return m ? m[0] : "";
}

function replaceTyped(q: string, by: string): string {
  return q.slice(0, q.length - typedPart(q).length) + by;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Suggestions made in the browser, in the shape of GET /search/suggest (no words: only the
 * server knows them): operators, the caller's rooms, people it knows, and for a date
 * operator a few days back. `now` is injected for the dates.
 */
export function localSuggest(
  q: string,
  rooms: { id: number; name: string }[],
  people: { id: number; username: string }[],
  now: number,
  limit = 6,
): Suggestions {
  const out: Suggestions = { words: [], users: [], rooms: [], operators: [] };
  const typed = typedPart(q);
  const low = typed.toLowerCase();
  if (!typed) {
    out.operators = OPERATORS.map((o) => ({ text: o, query: q + o })).slice(0, limit);
    return out;
  }
  const who = /^(?:from:@?|@)(.*)$/i.exec(typed);
  const where = /^(?:in:#?|#)(.*)$/i.exec(typed);
  const op = /^([a-z]+):(.*)$/i.exec(typed);
  if (who) {
    const p = who[1]!.toLowerCase();
    out.users = people
      .filter((u) => u.username.toLowerCase().startsWith(p))
      .sort((a, b) => a.username.localeCompare(b.username))
      .slice(0, limit)
      .map((u) => ({ ...u, query: replaceTyped(q, `from:${u.username} `) }));
  } else if (where) {
    const p = where[1]!.toLowerCase();
    out.rooms = rooms
      .filter((r) => r.name && r.name.toLowerCase().startsWith(p))
      .slice(0, limit)
      .map((r) => {
        const value = /\s/.test(r.name) ? String(r.id) : r.name;
        return { ...r, query: replaceTyped(q, `in:${value} `) };
      });
  } else if (op && VALUES[op[1]!.toLowerCase()]) {
    out.operators = VALUES[op[1]!.toLowerCase()]!.filter((v) => v.startsWith(low)).map((v) => ({
      text: v,
      query: replaceTyped(q, v + " "),
    }));
  } else if (op && ["before", "after", "on"].includes(op[1]!.toLowerCase())) {
    const name = op[1]!.toLowerCase();
    const day = 86400000;
    out.operators = [0, 1, 7, 30, 365]
      .map((d) => `${name}:${isoDay(now - d * day)}`)
      .filter((v) => v.startsWith(low))
      .map((v) => ({ text: v, query: replaceTyped(q, v + " ") }));
  } else if (!op && !/^[-"]/.test(typed)) {
    out.operators = OPERATORS.filter((o) => o.startsWith(low) && o !== low).map((o) => ({
      text: o,
      query: replaceTyped(q, o.endsWith(":") ? o : o + " "),
    }));
    out.users = people
      .filter((u) => u.username.toLowerCase().startsWith(low))
      .slice(0, 3)
      .map((u) => ({ ...u, query: replaceTyped(q, `from:${u.username} `) }));
    out.rooms = rooms
      .filter((r) => r.name && r.name.toLowerCase().startsWith(low))
      .slice(0, 3)
      .map((r) => ({ ...r, query: replaceTyped(q, `in:${/\s/.test(r.name) ? r.id : r.name} `) }));
  }
  return out;
}

/** One option of the suggestion list, whatever list it came from. */
export interface SuggestOption {
  kind: "word" | "user" | "room" | "operator";
  label: string;
  detail: string;
  query: string;
}

/** The four lists as one list of options, at most `limit` of them. */
export function flatten(s: Suggestions, limit = 8): SuggestOption[] {
  const out: SuggestOption[] = [
    ...s.words.map((w) => ({
      kind: "word" as const,
      label: w.text,
      detail: w.count === 1 ? "1 message" : `${w.count} messages`,
      query: w.query,
    })),
    ...s.users.map((u) => ({
      kind: "user" as const,
      label: u.username,
      detail: "from",
      query: u.query,
    })),
    ...s.rooms.map((r) => ({ kind: "room" as const, label: r.name, detail: "in", query: r.query })),
    ...s.operators.map((o) => ({
      kind: "operator" as const,
      label: o.text,
      detail: "filter",
      query: o.query,
    })),
  ];
  return out.slice(0, limit);
}

export interface HitGroup {
  room_id: number;
  /** what the index matched in the room (totals), at least the hits shown */
  total: number;
  hits: SearchHit[];
}

/** Hits by room, rooms in the order their first hit came; totals from the first page. */
export function groupByRoom(hits: SearchHit[], totals: SearchPage["totals"]): HitGroup[] {
  const groups = new Map<number, HitGroup>();
  for (const hit of hits) {
    let g = groups.get(hit.room_id);
    if (!g) {
      const total = totals.find((t) => t.room_id === hit.room_id)?.count ?? 0;
      g = { room_id: hit.room_id, total, hits: [] };
      groups.set(hit.room_id, g);
    }
    g.hits.push(hit);
  }
  for (const g of groups.values()) g.total = Math.max(g.total, g.hits.length);
  return [...groups.values()];
}
