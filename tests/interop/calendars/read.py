"""Reads a calendar or feed kuvend served, with independent parsers, and
prints what they understood as one JSON line on stdout.

    read.py ics FILE   # Python icalendar: every VEVENT, field by field
    read.py rss FILE   # feedparser: the channel and its items

Times come out as UTC instants in ISO 8601, whatever form the file used
(a `Z` time, or a `TZID` with its VTIMEZONE), so the test compares moments.
"""

import datetime
import json
import sys


def instant(value):
    """A DTSTART/DTEND/DTSTAMP as a UTC ISO string; a floating time (no
    zone) is reported as such, since no calendar could place it."""
    if value is None:
        return None
    dt = value.dt
    if not isinstance(dt, datetime.datetime):
        return "date:" + dt.isoformat()
    if dt.tzinfo is None:
        return "floating:" + dt.isoformat()
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def read_ics(data):
    import icalendar

    calendar = icalendar.Calendar.from_ical(data)
    events = []
    for vevent in calendar.walk("VEVENT"):
        geo = vevent.get("GEO")
        events.append(
            {
                "uid": text(vevent, "UID"),
                "summary": text(vevent, "SUMMARY"),
                "dtstart": instant(vevent.get("DTSTART")),
                "dtend": instant(vevent.get("DTEND")),
                "dtstamp": instant(vevent.get("DTSTAMP")),
                "sequence": vevent.get("SEQUENCE"),
                "status": text(vevent, "STATUS"),
                "url": text(vevent, "URL"),
                "location": text(vevent, "LOCATION"),
                "description": text(vevent, "DESCRIPTION"),
                "conference": text(vevent, "CONFERENCE"),
                "geo": None if geo is None else [geo.latitude, geo.longitude],
            }
        )
    return {
        "version": text(calendar, "VERSION"),
        "prodid": text(calendar, "PRODID"),
        "name": text(calendar, "X-WR-CALNAME"),
        "events": events,
    }


def read_rss(data):
    import feedparser

    feed = feedparser.parse(data)
    return {
        "bozo": bool(feed.bozo),
        "bozo_exception": str(feed.get("bozo_exception", "")),
        "version": feed.version,
        "title": feed.feed.get("title"),
        "link": feed.feed.get("link"),
        "description": feed.feed.get("description"),
        "entries": [
            {
                "id": e.get("id"),
                "permalink": e.get("guidislink"),
                "link": e.get("link"),
                "title": e.get("title"),
                "summary": e.get("summary"),
                "published": e.get("published"),
            }
            for e in feed.entries
        ],
    }


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    result = read_ics(data) if kind == "ics" else read_rss(data)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
