"""Legacy contracts from a sheet (issue 18): the earlier system's export as an Excel workbook or
CSV (UTF-8 or GB18030), a row per contract, with Chinese or English column headers. Each row
becomes the API's `LegacyLoanIn`; a row that does not is a row error, and the rest go through
the same import as the JSON body."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from app.core import sheets, zh_input
from app.core.i18n import Said
from app.core.problems import field_message
from app.core.uploads import Upload
from app.domain.labels import ZH, code_of
from app.legacy import schemas

# The sheet's columns: the API's field names, the borrower's flattened (borrower_name, ...).
HEADER_ALIASES = {
    "合同编号": "external_ref",
    "原合同号": "external_ref",
    "借款人姓名": "borrower_name",
    "借款人": "borrower_name",
    "姓名": "borrower_name",
    "身份证号": "borrower_id_number",
    "身份证号码": "borrower_id_number",
    "借款人身份证号": "borrower_id_number",
    "手机号": "borrower_phone",
    "联系电话": "borrower_phone",
    "行政区划代码": "region_code",
    "县级区划代码": "region_code",
    "地址": "address",
    "家庭住址": "address",
    "放款账号": "disbursement_account",
    "账号": "disbursement_account",
    "贷款金额": "principal",
    "合同金额": "principal",
    "年利率": "annual_rate",
    "执行利率": "annual_rate",
    "期限（月）": "term_months",
    "期限(月)": "term_months",
    "贷款期限": "term_months",
    "还款方式": "repayment_method",
    "贷款用途": "purpose",
    "签约日期": "signed_on",
    "合同签订日": "signed_on",
    "放款日期": "value_date",
    "起息日": "value_date",
    "中央贴息率": "central_subsidy_rate",
    "中央财政贴息率": "central_subsidy_rate",
    "地方贴息率": "local_subsidy_rate",
    "地方财政贴息率": "local_subsidy_rate",
    "贴息本金": "subsidised_principal",
    "已还期数": "instalments_paid",
    "续贷展期次数": "renewals_or_extensions",
    "已续贷或展期次数": "renewals_or_extensions",
}
REQUIRED = {
    "external_ref",
    "borrower_name",
    "borrower_id_number",
    "region_code",
    "address",
    "disbursement_account",
    "principal",
    "annual_rate",
    "term_months",
    "repayment_method",
    "purpose",
    "signed_on",
    "value_date",
    "central_subsidy_rate",
    "local_subsidy_rate",
    "subsidised_principal",
}
# Names the earlier system writes beside the Chinese labels (app/domain/labels.py).
_METHOD_ALIASES = {
    "按期付息到期还本": "interest_then_principal",
    "先息后本": "interest_then_principal",
    "到期一次还本付息": "bullet",
}
_PURPOSE_ALIASES = {
    "种植": "planting",
    "养殖": "livestock",
    "养殖业": "livestock",
    "畜禽养殖": "livestock",
    "加工": "processing",
}


_WHOLE_NUMBERS = ("term_months", "instalments_paid", "renewals_or_extensions")
# Cells read as people write them (app/core/zh_input.py): 58,000 and 5.8万, 3.45%, 2024/5/10
# and 2024年5月10日. A cell that cannot be read is left as it was, for the schema to refuse.
_AS_WRITTEN: dict[str, Callable[[str], object]] = {
    "principal": lambda t: f"{zh_input.amount(t):.2f}",
    "subsidised_principal": lambda t: f"{zh_input.amount(t):.2f}",
    "annual_rate": lambda t: format(zh_input.rate(t), "f"),
    "central_subsidy_rate": lambda t: format(zh_input.rate(t), "f"),
    "local_subsidy_rate": lambda t: format(zh_input.rate(t), "f"),
    "signed_on": lambda t: zh_input.day(t).isoformat(),
    "value_date": lambda t: zh_input.day(t).isoformat(),
}


def _as_written(name: str, value: object) -> object:
    read = _AS_WRITTEN.get(name)
    if read is None or not isinstance(value, str):
        return value
    try:
        return read(value)
    except zh_input.InputError:
        return value


def _contract(row: dict[str, Any]) -> dict[str, Any]:
    contract = {
        k: _as_written(k, v)
        for k, v in row.items()
        if not k.startswith("borrower_") and v not in (None, "")
    }
    contract["borrower"] = {
        "name": row.get("borrower_name"),
        "id_number": row.get("borrower_id_number"),
        **({"phone": row["borrower_phone"]} if row.get("borrower_phone") else {}),
    }
    for name, enum, aliases in (
        ("repayment_method", "RepaymentMethod", _METHOD_ALIASES),
        ("purpose", "Purpose", _PURPOSE_ALIASES),
    ):
        if isinstance(contract.get(name), str):
            contract[name] = code_of(enum, str(contract[name]), aliases)
    contract.setdefault("instalments_paid", 0)
    # 续贷展期次数 has no default: a sheet without it would give old loans a second renewal
    # (2.3), so a row without it is refused, as the JSON import refuses it
    for name in _WHOLE_NUMBERS:  # a sheet's cells are text; the API takes these as integers
        value = contract.get(name)
        if isinstance(value, str) and value.strip().isdigit():
            contract[name] = int(value)
    return contract


_ENUMS = {"repayment_method": "RepaymentMethod", "purpose": "Purpose"}


def _invalid(exc: ValidationError, named: dict[str, str]) -> Said:
    """Every problem of a row, each naming its column as the file's header does (the
    borrower's fields flattened: borrower.name is the borrower_name column)."""
    found = []
    for e in exc.errors():
        path = [str(p) for p in e["loc"]]
        said = field_message(dict(e))
        enum = _ENUMS.get(path[-1])
        if e["type"] == "enum" and enum is not None:  # the labels the sheet may use
            said = Said("应为以下之一：" + "、".join(ZH[enum].values()), said.en)
        found.append((named.get("_".join(path), ".".join(path)), said))
    return Said(
        "；".join(f"{where}：{said.zh}" for where, said in found),
        "; ".join(f"{where}: {said.en}" for where, said in found),
    )


def contracts(upload: Upload, fmt: str) -> Iterator[tuple[int, schemas.LegacyLoanIn | Said]]:
    """(line, contract) per row, or (line, why the row is not a contract)."""
    named: dict[str, str] = {}
    rows = (
        sheets.xlsx_rows(upload, HEADER_ALIASES, REQUIRED, named)
        if fmt == "xlsx"
        else sheets.csv_rows(upload, HEADER_ALIASES, REQUIRED, named)
    )
    for line, row in rows:
        if isinstance(row, Said):
            yield line, row
            continue
        try:
            yield line, schemas.LegacyLoanIn.model_validate(_contract(row))
        except ValidationError as exc:
            yield line, _invalid(exc, named)
