"""Generated articles for integration tests: varied, valid, and each with a distinct id."""

from __future__ import annotations

import random

import orjson

PLACES = [("Seoul", "South Korea"), ("Moscow", "Russia"), ("Kyiv", "Ukraine"), ("Paris", "France"), ("Tokyo", "Japan"), ("Nairobi", "Kenya")]
PEOPLE = ["Maria Keller", "Tomas Rivera", "Aiko Tanaka", "Samuel Okoye", "Lena Petrova", "David Chen"]
SUBJECTS = [
    ("parliament passes budget", "The parliament approved the annual budget after a long debate over taxes and spending."),
    ("central bank raises rates", "The central bank raised its benchmark interest rate to curb inflation, markets fell."),
    ("floods force evacuations", "Heavy rain caused floods that forced thousands of residents to leave their homes."),
    ("team wins championship", "The national football team won the championship final after a penalty shootout."),
    ("ministers meet on security", "Foreign ministers met to discuss regional security and military cooperation."),
]


def make_article(i: int, rng: random.Random) -> dict:
    city, country = rng.choice(PLACES)
    person = rng.choice(PEOPLE)
    headline, lead = rng.choice(SUBJECTS)
    body = "\n\n".join(
        [
            f"{city.upper()}, Dec. {1 + i % 28} - {lead}",
            f"{person}, a spokesperson in {city}, said the decision would shape {country}'s policy for years. (item {i})",
            f"Officials in {country} said further talks were planned next week, according to local media reports.",
        ]
    )
    return {
        "url": f"https://news.example.com/{country.lower().replace(' ', '-')}/{i}?utm_source=test",
        "source": "Example News",
        "title": f"{country}: {headline} ({i})",
        "body": body,
        "published_at": f"2024-12-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        "tags": [country],
    }


def make_values(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    return [orjson.dumps(make_article(i, rng)) for i in range(n)]


BAD_VALUES: dict[str, bytes] = {
    "undecodable_bytes": b"\xff\xfe\xfa not utf-8",
    "invalid_json": b'{"title": "unterminated',
    "not_an_object": b'["a", "list"]',
    "schema_violation": b'{"body": "text", "authors": {"not": "a list"}}',
    "missing_content": b'{"title": "a title but no body"}',
    "field_too_large": b'{"body": "x", "title": "' + b"t" * 5000 + b'"}',
}
