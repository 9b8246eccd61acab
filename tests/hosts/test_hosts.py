"""`hosts`: remote machines over ssh + tmux, against a real sshd on 127.0.0.1 (tests/fakes/sshd.py)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from cc_orchestrator.core.orchestrator import Orchestrator
from tests.test_cli import ok, refused, run


def hosts(env, cwd, *args) -> str:
    return ok(env, cwd, "hosts", *args)


def listed(env, cwd) -> list[str]:
    return [h["name"] for h in json.loads(hosts(env, cwd, "list", "--json"))]


def test_add_checks_the_host_then_saves_it(hosts_env, trusted_sshd, remote_repo, tmp_path):
    out = hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url, "--repo", str(remote_repo / "."))
    assert out.startswith(f"added host box ({trusted_sshd.url}): tmux 3.") and "1 repository" in out

    everything = json.loads(hosts(hosts_env, tmp_path, "list", "--json"))
    assert [h["name"] for h in everything] == ["local", "box"]
    box = everything[1]
    assert box["url"] == trusted_sshd.url and box["repos"] == [str(remote_repo)]
    assert box["tmux_version"].startswith("3.") and box["git_version"][0].isdigit()
    assert box["last_seen"] and box["last_error"] == "" and box["instances"] == 0
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json")) == box

    table = hosts(hosts_env, tmp_path, "list").splitlines()
    assert table[0].split()[:3] == ["NAME", "URL", "INSTANCES"]
    assert table[1].startswith("local") and table[2].startswith("box")
    shown = hosts(hosts_env, tmp_path, "show", "box")
    assert f"repository: {remote_repo}" in shown and "tmux" in shown
    refused(hosts_env, tmp_path, "hosts", "add", "box", trusted_sshd.url, match="a host named 'box' exists already")


def test_an_unknown_host_key_is_refused_unless_accept_new(hosts_env, sshd, tmp_path):
    line = refused(hosts_env, tmp_path, "hosts", "add", "box", sshd.url, match="host box refused")
    assert "host key is not known" in line and "--accept-new" in line
    assert listed(hosts_env, tmp_path) == ["local"]
    assert sshd.known_hosts.read_text() == ""

    hosts(hosts_env, tmp_path, "add", "box", sshd.url, "--accept-new")
    assert listed(hosts_env, tmp_path) == ["local", "box"]
    assert f"[127.0.0.1]:{sshd.port} ssh-ed25519" in sshd.known_hosts.read_text()  # trusted from now on
    hosts(hosts_env, tmp_path, "check", "box")


def test_a_changed_host_key_is_refused_even_with_accept_new(hosts_env, sshd, tmp_path):
    other = sshd.root / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    sshd.known_hosts.write_text(
        f"[127.0.0.1]:{sshd.port} {' '.join(other.with_suffix('.pub').read_text().split()[:2])}\n"
    )
    line = refused(hosts_env, tmp_path, "hosts", "add", "box", sshd.url, "--accept-new", match="host box refused")
    assert "CHANGED" in line
    assert listed(hosts_env, tmp_path) == ["local"]


def test_a_repository_that_is_not_there_is_refused_and_nothing_saved(hosts_env, trusted_sshd, remote_repo, tmp_path):
    plain = trusted_sshd.home / "plain"
    plain.mkdir()
    line = refused(
        hosts_env,
        tmp_path,
        "hosts",
        "add",
        "box",
        trusted_sshd.url,
        "--repo",
        str(remote_repo),
        "--repo",
        "/nowhere/at/all",
        "--repo",
        "~/plain",
        match="host box not added",
    )
    assert "/nowhere/at/all does not exist" in line and "~/plain is not in a git repository" in line
    assert str(remote_repo) not in line  # the good one is not reported
    assert listed(hosts_env, tmp_path) == ["local"]
    refused(hosts_env, tmp_path, "hosts", "add", "box", trusted_sshd.url, "--repo", "src/project", match="absolute")

    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url, "--repo", "~/src/project")  # ~ is the remote HOME
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["repos"] == [str(remote_repo)]


def test_a_host_without_sshd_is_refused(hosts_env, trusted_sshd, tmp_path):
    trusted_sshd.stop()
    line = refused(hosts_env, tmp_path, "hosts", "add", "box", trusted_sshd.url, match="host box unreachable")
    assert "Connection refused" in line
    assert listed(hosts_env, tmp_path) == ["local"]


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://me@example.com", "expected ssh://user@host[:port]"),
        ("ssh://me:hunter2@example.com", "holds no password"),
        ("ssh://me@example.com:99999", "expected ssh://user@host[:port]"),
        ("ssh://me@-oProxyCommand=x", "host name"),
        ("ssh://-l@example.com", "bad user name"),
        ("ssh://me@example.com/path", "nothing may follow"),
        ("example.com", "expected ssh://user@host[:port]"),
    ],
)
def test_bad_urls_are_refused_in_one_line(cli_env, tmp_path, url, match):
    line = refused(cli_env, tmp_path, "hosts", "add", "box", url, match=match)
    assert "hunter2" not in line


def test_host_names_are_checked_and_local_is_reserved(cli_env, tmp_path):
    refused(cli_env, tmp_path, "hosts", "add", "local", "ssh://me@example.com", match="reserved")
    refused(cli_env, tmp_path, "hosts", "add", "Bad Name", "ssh://me@example.com", match="invalid host name")
    refused(cli_env, tmp_path, "hosts", "rm", "local", match="cannot be removed")
    refused(cli_env, tmp_path, "hosts", "show", "nope", match="no host named 'nope'")
    local = json.loads(ok(cli_env, tmp_path, "hosts", "show", "local", "--json"))
    assert local["name"] == "local" and local["url"] == ""


def test_check_reports_latency_versions_and_agents(hosts_env, trusted_sshd, remote_repo, tmp_path):
    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url, "--repo", str(remote_repo))
    claude = trusted_sshd.bin / "claude"
    claude.write_text("#!/bin/sh\necho 9.9.9\n")
    claude.chmod(0o755)

    found = json.loads(hosts(hosts_env, tmp_path, "check", "box", "--json"))
    assert found["ok"] and found["reachable"] and found["problems"] == []
    assert 0 < found["latency_ms"] < 2000 and found["connect_ms"] > 0
    assert found["tmux_version"].startswith("3.") and found["git_version"]
    assert found["agents"]["claude"] == str(claude)  # found on the remote PATH only
    assert found["repos"] == [{"path": str(remote_repo), "found": True, "toplevel": str(remote_repo), "problem": ""}]
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["agents"] == sorted(found["agents"])

    text = hosts(hosts_env, tmp_path, "check", "box")
    assert "reachable  yes" in text and f"claude ({claude})" in text and "ms" in text

    local = json.loads(hosts(hosts_env, tmp_path, "check", "local", "--json"))
    assert local["reachable"] and "claude" not in local["agents"]  # not on this side's PATH


def test_check_of_a_host_gone_says_so_and_keeps_it(hosts_env, trusted_sshd, tmp_path):
    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url)
    trusted_sshd.stop()
    result = run(hosts_env, tmp_path, "hosts", "check", "box", "--json")
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert not found["reachable"] and "host box unreachable" in found["problems"][0]
    box = json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))
    assert "unreachable" in box["last_error"] and box["last_seen"]  # when it last answered stays

    trusted_sshd.start()  # back, on the same port with the same key
    hosts(hosts_env, tmp_path, "check", "box")
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["last_error"] == ""


def test_set_max_instances(hosts_env, trusted_sshd, tmp_path):
    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url)
    assert hosts(hosts_env, tmp_path, "set", "box", "max_instances", "10").strip() == "host box: max_instances = 10"
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["max_instances"] == 10
    hosts(hosts_env, tmp_path, "set", "box", "max_instances", "none")
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["max_instances"] is None
    refused(hosts_env, tmp_path, "hosts", "set", "box", "max_instances", "lots", match="whole number")
    refused(hosts_env, tmp_path, "hosts", "set", "box", "max_instances", "0", match="between 1 and 500")
    refused(hosts_env, tmp_path, "hosts", "set", "local", "max_instances", "3", match="config set max_instances")


def _instance_on(data_dir, host: str, status: str) -> None:
    from cc_orchestrator.core.events import utcnow
    from cc_orchestrator.core.store.database import Store
    from cc_orchestrator.core.store.tables import InstanceRow

    store = Store(data_dir / "orchestrator.db")
    name = status.lower()
    values = {"worktree_path": "/w", "tmux_session": f"cco-{name}", "status": status, "host": host}
    store.write(lambda: InstanceRow.create(id=f"i-{name}", created_at=utcnow(), last_activity=utcnow(), **values))
    store.close()


def test_rm_is_refused_while_instances_run_there_unless_forced(hosts_env, trusted_sshd, data_dir, tmp_path):
    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url)
    _instance_on(data_dir, "box", "STOPPED")
    hosts(hosts_env, tmp_path, "add", "other", trusted_sshd.url)
    hosts(hosts_env, tmp_path, "rm", "other")  # nothing runs there
    _instance_on(data_dir, "box", "RUNNING")
    assert json.loads(hosts(hosts_env, tmp_path, "show", "box", "--json"))["instances"] == 1

    refused(hosts_env, tmp_path, "hosts", "rm", "box", match="host box has 1 live instance(s) (i-running)")
    assert listed(hosts_env, tmp_path) == ["local", "box"]
    assert hosts(hosts_env, tmp_path, "rm", "box", "--force").startswith("removed host box")
    assert listed(hosts_env, tmp_path) == ["local"]
    con = sqlite3.connect(data_dir / "orchestrator.db")  # the instance rows stay for reconciliation
    assert con.execute("select count(*) from instances where host = 'box'").fetchone()[0] == 2
    con.close()


def test_one_connection_is_opened_and_reused(hosts_env, trusted_sshd, data_dir):
    orch = Orchestrator(data_dir)
    try:
        host = orch.hosts.add("box", trusted_sshd.url)
        control = orch.ssh.control_path(host.url)
        assert control.is_socket() and orch.ssh.connected(host)  # `ssh -O check`: the master answers
        assert len(str(control)) <= 103 - 17  # room for ssh's temporary name beside it
        for _ in range(5):
            assert orch.ssh.run(host, ["true"]).returncode == 0
        orch.hosts.check("box")
        assert trusted_sshd.accepted() == 1  # one TCP connection and one login, whatever the calls

        assert orch.ssh.disconnect(host) and not orch.ssh.connected(host)
        orch.ssh.run(host, ["true"])  # opened again, lazily
        assert trusted_sshd.accepted() == 2 and orch.ssh.connected(host)
    finally:
        orch.close()


def test_remote_commands_travel_as_argument_lists(hosts_env, trusted_sshd, data_dir):
    orch = Orchestrator(data_dir)
    try:
        host = orch.hosts.add("box", trusted_sshd.url)
        hostile = ["$(touch pwned)", "`touch pwned`; touch pwned", 'it\'s "quoted"', "a\nb", "*", "-n", ""]
        result = orch.ssh.run(host, ["printf", "[%s]", *hostile])
        assert result.text == "".join(f"[{h}]" for h in hostile)
        assert not (trusted_sshd.home / "pwned").exists()
        # a batch: a fixed script on stdin, with its own exit status; the remote side has its own HOME
        result = orch.ssh.run(host, ["sh", "-s"], stdin='echo "$HOME"; cat; exit 3')
        assert result.returncode == 3 and result.lines() == [str(trusted_sshd.home)]
        result = orch.ssh.run(host, ["sh", "-c", 'echo "$HOME $TMUX_TMPDIR $PWD"'])
        assert result.text.split() == [str(trusted_sshd.home), str(trusted_sshd.tmux_tmpdir), str(trusted_sshd.home)]
    finally:
        orch.close()


def test_nothing_secret_is_stored(hosts_env, trusted_sshd, data_dir, tmp_path):
    hosts(hosts_env, tmp_path, "add", "box", trusted_sshd.url, "--accept-new")
    refused(hosts_env, tmp_path, "hosts", "add", "pw", "ssh://me:hunter2@127.0.0.1", match="holds no password")
    public = trusted_sshd.client_key.with_suffix(".pub").read_text().split()[1]
    private = trusted_sshd.client_key.read_text()
    con = sqlite3.connect(data_dir / "orchestrator.db")
    text = ""
    for (table,) in con.execute("select name from sqlite_master where type = 'table'"):
        text += repr(con.execute(f"select * from {table}").fetchall())
    con.close()
    assert "box" in text and trusted_sshd.url in text
    for secret in ("hunter2", "PRIVATE KEY", public[:40], private.splitlines()[1][:40], "IdentityFile"):
        assert secret not in text


def test_schema_8_databases_gain_hosts(data_dir):
    from cc_orchestrator.core.store.database import Store
    from cc_orchestrator.core.store.migrations import SCHEMA_VERSION

    Store(data_dir / "orchestrator.db").close()
    con = sqlite3.connect(data_dir / "orchestrator.db")
    con.execute("drop table hosts")
    con.execute("drop index instances_host")
    con.execute("alter table instances drop column host")
    con.execute("pragma user_version = 8")
    con.commit()
    con.close()
    store = Store(data_dir / "orchestrator.db")
    assert "host" in {c.name for c in store.db.get_columns("instances")}
    assert "hosts" in store.db.get_tables()
    assert store.db.execute_sql("pragma user_version").fetchone()[0] == SCHEMA_VERSION == 10
    store.close()


def test_socket_folder_falls_back_when_the_data_dir_is_too_deep(tmp_path):
    from cc_orchestrator.core.hosts.ssh import Ssh, control_dir

    deep = tmp_path / ("d" * 90)
    folder = control_dir(deep)
    assert not folder.is_relative_to(deep) and oct(folder.stat().st_mode & 0o777) == "0o700"
    other = control_dir(tmp_path / ("e" * 90))
    assert control_dir(deep) == folder != other  # one per data dir
    assert len(str(Ssh(deep).control_path("ssh://me@example.com"))) <= 103 - 17
    short = Path(tempfile.mkdtemp(prefix="cco-", dir="/tmp"))
    try:
        assert control_dir(short) == short / "ssh"  # where it fits: inside the data dir
    finally:
        for made in (short, folder, other):
            shutil.rmtree(made)
