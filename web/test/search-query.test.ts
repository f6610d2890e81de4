import { describe, expect, it } from "vitest";
import {
  chips,
  flatten,
  groupByRoom,
  localSuggest,
  operatorOf,
  terms,
  typedPart,
  withTerm,
  withoutTerm,
  type SearchHit,
} from "../src/search-query";

const rooms = [
  { id: 1, name: "general" },
  { id: 2, name: "gardening club" },
  { id: 3, name: "random" },
];
const people = [
  { id: 5, username: "alice" },
  { id: 6, username: "Albert" },
  { id: 7, username: "bob" },
];
const NOW = Date.UTC(2026, 11, 7, 12);

describe("terms and chips", () => {
  it("splits at spaces outside quotes", () => {
    expect(terms(' budget "new york"  from:alice ').map((t) => t.text)).toEqual([
      "budget",
      '"new york"',
      "from:alice",
    ]);
    expect(terms("")).toEqual([]);
  });

  it("knows the operators, not every colon", () => {
    expect(operatorOf("from:al")).toBe("from");
    expect(operatorOf("HAS:file")).toBe("has");
    expect(operatorOf("https://x")).toBe("");
    expect(operatorOf("note:")).toBe("");
  });

  it("a chip is on when the query holds its term", () => {
    const c = chips("budget from:alice has:image before:2026-01-02");
    const on = Object.fromEntries(c.map((x) => [x.add, x.term]));
    expect(on["from:"]).toBe("from:alice");
    expect(on["has:image"]).toBe("has:image");
    expect(on["has:file"]).toBe("");
    expect(on["before:"]).toBe("before:2026-01-02");
    expect(on["in:"]).toBe("");
    // an operator still waiting for its value is not a filter yet
    expect(chips("from:").find((x) => x.add === "from:")!.term).toBe("");
    expect(c.find((x) => x.add === "from:")!.label).toBe("from:alice");
  });

  it("adds and removes terms, keeping the rest", () => {
    expect(withTerm("budget ", "has:file")).toBe("budget has:file");
    expect(withTerm("", "from:")).toBe("from:");
    expect(withoutTerm('a "b c" has:file d', "has:file")).toBe('a "b c" d');
    expect(withoutTerm("a b", "zzz")).toBe("a b");
  });

  it("the part being typed is after the last space", () => {
    expect(typedPart("budget lap")).toBe("lap");
    expect(typedPart("budget ")).toBe("");
  });
});

describe("suggestions made in the browser", () => {
  it("nothing typed yet: the operators", () => {
    const s = localSuggest("budget ", rooms, people, NOW, 20);
    expect(s.operators.map((o) => o.query)).toContain("budget from:");
    expect(s.operators).toHaveLength(9);
  });

  it("people for from: and @, rooms for in: and #, completed with a space", () => {
    expect(localSuggest("x from:al", rooms, people, NOW).users.map((u) => u.query)).toEqual([
      "x from:Albert ",
      "x from:alice ",
    ]);
    expect(localSuggest("@bo", rooms, people, NOW).users[0]!.query).toBe("from:bob ");
    const r = localSuggest("#g", rooms, people, NOW).rooms.map((x) => x.query);
    // a name with a space goes by its id
    expect(r).toEqual(["in:general ", "in:2 "]);
    expect(localSuggest("in:ra", rooms, people, NOW).rooms[0]!.query).toBe("in:random ");
  });

  it("values of has: and is:, and days for the date operators", () => {
    expect(localSuggest("has:i", rooms, people, NOW).operators.map((o) => o.text)).toEqual([
      "has:image",
    ]);
    const days = localSuggest("before:", rooms, people, NOW).operators.map((o) => o.text);
    expect(days[0]).toBe("before:2026-12-07");
    expect(days[1]).toBe("before:2026-12-06");
    expect(localSuggest("on:2026-12-0", rooms, people, NOW).operators.length).toBeGreaterThan(0);
  });

  it("a word: operators, people and rooms it starts", () => {
    const s = localSuggest("meet ge", rooms, people, NOW);
    expect(s.rooms.map((x) => x.query)).toEqual(["meet in:general "]);
    expect(localSuggest("fr", rooms, people, NOW).operators.map((o) => o.query)).toEqual(["from:"]);
    expect(localSuggest("ha", rooms, people, NOW).operators.map((o) => o.query)).toEqual([
      "has:file ",
      "has:image ",
      "has:link ",
    ]);
    // exclusions and phrases are left to the server's words
    expect(flatten(localSuggest("-ge", rooms, people, NOW))).toEqual([]);
  });

  it("flattens the four lists, words first, to at most the limit", () => {
    const opts = flatten(
      {
        words: [{ text: "laptop", count: 3, query: "laptop " }],
        users: [{ username: "alice", id: 5, query: "from:alice " }],
        rooms: [{ name: "general", id: 1, query: "in:general " }],
        operators: [{ text: "from:", query: "from:" }],
      },
      3,
    );
    expect(opts.map((o) => [o.kind, o.label, o.detail])).toEqual([
      ["word", "laptop", "3 messages"],
      ["user", "alice", "from"],
      ["room", "general", "in"],
    ]);
  });
});

describe("results by room", () => {
  const hit = (room_id: number, seq: number): SearchHit => ({
    room_id,
    seq,
    sender: { id: 1, username: "a" },
    created_at: 0,
    exact: true,
    snippet: [{ text: "x", match: true }],
  });

  it("groups in the order rooms first appear, with the server's totals", () => {
    const g = groupByRoom(
      [hit(2, 9), hit(1, 4), hit(2, 3)],
      [
        { room_id: 1, count: 7 },
        { room_id: 2, count: 1 },
      ],
    );
    expect(g.map((x) => [x.room_id, x.total, x.hits.map((h) => h.seq)])).toEqual([
      [2, 2, [9, 3]],
      [1, 7, [4]],
    ]);
  });
});
