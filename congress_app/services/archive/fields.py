"""What the archive carries of each model, column by column (see the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ...models import (
    Absence,
    AgendaItem,
    AgendaItemDocument,
    AuditEvent,
    CheckIn,
    Comment,
    CommentReportAdoption,
    CommentTriage,
    CommentWindow,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    FormSubmission,
    SetupToken,
    User,
    Vote,
    VoteBallot,
    VoteCount,
)


@dataclass(frozen=True, eq=False)
class Fields:
    """What the archive does with each column of one model; every column is named once.

    ``values`` are restored as they were; ``secrets`` too, but only a full backup carries
    them; ``links`` are ids, carried as the archive ids of other records (or implied by
    where the record sits) and given this instance's ids on import; ``excluded`` columns are
    left out on purpose, each with the reason.
    """

    values: tuple[str, ...]
    links: Mapping[str, str]
    secrets: tuple[str, ...] = ()
    excluded: Mapping[str, str] = field(default_factory=dict)

    def named(self) -> list[str]:
        return [*self.values, *self.links, *self.secrets, *self.excluded]


_ID = "the record's id in the archive; the import gives it a new one"
_SESSIONS = ("the count of ended sign-ins: a restore starts every sign-in afresh, so the "
             "new instance's own count (from 1) is the right one")
_CONGRESS = "the archive's congress: every record of an archive belongs to it"
_ACCOUNT = ("an account of the archive (`accounts`, or by username only `other_accounts`), "
            "linked to this instance's account")

FIELDS: dict[type, Fields] = {
    Congress: Fields(
        values=("slug", "title", "organisation", "parent_organisation", "ordinal", "term",
                "venue", "starts_on", "ends_on", "motto", "delegates_expected",
                "members_represented", "updated_at", "closed_at", "listed",
                "follow_browser_language", "delegates_see_group_comments", "vote_rule"),
        links={"id": _ID}),
    CongressSession: Fields(
        values=("name", "date", "starts_at", "ends_at", "position", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS}),
    AgendaItem: Fields(
        values=("position", "starts_at", "title", "presenter", "notes", "on_stage",
                "edit_version"),
        links={"id": _ID, "session_id": "the session the item is listed under"}),
    AgendaItemDocument: Fields(
        values=("position",),
        links={"id": _ID, "item_id": "the item the link is listed under",
               "document_id": "`document`: the archive id of the linked document"}),
    Document: Fields(
        values=("code", "title", "category", "visibility", "published", "position",
                "created_at", "deleted_at", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS}),
    DocumentVersion: Fields(
        values=("number", "sha256", "original_filename", "mime_type", "size", "pages", "text",
                "uploaded_at", "note"),
        links={"id": _ID, "document_id": "the document the version is listed under",
               "uploaded_by_id": f"`uploaded_by`: {_ACCOUNT}"}),
    Delegate: Fields(
        values=("number", "full_name", "search_name", "unit", "discussion_group", "seat",
                "kind", "active", "group_secretary", "credential_version", "created_at",
                "updated_at",
                # The credentials report's details; empty once personal data is purged.
                "sex", "birth_year", "ethnicity", "education", "theory_level",
                "party_joined_year", "position"),
        secrets=("token_hash", "pin_hash"),
        excluded={"session_version": _SESSIONS},
        links={"id": "the record's id in the archive, kept on import when it is free here "
                     "(card tokens and PINs derive from it)",
               "congress_id": _CONGRESS}),
    CheckIn: Fields(
        values=("at", "method", "checked_out_at"),
        links={"id": _ID, "delegate_id": "the delegate the check-in is listed under",
               "congress_id": _CONGRESS, "by_user_id": f"`by_user`: {_ACCOUNT}",
               "session_id": "`session`: the archive id of the session it belongs to "
                             "(null: the congress-wide attendance)",
               "checked_out_by_user_id": f"`checked_out_by`: {_ACCOUNT}"}),
    Absence: Fields(
        values=("excused", "note", "at"),
        links={"id": _ID, "delegate_id": "the delegate the reason is listed under",
               "congress_id": _CONGRESS, "by_user_id": f"`by_user`: {_ACCOUNT}",
               "session_id": "`session`: the archive id of the session it is for "
                             "(null: the congress-wide attendance)"}),
    User: Fields(
        values=("username", "role", "active", "created_at"),
        # The one-time flag belongs with the hash it marks: an ordinary archive restores
        # accounts without a password, to be given a one-time one.
        secrets=("password_hash", "must_change_password"),
        excluded={"session_version": _SESSIONS},
        links={"id": _ID, "congress_id": "the archive's congress: only the accounts tied to "
                                         "it are the congress's own and exported"}),
    AuditEvent: Fields(
        values=("at", "action", "object_type", "detail"),
        links={"id": _ID, "user_id": f"`user`: {_ACCOUNT}",
               "congress_id": "the archive's congress: only its own events are exported",
               "object_id": "the archive id of the record the event names; empty on import "
                            "when that record is not in the archive (deleted since)"}),
    CommentWindow: Fields(
        values=("opens_at", "closes_at", "closed_at", "scope", "authors", "created_at",
                "updated_at", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS,
               "document_id": "`document`: the archive id of the document taking comments",
               "opened_by_id": f"`opened_by`: {_ACCOUNT}"}),
    Comment: Fields(
        # client_id is kept: a phone's offline queue may send the comment again after a
        # restore, and must be recognised; an import refuses client ids already used here.
        values=("client_id", "paragraph", "paragraph_text", "section", "stance", "text",
                "proposed_wording", "created_at", "updated_at", "withdrawn_at",
                "edit_version", "anchor_state", "discussion_group", "group_share",
                "group_size"),
        links={"id": _ID, "congress_id": _CONGRESS,
               "document_id": "`document`: the archive id of the document commented on",
               "version_id": "`version`: the archive id of the version commented on",
               "author_id": "`author`: the archive id of the delegate who wrote it; empty "
                            "once personal data is purged"},
        excluded={"anchored_to_id": "only which version the comment was last matched "
                                    "against: anchor_state keeps what the secretariat must "
                                    "read, and the next replacement matches it again"}),
    CommentTriage: Fields(
        values=("classification", "response", "updated_at", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS,
               "comment_id": "the comment the triage is listed under",
               "duplicate_of_id": "`duplicate_of`: the archive id of the original comment",
               "triaged_by_id": f"`triaged_by`: {_ACCOUNT}"}),
    CommentReportAdoption: Fields(
        values=("adopted_at",),
        links={"id": _ID, "congress_id": _CONGRESS,
               "document_id": "`document`: the archive id of the adopted report's document",
               "adopted_by_id": f"`adopted_by`: {_ACCOUNT}"}),
    Vote: Fields(
        values=("question", "method", "secret", "rule", "state", "annul_reason", "for_count",
                "against_count", "abstain_count", "mismatch_reason", "present_count",
                "convened_count", "created_at", "opened_at", "closed_at", "annulled_at"),
        links={"id": _ID, "congress_id": _CONGRESS,
               "item_id": "`item`: the archive id of the agenda item voted on"}),
    # A secret vote's ballots say only who voted (choice empty); its counters, apart, what
    # was chosen: the archive keeps them as apart as the database does (models/vote.py).
    VoteBallot: Fields(
        values=("choice", "client_id"),
        links={"id": _ID, "vote_id": "the vote the ballot is listed under",
               "delegate_id": "`delegate`: the archive id of the delegate who voted"}),
    VoteCount: Fields(
        values=("choice", "count"),
        links={"vote_id": "the vote the counter is listed under"}),
}


# Tables that belong to no congress's record, left out of every archive, with the reason.
NOT_ARCHIVED: dict[type, str] = {
    FormSubmission: "one-time tokens of forms being sent; worthless once the form is sent",
    SetupToken: "the instance's one-time set-up link, which belongs to no congress",
}
