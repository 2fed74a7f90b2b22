"""The phone companion's pages, as HTML: plain forms, no script, readable in bright light.

Built for a phone held in one hand on a dim stairwell or in sunshine at the door: black on
white, large type, buttons as wide as the screen, nothing loaded from elsewhere. Every form
posts and is answered by a redirect (POST-redirect-GET), so a reload never sends it twice.
Everything shown goes through `esc`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shift.htmlpage import esc, page

if TYPE_CHECKING:
    from shift.checkins import Alarm, Where
    from shift.companion import WorkerView

STYLE = """
:root { color-scheme: light; }
body { font: 20px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #000; background: #fff;
       margin: 0 auto; max-width: 32em; padding: .6em .8em 2em; overflow-wrap: anywhere; }
h1 { font-size: 1.3em; margin: .2em 0; } h2 { font-size: 1.05em; margin: 1.2em 0 .3em; }
p { margin: .4em 0; }
.who { font-weight: bold; } .muted { color: #333; font-size: .85em; }
.deadline { font-size: 1.6em; font-weight: bold; margin: .5em 0; }
.urgent, .alarm { color: #fff; background: #b00020; padding: .3em .4em; }
.said { border: 3px solid #000; padding: .4em; font-weight: bold; }
.said.bad { border-color: #b00020; color: #b00020; }
label { display: block; font-weight: bold; margin: .6em 0 .2em; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: .4em; border: 2px solid #000; }
button, a.button { display: block; width: 100%; box-sizing: border-box; font: inherit; font-weight: bold;
       text-align: center; text-decoration: none; padding: .8em; margin: .6em 0; border: 3px solid #000;
       border-radius: .3em; color: #000; background: #fff; }
button.checkin { font-size: 1.5em; padding: 1em .5em; color: #fff; background: #004d1a; border-color: #004d1a; }
button.panic, a.panic { color: #fff; background: #b00020; border-color: #b00020; }
.step { border-left: 6px solid #000; padding-left: .6em; }
"""


def _page(title: str, body: str) -> str:
    return page(title, body, style=STYLE)


def _said(text: str, ok: bool) -> str:
    return f'<p class="said{"" if ok else " bad"}" role="status">{esc(text)}</p>\n' if text else ""


def _csrf(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(csrf)}">'


def worker_page(view: "WorkerView", base: str, csrf: str, said: str = "", ok: bool = True,
                now: datetime | None = None, zone=None) -> str:
    """The worker's page at `base` (/p/<token>)."""
    parts = [f'<p class="who">{esc(view.first_name)} · {esc(view.desk)}</p>',
             f'<p class="muted">{esc(view.library)}</p>', _said(said, ok)]
    if view.alarm:
        parts.append(f'<p class="alarm" role="alert">{esc(view.alarm)}</p>')
    parts.append(f'<p class="deadline{" urgent" if view.urgent else ""}">{esc(view.checkin)}</p>')
    if view.checkins_on:
        parts.append(
            f'<form method="post" action="{esc(base)}/checkin">{_csrf(csrf)}'
            '<label for="code">Code (only if you use one)</label>'
            '<input id="code" name="code" type="password" inputmode="numeric" autocomplete="off" maxlength="8">'
            '<button class="checkin" type="submit">Check in</button></form>')
    if view.step is not None:
        step = view.step
        parts.append(f'<h2>{esc(step.procedure)}: {esc(step.where)}</h2>'
                     f'<div class="step"><p><strong>{esc(step.title)}</strong></p>'
                     + (f"<p>{esc(step.instructions)}</p>" if step.instructions else "") + "</div>")
        if step.can_do:
            parts.append(f'<form method="post" action="{esc(base)}/step">{_csrf(csrf)}'
                         f'<input type="hidden" name="run" value="{esc(step.run_id)}">'
                         f'<input type="hidden" name="step" value="{esc(step.step_id)}">'
                         '<button type="submit">Done</button></form>')
        else:
            parts.append(f'<p class="muted">{esc(step.why_not)}</p>')
    elif view.finished:
        parts.append(f"<h2>{esc(view.finished)}</h2>")
    parts.append(f'<h2>In danger?</h2><a class="button panic" href="{esc(base)}/panic">Panic alarm…</a>')
    shown = f"As of {now.astimezone(zone):%H:%M}. " if now is not None and zone is not None else ""
    parts.append(f'<p class="muted">{esc(shown)}<a href="{esc(base)}">Reload</a> to see the latest.</p>')
    return _page(f"Check in · {view.desk}", "\n".join(p for p in parts if p))


def panic_page(base: str, csrf: str) -> str:
    """The confirmation: a second, deliberate press raises it (a pocket press does not)."""
    return _page("Panic alarm?", (
        '<h1>Raise the panic alarm?</h1>'
        "<p>Everyone on the desk's alarm list is alerted at once.</p>"
        f'<form method="post" action="{esc(base)}/panic">{_csrf(csrf)}'
        '<button class="panic" type="submit">Yes: raise the alarm now</button></form>'
        f'<a class="button" href="{esc(base)}">No, go back</a>'))


def alarm_page(alarm: "Alarm", worker: str, where: "Where", csrf: str, action: str) -> str:
    """A responder's page: the alarm, and who answered it."""
    since = alarm.started_at.astimezone(where.zone)
    parts = [f'<h1 class="alarm">ALARM: {esc(alarm.reason)}</h1>',
             f'<p><strong>{esc(worker)}</strong> at {esc(where.desk)}, {esc(where.library)}</p>',
             f"<p>Since {since:%H:%M} ({since:%a %d %b})</p>",
             f"<p>Address: {esc(where.address or '(not set in the site file)')}</p>"]
    if where.phone:
        parts.append(f"<p>Desk phone: {esc(where.phone)}</p>")
    parts.append(
        f'<form method="post" action="{esc(action)}">{_csrf(csrf)}'
        '<label for="who">Who answered it (name, role)?</label>'
        '<input id="who" name="who" required maxlength="100" autocomplete="name">'
        '<button type="submit">Record the answer: the alarm ends</button></form>'
        '<p class="muted">Record it only once someone has reached the person or the desk.</p>')
    return _page("Alarm", "\n".join(parts))


def answered_page(text: str, ok: bool) -> str:
    return _page("Alarm answered" if ok else "Not recorded", _said(text, ok) + (
        "<p>The desk shows who answered; everyone the alarm reached is told it has ended.</p>" if ok else ""))


def message_page(title: str, text: str) -> str:
    """An error said plainly (the form expired, too many requests, the desk failed)."""
    return _page(title, f"<h1>{esc(title)}</h1>\n<p>{esc(text)}</p>")


NOT_FOUND = _page("Not found", "<h1>Not found</h1>")
