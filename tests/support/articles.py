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


# Synthetic incidents for story-threading tests: each story has its own people and town, its
# articles follow one another over a few days, and different stories share only generic tags.
TOWNS = [
    ("Tulsa", "Oklahoma"), ("Fresno", "California"), ("Dayton", "Ohio"), ("Boise", "Idaho"),
    ("Spokane", "Washington"), ("Lubbock", "Texas"), ("Omaha", "Nebraska"), ("Wichita", "Kansas"),
    ("Knoxville", "Tennessee"), ("Billings", "Montana"), ("Tucson", "Arizona"), ("Duluth", "Minnesota"),
]
FIRST = ["Marcus", "Linda", "Joseph", "Angela", "Robert", "Teresa", "Kevin", "Denise", "Carlos", "Brenda", "Travis", "Monica"]
LAST = ["Whitfield", "Okafor", "Delacroix", "Brannigan", "Castellano", "Lindqvist", "Abernathy", "Moreau", "Kowalczyk", "Haverford", "Quintero", "Pemberton"]
FOLLOW_UPS = [
    "{victim} was shot outside a home in {town}, {state}, on {day}, police said.",
    "Police in {town} identified the suspect as {suspect}, who was arrested on {day}.",
    "Family members held a vigil for {victim} in {town} on {day}, remembering a devoted parent.",
    "{suspect} appeared in a {town} court on {day} and was charged with murder in the death of {victim}.",
    "Prosecutors in {state} said on {day} that {suspect} would be held without bail in the {town} killing.",
]


def make_story_values(stories: int = 12, per_story: int = 5) -> list[tuple[bytes, str]]:
    """(raw value, gold story) in publication order."""
    rows = []
    for s in range(stories):
        town, state = TOWNS[s % len(TOWNS)]
        victim = f"{FIRST[s % len(FIRST)]} {LAST[s % len(LAST)]}"
        suspect = f"{FIRST[(s + 5) % len(FIRST)]} {LAST[(s + 7) % len(LAST)]}"
        for a in range(per_story):
            day = 1 + (s * 2 + a) % 20
            lead = FOLLOW_UPS[a % len(FOLLOW_UPS)].format(victim=victim, suspect=suspect, town=town, state=state, day=f"Nov. {day}")
            body = "\n\n".join(
                [
                    f"{town.upper()}, {state} - {lead}",
                    f"Investigators said the shooting of {victim} followed an argument. {suspect} had known {victim} for years.",
                    f"The {town} Police Department asked anyone with information about the case to call detectives.",
                ]
            )
            value = {
                "id": f"s{s}-a{a}",
                "source": "Synthetic Wire",
                "title": f"{town} shooting: {victim} case, update {a + 1}",
                "body": body,
                "published_at": f"2024-11-{day:02d}T{(s + a) % 24:02d}:00:00Z",
            }
            rows.append((f"2024-11-{day:02d}T{(s + a) % 24:02d}", orjson.dumps(value), f"story-{s}"))
    rows.sort(key=lambda r: r[0])
    return [(value, gold) for _, value, gold in rows]
