"""Closed vocabularies of the ticket lifecycle (RULEBOOK §2); values are the wire spelling."""

from __future__ import annotations

from enum import Enum


class TicketKind(str, Enum):
    """RULEBOOK §2 kind (类别)."""

    fault = "fault"
    complaint = "complaint"
    inquiry = "inquiry"
    suggestion = "suggestion"
    install = "install"
    business = "business"


class Channel(str, Enum):
    """How the request reached us (渠道); `forwarded-by-authority` names the authority separately."""

    hotline = "hotline"
    web = "web"
    letter_fax = "letter-fax"
    walk_in = "walk-in"
    forwarded_by_authority = "forwarded-by-authority"
    internal_discovery = "internal-discovery"


class SameDay(str, Enum):
    """CT-2.4: the customer asked for same-day install, or declined same-day repair (RULEBOOK §9.12)."""

    requested = "requested"
    declined = "declined"

    @property
    def flag(self) -> str:
        """The ticket flag timer rules match on (`applies_to.flags`)."""
        return f"same-day-{self.value}"

    @property
    def kind(self) -> TicketKind:
        """Same-day install is asked on installs; same-day repair is declined on faults."""
        return TicketKind.install if self is SameDay.requested else TicketKind.fault

    def problem_with(self, kind: TicketKind) -> str | None:
        if kind is not self.kind:
            return f"same_day {self.value} applies only to {self.kind.value} tickets (CT-2.4)"
        return None


class ComplaintClass(str, Enum):
    """NJ-4.1 complaint classes."""

    regular = "regular"
    discovered = "discovered"
    mass = "mass"


class Segment(str, Enum):
    """Customer segment; drives VIP timers (CS-19), CT eligibility (CT-2.2) and GX priority callbacks."""

    public = "public"
    vip = "vip"
    group = "group"
    government_enterprise = "government-enterprise"
    campus = "campus"
    railway_private_network = "railway-private-network"
    dedicated_transformer = "dedicated-transformer"
    sensitive = "sensitive"
    high_rise = "high-rise"


class AreaType(str, Enum):
    """CT-2.5 / CT-3.2 area type."""

    city_centre = "city-centre"
    county_town = "county-town"
    rural = "rural"


class Product(str, Enum):
    """The service the ticket is about."""

    ftth_broadband = "ftth-broadband"
    itv_hd = "itv-hd"
    catv = "catv"
    digital_tv = "digital-tv"
    two_way = "two-way"
    landline = "landline"
    electricity = "electricity"
    other = "other"


class Priority(str, Enum):
    """Handling priority set at intake or by reclassification."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Role(str, Enum):
    """The role in which a person (or system) acted; recorded on every human act."""

    ivr = "ivr"
    agent = "agent"
    dispatcher = "dispatcher"
    handler = "handler"
    technician = "technician"
    supervisor = "supervisor"
    deputy_gm = "deputy-gm"
    system = "system"


class EscalationLevel(str, Enum):
    """TT-9bis: where the customer took the escalation complaint (越级投诉)."""

    hotline_platform = "hotline-platform"
    branch = "branch"
    city_12315 = "city-12315"
    walk_in = "walk-in"
    province_desk = "province-desk"
    province_regulator = "province-regulator"
    ministry = "ministry"
    city_media = "city-media"
    province_media = "province-media"


class PauseReason(str, Enum):
    """RULEBOOK §4: customer-caused waiting that timers may exclude."""

    customer_not_home = "customer-not-home"
    customer_postponed = "customer-postponed"
    customer_equipment = "customer-equipment"
    customer_unreachable = "customer-unreachable"


class MissCause(str, Enum):
    """Who broke the appointment (失约); `staff` is TT-9.11."""

    staff = "staff"
    customer = "customer"


class Requester(str, Enum):
    """Who asked for a change such as rebooking (改约)."""

    customer = "customer"
    staff = "staff"


class RedispatchReason(str, Enum):
    """Why a ticket moved; the `wrong-*` reasons are TT-8.10 wrong dispatch."""

    wrong_department = "wrong-department"
    wrong_fault_info = "wrong-fault-info"
    wrong_customer_data = "wrong-customer-data"
    handover = "handover"
    technician_change = "technician-change"
    other = "other"

    @property
    def wrong_dispatch(self) -> bool:
        """TT-8.10: the original dispatch was wrong."""
        return self in WRONG_DISPATCH


WRONG_DISPATCH = frozenset(
    {
        RedispatchReason.wrong_department,
        RedispatchReason.wrong_fault_info,
        RedispatchReason.wrong_customer_data,
    }
)


class ReplyPart(str, Enum):
    """The three-clears (三清) of a resolution reply, TT-8.3 (fault) / TT-8.4 (complaint)."""

    restore_time = "restore-time"
    cause_and_result = "cause-and-result"
    resolution_time = "resolution-time"
    complaint_cause = "complaint-cause"
    delay_reason = "delay-reason"


class CallbackQuestion(str, Enum):
    """TT-8.13: questions a callback must ask."""

    done = "done"
    when = "when"
    feedback_form_signed = "feedback-form-signed"
    satisfied = "satisfied"
    delay_reason_verified = "delay-reason-verified"


class CallbackExemption(str, Enum):
    """Allowed reasons to archive without a completed callback."""

    customer_declined = "customer-declined"
    customer_unreachable = "customer-unreachable"
    first_contact_resolution = "first-contact-resolution"
    kind_without_callback = "kind-without-callback"
