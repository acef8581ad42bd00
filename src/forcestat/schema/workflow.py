"""Tables the workflows write: what forcestat itself did (letters, visits, notifications).

These are not record kinds: nobody ingests them; ``forcestat speedwatch process``,
``forcestat encompass send`` and the other workflow commands write them, and the measures of
the board report count them. Each holds a ``month`` (Europe/London) so the measures engine
places its rows like any kind's.
"""

from __future__ import annotations

WORKFLOW_DDL: dict[str, str] = {
    # One row per processed detection: what the ladder decided for it (or why nothing).
    "speedwatch_outcomes": """
        CREATE TABLE IF NOT EXISTS speedwatch_outcomes (
            detection_id VARCHAR PRIMARY KEY, vrm VARCHAR, site_id VARCHAR, session_id VARCHAR,
            scheme VARCHAR, district VARCHAR, detected_at TIMESTAMP, month DATE,
            speed_mph DOUBLE, limit_mph BIGINT, threshold_mph DOUBLE, outcome VARCHAR,
            sighting_number BIGINT, keeper_looked_up_at TIMESTAMP, run_id BIGINT,
            processed_at TIMESTAMP, letter_batch BIGINT, printed_at TIMESTAMP)""",
    # One row per vehicle and tax status passed to the DVLA (again only after the window).
    "speedwatch_dvla": """
        CREATE TABLE IF NOT EXISTS speedwatch_dvla (
            vrm VARCHAR, tax_status VARCHAR, detection_id VARCHAR, site_id VARCHAR,
            district VARCHAR, detected_at TIMESTAMP, month DATE, run_id BIGINT,
            referred_at TIMESTAMP, exported_at TIMESTAMP, export_file VARCHAR)""",
    "speedwatch_runs": """
        CREATE TABLE IF NOT EXISTS speedwatch_runs (
            run_id BIGINT PRIMARY KEY, ran_at TIMESTAMP, until_date DATE, policy VARCHAR,
            processed BIGINT, sightings BIGINT, actions BIGINT, dvla BIGINT, waiting BIGINT)""",
    "speedwatch_letter_batches": """
        CREATE TABLE IF NOT EXISTS speedwatch_letter_batches (
            batch_id BIGINT PRIMARY KEY, printed_at TIMESTAMP, letters BIGINT, out_dir VARCHAR)""",
    # One row per Operation Encompass notification: a child at an incident, told to a school.
    "encompass_notices": """
        CREATE TABLE IF NOT EXISTS encompass_notices (
            incident_id VARCHAR, child_id VARCHAR, school_id VARCHAR, district VARCHAR,
            reported_at TIMESTAMP, due_at TIMESTAMP, sent_at TIMESTAMP, month DATE,
            recipient VARCHAR, message_id VARCHAR, PRIMARY KEY (incident_id, child_id))""",
    # Who read or deleted what: record-level reads of special category data and retention.
    "audit_log": """
        CREATE TABLE IF NOT EXISTS audit_log (
            logged_at TIMESTAMP, actor VARCHAR, role VARCHAR, action VARCHAR, subject VARCHAR,
            detail VARCHAR)""",
}
