"""Lambda entry point of the reconciliation schedule: venues' order status and fills booked into Parley, and
position drift told to the admins (core/usecases/trading/reconcile.py)."""

from __future__ import annotations

from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.ports.venue import VenueDirectory
from core.usecases.trading import ReconcileReport, reconcile
from functions.observability import capture_lambda_handler
from infra.bootstrap import build_platform

logger = Logger()
metrics = Metrics()
platform = build_platform()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    broker = platform.deps.broker
    if not isinstance(broker, VenueDirectory):  # no account is on a real venue
        return asdict(ReconcileReport())
    report = reconcile(platform.deps, broker)
    metrics.add_metric(name="VenueFillsBooked", unit=MetricUnit.Count, value=report.fills_booked)
    metrics.add_metric(name="PositionDrifts", unit=MetricUnit.Count, value=report.drifts_reported)
    metrics.add_metric(name="AccountsNotReconciled", unit=MetricUnit.Count, value=len(report.failed_accounts))
    logger.info("reconciled", extra=asdict(report))
    return asdict(report)

