"""The contact sheet of a batch: one self-contained `index.html` to look over a run.

A grid with one card per row — its images (relative links, `loading="lazy"`, sized by CSS), row
number, key, prompt, model, state, and for a row that did not succeed its reason and what to run
next — and filters by state and model. No server, no CDN, no build step: the CSS and the little
script are inline, and the page reads with JavaScript off (every row is in the HTML; the filters
are radio buttons and `:checked` selectors, the script only keeps them in the URL fragment,
counts the rows shown and reloads the page while the batch runs). Every text comes from the user
or the service and is HTML-escaped; a Content-Security-Policy allows only this page's own style
and script besides.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import os
import tempfile
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import attrs

#: The sheet's file name, next to the batch manifest.
SHEET_NAME = "index.html"
#: How a page says liangxin wrote it (an `index.html` without it is never replaced unasked).
GENERATOR = '<meta name="generator" content="liangxin">'
#: Seconds between reloads of a page whose batch is running.
RELOAD_SECONDS = 5

#: States in the order the filters list them.
STATE_ORDER = (
    "success",
    "failed",
    "error",
    "ambiguous",
    "submitting",
    "submitted",
    "pending",
)


@attrs.frozen
class SheetRow:
    """One card: a row of the batch (or one image of a folder)."""

    index: int  # 0-based; shown as `index + 1`
    state: str
    files: tuple[Path, ...] = ()  # where the images are (absolute, or relative to the cwd)
    key: str | None = None
    task_id: str | None = None
    model: str | None = None
    prompt: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()  # other input fields, as text
    error: str | None = None
    next_step: str | None = None  # what to do about it, with a command in backticks
    missing: tuple[Path, ...] = ()  # files the row names that are not on disk
    caption: str | None = None  # a file's name, for an image that says nothing of its request


@attrs.frozen
class Sheet:
    """What one page shows."""

    title: str
    rows: Sequence[SheetRow]
    status: str = ""  # running | finished | interrupted | stopped | "" (unknown)
    notes: Sequence[str] = ()  # about the whole batch (commands in backticks)
    source: str = ""  # what it was made from
    updated: datetime = attrs.field(factory=lambda: datetime.now().astimezone())


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _with_code(text: str) -> str:
    """`text` escaped, its backticked parts as <code>."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick: plain text
        return _e(text)
    return "".join(
        f"<code>{_e(part)}</code>" if odd else _e(part) for odd, part in _alternate(parts)
    )


def _alternate(parts: list[str]) -> list[tuple[bool, str]]:
    return [(i % 2 == 1, part) for i, part in enumerate(parts)]


def link(path: Path, page_dir: Path) -> str:
    """The href of `path` from a page in `page_dir`: relative and percent-encoded (a file URI
    when no relative path exists, e.g. on another Windows drive)."""
    target = Path(os.path.abspath(path))
    try:
        relative = os.path.relpath(target, os.path.abspath(page_dir))
    except ValueError:
        return target.as_uri()
    return urllib.parse.quote(Path(relative).as_posix(), safe="/")


_CSS = """
:root{color-scheme:light dark;--bg:#f6f6f4;--card:#fff;--fg:#1d1d1f;--dim:#6b6b70;--line:#d9d9de;
--ok:#1a7f37;--bad:#c62828;--warn:#b25e00;--busy:#1f5fbf;--chip:#ececf0;--on:#1d1d1f;--onfg:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#161618;--card:#222226;--fg:#ececf0;--dim:#a0a0a8;
--line:#3a3a40;--ok:#4cc26b;--bad:#ff6b6b;--warn:#f0a040;--busy:#6aa8ff;--chip:#2e2e34;
--on:#ececf0;--onfg:#161618}}
*{box-sizing:border-box}
body{margin:0;padding:16px 20px 40px;background:var(--bg);color:var(--fg);
font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:20px;margin:0 0 4px;overflow-wrap:anywhere}
header p{margin:2px 0;color:var(--dim)}
header .notes{margin:8px 0 0;padding-left:18px;color:var(--fg)}
code{font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--chip);
padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
input.f{position:absolute;opacity:0;width:1px;height:1px;margin:0}
nav{display:flex;flex-wrap:wrap;gap:6px 18px;margin:14px 0;position:sticky;top:0;z-index:1;
background:var(--bg);padding:8px 0;border-bottom:1px solid var(--line)}
nav div{display:flex;flex-wrap:wrap;gap:4px;align-items:center}
nav b{font-weight:600;color:var(--dim);margin-right:2px}
nav label{cursor:pointer;padding:3px 10px;border-radius:999px;background:var(--chip);
white-space:nowrap;user-select:none}
nav label span{color:var(--dim)}
#shown{color:var(--dim);align-self:center}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;
display:flex;flex-direction:column;content-visibility:auto;contain-intrinsic-size:auto 360px}
.card:target{outline:3px solid var(--busy)}
.thumb{display:block;position:relative;aspect-ratio:1;background:var(--chip)}
.thumb img{position:absolute;inset:0;width:100%;height:100%;object-fit:contain}
.noimg{aspect-ratio:1;display:flex;align-items:center;justify-content:center;font-size:18px;
font-weight:600;background:var(--chip);color:var(--dim);text-transform:uppercase;padding:10px;
text-align:center}
.more{display:flex;flex-wrap:wrap;gap:4px;padding:4px 8px 0}
.more img{width:44px;height:44px;object-fit:cover;border-radius:4px;display:block}
.meta{padding:8px 10px 10px;display:flex;flex-direction:column;gap:3px;min-width:0}
.head{display:flex;gap:6px;align-items:baseline;flex-wrap:wrap;margin:0 0 2px}
.head a{color:var(--dim);text-decoration:none;font-variant-numeric:tabular-nums}
.key{font-weight:600;overflow-wrap:anywhere}
.state{margin-left:auto;font-size:12px;font-weight:600;padding:0 8px;border-radius:999px;
border:1px solid currentColor}
.s-success .state{color:var(--ok)}.s-failed .state,.s-error .state{color:var(--bad)}
.s-ambiguous .state{color:var(--warn)}
.s-submitting .state,.s-submitted .state,.s-pending .state{color:var(--busy)}
.s-failed .noimg,.s-error .noimg{color:var(--bad)}.s-ambiguous .noimg{color:var(--warn)}
.prompt{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;display:-webkit-box;
-webkit-box-orient:vertical;-webkit-line-clamp:4;overflow:hidden;cursor:pointer}
.prompt:focus{-webkit-line-clamp:unset;outline:none}
.model,.task,.inputs,.caption{margin:0;color:var(--dim);font-size:12px;overflow-wrap:anywhere}
.reason{margin:2px 0 0;color:var(--bad);font-size:12px;overflow-wrap:anywhere}
.s-ambiguous .reason{color:var(--warn)}
.next{margin:0;font-size:12px;overflow-wrap:anywhere}
.missing{margin:0;color:var(--warn);font-size:12px;overflow-wrap:anywhere}
footer{margin-top:24px;color:var(--dim);font-size:12px}
"""

_SCRIPT = """
(function(){
var d=document,b=d.body,shown=d.getElementById('shown');
function radios(n){return Array.prototype.slice.call(d.querySelectorAll('input[name="'+n+'"]'));}
function chosen(n){var r=radios(n).filter(function(x){return x.checked;})[0];return r||radios(n)[0];}
function count(){var sel='.card';['state','model'].forEach(function(n){var r=chosen(n);
if(r&&r.dataset.cls){sel+='.'+r.dataset.cls;}});
var n=d.querySelectorAll(sel).length,all=d.querySelectorAll('.card').length;
if(shown){shown.textContent=n===all?all+' rows':n+' of '+all+' rows shown';}}
function fromHash(){var h=location.hash.slice(1);if(h.indexOf('=')<0){return;}
h.split('&').forEach(function(p){var i=p.indexOf('=');if(i<0){return;}
var k=decodeURIComponent(p.slice(0,i)),v=decodeURIComponent(p.slice(i+1));
radios(k).forEach(function(r){if(r.value===v){r.checked=true;}});});}
function toHash(){var p=[];['state','model'].forEach(function(n){var r=chosen(n);
if(r&&r.value!=='all'){p.push(n+'='+encodeURIComponent(r.value));}});
history.replaceState(null,'',p.length?'#'+p.join('&'):location.pathname+location.search);}
d.addEventListener('change',function(e){if(e.target.classList.contains('f')){toHash();count();}});
window.addEventListener('hashchange',function(){fromHash();count();});
fromHash();count();
if(b.dataset.status==='running'){var age=Date.now()-Number(b.dataset.updated||0);
if(age<3600000){setTimeout(function(){location.reload();},Number(b.dataset.reload)*1000);}}
})();
"""


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _policy(styles: Sequence[str]) -> str:
    """Only this page's own styles and script apply; images may be files and data: URIs."""
    hashes = " ".join(_digest(style) for style in styles)
    return (
        f"default-src 'none'; img-src file: data: 'self'; style-src {hashes}; "
        f"script-src {_digest(_SCRIPT)}; base-uri 'none'; form-action 'none'"
    )


def _filter_css(states: Sequence[str], models: int) -> str:
    """The `:checked` rules that hide the cards a chosen filter leaves out."""
    rules = []
    groups = [("state", f"s-{s}") for s in states] + [("model", f"m-{i}") for i in range(models)]
    for name, cls in groups:
        radio = f"#{name}-{cls}"
        rules.append(f"{radio}:checked~main .card:not(.{cls}){{display:none}}")
        rules.append(
            f"{radio}:checked~nav label[for={name}-{cls}]{{background:var(--on);color:var(--onfg)}}"
        )
        rules.append(
            f"{radio}:focus-visible~nav label[for={name}-{cls}]{{outline:2px solid var(--busy)}}"
        )
    for name in ("state", "model"):
        rules.append(
            f"#{name}-all:checked~nav label[for={name}-all]{{background:var(--on);color:var(--onfg)}}"
        )
        rules.append(
            f"#{name}-all:focus-visible~nav label[for={name}-all]{{outline:2px solid var(--busy)}}"
        )
    return "\n".join(rules)


def _states(rows: Sequence[SheetRow]) -> list[tuple[str, int]]:
    counts = Counter(row.state for row in rows)
    known = [s for s in STATE_ORDER if counts.get(s)]
    return [(s, counts[s]) for s in known + sorted(set(counts) - set(known))]


def _models(rows: Sequence[SheetRow]) -> list[tuple[str, int]]:
    counts = Counter(row.model or "" for row in rows)
    return sorted(counts.items(), key=lambda item: (item[0] == "", item[0]))


def _image(path: Path, page_dir: Path, alt: str) -> str:
    href = _e(link(path, page_dir))
    return (
        f'<a class="thumb" href="{href}"><img src="{href}" alt="{_e(alt)}" loading="lazy" '
        'decoding="async"></a>'
    )


def _card(row: SheetRow, model_class: dict[str, str], page_dir: Path) -> str:
    number = row.index + 1
    label = f"row {number}" + (f" ({row.key})" if row.key else "")
    alt = f"{label}: {row.prompt}" if row.prompt else label
    out = [
        f'<article class="card s-{_e(row.state)} {model_class[row.model or ""]}" '
        f'id="row-{number}" data-state="{_e(row.state)}" data-model="{_e(row.model or "")}">'
    ]
    if row.files:
        out.append(_image(row.files[0], page_dir, alt))
        if len(row.files) > 1:
            out.append('<div class="more">')
            for n, extra in enumerate(row.files[1:], start=2):
                href = _e(link(extra, page_dir))
                out.append(
                    f'<a href="{href}"><img src="{href}" alt="{_e(label)}, image {n}" '
                    'loading="lazy" decoding="async"></a>'
                )
            out.append("</div>")
    else:
        out.append(f'<div class="noimg">{_e(row.state)}</div>')
    out.append('<div class="meta"><p class="head">')
    out.append(f'<a href="#row-{number}">#{number}</a>')
    if row.key:
        out.append(f'<span class="key">{_e(row.key)}</span>')
    out.append(f'<span class="state">{_e(row.state)}</span></p>')
    if row.caption:
        out.append(f'<p class="caption">{_e(row.caption)}</p>')
    if row.prompt is not None:
        out.append(f'<p class="prompt" tabindex="0" title="{_e(row.prompt)}">{_e(row.prompt)}</p>')
    if row.model:
        out.append(f'<p class="model">{_e(row.model)}</p>')
    if row.inputs:
        text = " · ".join(f"{k} {v}" for k, v in row.inputs)
        out.append(f'<p class="inputs">{_e(text)}</p>')
    if row.task_id:
        out.append(f'<p class="task">{_e(row.task_id)}</p>')
    if row.error:
        out.append(f'<p class="reason">{_e(row.error)}</p>')
    if row.missing:
        names = ", ".join(str(p) for p in row.missing)
        out.append(f'<p class="missing">not on disk: {_e(names)}</p>')
    if row.next_step:
        out.append(f'<p class="next">{_with_code(row.next_step)}</p>')
    out.append("</div></article>")
    return "".join(out)


def _radio(name: str, value: str, cls: str | None, checked: bool) -> str:
    ident = f"{name}-{cls or 'all'}"
    data = f' data-cls="{cls}"' if cls else ""
    on = " checked" if checked else ""
    return (
        f'<input class="f" type="radio" name="{name}" id="{ident}" value="{_e(value)}"{data}{on}>'
    )


def _label(name: str, cls: str | None, text: str, count: int) -> str:
    return f'<label for="{name}-{cls or "all"}">{_e(text)} <span>{count}</span></label>'


_STATUS = {
    "running": "running — this page reloads every {reload} s",
    "finished": "finished",
    "interrupted": "interrupted",
    "stopped": "stopped",
}


def render(sheet: Sheet, page_dir: Path) -> str:
    """The page, with links relative to `page_dir` (where it is written)."""
    rows = sheet.rows
    states = _states(rows)
    models = _models(rows)
    model_class = {name: f"m-{i}" for i, (name, _) in enumerate(models)}
    updated = sheet.updated.strftime("%Y-%m-%d %H:%M:%S")
    summary = ", ".join(f"{state} {count}" for state, count in states)
    status = _STATUS.get(sheet.status, sheet.status).format(reload=RELOAD_SECONDS)
    filters = _filter_css([s for s, _ in states], len(models))
    head = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_policy([_CSS, filters]))}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        GENERATOR,
        f"<title>{_e(sheet.title)}</title>",
        f"<style>{_CSS}</style>",
        f"<style>{filters}</style>",
        "</head>",
        f'<body data-status="{_e(sheet.status)}" '
        f'data-updated="{int(sheet.updated.timestamp() * 1000)}" data-reload="{RELOAD_SECONDS}">',
        "<header>",
        f"<h1>{_e(sheet.title)}</h1>",
        f'<p class="summary">{len(rows)} row{"" if len(rows) == 1 else "s"}'
        + (f": {_e(summary)}" if summary else "")
        + "</p>",
        f'<p class="status">{_e(status) + " · " if status else ""}updated {_e(updated)}</p>',
    ]
    if sheet.notes:
        head.append('<ul class="notes">')
        head.extend(f"<li>{_with_code(note)}</li>" for note in sheet.notes)
        head.append("</ul>")
    head.append("</header>")
    parts = head
    # The radios come before the nav and the grid: `:checked ~ …` selectors reach both.
    parts.append(_radio("state", "all", None, True))
    parts.extend(_radio("state", state, f"s-{state}", False) for state, _ in states)
    parts.append(_radio("model", "all", None, True))
    parts.extend(_radio("model", name, model_class[name], False) for name, _ in models)
    parts.append('<nav aria-label="filters"><div role="group" aria-label="state"><b>state</b>')
    parts.append(_label("state", None, "all", len(rows)))
    parts.extend(_label("state", f"s-{state}", state, count) for state, count in states)
    parts.append('</div><div role="group" aria-label="model"><b>model</b>')
    parts.append(_label("model", None, "all", len(rows)))
    parts.extend(
        _label("model", model_class[name], name or "(none)", count) for name, count in models
    )
    parts.append('</div><span id="shown" aria-live="polite"></span></nav>')
    parts.append("<main>")
    parts.extend(_card(row, model_class, page_dir) for row in rows)
    parts.append("</main>")
    source = f"made from {_e(sheet.source)} · " if sheet.source else ""
    parts.append(
        f"<footer>{source}written by <code>liangxin</code>; "
        "<code>liangxin gallery</code> writes it again</footer>"
    )
    parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


def written_by_liangxin(path: Path) -> bool:
    """Whether the page at `path` is a contact sheet (False: another file, or none)."""
    try:
        with path.open("rb") as page:
            return GENERATOR.encode() in page.read(4096)
    except OSError:
        return False


def write(sheet: Sheet, path: Path) -> None:
    """Write the page at `path`, atomically (a temporary file renamed over it): a browser
    reloading it never reads half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(sheet, path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
