"""Find a household (issue 18): by a member's ID number through its keyed hash, a name's
beginning, the roster household number or a region; within the caller's regions, with a total."""

from __future__ import annotations

import httpx

from app.core.auth import Role
from tests.api.factories import Origination, Person, headers, id_number, own_county
from tests.api.test_foundation import assert_problem


def test_find_a_household(client: httpx.Client) -> None:
    flow = Origination(client, region=own_county("52"))
    people = [Person(id_number(flow.region), name=f"欧阳{flow.tag}")]
    flow.import_roster(people)
    household = flow.household(people)
    other = flow.household([Person(id_number(flow.region), name=f"司马{flow.tag}")])
    officer = flow.officer

    def found(**params: str) -> dict[str, object]:
        answer = client.get("/v1/households", params=params, headers=officer)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    by_id = found(id_number=people[0].id_number)
    assert [h["id"] for h in by_id["items"]] == [household["id"]] and by_id["total"] == 1  # type: ignore[union-attr,index]
    assert people[0].id_number not in str(by_id)  # shown masked
    by_name = found(name=f"欧阳{flow.tag}"[:4])
    assert household["id"] in [h["id"] for h in by_name["items"]]  # type: ignore[union-attr,index]
    by_number = found(household_number=household["household_number"])
    assert [h["id"] for h in by_number["items"]] == [household["id"]]  # type: ignore[union-attr,index]
    by_region = found(region=flow.region)
    assert by_region["total"] == 2
    assert {h["id"] for h in by_region["items"]} == {household["id"], other["id"]}  # type: ignore[union-attr,index]
    paged = found(region=flow.region, limit="1")
    assert len(paged["items"]) == 1 and paged["total"] == 2  # type: ignore[arg-type]

    elsewhere = headers(Role.loan_officer, sub="officer-far", regions=[own_county("53")])
    far = client.get(
        "/v1/households", params={"id_number": people[0].id_number}, headers=elsewhere
    ).json()
    assert (far["items"], far["total"]) == ([], 0)  # outside your regions: not found
    bad = people[0].id_number[:-1] + ("0" if people[0].id_number[-1] != "0" else "1")
    assert_problem(client.get("/v1/households", params={"id_number": bad}, headers=officer), 422)
