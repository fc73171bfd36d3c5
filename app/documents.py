"""Every Beanie document model, for opening the database. It names every domain, so it sits at the top
beside app.main; app.db below takes the list as an argument."""


def document_models() -> list[type]:
    from app.accounts.models import AuditEvent, Captcha, LoginFailure, RecoveryCode, Session, User
    from app.catalog.models import Batch, Committee, DictionaryEntry
    from app.committee.case_models import Case
    from app.committee.models import BlindAssignment, Counter, Meeting, Vote
    from app.dossiers.models import Dossier, DossierAccess
    from app.experts.models import Expert, ExpertDraw, ExpertRoster, RosterRules
    from app.dossiers.counts import StatisticsCount
    from app.dossiers.queue_counts import QueueCount
    from app.dossiers.rows import DossierRow, QueueEntry
    from app.exports.models import ExportEvent
    from app.messaging.models import OutboxMessage
    from app.notifications.models import Announcement, InboxMessage
    from app.personnel.models import PersonnelRecord, PostLedger, PostQuota
    from app.routing.models import Path
    from app.lease import Lease
    from app.migrations import MigrationRecord
    from app.scheduler import JobRun
    from app.throttle import FailureWindow
    from app.units.models import PermissionApplication, StaffInvitation, Unit

    return [User, Session, Captcha, LoginFailure, RecoveryCode, AuditEvent, Unit, PermissionApplication,
            DictionaryEntry, Batch, Dossier, DossierRow, QueueEntry, QueueCount, DossierAccess, OutboxMessage, Path, Committee,
            InboxMessage, Announcement, Meeting, Vote, Counter, ExportEvent, FailureWindow, StaffInvitation,
            Lease, MigrationRecord, JobRun, Expert, ExpertRoster, RosterRules, ExpertDraw,
            PersonnelRecord, PostQuota, PostLedger, Case, BlindAssignment, StatisticsCount]
