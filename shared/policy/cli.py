"""`gongdan policy check|explain FILE`: validate a policy file; show its timers and field-time limits."""

from __future__ import annotations

from pathlib import Path

import typer

from shared.policy.durations import format_duration
from shared.policy.loader import PolicyError, load_policy
from shared.policy.schema import (
    AheadOfDeadline,
    AppointmentDeadline,
    BusinessDeadline,
    Condition,
    CutoffDeadline,
    Deadline,
    ElapsedDeadline,
    FieldTimePolicy,
    InWindowDeadline,
    Policy,
    TimerRule,
    WorkingDaysDeadline,
)

policy_app = typer.Typer(help="Check and explain SLA policy files (RULEBOOK §4).", no_args_is_help=True)
HEADERS = ("rule id", "applies to", "start → stop", "deadline", "calendar", "pause", "source")
FIELD_TIME_HEADERS = ("role", "may backdate occurred_at by")


def _load(file: Path) -> Policy:
    try:
        return load_policy(file)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@policy_app.command()
def check(file: Path) -> None:
    """Validate FILE (with its includes); exit 1 naming the bad key."""
    policy = _load(file)
    typer.echo(
        f"ok: {policy.pack} ({', '.join(policy.packs)}): {len(policy.timers)} timer rules, "
        f"calendars {', '.join(sorted(policy.calendars))}, "
        f"field time for {len(policy.field_time.max_backdate)} roles"
    )


@policy_app.command()
def explain(file: Path) -> None:
    """Print the effective timer rules of FILE, then its field-time limits per role, as tables."""
    policy = _load(file)
    typer.echo(render_table([row(rule) for rule in policy.timers]))
    typer.echo("")
    typer.echo(describe_field_time(policy.field_time))
    typer.echo("")
    typer.echo(describe_penalties(policy))
    typer.echo("")
    typer.echo(describe_compensation(policy))


def describe_penalties(policy: Policy) -> str:
    """Issue 10: the penalty clauses with their amounts (fen), triggers and payers."""
    from shared.policy.penalties import PENALTY_HEADERS, clause_rows

    if not policy.penalties.clauses:
        return "penalties: none (the policy has no penalty clauses)"
    text = (f"penalty clauses (appeal refund {policy.penalties.refund_percent}%):\n"
            + render_table(clause_rows(policy.penalties), PENALTY_HEADERS))
    if policy.penalties.kpis:  # the KPI scorecards beside them (shared/policy/kpis.py)
        from shared.policy.kpis import KPI_HEADERS, kpi_rows

        text += "\n\nKPI scorecards:\n" + render_table(kpi_rows(policy.penalties.kpis), KPI_HEADERS)
    return text


def describe_compensation(policy: Policy) -> str:
    """Issue 11: the customer compensation schemes, their promises and amounts."""
    from shared.policy.compensation import COMPENSATION_HEADERS, scheme_rows

    if not policy.compensation.schemes:
        return "compensation: none (the policy has no compensation schemes)"
    return "compensation schemes:\n" + render_table(scheme_rows(policy.compensation), COMPENSATION_HEADERS)


def describe_field_time(field_time: FieldTimePolicy) -> str:
    """The field_time.max_backdate limits (issue 3) as a table; unlisted roles may not backdate."""
    if not field_time.max_backdate:
        return "field time: no role may backdate occurred_at (the policy has no field_time.max_backdate)"
    rows = [(role, format_duration(limit) if limit else "not at all")
            for role, limit in field_time.max_backdate.items()]
    return ("field time (field_time.max_backdate; roles not listed may not backdate):\n"
            + render_table(rows, FIELD_TIME_HEADERS))


def describe_condition(cond: Condition) -> str:
    """Compact text of an applies_to condition."""
    parts = [
        f"{name}={'|'.join(getattr(cond, name))}"
        for name in ("kind", "segment", "product", "area", "channel", "priority", "flags")
        if getattr(cond, name)
    ]
    if cond.linked_incident is not None:
        parts.append(f"linked_incident={str(cond.linked_incident).lower()}")
    if cond.start_before:
        parts.append(f"start<{cond.start_before}")
    if cond.start_from:
        parts.append(f"start>={cond.start_from}")
    if cond.any_of:
        parts.append("any(" + " / ".join(describe_condition(c) for c in cond.any_of) + ")")
    if cond.none_of:
        parts.append("not(" + " / ".join(describe_condition(c) for c in cond.none_of) + ")")
    return "; ".join(parts) or "any"


def describe_deadline(spec: Deadline) -> str:
    """Deadline type and parameters as text."""
    if isinstance(spec, ElapsedDeadline):
        return f"elapsed {format_duration(spec.duration)}"
    if isinstance(spec, BusinessDeadline):
        return f"business {format_duration(spec.duration)}"
    if isinstance(spec, WorkingDaysDeadline):
        return f"working_days {spec.days}"
    if isinstance(spec, CutoffDeadline):
        after = f"+{spec.after_hours}h" if spec.after_hours else "n/a"
        return f"cutoff <{spec.before} → 24:00, else {after}"
    if isinstance(spec, InWindowDeadline):
        days = "every day" if spec.every_day else "working days"
        return f"in_window {format_duration(spec.duration)} in {', '.join(spec.windows)} ({days})"
    if isinstance(spec, AheadOfDeadline):
        unit = f"{spec.working_days} working days" if spec.working_days else f"{spec.hours}h"
        return f"ahead_of {unit}"
    assert isinstance(spec, AppointmentDeadline)
    return "appointment window end"


def row(rule: TimerRule) -> tuple[str, ...]:
    """One table row for a timer rule."""
    calendar = getattr(rule.deadline, "calendar", None) or "-"
    return (
        rule.rule_id if rule.family_id == rule.rule_id else f"{rule.rule_id} [{rule.family_id}]",
        describe_condition(rule.applies_to),
        f"{'|'.join(rule.start)} → {'|'.join(rule.stop)}",
        describe_deadline(rule.deadline),
        calendar,
        ", ".join(rule.pause.reasons) or "none",
        rule.source,
    )


def render_table(rows: list[tuple[str, ...]], headers: tuple[str, ...] = HEADERS) -> str:
    """Plain-text table with a header row."""
    table = [headers, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
