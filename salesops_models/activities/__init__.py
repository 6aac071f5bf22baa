"""Activities (calls, emails, meetings, tasks): selling time, process compliance and tool
adoption, the rep-productivity measures of the seeds.

- :mod:`.selling_time`: customer-facing hours / working hours, with intervals;
- :mod:`.compliance`: stage entry criteria (``stage_criteria.yml``) evaluated as of a date;
- :mod:`.adoption`: weekly logging, activity on open deals, days since the last activity.
"""

from .adoption import adoption_summary, deal_activity, weekly_logging
from .compliance import (
    compliance_summary,
    conversion_by_compliance,
    evaluate_compliance,
    load_criteria,
)
from .selling_time import HEALTHY_SELLING_SHARE, impute_durations, selling_time, time_by_type

__all__ = [
    "HEALTHY_SELLING_SHARE",
    "adoption_summary",
    "compliance_summary",
    "conversion_by_compliance",
    "deal_activity",
    "evaluate_compliance",
    "impute_durations",
    "load_criteria",
    "selling_time",
    "time_by_type",
    "weekly_logging",
]
