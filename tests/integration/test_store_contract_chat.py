"""The conversation contract of core/ports/store, run against every adapter (SQLite, DynamoDB under moto,
memory) through the ``store`` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.memory import Speaker
from core.ports.store import Store
from tests.integration.test_store_records import HOUR, T0, at, ids, make_turn


def test_recent_returns_the_last_turns_oldest_first(store: Store) -> None:
    for n in (3, 0, 4, 1, 2):
        store.conversations.append(make_turn(f"t{n}", time=at(n)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=3, now=at(10))) == ["t2", "t3", "t4"]
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=50, now=at(10))) == [
        "t0",
        "t1",
        "t2",
        "t3",
        "t4",
    ]
    assert store.conversations.recent("acct-1", "telegram:12345", limit=0, now=at(10)) == []


def test_a_turn_round_trips_with_its_text_and_aware_utc_times(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    said = datetime(2024, 3, 1, 14, 0, 0, 654321, tzinfo=paris)
    turn = make_turn(time=said, speaker=Speaker.PARLEY, text="Bought 10 AAPL @ 101.25 — “ok” #1 %23 ✓")
    store.conversations.append(turn)
    [got] = store.conversations.recent("acct-1", "telegram:12345", limit=5, now=said)
    assert got == turn
    for moment in (got.time, got.expires_at):
        assert moment.utcoffset() == timedelta(0)


def test_recent_leaves_out_turns_expired_at_or_before_now(store: Store) -> None:
    store.conversations.append(make_turn("old", time=at(0), ttl=timedelta(seconds=60)))
    store.conversations.append(make_turn("new", time=at(30), ttl=timedelta(seconds=60)))
    thread = ("acct-1", "telegram:12345")
    assert ids(store.conversations.recent(*thread, limit=5, now=at(59.999999))) == ["old", "new"]
    assert ids(store.conversations.recent(*thread, limit=5, now=at(60))) == ["new"]
    assert store.conversations.recent(*thread, limit=5, now=at(90)) == []


def test_recent_finds_live_turns_behind_newer_expired_ones(store: Store) -> None:
    for n in range(3):
        store.conversations.append(make_turn(f"kept{n}", time=at(n), ttl=HOUR))
    for n in range(3, 10):  # the newest turns expire first, so a page read newest-first holds none alive
        store.conversations.append(make_turn(f"gone{n}", time=at(n), ttl=timedelta(seconds=20)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=2, now=at(60))) == ["kept1", "kept2"]


def test_appending_a_turn_id_again_writes_nothing_and_raises_nothing(store: Store) -> None:
    store.conversations.append(make_turn("t1", time=at(0), text="first"))
    store.conversations.append(make_turn("t1", time=at(0), text="same time"))
    store.conversations.append(make_turn("t1", time=at(5), text="retried later"))
    store.conversations.append(make_turn("t1", time=at(6), thread="sms:+15550100", text="elsewhere"))
    [turn] = store.conversations.recent("acct-1", "telegram:12345", limit=10, now=at(10))
    assert (turn.text, turn.time) == ("first", at(0))
    assert store.conversations.recent("acct-1", "sms:+15550100", limit=10, now=at(10)) == []


def test_threads_and_accounts_do_not_see_each_others_turns(store: Store) -> None:
    store.conversations.append(make_turn("a", thread="telegram:1"))
    store.conversations.append(make_turn("b", thread="whatsapp:1"))
    store.conversations.append(make_turn("c", account_id="acct-2", thread="telegram:1"))
    assert ids(store.conversations.recent("acct-1", "telegram:1", limit=10, now=T0)) == ["a"]
    assert ids(store.conversations.recent("acct-1", "whatsapp:1", limit=10, now=T0)) == ["b"]
    assert ids(store.conversations.recent("acct-2", "telegram:1", limit=10, now=T0)) == ["c"]
    assert store.conversations.recent("acct-2", "whatsapp:1", limit=10, now=T0) == []


def test_threads_with_hash_and_colon_in_their_names_stay_apart(store: Store) -> None:
    threads = ["telegram:1", "telegram:1#2", "telegram:1%232", "telegram", "1#2", "telegram:1#"]
    for n, thread in enumerate(threads):
        store.conversations.append(make_turn(f"t{n}", thread=thread))
    # Account ids cannot hold '#', but the store keeps them apart even if one did.
    store.conversations.append(make_turn("x", account_id="acct-1#telegram:1", thread="2"))
    for n, thread in enumerate(threads):
        assert ids(store.conversations.recent("acct-1", thread, limit=10, now=T0)) == [f"t{n}"]
    assert ids(store.conversations.recent("acct-1#telegram:1", "2", limit=10, now=T0)) == ["x"]
    assert store.conversations.recent("acct-1", "telegram:1#2#", limit=10, now=T0) == []


def test_turns_with_the_same_time_come_back_in_id_order(store: Store) -> None:
    for turn_id in ("b", "c", "a"):
        store.conversations.append(make_turn(turn_id, time=at(1)))
    assert ids(store.conversations.recent("acct-1", "telegram:12345", limit=2, now=at(1))) == ["b", "c"]


def test_append_many_stores_a_question_and_its_answer(store: Store) -> None:
    question = make_turn("q", time=at(0), text="buy 10 AAPL")
    answer = make_turn("a", time=at(1), speaker=Speaker.PARLEY, text="Bought 10 AAPL")
    store.conversations.append_many([question, answer])
    store.conversations.append_many([])
    assert store.conversations.recent("acct-1", "telegram:12345", limit=5, now=at(2)) == [question, answer]


def test_append_many_keeps_a_stored_turn_id_and_stores_the_other_turns(store: Store) -> None:
    store.conversations.append(make_turn("t1", time=at(0), text="first"))
    store.conversations.append_many(
        [
            make_turn("t2", time=at(2)),
            make_turn("t1", time=at(3), text="retried"),
            make_turn("t3", time=at(4)),
            make_turn("t3", time=at(5), text="twice in one call"),
        ]
    )
    recent = store.conversations.recent("acct-1", "telegram:12345", limit=10, now=at(6))
    assert [(turn.id, turn.text) for turn in recent] == [("t1", "first"), ("t2", "turn t2"), ("t3", "turn t3")]
