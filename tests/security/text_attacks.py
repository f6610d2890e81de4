r"""Characters an attacker hides in a name, a status or a topic: controls that ring, move the
cursor or end a line in a log, separators, and the bidirectional embeddings, overrides and
isolates that make text read as something else ("evil\u202egnp.exe" shows as "evilexe.png").
Every user-set text field refuses each of them, wherever it sits in the value
(test_profile_values, test_room_text_values)."""

CONTROLS = {
    "nul": "\u0000",
    "bell": "\u0007",
    "escape": "\u001b[31m",
    "newline": "\n",
    "carriage return": "\r",
    "tab": "\t",
    "delete": "\u007f",
    "c1 next line": "\u0085",
    "c1 csi": "\u009b",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "left-to-right embedding": "\u202a",
    "right-to-left embedding": "\u202b",
    "pop directional formatting": "\u202c",
    "left-to-right override": "\u202d",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "right-to-left isolate": "\u2067",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
}
