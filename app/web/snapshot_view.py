"""The frozen snapshot as a reviewer reads it: every section with its labels, dictionary codes turned into
names, and the attachments of each record; and the trail and the flow as the pages draw them.

Reviewers decide on what was submitted, never on the applicant's working copy, so the review page reads
`dossier.snapshots[-1]` through these helpers.
"""

from dataclasses import dataclass, field
from datetime import datetime
from app.accounts.enums import ROLE_LABELS
from app.dossiers import sections as S
from app.dossiers.models import AttachmentRef, Dossier, Snapshot, TrailEntry
from app.dossiers.enums import status_label
from app.dossiers.enums import ACTION_LABELS
from app.routing.machine import Action
from app.web import section_forms as forms

TURN_DOWNS = (Action.return_, Action.reject, Action.void)


@dataclass
class RowView:
    number: int
    cells: list[str]
    details: list[tuple[str, str]]
    files: list[AttachmentRef]


@dataclass
class SectionView:
    name: str
    label: str
    facts: list[tuple[str, str]] = field(default_factory=list)      # one-record sections
    text: str | None = None                                           # the summary
    columns: list[str] = field(default_factory=list)                  # list sections
    rows: list[RowView] = field(default_factory=list)
    files: list[AttachmentRef] = field(default_factory=list)          # attachments of the section itself
    filled: bool = False


async def sections_of(snapshot: Snapshot | Dossier, names: list[str] | None = None) -> list[SectionView]:
    """Every section of a snapshot (or, before any submission, the working copy) in the form's order; `names`:
    those of the batch's kind, in its order."""
    refs = snapshot.attachments
    shown = []
    for name in names or S.SECTIONS:
        spec = S.SECTIONS[name]
        form = forms.FORMS[name]
        options = await forms.option_lists(name)
        data = snapshot.sections.get(name) or {}
        own = [r for r in refs if r.section == name]
        view = SectionView(name=name, label=spec.label, files=[r for r in own if r.row_id is None or r.row_id in S.OWN_FILES])
        if spec.row:
            columns = [f for f in form.fields if f.column]
            others = [f for f in form.fields if not f.column]
            view.columns = [f.label for f in columns]
            for number, row in enumerate(data.get("rows", []), 1):
                details = [(f.label, forms.shown(f, row.get(f.name), options)) for f in others
                           if row.get(f.name) not in (None, "", False)]
                view.rows.append(RowView(number=number, cells=[forms.shown(f, row.get(f.name), options)
                                                                for f in columns],
                                         details=details, files=[r for r in own if r.row_id == row.get("id")]))
            view.filled = bool(view.rows)
        elif name in ("summary", "main_achievements", "work_summary"):
            view.text = data.get("text") or None
            view.filled = bool(view.text)
        else:
            view.facts = [(f.label, forms.shown(f, data.get(f.name), options)) for f in form.fields
                          if f.kind == "bool" or data.get(f.name) not in (None, "")]
            view.filled = bool(data)
        shown.append(view)
    return shown


def place_files(snapshot: Snapshot | Dossier, section: str) -> list[AttachmentRef]:
    """Attachments of the declaration (委托评审证明) or the commitment."""
    return [r for r in snapshot.attachments if r.section == section]


def photo_of(snapshot: Snapshot | Dossier) -> AttachmentRef | None:
    found = [r for r in snapshot.attachments if r.section == "basic" and r.row_id == "photo"]
    return found[-1] if found else None


@dataclass
class TrailRow:
    at: datetime
    action: str
    action_label: str
    actor_name: str
    role_label: str
    unit_name: str | None
    to_status_label: str
    opinion: str | None
    signer: str | None
    signed_on: str | None
    deadline: datetime | None
    turned_down: bool
    attachment_id: str | None = None       # 流程附件 the step added
    attachment_label: str | None = None
    handler: str | None = None             # 上报: the unit handler's name and phone
    on_behalf_of: str | None = None        # 录入申报: the applicant the unit's handler acted for, and what they did
    note: str | None = None


def trail_rows(trail: list[TrailEntry], kind: str | None = None) -> list[TrailRow]:
    """The trail newest last, with the labels people read (who, unit, when, what, opinion); `kind` is the
    batch's, so an 初定/认定 decision reads as the kind's."""
    rows = []
    for entry in trail:
        deadline = entry.detail.get("correction_deadline")
        rows.append(TrailRow(
            at=entry.at, action=entry.action, action_label=ACTION_LABELS.get(entry.action, entry.action),
            actor_name=entry.actor_name,
            role_label=entry.detail.get("role_label") or ROLE_LABELS.get(entry.role, "系统" if entry.role == "system"
                                                                         else entry.role),
            unit_name=entry.unit_name, to_status_label=status_label(entry.to_status, kind),
            opinion=entry.opinion, signer=entry.signer, signed_on=entry.detail.get("signed_on"),
            deadline=datetime.fromisoformat(deadline) if isinstance(deadline, str) else deadline,
            turned_down=entry.action in TURN_DOWNS, attachment_id=entry.detail.get("attachment_id"),
            attachment_label=(f"{entry.detail.get('kind_label')}：{entry.detail.get('filename')}"
                              if entry.detail.get("attachment_id") else None),
            handler=" ".join(filter(None, (entry.detail.get("handler_name"), entry.detail.get("handler_phone")))) or None,
            on_behalf_of=entry.detail.get("on_behalf_of"), note=entry.detail.get("note")))
    return rows


def latest_turn_down(dossier: Dossier) -> TrailEntry | None:
    """The last return, rejection or voiding, if nothing was submitted since: what the applicant must read."""
    for entry in reversed(dossier.trail):
        if entry.action == Action.submit:
            return None
        if entry.action in TURN_DOWNS:
            return entry
    return None
