"""Usage per user, month and model: requests, tokens and cost, never contents.

One small table through SQLAlchemy (the hub's own database library), in the hub's PostgreSQL in
production or a SQLite file beside the hub's in local mode. The gateway writes it; the hub's
usage page and its Prometheus endpoint read it.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from prometheus_client.core import CounterMetricFamily
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine, func, select
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
metadata = MetaData()
usage = Table(
    "hubkit_ai_usage",
    metadata,
    Column("user", String(255), primary_key=True),
    Column("month", String(7), primary_key=True),  # 2026-11 (UTC)
    Column("model", String(255), primary_key=True),
    Column("requests", Integer, nullable=False, default=0),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("cost_usd", Float, nullable=False, default=0.0),
)


def this_month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


class UsageStore:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    @classmethod
    @cache
    def at(cls, url: str) -> UsageStore:
        """One store per URL in a process (the hub's usage page and metrics share it)."""
        return cls(url)

    def record(
        self, user: str, model: str, input_tokens: int, output_tokens: int, cost: float
    ) -> None:
        self.record_many([(user, model, input_tokens, output_tokens, cost)])

    def record_many(self, rows: Iterable[tuple[str, str, int, int, float]]) -> None:
        """Several requests' (user, model, input tokens, output tokens, cost) in one
        transaction: one commit (and its fsync) for a burst instead of one per request."""
        month = this_month()
        sums: dict[tuple[str, str], list[float]] = {}
        for user, model, input_tokens, output_tokens, cost in rows:
            s = sums.setdefault((user, model), [0, 0, 0, 0.0])
            s[0] += 1
            s[1] += input_tokens
            s[2] += output_tokens
            s[3] += cost
        with self.engine.begin() as db:
            for (user, model), (requests, input_tokens, output_tokens, cost) in sums.items():
                key = {"user": user, "month": month, "model": model}
                updated = db.execute(
                    usage.update()
                    .where(*(usage.c[k] == v for k, v in key.items()))
                    .values(
                        requests=usage.c.requests + requests,
                        input_tokens=usage.c.input_tokens + input_tokens,
                        output_tokens=usage.c.output_tokens + output_tokens,
                        cost_usd=usage.c.cost_usd + cost,
                    )
                ).rowcount
                if not updated:
                    db.execute(
                        usage.insert().values(
                            **key,
                            requests=requests,
                            input_tokens=input_tokens,
                            output_tokens=output_tokens,
                            cost_usd=cost,
                        )
                    )

    def month_totals(self, user: str) -> tuple[int, float]:
        """This month's (tokens, cost in USD) of a user."""
        with self.engine.connect() as db:
            row = db.execute(
                select(
                    func.coalesce(func.sum(usage.c.input_tokens + usage.c.output_tokens), 0),
                    func.coalesce(func.sum(usage.c.cost_usd), 0.0),
                ).where(usage.c.user == user, usage.c.month == this_month())
            ).one()
        return int(row[0]), float(row[1])

    def per_user(self, month: str | None = None) -> dict[str, dict[str, Any]]:
        """user -> {requests, tokens, cost_usd} for a month (this one by default)."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(
                    usage.c.user,
                    func.sum(usage.c.requests),
                    func.sum(usage.c.input_tokens + usage.c.output_tokens),
                    func.sum(usage.c.cost_usd),
                )
                .where(usage.c.month == (month or this_month()))
                .group_by(usage.c.user)
            ).all()
        return {
            user: {"requests": int(r), "tokens": int(t), "cost_usd": round(float(c), 6)}
            for user, r, t, c in rows
        }

    def all_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as db:
            return [dict(r._mapping) for r in db.execute(select(usage)).all()]


class UsageCollector:
    """Prometheus collector for /hub/metrics: the stored totals as counters (all months).

    JupyterHub's metrics handler calls `collect()` on the hub's event loop, so it never reads
    the table there (a slow database would stall every request to the hub): it serves the
    totals its own thread read last, and a scrape finding them older than `max_age` seconds
    asks that thread for new ones, which the next scrape gets. Counters a scrape interval
    late are what Prometheus expects; an idle hub reads nothing."""

    def __init__(self, store: UsageStore, max_age: float = 5.0) -> None:
        self.store = store
        self.max_age = max_age
        self._totals: dict[tuple[str, str], list[float]] = {}
        self._read_at = -math.inf
        self._wanted = threading.Event()
        self._wanted.set()  # a first read at once
        threading.Thread(target=self._reader, name="ai-usage-metrics", daemon=True).start()

    def _reader(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                self._totals = self.totals()
                self._read_at = time.monotonic()
            except Exception:  # the next scrape asks again
                log.exception("could not read the AI usage for /hub/metrics")

    def totals(self) -> dict[tuple[str, str], list[float]]:
        """(user, model) -> [requests, input tokens, output tokens, cost], from the table."""
        totals: dict[tuple[str, str], list[float]] = {}
        for row in self.store.all_rows():
            t = totals.setdefault((row["user"], row["model"]), [0, 0, 0, 0.0])
            t[0] += row["requests"]
            t[1] += row["input_tokens"]
            t[2] += row["output_tokens"]
            t[3] += row["cost_usd"]
        return totals

    def collect(self) -> Iterable[CounterMetricFamily]:
        if time.monotonic() - self._read_at > self.max_age:
            self._wanted.set()
        requests = CounterMetricFamily(
            "hubkit_ai_requests", "AI requests through the gateway", labels=["user", "model"]
        )
        tokens = CounterMetricFamily(
            "hubkit_ai_tokens", "AI tokens through the gateway", labels=["user", "model", "kind"]
        )
        cost = CounterMetricFamily(
            "hubkit_ai_cost_usd", "AI cost in USD (genai-prices' table)", labels=["user", "model"]
        )
        for (user, model), (r, i, o, c) in sorted(self._totals.items()):
            requests.add_metric([user, model], r)
            tokens.add_metric([user, model, "input"], i)
            tokens.add_metric([user, model, "output"], o)
            cost.add_metric([user, model], c)
        yield from (requests, tokens, cost)
