"""Violations collected from test reports, and the Markdown/JSON report (secrets redacted)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from liangxin_conformance.violations import ContractError, Violation

REDACTED = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***` (secrets shorter than 4 chars are ignored)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def violations_from(exc: BaseException) -> Iterator[Violation]:
    """The violations an exception carries; any other error is a `suite.error`."""
    from schemathesis.core.failures import Failure, FailureGroup

    from liangxin_conformance.schemas import rule_of

    if isinstance(exc, ContractError):
        yield from exc.violations
    elif isinstance(exc, FailureGroup):
        for failure in exc.exceptions:
            yield Violation(rule_of(failure), f"{failure.title}: {failure.message}")
    elif isinstance(exc, Failure):
        yield Violation(rule_of(exc), f"{exc.title}: {exc.message}")
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from violations_from(inner)
    else:
        text = str(exc).strip().splitlines()
        yield Violation("suite.error", f"{type(exc).__name__}: {text[0] if text else ''}")


@dataclass
class Outcome:
    """One test's result."""

    test: str
    outcome: str  # passed | failed | skipped
    violations: list[Violation]
    detail: str = ""


def no_guesses() -> dict[str, Any]:
    """An empty guess log (`liangxin_conformance.guesses.GuessLog.as_dict`)."""
    return {"resting": 0, "unsent": 0, "refuted": []}


def key_refused(requests: dict[str, Any] | None) -> str | None:
    """What to say when every request sent with the target's key was refused (401/403; 405s
    aside):
    `requests` is `{"with_key": n, "statuses": {"401": n, ...}}` (`Target.key_answers`)."""
    answers = ((requests or {}).get("statuses") or {}).items()
    # 405 (a method the operation does not have) is the router's answer, given before the key
    # is looked at: it says nothing about the key.
    statuses = {int(k): n for k, n in answers if n and int(k) != 405}
    if not statuses or not set(statuses) <= {401, 403}:
        return None
    got = " or ".join(f"HTTP {status}" for status in sorted(statuses))
    return (
        f"the service refused the key: every request sent with it got {got}"
        f" ({sum(statuses.values())} requests): check LIANGXIN_API_KEY / --api-key"
        " (the service was not judged)"
    )


def write_json(
    path: Path,
    target: str,
    outcomes: list[Outcome],
    secrets: Iterable[str],
    guesses: dict[str, Any] | None = None,
    requests: dict[str, Any] | None = None,
) -> None:
    data = {
        "target": target,
        "outcomes": [asdict(o) for o in outcomes],
        "guesses": guesses or no_guesses(),
        "requests": requests or {"with_key": 0, "statuses": {}},
    }
    path.write_text(redact(json.dumps(data, indent=2, ensure_ascii=False), secrets) + "\n")


def load_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def render_markdown(
    target: str,
    outcomes: list[Outcome],
    guesses: dict[str, Any] | None = None,
    requests: dict[str, Any] | None = None,
) -> str:
    guesses = guesses or no_guesses()
    refuted: list[dict[str, Any]] = guesses["refuted"]
    failed = [o for o in outcomes if o.outcome == "failed"]
    passed = sum(o.outcome == "passed" for o in outcomes)
    skipped = [o for o in outcomes if o.outcome == "skipped"]
    verdict = "**CONFORMANT**" if not failed and outcomes else "**NOT CONFORMANT**"
    if refusal := key_refused(requests):
        verdict = f"**COULD NOT RUN**: {refusal}"
    elif skipped:
        verdict += f" ({len(skipped)} checks not run: see Skipped)"
    lines = [
        "# LiangXin conformance report",
        "",
        f"- target: `{target}`",
        f"- verdict: {verdict}",
        f"- tests: {passed} passed, {len(failed)} failed, {len(skipped)} skipped",
        f"- checks resting on guesses (inferred parts of the contract): {guesses['resting']},"
        f" {len(refuted)} guesses refuted (never violations);"
        f" {guesses['unsent']} guess-only requests not sent",
        "",
    ]
    rules: dict[str, int] = {}
    for outcome in failed:
        for violation in outcome.violations:
            rules[violation.rule] = rules.get(violation.rule, 0) + 1
    if rules:
        lines += ["## Violated rules", "", "| rule | violations |", "|---|---|"]
        lines += [f"| `{rule}` | {count} |" for rule, count in sorted(rules.items())]
        lines += ["", "## Violations", ""]
        for outcome in failed:
            lines += [f"### `{outcome.test}`", ""]
            for violation in outcome.violations:
                lines += [f"- **`{violation.rule}`**: {_one_paragraph(violation.message)}"]
                if violation.curl:
                    lines += ["", "  ```sh", f"  {violation.curl}", "  ```"]
            lines.append("")
        lines += [
            "Reproductions read the key from `$LIANGXIN_API_KEY` (export it first); "
            "keys are never written to this report.",
            "",
        ]
    if refuted:
        lines += _refuted_section(refuted, "liangxin-mock" in target)
    if skipped:
        lines += ["## Skipped", ""]
        lines += [f"- `{o.test}`: {_one_paragraph(o.detail)}" for o in skipped]
        lines.append("")
    return "\n".join(lines)


def _refuted_section(refuted: list[dict[str, Any]], mock: bool) -> list[str]:
    """Guesses refuted, one entry per (kind, guess) with how often and one reproduction."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in refuted:
        groups.setdefault((entry["rule"], entry["guess"]), []).append(entry)
    lines = [
        "## Guesses refuted — update the contract",
        "",
        "The service's answers contradict these inferred parts of the contract"
        " (`x-liangxin-source: inferred`). They do not make the verdict red: correct the"
        " contract (and mark what the docs confirm).",
        "",
        *(
            [
                "(A liangxin-mock accepts bodies that break only guesses unless started with"
                " `--strict`: against a mock these entries show the guesses, not evidence.)",
                "",
            ]
            if mock
            else []
        ),
        "| kind | guess | times |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{rule}` | {_one_paragraph(guess, 300)} | {len(entries)} |"
        for (rule, guess), entries in sorted(groups.items())
    ]
    lines.append("")
    for (rule, guess), entries in sorted(groups.items()):
        first = entries[0]
        where = f" (in `{first['test']}`)" if first.get("test") else ""
        lines += [
            f"- **`{rule}`** {_one_paragraph(guess, 300)}: {_one_paragraph(first['message'])}{where}"
        ]
        if first.get("curl"):
            lines += ["", "  ```sh", f"  {first['curl']}", "  ```"]
    lines.append("")
    return lines


def write_markdown(
    path: Path,
    target: str,
    outcomes: list[Outcome],
    secrets: Iterable[str],
    guesses: dict[str, Any] | None = None,
    requests: dict[str, Any] | None = None,
) -> None:
    path.write_text(redact(render_markdown(target, outcomes, guesses, requests), secrets))


def _one_paragraph(text: str, limit: int = 1500) -> str:
    flat = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
