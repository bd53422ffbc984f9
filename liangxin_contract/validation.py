"""The one rule engine: check a createTask body against the contract, fact by fact.

`check_create_task(body)` answers with every violation and whether each one rests on the docs
(`documented`, the service is documented to refuse it: block) or on our inference (a guess: warn).
The client, the mock and the conformance suite all ask it. It also reports models the contract
does not know (only the envelope is checked then) and `input` fields it does not know.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import jsonschema_rs

from liangxin_contract import suggest
from liangxin_contract._spec import _mapping, load_spec
from liangxin_contract.display import shorten, shown_value
from liangxin_contract.provenance import (
    Constraint,
    Resolver,
    Source,
    constraints,
    keyword_source,
    view,
)

#: The longest message a violation carries (echoed values are shortened first).
MAX_MESSAGE_CHARS = 500


class ContractViolation(ValueError):
    """A request breaks a rule. `field` is the dotted path (`input.aspect_ratio`)."""

    def __init__(self, message: str, field: str | None = None, *, documented: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.documented = documented


@dataclass(frozen=True)
class Violation:
    """One broken rule of a createTask body."""

    message: str
    field: str | None
    keyword: str
    source: Source

    @property
    def documented(self) -> bool:
        return self.source == "doc"

    def error(self) -> ContractViolation:
        return ContractViolation(self.message, self.field, documented=self.documented)


@dataclass(frozen=True)
class UnknownField:
    """An `input` field the contract does not list for a known model."""

    name: str
    suggestion: str | None


@dataclass(frozen=True)
class Verdict:
    """What the contract says of one createTask body."""

    model: str | None
    #: `known` (the contract has the model's fields), `partial` (model known, fields open) or
    #: `unknown` (not in the contract: only the envelope was checked).
    knowledge: Literal["known", "partial", "unknown"]
    violations: tuple[Violation, ...] = ()
    unknown_fields: tuple[UnknownField, ...] = ()
    closest_model: str | None = None
    known_fields: tuple[str, ...] = field(default=())

    @property
    def documented(self) -> tuple[Violation, ...]:
        """Violations the docs say the service refuses: these block."""
        return tuple(v for v in self.violations if v.documented)

    @property
    def inferred(self) -> tuple[Violation, ...]:
        """Violations of guesses (inferred or upstream constraints): these warn."""
        return tuple(v for v in self.violations if not v.documented)

    def raise_for(self, *, strict: bool = False) -> None:
        """Raise the first documented violation (with `strict`, the first of any)."""
        blocking = self.violations if strict else self.documented
        if blocking:
            raise blocking[0].error()


@cache
def _resolver() -> Resolver:
    return Resolver(load_spec())


def _components() -> dict[str, Any]:
    components: dict[str, Any] = _resolver().spec["components"]
    return components


def _schema_node(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


@cache
def _validator(schema_name: str, documented_only: bool) -> Any:
    schema = view(_resolver(), _schema_node(schema_name), documented_only=documented_only)
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@cache
def _input_context(request: str) -> tuple[dict[str, Any], Source]:
    """A request schema's merged `input` node and the source it inherits."""
    resolver = _resolver()
    merged_request = resolver.merged(_schema_node(request))
    inherited: Source = merged_request.get("x-liangxin-source", "doc")
    input_node = merged_request["properties"]["input"]
    return resolver.merged(input_node), input_node.get("x-liangxin-source", inherited)


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: Any, source: Source) -> Violation:
    path = _path(list(error.instance_path))
    kind = error.kind
    name = type(kind).__name__
    keyword = str(error.schema_path[-1]) if error.schema_path else name
    if name == "Required":
        missing = _path([*error.instance_path, kind.property])
        if "dependentRequired" in error.schema_path:
            message = f"{missing} is required when its pair is given"
            return Violation(message, missing, "dependentRequired", source)
        return Violation(f"{missing} is required", missing, "required", source)
    if name == "Enum":
        allowed = ", ".join(json.dumps(v) for v in kind.options)
        message = f"invalid {path}: {shown_value(error.instance, path)} is not one of {allowed}"
        return Violation(message, path, "enum", source)
    label = path or "request body"
    if path == "callBackUrl":
        message = f'{shown_value(error.instance, path)} is not an HTTPS URL (or "" / null for none)'
        return Violation(f"invalid {label}: {message}", path, keyword, source)
    message = error.message
    echoed = shown_value(error.instance)  # the validator quotes the value as compact JSON
    full = json.dumps(error.instance, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(full) > len(echoed):
        message = message.replace(full, echoed)
    return Violation(
        f"invalid {label}: {shorten(message, MAX_MESSAGE_CHARS)}", path or None, keyword, source
    )


class _Unvalidatable(Exception):
    """The validator itself gave up on a body (nested past its limit, text it cannot read)."""


def _errors(schema_name: str, body: Any, documented_only: bool) -> list[Any]:
    try:
        return sorted(
            _validator(schema_name, documented_only).iter_errors(body),
            key=lambda e: (len(e.instance_path), [str(p) for p in e.instance_path], e.message),
        )
    except (ValueError, RecursionError) as exc:  # nested past the validator's limit; bad text
        raise _Unvalidatable(f"request body cannot be validated: {shorten(str(exc))}") from None


def _error_key(error: Any) -> tuple[Any, ...]:
    return (tuple(error.instance_path), type(error.kind).__name__)


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, list):
        return len(value)
    return 1


def check_rules(
    input_schema: dict[str, Any], payload: dict[str, Any], inherited: Source = "doc"
) -> list[Violation]:
    """Apply the schema's `x-liangxin-rules` (see `components/x-liangxin-rule-kinds`)."""
    found: list[Violation] = []
    default = keyword_source(input_schema, "x-liangxin-rules", inherited)
    for rule in input_schema.get("x-liangxin-rules", []):
        source: Source = rule.get("x-liangxin-source", default)
        if rule["kind"] == "max-total-items":
            total = sum(_count(payload.get(name)) for name in rule["fields"])
            if total > rule["max"]:
                field_name = f"input.{rule['fields'][-1]}"
                found.append(
                    Violation(
                        rule["message"], field_name, f"x-liangxin-rules:{rule['kind']}", source
                    )
                )
        else:  # pragma: no cover - a new rule kind must be implemented here first
            raise NotImplementedError(f"unknown x-liangxin-rules kind {rule['kind']!r}")
    return found


@cache
def _not_blank(request: str) -> tuple[tuple[str, Source], ...]:
    """The `input` fields marked `x-liangxin-not-blank`, with the source each mark gives."""
    resolver = _resolver()
    properties = _input_context(request)[0].get("properties", {})
    marked = (
        (name, resolver.merged(node).get("x-liangxin-not-blank"))
        for name, node in properties.items()
    )
    return tuple((name, source) for name, source in marked if source is not None)


def check_not_blank(request: str, payload: dict[str, Any]) -> list[Violation]:
    """A marked field (`components/x-liangxin-not-blank`) holding only whitespace. An empty
    string is left to the schema (`minLength`, documented)."""
    found = []
    for name, source in _not_blank(request):
        value = payload.get(name)
        if isinstance(value, str) and value and not value.strip():
            count = f"{len(value)} character{'s' if len(value) > 1 else ''}"
            message = f"invalid input.{name}: only whitespace ({count})"
            found.append(Violation(message, f"input.{name}", "x-liangxin-not-blank", source))
    return found


def _check_envelope(body: dict[str, Any]) -> list[Violation]:
    """What the docs say of every createTask body, whatever its model."""
    found: list[Violation] = []
    if not isinstance(body.get("input"), dict):
        message = "input is required" if "input" not in body else "invalid input: must be an object"
        found.append(Violation(message, "input", "required", "doc"))
    if "callBackUrl" in body:
        for error in _errors("OptionalCallBackUrl", body["callBackUrl"], True):
            shown = shown_value(body["callBackUrl"], "callBackUrl")
            message = f'invalid callBackUrl: {shown} is not an HTTPS URL (or "" / null for none)'
            found.append(Violation(message, "callBackUrl", str(error.schema_path[-1]), "doc"))
            break
    return found


def closest_model(model: str) -> str | None:
    """The known model `model` most likely means (another service's id for it, a typo), or None
    where any suggestion would be a guess; see `liangxin_contract.suggest`."""
    return suggest.closest_model(model, list(_mapping()))


def check_create_task(body: Any, *, extra_fields: frozenset[str] = frozenset()) -> Verdict:
    """Every rule a createTask body breaks, each with its source.

    `extra_fields` are `input` fields sent on purpose; they are not reported as unknown.
    """
    try:
        return _check(body, extra_fields)
    except _Unvalidatable as exc:  # documented: an invalid request is a 400
        model = body.get("model") if isinstance(body, dict) else None
        violation = Violation(str(exc), None, "type", "doc")
        return Verdict(model if isinstance(model, str) else None, "unknown", (violation,))


def _check(body: Any, extra_fields: frozenset[str]) -> Verdict:
    if not isinstance(body, dict):
        violation = Violation("request body must be a JSON object", None, "type", "doc")
        return Verdict(None, "unknown", (violation,))
    model = body.get("model")
    if model is None:
        return Verdict(
            None, "unknown", (Violation("model is required", "model", "required", "doc"),)
        )
    if not isinstance(model, str) or not model:
        violation = Violation("invalid model: must be a non-empty string", "model", "type", "doc")
        return Verdict(None, "unknown", (violation,))
    request = _mapping().get(model)
    if request is None:
        return Verdict(
            model, "unknown", tuple(_check_envelope(body)), closest_model=closest_model(model)
        )
    documented = _errors(request, body, True)
    keys = {_error_key(e) for e in documented}
    violations = [_describe(e, "doc") for e in documented]
    violations += [
        _describe(e, "inferred") for e in _errors(request, body, False) if _error_key(e) not in keys
    ]
    input_schema, inherited = _input_context(request)
    payload = body.get("input")
    partial = bool(input_schema.get("x-liangxin-partial"))
    known = tuple(input_schema.get("properties", {}))
    unknown: list[UnknownField] = []
    if isinstance(payload, dict):
        violations += check_rules(input_schema, payload, inherited)
        violations += check_not_blank(request, payload)
        if not partial:
            for name in sorted(set(payload) - set(known) - extra_fields):
                close = difflib.get_close_matches(name, known, n=1)
                unknown.append(UnknownField(name, close[0] if close else None))
    return Verdict(
        model,
        "partial" if partial else "known",
        tuple(violations),
        tuple(unknown),
        known_fields=known,
    )


def validate_create_task(body: Any, *, strict: bool = False) -> Verdict:
    """Check a createTask body as the service would; return the verdict or raise.

    Raises `ContractViolation` for documented violations and for a model the contract does not
    know (the docs list "unsupported model" as a 400); with `strict`, for inferred violations
    too. The verdict still lists the inferred violations that were let through.
    """
    verdict = check_create_task(body)
    verdict.raise_for(strict=strict)
    if verdict.knowledge == "unknown":
        hint = f" (did you mean {verdict.closest_model!r}?)" if verdict.closest_model else ""
        raise ContractViolation(f"unsupported model: {verdict.model}{hint}", "model")
    return verdict


def model_constraints(model: str) -> list[Constraint]:
    """Every constraint of a model's createTask body with its source (KeyError if unknown)."""
    return constraints(_resolver(), _schema_node(_mapping()[model]))


def model_knowledge(model: str) -> Literal["known", "partial", "unknown"]:
    """How much the contract knows of a model: its fields, only its value, or nothing."""
    request = _mapping().get(model)
    if request is None:
        return "unknown"
    return "partial" if _input_context(request)[0].get("x-liangxin-partial") else "known"


def request_view(model: str, *, documented_only: bool = False) -> dict[str, Any]:
    """A model's createTask body schema, self-contained (no `$ref`s); see `provenance.view`."""
    return view(_resolver(), _schema_node(_mapping()[model]), documented_only=documented_only)


def schema_validator(name: str, *, documented_only: bool = False) -> Any:
    """A jsonschema-rs validator (formats on) for a component schema, e.g. `RecordInfoResponse`."""
    return _validator(name, documented_only)


@dataclass(frozen=True)
class ModelSources:
    """Where a known model's request and `input` schemas come from, as a whole."""

    request: Source
    input: Source
    partial: bool


def model_sources(model: str) -> ModelSources:
    """The source marks of a model's request and input schemas (KeyError if unknown)."""
    request = _mapping()[model]
    input_node, inherited = _input_context(request)
    request_source: Source = (
        _resolver().merged(_schema_node(request)).get("x-liangxin-source", "doc")
    )
    return ModelSources(
        request_source,
        input_node.get("x-liangxin-source", inherited),
        bool(input_node.get("x-liangxin-partial")),
    )
