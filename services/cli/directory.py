"""`gongdan directory load FILE`: a first deployment's departments, people and districts from a YAML or CSV file,
posted to dispatch's `POST /directory/load` (role admin) in one request: all of it is recorded, or nothing.

YAML: three lists, `districts`, `departments`, `people`, each entry with the fields of the directory API.
CSV: one row per entry, a `type` column (district, department, person), the other columns the fields; lists
(`districts`, `aliases`) separated by `;`; an empty cell is a field not given (a stored value is kept).
Loading the same file again changes nothing; a changed entry gets its next version.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml

directory_app = typer.Typer(help="The organisation: departments, people and districts (issue 8).",
                            no_args_is_help=True)

SECTIONS = {"district": "districts", "department": "departments", "person": "people"}
LISTS = ("districts", "aliases")
BOOLEANS = ("active", "ct_same_day_opt_in")
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


class DirectoryFileError(ValueError):
    pass


def parse_directory_file(path: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    """The document for `POST /directory/load`, and where each entry came from (for error messages)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return parse_csv(text, path.name)
    return parse_yaml(text, path.name)


def parse_yaml(text: str, name: str = "file") -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DirectoryFileError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DirectoryFileError(f"{name}: expected a mapping with districts, departments, people")
    unknown = sorted(set(data) - set(SECTIONS.values()))
    if unknown:
        raise DirectoryFileError(f"{name}: unknown section(s) {', '.join(unknown)}; "
                                 f"expected {', '.join(SECTIONS.values())}")
    document = {section: list(data.get(section) or []) for section in SECTIONS.values()}
    for section, items in document.items():
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DirectoryFileError(f"{name}: {section}[{i}] is not a mapping")
            for key in ("id", "name", "head", "parent", "department", "leader"):
                if isinstance(item.get(key), int | float) and not isinstance(item.get(key), bool):
                    item[key] = str(item[key])  # YAML reads a bare 1 or 0101 as a number; ids are text
    origins = {section: [f"{section}[{i}]" for i in range(len(items))] for section, items in document.items()}
    return document, origins


def parse_csv(text: str, name: str = "file") -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "type" not in reader.fieldnames or "id" not in reader.fieldnames:
        raise DirectoryFileError(f"{name}: the first line names the columns and includes type and id")
    document: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS.values()}
    origins: dict[str, list[str]] = {section: [] for section in SECTIONS.values()}
    for row in reader:
        line = reader.line_num
        kind = (row.get("type") or "").strip().lower()
        if not kind and not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        if kind not in SECTIONS:
            raise DirectoryFileError(f"{name} line {line}: type {kind!r} is not one of {', '.join(SECTIONS)}")
        if None in row:
            raise DirectoryFileError(f"{name} line {line}: more cells than columns")
        entry: dict[str, Any] = {}
        for column, raw in row.items():
            value = (raw or "").strip()
            if column == "type" or not value:
                continue
            if column in LISTS:
                entry[column] = [part.strip() for part in value.split(";") if part.strip()]
            elif column in BOOLEANS and value.lower() in _TRUE | _FALSE:
                entry[column] = value.lower() in _TRUE
            else:
                entry[column] = value
        document[SECTIONS[kind]].append(entry)
        origins[SECTIONS[kind]].append(f"line {line}")
    return document, origins


def explain(error: dict[str, Any], origins: dict[str, list[str]]) -> list[str]:
    """The API's field errors with the file position of each entry (`people.3.leader` → line 12)."""
    lines = []
    for problem in error.get("fields") or []:
        field, where = str(problem.get("field", "")), ""
        section, _, rest = field.partition(".")
        index, _, _ = rest.partition(".")
        if section in origins and index.isdigit() and int(index) < len(origins[section]):
            where = f" ({origins[section][int(index)]})"
        lines.append(f"  {field}{where}: {problem.get('message')} [{problem.get('rule')}]")
    return lines


def _admin_key(key: str | None) -> str:
    if key:
        return key
    path = Path(os.environ.get("GONGDAN_DATA_DIR", ".data")) / "dev-api-keys.txt"
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split()
        if len(parts) == 2 and parts[0] == "admin":
            return parts[1]
    typer.echo("error: no admin key: pass --key or set GONGDAN_ADMIN_KEY", err=True)
    raise typer.Exit(code=2)


def _base_url(url: str | None) -> str:
    if url:
        return url.rstrip("/")
    from services.catalog import load_spec

    return f"http://127.0.0.1:{load_spec('dispatch').port}"


def post_document(document: dict[str, Any], base_url: str, key: str,
                  transport: httpx.BaseTransport | None = None) -> httpx.Response:
    with httpx.Client(base_url=base_url, transport=transport, timeout=60) as client:
        return client.post("/directory/load", json=document, headers={"Authorization": f"Bearer {key}"})


@directory_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .yaml/.yml or .csv directory file")],
    url: Annotated[str | None, typer.Option(help="Dispatch base URL (default: the dev stack's port)")] = None,
    key: Annotated[str | None, typer.Option(envvar="GONGDAN_ADMIN_KEY",
                                            help="An admin API key (default: the dev stack's key file)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse the file and print what would be sent")] = False,
) -> None:
    """Create or update every department, person and district of FILE in dispatch (all or nothing)."""
    try:
        document, origins = parse_directory_file(file)
    except (DirectoryFileError, UnicodeDecodeError, csv.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    counts = ", ".join(f"{len(items)} {section}" for section, items in document.items())
    if dry_run:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        typer.echo(f"{counts} (not sent)")
        return
    base = _base_url(url)
    try:
        response = post_document(document, base, _admin_key(key))
    except httpx.HTTPError as exc:
        typer.echo(f"error: {base}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if response.status_code >= 400:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {"message": response.text}
        typer.echo(f"error: {response.status_code} {error.get('message', '')}", err=True)
        for line in explain(error, origins):
            typer.echo(line, err=True)
        raise typer.Exit(code=1)
    result = response.json()
    typer.echo(f"{file}: {counts}; {result['changes']} change(s), {result['unchanged']} unchanged")
    for section in SECTIONS.values():
        done = result.get(section, {})
        typer.echo(f"  {section}: {done.get('created', 0)} created, {done.get('updated', 0)} updated")
