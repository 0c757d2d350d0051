"""Make the welcome notebook's sample data (home/sample-data/): a small shop as a SQLite database
with related tables, and its orders as a CSV file. Deterministic: run it again after changing
it and commit what it writes.

    python notebooks/welcome/make_sample_data.py
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "home" / "sample-data"
CUSTOMERS = [
    ("Ada", "Oslo"), ("Bo", "Bergen"), ("Chen", "Oslo"), ("Dara", "Trondheim"),
    ("Eli", "Bergen"), ("Femi", "Oslo"), ("Gus", "Stavanger"), ("Hana", "Trondheim"),
]  # fmt: skip
PRODUCTS = [
    ("Coffee beans 1 kg", "grocery", 189.0), ("Tea sampler", "grocery", 99.0),
    ("Pour-over kettle", "kitchen", 449.0), ("Grinder", "kitchen", 899.0),
    ("Mug", "kitchen", 79.0), ("Notebook", "office", 59.0),
]  # fmt: skip


def main() -> None:
    rng = random.Random(16)
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "shop.sqlite"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                               category TEXT NOT NULL, price REAL NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY,
                             customer_id INTEGER NOT NULL REFERENCES customers(id),
                             product_id INTEGER NOT NULL REFERENCES products(id),
                             quantity INTEGER NOT NULL, ordered_on TEXT NOT NULL);
        """
    )
    con.executemany("INSERT INTO customers (name, city) VALUES (?, ?)", CUSTOMERS)
    con.executemany("INSERT INTO products (name, category, price) VALUES (?, ?, ?)", PRODUCTS)
    start = date(2026, 1, 1)
    orders = [
        (
            rng.randint(1, len(CUSTOMERS)),
            rng.randint(1, len(PRODUCTS)),
            rng.randint(1, 4),
            (start + timedelta(days=rng.randint(0, 180))).isoformat(),
        )
        for _ in range(120)
    ]
    orders.sort(key=lambda o: o[3])
    con.executemany(
        "INSERT INTO orders (customer_id, product_id, quantity, ordered_on) VALUES (?, ?, ?, ?)",
        orders,
    )
    con.commit()
    rows = con.execute(
        """SELECT o.id, o.ordered_on, c.city, p.category, p.name, o.quantity,
                  round(o.quantity * p.price, 2)
           FROM orders o JOIN customers c ON c.id = o.customer_id
                         JOIN products p ON p.id = o.product_id ORDER BY o.id"""
    ).fetchall()
    con.execute("VACUUM")
    con.close()
    with (OUT / "orders.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["order_id", "ordered_on", "city", "category", "product", "quantity",
                         "amount"])  # fmt: skip
        writer.writerows(rows)


if __name__ == "__main__":
    main()
