"""Issue 8, the organisation: the pure rules of the directory, district matching, the file formats."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from services.cli.directory import explain, parse_csv, parse_directory_file, parse_yaml, post_document
from services.dispatch.domain import commands as c
from services.dispatch.domain.directory import (
    RULE_LOOP,
    RULE_REFERENCE,
    DepartmentChange,
    DepartmentIn,
    Directory,
    DirectoryDocument,
    DirectoryRefused,
    DistrictIn,
    PersonIn,
    check,
    plan_load,
    proposed,
    reference_problems,
    references,
)
from services.intake.domain.outages import ActiveIncident, affecting, affects
from shared.directory_copy import district_in_address, district_named, row_values, view
from shared.events import decode, encode, new_envelope
from shared.events.directory import DepartmentRecorded, PersonRecorded, entry_key
from shared.events.vocabulary import Product, Role

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _doc(**sections) -> DirectoryDocument:
    return DirectoryDocument.model_validate(sections)


def _stored(events) -> Directory:
    """The directory as dispatch would hold it after `events` (rows as the API shows them)."""
    directory = Directory()
    for kind, event in events:
        directory.of(kind)[row_values(event)["id"]] = view(kind, row_values(event) | {"updated_at": NOW})
    return directory


def test_a_file_may_name_entries_defined_further_down_and_loads_once() -> None:
    document = _doc(
        departments=[{"id": "ops", "name": "网络运维部", "head": "zhao"},
                     {"id": "maint", "name": "维护", "parent": "ops", "districts": ["jh"]}],
        people=[{"id": "zhao", "name": "赵", "role": "manager", "department": "ops"},
                {"id": "wang", "name": "王", "role": "technician", "department": "maint", "leader": "zhao"}],
        districts=[{"id": "jh", "name": "江汉区", "area_type": "city-centre"}],
    )
    events = plan_load(document, Directory(), "admin")
    assert [(kind, e.version, e.change) for kind, e in events] == [
        ("district", 1, "created"), ("department", 1, "created"), ("department", 1, "created"),
        ("person", 1, "created"), ("person", 1, "created")]
    assert plan_load(document, _stored(events), "admin") == []  # the same file again: nothing changes

    renamed = _doc(people=[{"id": "wang", "name": "王伟", "role": "technician"}])
    [(kind, event)] = plan_load(renamed, _stored(events), "admin")
    assert (kind, event.version, event.change, event.name) == ("person", 2, "updated", "王伟")
    assert (event.department, event.leader) == ("maint", "zhao")  # fields the file does not give are kept


def test_every_unknown_reference_and_loop_is_named_with_its_path() -> None:
    document = _doc(
        departments=[{"id": "a", "name": "A", "parent": "b", "head": "nobody", "districts": ["nowhere"]},
                     {"id": "b", "name": "B", "parent": "a"}],
        people=[{"id": "p", "name": "P", "role": "staff", "leader": "q"},
                {"id": "q", "name": "Q", "role": "staff", "leader": "p", "department": "gone"},
                {"id": "p", "name": "again", "role": "staff"}],
    )
    with pytest.raises(DirectoryRefused) as refused:
        plan_load(document, Directory(), "admin")
    problems = {(p["field"], p["rule"]) for p in refused.value.fields}
    assert problems == {
        ("departments.0.head", RULE_REFERENCE), ("departments.0.districts.0", RULE_REFERENCE),
        ("departments.0.parent", RULE_LOOP), ("departments.1.parent", RULE_LOOP),
        ("people.0.leader", RULE_LOOP), ("people.1.leader", RULE_LOOP), ("people.1.department", RULE_REFERENCE),
        ("people.2.id", "directory_duplicate"),
    }
    assert refused.value.status == 422


def test_create_patch_and_their_refusals() -> None:
    existing = view("department", {"id": "ops", "name": "运维", "head": None, "parent": None, "kind": "internal",
                                   "districts": [], "active": True, "version": 3, "updated_at": NOW,
                                   "updated_by": "admin"})
    with pytest.raises(DirectoryRefused) as twice:
        proposed("department", existing, DepartmentIn(id="ops", name="x"), create=True)
    assert twice.value.status == 409
    with pytest.raises(DirectoryRefused) as missing:
        proposed("department", None, DepartmentChange(name="x"), create=False)
    assert missing.value.status == 404
    patched = proposed("department", existing, DepartmentChange.model_validate({"kind": "contractor"}), create=False)
    assert patched["kind"] == "contractor" and patched["name"] == "运维"
    cleared = proposed("department", existing | {"head": "zhao"}, DepartmentChange.model_validate({"head": None}),
                       create=False)
    assert cleared["head"] is None
    assert check("department", patched | {"parent": "ops"}, Directory(departments={"ops": existing}))[0]["rule"] \
        == RULE_LOOP  # its own parent


def test_ids_are_addressable_and_aliases_are_place_names() -> None:
    with pytest.raises(ValidationError) as slash:
        DepartmentIn(id="a/b", name="x")
    assert slash.value.errors()[0]["type"] == "directory_id"
    with pytest.raises(ValidationError):
        DistrictIn(id="d1", name="一区", area_type="rural", aliases=["1"])  # too short to look for in addresses
    with pytest.raises(ValidationError):
        PersonIn(id="p", name="P", role="astronaut")
    with pytest.raises(ValidationError) as cleared:
        DepartmentChange.model_validate({"name": None})  # only references may be cleared
    assert cleared.value.errors()[0]["type"] == "not_null"
    assert DepartmentChange.model_validate({"parent": None}).model_fields_set == {"parent"}


def test_ticket_commands_name_directory_entries() -> None:
    dispatch = c.DispatchTicket(actor="desk", role=Role.dispatcher, department="ops", technician="wang")
    complaint = c.RecordEscalationComplaint(actor="kf", role=Role.agent, level="ministry", description="d",
                                            responsible_department="gone")
    refs = references(dispatch) + references(complaint)
    assert [(r.field, r.kind, r.value) for r in refs] == [
        ("department", "department", "ops"), ("technician", "person", "wang"),
        ("responsible_department", "department", "gone")]
    known = {"department": {"ops": {"active": True}}, "person": {"wang": {"active": False}}}
    problems = reference_problems(refs, known)
    assert [(p["field"], p["rule"]) for p in problems] == [
        ("technician", RULE_REFERENCE), ("responsible_department", RULE_REFERENCE)]
    assert "retired" in problems[0]["message"]
    assert references(c.ResumeTicket(actor="t", role=Role.technician)) == []


DISTRICTS = [
    {"id": "haizhou", "name": "海州区", "aliases": ["海州"]},
    {"id": "lianyun", "name": "连云区", "aliases": []},
    {"id": "one", "name": "1", "aliases": []},  # a name too short to look for inside an address
    {"id": "xin-a", "name": "新区", "aliases": []},
    {"id": "xin-b", "name": "新城", "aliases": ["新区"]},
]


@pytest.mark.parametrize(("address", "district"), [
    ("海州区朝阳路8号", "haizhou"),
    ("连云港市 海州 朝阳路", "haizhou"),
    ("连云区中山路1号", "lianyun"),
    ("江汉区新华路1号", None),  # no district named: "1" is not looked for
    ("高新区科技路", None),  # 新区 is the name of one and the alias of another: ambiguous
])
def test_the_district_of_an_address(address: str, district: str | None) -> None:
    assert district_in_address(address, DISTRICTS) == district


def test_a_district_named_exactly() -> None:
    assert district_named("海州", DISTRICTS) == "haizhou"
    assert district_named("ONE", DISTRICTS) == "one" and district_named("1", DISTRICTS) == "one"
    assert district_named("海州区朝阳路", DISTRICTS) is None and district_named(None, DISTRICTS) is None


def _incident(area: str, districts: tuple[str, ...] = ()) -> ActiveIncident:
    return ActiveIncident(uuid.uuid4(), area, "光缆中断", False, (Product.ftth_broadband,), None, districts)


def test_outages_match_by_district_never_by_a_number_in_the_address() -> None:
    by_district = _incident("1", ("one",))
    assert affects(by_district, "江汉区新华路1号", None, Product.ftth_broadband, district="one")
    assert not affects(by_district, "江汉区新华路1号", None, Product.ftth_broadband, district="jianghan")
    assert not affects(by_district, "1号", None, Product.ftth_broadband, district=None)
    free_text = _incident("1")  # an area no district names: only a caller giving that area is told
    assert not affects(free_text, "江汉区新华路1号", None, Product.ftth_broadband)
    assert affects(free_text, "江汉区新华路1号", "1", Product.ftth_broadband)
    street = _incident("硚口区古田二路")  # a place name still finds the addresses on it
    assert affects(street, "硚口区古田二路3号", None, Product.ftth_broadband)
    assert not affects(street, "硚口区古田二路3号", None, Product.catv)
    assert affecting([by_district, street], "硚口区古田二路3号", None, None, "one") == [by_district, street]


def test_directory_events_travel_keyed_by_entry() -> None:
    event = DepartmentRecorded(department_id="ops", name="运维", version=2, change="updated", actor="admin",
                               districts=("jh",))
    envelope = new_envelope(event, ticket_id=entry_key("department", "ops"), sequence=2, occurred_at=NOW,
                            recorded_at=NOW, producer="dispatch")
    again = decode(encode(envelope))
    assert again.type == "DepartmentRecorded" and again.payload == event
    assert entry_key("department", "ops") == entry_key("department", "ops") != entry_key("person", "ops")
    assert row_values(PersonRecorded(person_id="w", name="W", role="technician", version=1, change="created",
                                     actor="a"))["role"] == "technician"


def test_the_example_files_are_the_same_directory_and_load() -> None:
    yaml_doc, _ = parse_directory_file(ROOT / "deploy/directory.example.yaml")
    csv_doc, _ = parse_directory_file(ROOT / "deploy/directory.example.csv")
    assert DirectoryDocument.model_validate(yaml_doc) == DirectoryDocument.model_validate(csv_doc)
    events = plan_load(DirectoryDocument.model_validate(yaml_doc), Directory(), "admin")
    assert {kind for kind, _ in events} == {"district", "department", "person"}


def test_csv_cells_lists_and_positions() -> None:
    document, origins = parse_csv("type,id,name,districts,active,leader\n"
                                  "department,d1,一部,a;b,,\n\nperson,p1,P,,no,0101\n")
    assert document["departments"] == [{"id": "d1", "name": "一部", "districts": ["a", "b"]}]
    assert document["people"] == [{"id": "p1", "name": "P", "active": False, "leader": "0101"}]
    assert origins["people"] == ["line 4"]
    error = {"fields": [{"field": "people.0.leader", "message": "person '0101' is not in the directory",
                         "rule": RULE_REFERENCE}]}
    assert explain(error, origins) == [
        "  people.0.leader (line 4): person '0101' is not in the directory [directory_reference]"]
    yaml_doc, _ = parse_yaml("people:\n  - {id: 7, name: Q, role: staff, leader: 0101}\n")
    assert yaml_doc["people"][0]["id"] == "7"


def test_the_load_command_posts_the_whole_file_as_admin() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"changes": 0, "unchanged": 0})

    document, _ = parse_yaml("districts:\n  - {id: jh, name: 江汉区, area_type: city-centre}\n")
    post_document(document, "http://dispatch", "k" * 20, transport=httpx.MockTransport(answer))
    assert seen[0].url.path == "/directory/load" and seen[0].headers["Authorization"] == f"Bearer {'k' * 20}"
    assert json.loads(seen[0].content)["districts"][0]["area_type"] == "city-centre"


def test_gongdan_directory_load_dry_run_and_bad_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli import app

    runner = CliRunner()
    shown = runner.invoke(app, ["directory", "load", str(ROOT / "deploy/directory.example.csv"), "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert "5 districts, 4 departments, 6 people (not sent)" in shown.output
    bad = tmp_path / "bad.csv"
    bad.write_text("type,id,name\nteam,t1,x\n", encoding="utf-8")
    refused = runner.invoke(app, ["directory", "load", str(bad), "--dry-run"])
    assert refused.exit_code == 2 and "line 2" in refused.output
