"""Files outside the built client are never served: the static route once read any
absolute path after `//`, the keyring included."""


def test_double_slash_absolute_path_does_not_read_the_keyring(server_factory, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>parley</title>")
    server = server_factory(extra=["--static-dir", str(static)])
    keyring = server.data_dir / "keyring.json"
    assert keyring.exists()
    r = server.request("GET", "/" + str(keyring))
    assert r.status == 404
    assert r.body == server.request("GET", "/no-such-file.txt").body
