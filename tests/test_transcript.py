"""Token usage from Claude Code transcripts, read incrementally."""

from __future__ import annotations

import json

from cc_orchestrator.core.agents.transcript import TranscriptUsage, read_usage

ZERO = TranscriptUsage(offset=0, last_message_id=None, input_tokens=0, output_tokens=0, model=None)


def assistant(message_id: str, inp: int, out: int, block: str = "text") -> str:
    usage = {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 1000,
    }
    message = {
        "id": message_id,
        "model": "claude-sonnet-4",
        "role": "assistant",
        "content": [{"type": block}],
        "usage": usage,
    }
    return json.dumps({"type": "assistant", "message": message}) + "\n"


def user(text: str) -> str:
    return json.dumps({"type": "user", "message": {"role": "user", "content": text}}) + "\n"


def test_a_reply_in_two_blocks_counts_once(tmp_path):
    path = tmp_path / "t.jsonl"
    content = (
        json.dumps({"type": "summary", "summary": "x"})
        + "\n"
        + user("hi")
        + assistant("m1", 10, 5)
        + assistant("m1", 10, 5, "tool_use")
        + user("tool result")
        + assistant("m2", 20, 7)
    )
    path.write_text(content)
    usage = read_usage(path)
    assert usage == TranscriptUsage(
        offset=len(content.encode()),
        last_message_id="m2",
        input_tokens=(10 + 1100) + (20 + 1100),
        output_tokens=12,
        model="claude-sonnet-4",
    )
    assert read_usage(path, usage) == usage  # nothing new, nothing re-counted


def test_incremental_reads_across_appends_never_recount(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(assistant("m1", 10, 5))
    first = read_usage(path)
    assert (first.input_tokens, first.output_tokens) == (1110, 5)
    # the append splits m1's blocks across two reads
    with open(path, "a") as fh:
        fh.write(assistant("m1", 10, 5, "tool_use") + user("result") + assistant("m2", 1, 2))
    second = read_usage(path, first)
    assert (second.input_tokens, second.output_tokens) == (1110 + 1101, 7)
    assert second.last_message_id == "m2"
    assert second.offset == path.stat().st_size


def test_a_partial_last_line_is_left_for_later(tmp_path):
    path = tmp_path / "t.jsonl"
    whole, late = assistant("m1", 10, 5), assistant("m2", 1, 1)
    path.write_text(whole + late[:30])
    usage = read_usage(path)
    assert usage.offset == len(whole.encode())
    assert usage.output_tokens == 5
    with open(path, "a") as fh:
        fh.write(late[30:])
    later = read_usage(path, usage)
    assert later.output_tokens == 6
    assert later.offset == path.stat().st_size


def test_malformed_lines_and_odd_entries_are_skipped(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        "not json\n\n[1, 2]\n"
        + json.dumps({"type": "assistant", "message": "no usage"})
        + "\n"
        + json.dumps(
            {"type": "assistant", "message": {"id": "s", "model": "<synthetic>", "usage": {"output_tokens": "many"}}}
        )
        + "\n"
        + assistant("m1", 10, 5)
    )
    usage = read_usage(path)
    assert (usage.input_tokens, usage.output_tokens, usage.model) == (1110, 5, "claude-sonnet-4")


def test_a_missing_file_changes_nothing(tmp_path):
    assert read_usage(tmp_path / "none.jsonl") == ZERO
    earlier = TranscriptUsage(offset=42, last_message_id="m9", input_tokens=3, output_tokens=4, model="m")
    assert read_usage(tmp_path / "none.jsonl", earlier) is earlier
