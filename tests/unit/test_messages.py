"""Messages to borrowers, the pure part: when a text may go out (never in the quiet hours, and
as soon as they end), which days bring which messages, and the words (amounts to the fen, the
subsidy split, the 1.8 restrictions, the anti-fraud warning, no name)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.core.clock import SHANGHAI
from app.domain import messages as words
from app.domain.messages import MessageKind, MessageStatus

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(SHANGHAI)
)
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


def _quiet(moment: datetime, start: time, end: time) -> bool:
    clock = moment.time()
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


@given(moments, clock_times, clock_times)
def test_a_text_goes_out_at_the_first_moment_outside_the_quiet_hours(
    moment: datetime, start: time, end: time
) -> None:
    sendable = words.sendable_from(moment, start, end)
    assert sendable >= moment
    assert not _quiet(sendable, start, end)
    if sendable > moment:
        # nothing earlier would do: every minute before it, from `moment`, is quiet
        assert _quiet(moment, start, end)
        assert sendable.time() == end
        assert sendable - moment <= timedelta(days=1)
        assert _quiet(sendable - timedelta(minutes=1), start, end) or sendable - moment < timedelta(
            minutes=1
        )


def test_quiet_hours_across_midnight() -> None:
    night, morning = time(21, 0), time(8, 0)
    late = datetime(2027, 1, 4, 23, 15, tzinfo=SHANGHAI)
    assert words.sendable_from(late, night, morning) == datetime(2027, 1, 5, 8, 0, tzinfo=SHANGHAI)
    early = datetime(2027, 1, 5, 6, 59, tzinfo=SHANGHAI)
    assert words.sendable_from(early, night, morning) == datetime(2027, 1, 5, 8, 0, tzinfo=SHANGHAI)
    day = datetime(2027, 1, 5, 8, 0, tzinfo=SHANGHAI)
    assert words.sendable_from(day, night, morning) == day


def test_which_days_bring_a_message() -> None:
    assert words.reminder_due_dates(date(2027, 1, 1), (3, 1, 3)) == [
        date(2027, 1, 2),
        date(2027, 1, 4),
    ]
    assert [d for d in range(0, 30) if words.overdue_notice_due(d)] == [1, 8, 15, 22, 29]
    assert not words.policy_reminder_due(date(2027, 3, 14), (3, 15))
    assert words.policy_reminder_due(date(2027, 3, 15), (3, 15))
    assert words.period_of(MessageKind.policy_reminder, date(2027, 5, 1)) == "2027"
    assert words.period_of(MessageKind.subsidy_notice, date(2027, 5, 1)) == "once"
    assert words.period_of(MessageKind.due_reminder, date(2027, 5, 1)) == "2027-05-01"


def test_the_groups_of_what_became_of_a_message() -> None:
    assert MessageStatus.not_sent() == {MessageStatus.opted_out, MessageStatus.no_phone}
    assert MessageStatus.unreached() == MessageStatus.not_sent() | {
        MessageStatus.failed,
        MessageStatus.undelivered,
    }
    assert MessageStatus.delivered not in MessageStatus.unreached()


@given(
    st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
    st.decimals(min_value=D("0"), max_value=D("5000"), places=2),
)
def test_a_reminder_says_what_is_owed_to_the_fen(principal: D, interest: D) -> None:
    text = words.due_reminder(
        "【测试】", "520102-2027-000123", 2, date(2027, 1, 7), principal, interest
    )
    assert text.startswith("【测试】尊敬的客户")
    assert f"应还{principal + interest:,.2f}元" in text
    assert f"本金{principal:,.2f}元" in text and f"利息{interest:,.2f}元" in text
    assert "尾号0123" in text and "520102-2027-000123" not in text
    assert "2027年1月7日" in text and "第2期" in text
    assert words.WARNING in text


def test_the_subsidy_notice_splits_the_rate_and_names_the_restrictions() -> None:
    text = words.subsidy_notice(
        "【测试】", "520102-2027-000001", D("30000.00"), 24, D("0.0345"), D("0.0245"), D("0.005")
    )
    assert "金额30,000.00元" in text and "期限24个月" in text
    assert "年利率3.45%" in text
    assert "中央财政贴息2.45%" in text and "地方财政贴息0.50%" in text
    assert "您承担0.50%" in text
    for restricted in ("户借、户用、户还", "结婚", "建房", "理财", "入股分红", "转贷"):
        assert restricted in text
    assert "非法集资" in text and "验证码" in text


def test_an_overdue_notice_says_whether_the_subsidy_stops() -> None:
    stops = words.overdue_notice("【测试】", "X-0001", 8, D("1000"), D("12.5"), False)
    assert "已逾期8天" in stops and "逾期本金1,000.00元" in stops and "逾期利息12.50元" in stops
    assert "逾期期间不享受财政贴息" in stops
    kept = words.overdue_notice("【测试】", "X-0001", 8, D("1000"), D("12.5"), True)
    assert "不享受财政贴息" not in kept
    assert "非法集资" in words.policy_reminder("【测试】", 2027)
